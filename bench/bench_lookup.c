/*
 * bench_lookup — a call's round trip from one worker to another through
 * ninesd with N other workers in the tree, against the same with none
 * (issue 11: the callee was found by a scan of every node, the call by a
 * scan of every call in flight). The N workers come first in the tree,
 * so a scan in start order would pass them all. The trees run at the same
 * time and are measured in turns, so the VM's moods fall on all alike.
 *
 *   bench_lookup [CALLS [N...]]   (default 20000 calls per tree; N = 1000 4000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define PINGPONG NINES_BUILD_DIR "/tests/apps/pingpong.so"
#define TRIVIAL NINES_BUILD_DIR "/tests/apps/trivial.so"
#define ROUNDS 4
#define MAX_TREES 8

static char *tree_yaml(int others) {
    size_t size = 256 + (size_t)others * 96;
    char *y = malloc(size);
    size_t len = (size_t)snprintf(y, size, "supervisor:\n  children:\n");
    for (int i = 0; i < others; i++)
        len += (size_t)snprintf(y + len, size - len, "    - {id: w%d, module: %s}\n", i, TRIVIAL);
    snprintf(y + len, size - len, "    - {id: ponger, module: %s}\n    - {id: pinger, module: %s}\n", PINGPONG,
             PINGPONG);
    return y;
}

/* n calls pinger -> ponger; p50 and p99 in ns. */
static void round_trips(struct bench_daemon *d, int n, double *p50, double *p99) {
    char req[64];
    snprintf(req, sizeof req, "run ponger %d", n);
    const char *argv[] = {"call", "pinger", req, "600000", NULL};
    struct bench_answer a;
    bench_daemon_drain(d);
    unsigned long long q50 = 0, q99 = 0, max = 0;
    long failed = -1;
    if (bench_ask(d, &a, argv) < 0 || a.status != 0 ||
        sscanf(a.data, "p50=%llu p99=%llu max=%llu failed=%ld", &q50, &q99, &max, &failed) != 4 || failed) {
        fprintf(stderr, "bench_lookup: the run failed: %s %s\n", a.message, a.data);
        exit(1);
    }
    *p50 = (double)q50, *p99 = (double)q99;
}

static double median(double *v, size_t n) {
    return bench_stats(v, n).p50;
}

int main(int argc, char **argv) {
    int calls = argc > 1 ? atoi(argv[1]) : 20000;
    int others[MAX_TREES] = {0, 1000, 4000};
    int trees = 3;
    if (argc > 2)
        for (trees = 1; trees < MAX_TREES && trees - 1 < argc - 2; trees++)
            others[trees] = atoi(argv[trees + 1]);
    struct bench_daemon d[MAX_TREES];
    for (int t = 0; t < trees; t++) {
        char *y = tree_yaml(others[t]);
        bench_daemon_start(&d[t], y, NULL);
        free(y);
        if (bench_daemon_wait_started(&d[t], "pinger", 600000) <= 0) {
            fprintf(stderr, "bench_lookup: the tree of %d did not start\n", others[t]);
            return 1;
        }
    }
    double p50[MAX_TREES][ROUNDS], p99[MAX_TREES][ROUNDS];
    for (int t = 0; t < trees; t++) {
        double x, y;
        round_trips(&d[t], calls / 10 + 1, &x, &y); /* warm-up */
    }
    for (int r = 0; r < ROUNDS; r++)
        for (int t = 0; t < trees; t++)
            round_trips(&d[t], calls / ROUNDS, &p50[t][r], &p99[t][r]);
    for (int t = 0; t < trees; t++)
        bench_daemon_stop(&d[t]);
    printf("lookup: call round trip worker -> ninesd -> worker with N other workers in the tree "
           "(%d calls per tree, %d turns, medians of the turns)\n", calls, ROUNDS);
    double base50 = median(p50[0], ROUNDS), base99 = median(p99[0], ROUNDS);
    for (int t = 0; t < trees; t++) {
        double m50 = median(p50[t], ROUNDS), m99 = median(p99[t], ROUNDS);
        printf("  N = %-6d p50 %7.1f us  p99 %7.1f us  (%.2fx, %.2fx of N = 0)\n", others[t], m50 / 1000,
               m99 / 1000, m50 / base50, m99 / base99);
    }
    printf("  target: p50 <= 1.1x of N = 0\n");
    return 0;
}
