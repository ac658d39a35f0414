/*
 * bench_flow — calls and casts per second between two workers through
 * ninesd at 1, 10, 100 and 1,000 in flight, and how many were lost (the
 * promise is 0: issue 10), side by side in one run.
 *
 * Calls: the caller keeps W nines_call()s outstanding to the callee, each
 * answered once (tests/apps/flood.c "calls"); lost = calls without an
 * answer, or with more than one, or answered with an error. Casts: the
 * sender keeps W casts not yet acknowledged (the receiver casts an
 * acknowledgement back for each: "castwin"); lost = sent - acknowledged.
 * A cast refused with -EAGAIN is sent again, and counted as refused.
 *
 *   bench_flow [CALLS [CASTS]]   (default 20000 calls, 50000 casts per row)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"
#include "ctl_proto.h"

#define MODULE NINES_BUILD_DIR "/tests/apps/flood.so"

static void ask(struct bench_daemon *d, const char *path, const char *req, struct bench_answer *a) {
    const char *argv[] = {"call", path, req, "60000", NULL};
    if (bench_ask(d, a, argv) < 0 || a->status != CTL_ST_OK) {
        fprintf(stderr, "bench_flow: call %s '%s': %s\n", path, req, a->message);
        exit(1);
    }
}

/* Start `req` on the caller and poll `poll` until "done ...": the
 * seconds it took, the final answer in a->data. */
static double run(struct bench_daemon *d, const char *req, const char *poll, struct bench_answer *a) {
    double t0 = bench_now_us();
    ask(d, "caller", req, a);
    for (;;) {
        ask(d, "caller", poll, a);
        if (strncmp(a->data, "done ", 5) == 0)
            break;
        if (bench_now_us() - t0 > 120e6) {
            fprintf(stderr, "bench_flow: '%s' did not end: %s\n", req, a->data);
            break;
        }
        usleep(2000);
        bench_daemon_drain(d);
    }
    return (bench_now_us() - t0) / 1e6;
}

static long field(const char *text, const char *key) {
    const char *at = strstr(text, key);
    return at ? atol(at + strlen(key)) : -1;
}

int main(int argc, char **argv) {
    long calls = argc > 1 ? atol(argv[1]) : 20000, casts = argc > 2 ? atol(argv[2]) : 50000;
    static const long widths[] = {1, 10, 100, 1000};
    struct bench_daemon d;
    bench_daemon_start(&d,
                       "supervisor:\n  children:\n"
                       "    - id: callee\n      module: " MODULE "\n"
                       "    - id: caller\n      module: " MODULE "\n",
                       NULL);
    if (bench_daemon_wait_started(&d, "caller", 5000) <= 0)
        return 1;
    printf("flow: worker -> ninesd -> worker, %ld calls and %ld casts per row\n", calls, casts);
    printf("  %-9s %12s %6s   %12s %6s %8s\n", "in flight", "calls/s", "lost", "casts/s", "lost", "refused");
    long lost_all = 0;
    for (size_t i = 0; i < sizeof widths / sizeof *widths; i++) {
        struct bench_answer a;
        char req[128];
        snprintf(req, sizeof req, "calls callee ping %ld %ld 30000", calls, widths[i]);
        double s1 = run(&d, req, "result", &a);
        long answered = field(a.data, "answered="), ok = field(a.data, "ok="), dup = field(a.data, "dup=");
        long lost_calls = (calls - answered) + dup + (answered - ok);
        snprintf(req, sizeof req, "castwin callee %ld %ld caller", casts, widths[i]);
        double s2 = run(&d, req, "winresult", &a);
        long lost_casts = field(a.data, "sent=") - field(a.data, "acked=");
        printf("  %-9ld %12.0f %6ld   %12.0f %6ld %8ld\n", widths[i], calls / s1, lost_calls,
               field(a.data, "acked=") / s2, lost_casts, field(a.data, "refused="));
        lost_all += lost_calls + lost_casts;
    }
    printf("  target: lost = 0 in every row\n");
    bench_daemon_stop(&d);
    return lost_all == 0 ? 0 : 1;
}
