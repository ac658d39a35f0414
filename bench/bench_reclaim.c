/*
 * bench_reclaim — ninesd's memory over many dynamic children started and
 * terminated one after the other (issue 11): its RSS after the first
 * 1,000 against its RSS after each power of ten, and the node table's
 * size (nines_node_slots) at the end. Children gone for good give their
 * slot back, so the growth should stay within 1 MiB.
 *
 *   bench_reclaim [N]     (default 1000000 starts)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"
#include "ctl_proto.h"

#define MODULE NINES_BUILD_DIR "/tests/apps/trivial.so"

/* One request on an open connection: 0 with the END's message, or -1. */
static int ask(int fd, char *message, size_t size, char *data, size_t data_size, const char *const *argv, int argc) {
    uint8_t payload[512];
    int len = ctl_argv_encode(payload, sizeof payload, (size_t)argc, argv);
    if (len < 0 || ctl_send(fd, CTL_REQUEST, CTL_ST_OK, payload, (size_t)len) < 0)
        return -1;
    struct ctl_decoder dec;
    ctl_decoder_init(&dec, CTL_MAX_RESPONSE);
    struct ctl_frame f;
    int ok = -1;
    size_t got = 0;
    while (ctl_recv(fd, &dec, &f) > 0) {
        if (f.type == CTL_DATA && data && got + f.length < data_size) {
            memcpy(data + got, f.payload, f.length);
            data[got += f.length] = '\0';
        }
        if (f.type == CTL_END) {
            snprintf(message, size, "%.*s", (int)f.length, (const char *)f.payload);
            ok = f.status == CTL_ST_OK ? 0 : -1;
            break;
        }
    }
    ctl_decoder_free(&dec);
    return ok;
}

static long rss_kib(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static long node_slots(int fd) {
    static char data[1 << 20];
    char msg[256];
    const char *argv[] = {"metrics"};
    if (ask(fd, msg, sizeof msg, data, sizeof data, argv, 1) < 0)
        return -1;
    const char *at = strstr(data, "\nnines_node_slots ");
    return at ? atol(at + strlen("\nnines_node_slots ")) : -1;
}

/* Start one child of "jobs" and terminate it. */
static void churn_one(int fd) {
    char msg[512], path[256];
    const char *start[] = {"start-child", "jobs"};
    if (ask(fd, msg, sizeof msg, NULL, 0, start, 2) < 0) {
        fprintf(stderr, "bench_reclaim: start-child: %s\n", msg);
        exit(1);
    }
    const char *p = strstr(msg, "jobs/");
    if (!p)
        exit(1);
    snprintf(path, sizeof path, "%.*s", (int)strcspn(p, " \n"), p);
    const char *term[] = {"terminate", path};
    if (ask(fd, msg, sizeof msg, NULL, 0, term, 2) < 0) {
        fprintf(stderr, "bench_reclaim: terminate %s: %s\n", path, msg);
        exit(1);
    }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    struct bench_daemon d;
    bench_daemon_start(&d,
                       "supervisor:\n  children:\n"
                       "    - id: jobs\n      supervisor:\n        strategy: dynamic\n"
                       "        child:\n          id: job\n          module: " MODULE "\n",
                       NULL);
    char sock[128];
    snprintf(sock, sizeof sock, "%s/control.sock", d.dir);
    int fd = -1;
    for (int i = 0; i < 500 && fd < 0; i++)
        if ((fd = bench_connect(sock)) < 0)
            usleep(10000);
    if (fd < 0)
        return 1;
    printf("reclaim: %ld dynamic children started and terminated one after the other (trivial.so)\n", n);
    long base = -1;
    double t0 = bench_now_us(), t_last = t0;
    long done_last = 0;
    for (long i = 1; i <= n; i++) {
        churn_one(fd);
        if (i % 1000 == 0)
            bench_daemon_drain(&d);
        bool mark = i == 1000 || i == n;
        for (long p = 10000; p <= n && !mark; p *= 10)
            mark = i == p;
        if (!mark)
            continue;
        long rss = rss_kib(d.pid);
        if (i == 1000)
            base = rss;
        double now = bench_now_us();
        printf("  after %8ld: RSS %6ld KiB (%+ld KiB since 1,000)  %.0f starts/s\n", i, rss,
               base >= 0 ? rss - base : 0, (double)(i - done_last) / ((now - t_last) / 1e6));
        fflush(stdout);
        t_last = now, done_last = i;
    }
    long end = rss_kib(d.pid);
    printf("  node table: %ld slots after %ld children; %.1f s in all\n", node_slots(fd), n,
           (bench_now_us() - t0) / 1e6);
    if (base >= 0)
        printf("  RSS growth from 1,000 to %ld: %ld KiB (target <= 1024 KiB)\n", n, end - base);
    close(fd);
    bench_daemon_stop(&d);
    return 0;
}
