/*
 * bench_rollback — the rollback rule under writes (issue 10): a key-value
 * worker (tests/apps/kvlite) is upgraded to a version that crashes 200 ms
 * after taking over; writes go on through `ninesctl call` meanwhile, each
 * acknowledged "OK" by the new code. After the crash every key is read
 * back: a key answering "before" although a later write to it was
 * acknowledged is an acknowledged write reverted. Measured for the default
 * rule (an ordinary crash of the new version: expected 0) and for a module
 * that opted in to a stale restore (NINES_MODULE_STALE_RESTORE: its
 * reverts are what it accepted), with the time from the crash to the
 * first answer again. Calls are framed messages, so no byte can be
 * garbled here; the TCP side (half-read lines replayed) is what the
 * default rule rules out by never restoring after the new code read input.
 *
 *   bench_rollback [ROUNDS]   (default 5 per rule)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"

#define KEYS 8
#define CRASHER NINES_BUILD_DIR "/tests/apps/kvlite_crash_200ms.so"

struct round {
    long acked, reverted;
    double recover_us;
};

static int ask_kv(struct bench_daemon *d, struct bench_answer *a, const char *req) {
    const char *argv[] = {"call", "kv", req, NULL};
    return bench_ask(d, a, argv) == 0 && a->status == 0 ? 0 : -1;
}

static bool crashed(void *ctx, const char *line) {
    return strstr(line, "crashing 200 ms after taking over") != NULL;
}

static void one_round(const char *module, struct round *out) {
    struct bench_daemon d;
    struct bench_answer a;
    char yaml[512], req[64];
    snprintf(yaml, sizeof yaml,
             "supervisor:\n  intensity: 100\n  children:\n    - id: kv\n      module: %s/tests/apps/%s\n",
             NINES_BUILD_DIR, module);
    bench_daemon_start(&d, yaml, NULL);
    if (bench_daemon_wait_started(&d, "kv", 5000) < 0)
        exit(1);
    for (int k = 0; k < KEYS; k++) {
        snprintf(req, sizeof req, "set k%d before", k);
        ask_kv(&d, &a, req);
    }
    const char *up[] = {"upgrade", "kv", CRASHER, NULL};
    if (bench_ask(&d, &a, up) < 0 || a.status != 0) {
        fprintf(stderr, "bench_rollback: upgrade: %s\n", a.message);
        exit(1);
    }
    bool written[KEYS] = {false};
    double until = bench_now_us() + 120000; /* of the 200 ms the new code lives */
    for (int i = 0; bench_now_us() < until; i++) {
        snprintf(req, sizeof req, "set k%d after-%d", i % KEYS, i);
        if (ask_kv(&d, &a, req) == 0 && strcmp(a.data, "OK") == 0)
            out->acked++, written[i % KEYS] = true;
    }
    bench_daemon_lines(&d, 5000, crashed, NULL);
    double t0 = bench_now_us();
    while (ask_kv(&d, &a, "version") < 0 && bench_now_us() - t0 < 5e6)
        usleep(200);
    out->recover_us = bench_now_us() - t0;
    for (int k = 0; k < KEYS; k++) {
        snprintf(req, sizeof req, "get k%d", k);
        if (ask_kv(&d, &a, req) == 0 && written[k] && strcmp(a.data, "before") == 0)
            out->reverted++;
    }
    bench_daemon_stop(&d);
}

static void rule(const char *name, const char *module, int rounds) {
    struct round sum = {0, 0, 0};
    double *rec = calloc((size_t)rounds, sizeof *rec);
    for (int r = 0; r < rounds; r++) {
        struct round one = {0, 0, 0};
        one_round(module, &one);
        sum.acked += one.acked, sum.reverted += one.reverted;
        rec[r] = one.recover_us;
    }
    struct bench_stats s = bench_stats(rec, (size_t)rounds);
    printf("%-28s %6d %14ld %18ld %14.1f\n", name, rounds, sum.acked, sum.reverted, s.p50 / 1000);
    free(rec);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    if (rounds < 1)
        rounds = 1;
    printf("crash 200 ms after a swap, writes acknowledged by the new code in between (%d keys)\n", KEYS);
    printf("%-28s %6s %14s %18s %14s\n", "rule", "rounds", "acked writes", "acked reverted", "recover ms p50");
    rule("default (ordinary crash)", "kvlite.so", rounds);
    rule("stale restore opted in", "kvlite_stale_ok.so", rounds);
    printf("target: 0 acknowledged writes reverted under the default rule\n");
    return 0;
}
