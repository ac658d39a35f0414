/*
 * bench_restart — how long from a worker's crash (SIGKILL) to its
 * replacement being ready (ninesd's child_started line), through the real
 * ninesd, beside the floor: posix_spawn + exec + dlopen of the same trivial
 * module by a bare loop. ninesd is measured twice: as it runs by default
 * (a warm worker host waits for the next start, see supervisord/spare.h)
 * and with --no-spare (every worker spawned from scratch). All in one run,
 * interleaved, so the ratios hold on whatever machine runs it.
 *
 *   bench_restart [N] [BASE]    (default 1000 of each)
 *
 * BASE: a folder with another build's ninesd and nines-worker: its warm
 * restart is measured in the same loop, the two in turns (which goes
 * first alternates), with the median of the paired differences, so that
 * two builds can be compared on a machine whose load moves.
 *
 *   NINES_BENCH_SHOW_US=N prints each restart slower than N us with the
 *   CLOCK_MONOTONIC time of its SIGKILL (bench_restart_us, bench_common.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"

extern char **environ;

#define MODULE NINES_BUILD_DIR "/tests/apps/trivial.so"
#define SETTLE_US 3000

#define TREE                                                                    \
    "supervisor:\n  intensity: 1000000\n  period: 1s\n  children:\n"            \
    "    - id: w\n      module: " MODULE "\n      shutdown: brutal_kill\n"

static void print_row(const char *what, double *v, int n, const struct bench_stats *floor) {
    struct bench_stats s = bench_stats(v, (size_t)n);
    printf("  %-34s p50 %7.1f us  p99 %7.1f us  (%.2fx, %.2fx of floor)\n", what, s.p50, s.p99,
           s.p50 / floor->p50, s.p99 / floor->p99);
}

/* This build's warm restart and BASE's, in turns. */
static void warm_pair(int i, struct bench_daemon *warm, pid_t *warm_worker, double *warm_us,
                      struct bench_daemon *base, pid_t *base_worker, double *base_us) {
    for (int k = 0; k < 2; k++) {
        bool this_one = (k == 0) == (i % 2 == 0);
        if (!this_one && !base)
            continue;
        usleep(SETTLE_US);
        if (this_one)
            warm_us[i] = bench_restart_us(warm, "bench_restart", "w", warm_worker, 5000);
        else
            base_us[i] = bench_restart_us(base, "bench_restart", "w", base_worker, 5000);
    }
}

static void print_base(const char *base, double *warm_us, double *base_us, int n, const struct bench_stats *floor) {
    double *diff = calloc((size_t)n, sizeof *diff);
    for (int i = 0; i < n; i++)
        diff[i] = warm_us[i] - base_us[i];
    struct bench_stats d = bench_stats(diff, (size_t)n);
    char what[64];
    snprintf(what, sizeof what, "BASE's ninesd (warm host)");
    print_row(what, base_us, n, floor);
    printf("  this - BASE, paired: median %+.1f us   (BASE: %s)\n", d.p50, base);
    free(diff);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    const char *base_dir = argc > 2 ? argv[2] : NULL;
    double *floor_us = calloc((size_t)n, sizeof *floor_us);
    double *warm_us = calloc((size_t)n, sizeof *warm_us);
    double *cold_us = calloc((size_t)n, sizeof *cold_us);
    double *base_us = calloc((size_t)n, sizeof *base_us);
    /* The default ninesd, which keeps a warm worker host for the next
     * start, and ninesd --no-spare, which spawns every worker from scratch. */
    struct bench_daemon warm, cold;
    bench_daemon_start(&warm, TREE, NULL);
    bench_daemon_start(&cold, TREE, "--no-spare");
    struct bench_daemon based, *base = base_dir ? &based : NULL;
    char base_ninesd[4096];
    snprintf(base_ninesd, sizeof base_ninesd, "%s/ninesd", base_dir ? base_dir : "");
    if (base)
        bench_daemon_start_prog(base, base_ninesd, TREE, NULL);
    pid_t warm_worker = bench_daemon_wait_started(&warm, "w", 5000);
    pid_t cold_worker = bench_daemon_wait_started(&cold, "w", 5000);
    pid_t base_worker = base ? bench_daemon_wait_started(base, "w", 5000) : 1;
    if (warm_worker <= 0 || cold_worker <= 0 || base_worker <= 0)
        return 1;
    /* Interleave the three so that all see the same machine, and let what
     * follows each sample (ninesd refilling its spare host, reaping) settle
     * before the next, so that none pays for another's tail. */
    for (int i = 0; i < n; i++) {
        usleep(SETTLE_US);
        floor_us[i] = bench_module_floor_us(MODULE);
        warm_pair(i, &warm, &warm_worker, warm_us, base, &base_worker, base_us);
        usleep(SETTLE_US);
        cold_us[i] = bench_restart_us(&cold, "bench_restart", "w", &cold_worker, 5000);
    }
    bench_daemon_stop(&warm);
    bench_daemon_stop(&cold);
    if (base)
        bench_daemon_stop(base);
    struct bench_stats f = bench_stats(floor_us, (size_t)n);
    printf("restart: %d crashes (SIGKILL) of a trivial worker, crash -> replacement ready\n", n);
    printf("  %-34s p50 %7.1f us  p99 %7.1f us\n", "floor: posix_spawn+exec+dlopen", f.p50, f.p99);
    print_row("ninesd (warm host, default)", warm_us, n, &f);
    print_row("ninesd --no-spare (cold spawn)", cold_us, n, &f);
    if (base)
        print_base(base_dir, warm_us, base_us, n, &f);
    printf("  target: ninesd p50 <= 1.20x of floor\n");
    free(floor_us);
    free(warm_us);
    free(cold_us);
    free(base_us);
    return 0;
}
