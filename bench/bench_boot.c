/*
 * bench_boot — what a boot costs, and how much of it is ninesd's own start
 * (issue 11): many boots of one tree, each from ninesd's spawn to its
 * tree_started line, beside the spawn floor measured between them
 * (posix_spawn + exec + dlopen of the same module by floor_loader):
 *
 *   tree     bench_spawn's: an exec child, then N module workers; against
 *            N x the spawn floor / the CPUs (bench_spawn's boot row, which
 *            is one boot a run: this takes the median of many);
 *   first    the same boots to their first child_started line (the exec
 *            child's): ninesd's own start on that tree, and its first spawn;
 *   empty    a tree with no child: ninesd's own start alone (its exec and
 *            linking, the tree read, its launcher and warden started).
 *
 * With OTHER (another build's ninesd, its nines-worker beside it), each
 * boot of this build is followed by the same boot of that one, the order
 * swapped every round, so that both see the same load.
 *
 *   bench_boot [N] [ROUNDS] [OTHER]     (default 100 and 10)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

#define MODULE NINES_BUILD_DIR "/tests/apps/trivial.so"
#define SELF_NINESD NINES_BUILD_DIR "/ninesd"
#define FLOORS_PER_ROUND 20
#define MAX_ROUNDS 1000

struct seen {
    double t0, first_ms; /* spawn -> the first child_started */
    bool up;
};

static bool on_line(void *ctx, const char *line) {
    struct seen *s = ctx;
    if (!s->first_ms && strstr(line, "event=child_started"))
        s->first_ms = (bench_now_us() - s->t0) / 1000;
    return s->up = strstr(line, "event=tree_started") != NULL;
}

/* One boot of `yaml` by `ninesd`: spawn -> tree_started, ms (and to its
 * first child_started in *first_ms); then stopped. */
static double boot_once(const char *ninesd, const char *yaml, double *first_ms) {
    struct bench_daemon d;
    bench_daemon_dir(&d);
    char tree[128];
    snprintf(tree, sizeof tree, "%s/tree.yaml", d.dir);
    FILE *f = fopen(tree, "w");
    fputs(yaml, f);
    fclose(f);
    const char *args[] = {"--max-connections", "16", tree, NULL};
    struct seen seen = {.t0 = bench_now_us()};
    bench_daemon_spawn_prog(&d, ninesd, args);
    bench_daemon_lines(&d, 600000, on_line, &seen);
    double t = (bench_now_us() - seen.t0) / 1000;
    *first_ms = seen.first_ms;
    if (!seen.up) {
        fprintf(stderr, "bench_boot: %s did not boot\n", ninesd);
        exit(1);
    }
    usleep(100000); /* the spares, the output of the last ones */
    bench_daemon_drain(&d);
    bench_daemon_stop(&d);
    return t;
}

static void print_row(const char *what, const char *who, double *v, size_t n, double ideal_ms) {
    struct bench_stats s = bench_stats(v, n);
    printf("  %-6s %-40s p50 %7.1f ms  min %7.1f  max %7.1f", what, who, s.p50, v[0], s.max);
    if (ideal_ms > 0)
        printf("   %.2fx (min %.2fx) of N x floor / CPUs", s.p50 / ideal_ms, v[0] / ideal_ms);
    printf("\n");
}

static void print_load(void) {
    FILE *f = fopen("/proc/loadavg", "r");
    char line[128] = "";
    if (f && fgets(line, sizeof line, f))
        printf("load average %s", line);
    if (f)
        fclose(f);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 100;
    int rounds = argc > 2 ? atoi(argv[2]) : 10;
    const char *other = argc > 3 ? argv[3] : NULL;
    if (n < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: bench_boot [N >= 1] [ROUNDS 1-%d] [OTHER_NINESD]\n", MAX_ROUNDS);
        return 2;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cpus = cpus < 1 ? 1 : cpus;
    const char *who[2] = {SELF_NINESD, other};
    int builds = other ? 2 : 1;
    char *trees[2] = {bench_tree_yaml(n, n > 0, MODULE), bench_tree_yaml(0, false, MODULE)};
    static double boot[2][3][MAX_ROUNDS]; /* [build][tree, first child, empty][round] */
    double *floor = calloc((size_t)rounds * FLOORS_PER_ROUND, sizeof *floor);
    print_load();
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < FLOORS_PER_ROUND; k++) {
            usleep(1000);
            floor[r * FLOORS_PER_ROUND + k] = bench_module_floor_us(MODULE);
        }
        for (int t = 0; t < 2; t++)
            for (int i = 0; i < builds; i++) {
                int b = builds == 2 && r % 2 ? 1 - i : i; /* ABBA */
                double first;
                boot[b][t ? 2 : 0][r] = boot_once(who[b], trees[t], &first);
                if (!t)
                    boot[b][1][r] = first;
            }
    }
    struct bench_stats fl = bench_stats(floor, (size_t)rounds * FLOORS_PER_ROUND);
    double ideal_ms = n * fl.p50 / (double)cpus / 1000;
    printf("boot of N = %d module workers and 1 exec child, %d rounds, %ld CPUs; spawn floor p50 %.1f us "
           "(N x floor / CPUs %.1f ms)\n",
           n, rounds, cpus, fl.p50, ideal_ms);
    for (int b = 0; b < builds; b++) {
        print_row("tree", who[b], boot[b][0], (size_t)rounds, ideal_ms);
        print_row("first", who[b], boot[b][1], (size_t)rounds, 0);
        print_row("empty", who[b], boot[b][2], (size_t)rounds, 0);
    }
    print_load();
    free(floor);
    free(trees[0]);
    free(trees[1]);
    return 0;
}
