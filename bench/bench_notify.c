/*
 * bench_notify — what an sd_notify datagram costs ninesd with 10,000
 * nodes in its tree (issue 11: it scanned every node for the sender's
 * pid). The tree is bench_status's (1,000 supervisors, each a worker and
 * 8 empty dynamic supervisors) and an exec child with `ready: notify`
 * that sends READY=1 and then N datagrams (STATUS=...) as fast as
 * ninesd takes them: the socket's queue is full after 512, so the time
 * to send them is about ninesd's to read them; ninesd's own CPU per
 * datagram is from /proc/PID/schedstat. The child is this program
 * (`bench_notify flood N`); each round kills it (signal KILL) and times
 * the next one, restarted by its supervisor,
 * in turns with BASE's ninesd when given (a folder with another build's
 * ninesd and nines-worker).
 *
 *   bench_notify [ROUNDS] [N] [BASE]    (default 6 rounds of 20,000)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench_common.h"

#define MODULE NINES_BUILD_DIR "/tests/apps/trivial.so"

/* The child: connect to $NOTIFY_SOCKET ("@name": abstract), say READY=1,
 * send n datagrams, print how long they took, wait to be killed. */
static int flood(long n) {
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (!path || strlen(path) >= sizeof sa.sun_path)
        return 1;
    memcpy(sa.sun_path, path, strlen(path));
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len) < 0)
        return 1;
    if (send(fd, "READY=1", 7, 0) < 0)
        return 1;
    double t0 = bench_now_us();
    for (long i = 0; i < n; i++)
        if (send(fd, "STATUS=flooding", 15, 0) < 0)
            return 1;
    printf("flooded %ld in %.0f us\n", n, bench_now_us() - t0);
    fflush(stdout);
    for (;;)
        pause();
}

static char *tree_yaml(long n) {
    size_t size = 512 + 1000 * (200 + 9 * (120 + strlen(MODULE)));
    char *y = malloc(size);
    size_t len = (size_t)snprintf(y, size, "supervisor:\n  intensity: 1000\n  children:\n");
    for (int i = 0; i < 1000; i++) {
        len += (size_t)snprintf(y + len, size - len,
                                "    - id: g%d\n      supervisor:\n        children:\n"
                                "          - {id: w, module: %s}\n", i, MODULE);
        for (int k = 0; k < 8; k++)
            len += (size_t)snprintf(y + len, size - len,
                                    "          - {id: d%d, supervisor: {strategy: dynamic, child: {id: j, module: %s}}}\n",
                                    k, MODULE);
    }
    snprintf(y + len, size - len, "    - id: flood\n      exec: [%s/bench/bench_notify, flood, '%ld']\n      ready: notify\n",
             NINES_BUILD_DIR, n);
    return y;
}

struct one {
    struct bench_daemon d;
    const char *name;
    double us[64], cpu[64];
    int n;
};

/* The next "flooded N in T us" line: T, or -1. */
static double flooded;
static bool take_flooded(void *ctx, const char *line) {
    const char *p = strstr(line, "flooded ");
    const char *in = p ? strstr(p, " in ") : NULL;
    if (!in)
        return false;
    flooded = atof(in + 4);
    return true;
}

/* One flood: its time, and ninesd's CPU from `cpu0` on (the kill, the
 * restart and the datagrams: the restart is a millisecond, 0.05 us a
 * datagram of 20,000). */
static bool round_of(struct one *o, double cpu0) {
    flooded = -1;
    bench_daemon_lines(&o->d, 120000, take_flooded, NULL);
    if (flooded < 0)
        return false;
    o->cpu[o->n] = bench_cpu_us(o->d.pid) - cpu0;
    o->us[o->n++] = flooded;
    return true;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "flood") == 0)
        return flood(atol(argv[2]));
    int rounds = argc > 1 ? atoi(argv[1]) : 6;
    long n = argc > 2 ? atol(argv[2]) : 20000;
    const char *base = argc > 3 ? argv[3] : NULL;
    if (rounds > 64)
        rounds = 64;
    char *yaml = tree_yaml(n);
    static struct one b[2];
    static char base_ninesd[4096];
    int nb = base ? 2 : 1;
    b[0].name = "this";
    bench_daemon_start(&b[0].d, yaml, NULL);
    if (base) {
        snprintf(base_ninesd, sizeof base_ninesd, "%s/ninesd", base);
        b[1].name = "base";
        bench_daemon_start_prog(&b[1].d, base_ninesd, yaml, NULL);
    }
    free(yaml);
    double load[3] = {0};
    getloadavg(load, 3);
    printf("notify: %ld sd_notify datagrams from an exec child among 10,001 nodes, %d rounds%s (load %.2f)\n", n,
           rounds, base ? ", in turns with the base build" : "", load[0]);
    int failed = 0;
    for (int k = 0; k < nb && !failed; k++)
        if (!round_of(&b[k], bench_cpu_us(b[k].d.pid))) { /* the first flood, at boot: its CPU is the boot's, left out below */
            fprintf(stderr, "bench_notify: %s: no flood\n", b[k].name);
            failed = 1;
        }
    for (int r = 1; r < rounds && !failed; r++)
        for (int k = 0; k < nb && !failed; k++) {
            struct bench_answer a;
            const char *req[] = {"signal", "flood", "KILL", NULL}; /* restarted by its supervisor */
            double cpu0 = bench_cpu_us(b[k].d.pid);
            if (bench_ask(&b[k].d, &a, req) < 0 || a.status != 0) {
                fprintf(stderr, "bench_notify: %s: signal flood KILL: %s\n", b[k].name, a.message);
                failed = 1;
            } else if (!round_of(&b[k], cpu0)) {
                fprintf(stderr, "bench_notify: %s: round %d: no flood\n", b[k].name, r);
                failed = 1;
            }
        }
    for (int k = 0; k < nb && !failed; k++) {
        struct bench_stats s = bench_stats(b[k].us, (size_t)b[k].n);
        struct bench_stats c = bench_stats(b[k].cpu + 1, (size_t)b[k].n - 1); /* not the boot's */
        printf("  %-5s sent at p50 %.2f us a datagram (min %.2f, max %.2f); ninesd's CPU a datagram p50 %.2f us "
               "(min %.2f, max %.2f), %d rounds\n",
               b[k].name, s.p50 / n, b[k].us[0] / n, s.max / n, c.p50 / n, b[k].cpu[1] / n, c.max / n, b[k].n);
    }
    getloadavg(load, 3);
    printf("  load after: %.2f\n", load[0]);
    for (int k = 0; k < nb; k++) /* failed or not: nothing left running */
        bench_daemon_stop(&b[k].d);
    return failed;
}
