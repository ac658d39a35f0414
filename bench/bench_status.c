/*
 * bench_status — wall time of `ninesctl status` (the whole command: exec,
 * connect, the records, rendering) against a tree of 1,000 workers, and
 * against a tree of 10,000 nodes (issue 11: the render was N^2 there):
 * 1,000 supervisors, each with one worker and eight empty dynamic
 * supervisors (1,000 processes, 10,001 records).
 *
 *   bench_status [RUNS] [BASE]    (default 50 of each output)
 *
 * BASE: a folder with another build's ninesd, nines-worker and ninesctl
 * (a copy of build/ before a change): its daemon runs the same tree
 * beside this build's and the runs of both go in turns. Each line gives
 * the CPU time of ninesctl (its rusage) and of ninesd (from /proc) per
 * status: on a shared 2-CPU machine the wall time follows them.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

extern char **environ;

#define CHILDREN 1000
#define MODULE NINES_BUILD_DIR "/tests/apps/trivial.so"

/* 1,000 groups: a worker and eight dynamic supervisors with no child. */
static char *big_tree_yaml(void) {
    size_t size = 64 + 1000 * (200 + 9 * (120 + strlen(MODULE)));
    char *y = malloc(size);
    size_t len = (size_t)snprintf(y, size, "supervisor:\n  children:\n");
    for (int i = 0; i < 1000; i++) {
        len += (size_t)snprintf(y + len, size - len,
                                "    - id: g%d\n      supervisor:\n        children:\n"
                                "          - {id: w, module: %s}\n", i, MODULE);
        for (int k = 0; k < 8; k++)
            len += (size_t)snprintf(y + len, size - len,
                                    "          - {id: d%d, supervisor: {strategy: dynamic, child: {id: j, module: %s}}}\n",
                                    k, MODULE);
    }
    return y;
}

static char *tree_yaml(void) {
    size_t size = 64 + CHILDREN * 96;
    char *y = malloc(size);
    size_t len = (size_t)snprintf(y, size, "supervisor:\n  children:\n");
    for (int i = 0; i < CHILDREN; i++)
        len += (size_t)snprintf(y + len, size - len, "    - {id: w%d, module: %s}\n", i, MODULE);
    return y;
}

/* One run: the whole command's wall time, and the CPU of ninesctl (its
 * rusage) and of ninesd (bench_cpu_us before and after: schedstat, since
 * /proc/PID/stat counts in ticks of 10 ms, as long as a status). */
struct sample {
    double wall_us, ctl_cpu_us, daemon_cpu_us;
};

/* One run of CTL (a ninesctl) with stdout to /dev/null; false if it failed. */
static bool run_ctl(const char *ctl, const char *sock, const char *json, pid_t daemon, struct sample *out) {
    char *argv[] = {(char *)ctl, "--socket", (char *)sock, "status", (char *)json, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    double d0 = bench_cpu_us(daemon), t0 = bench_now_us();
    int e = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0)
        return false;
    int status;
    struct rusage ru;
    wait4(pid, &status, 0, &ru);
    out->wall_us = bench_now_us() - t0;
    out->daemon_cpu_us = bench_cpu_us(daemon) - d0;
    out->ctl_cpu_us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
                      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A build under test: its ninesctl, its ninesd and that daemon's socket. */
struct build {
    const char *name, *ctl;
    const struct bench_daemon *d;
    char sock[128];
    struct sample *v[2]; /* text, json */
};

static void report(const struct build *b, int json, int runs, int target_ms) {
    double *wall = calloc((size_t)runs, sizeof *wall), ctl = 0, daemon = 0;
    for (int i = 0; i < runs; i++) {
        wall[i] = b->v[json][i].wall_us;
        ctl += b->v[json][i].ctl_cpu_us;
        daemon += b->v[json][i].daemon_cpu_us;
    }
    struct bench_stats s = bench_stats(wall, (size_t)runs);
    printf("  %-8s ninesctl status%-7s p50 %6.2f ms  p99 %6.2f ms  CPU per status: ninesctl %5.1f ms, ninesd %5.1f ms"
           "  (target p50 <= %d ms)\n",
           b->name, json ? " --json" : "", s.p50 / 1000, s.p99 / 1000, ctl / runs / 1000, daemon / runs / 1000,
           target_ms);
    free(wall);
}

/* Every build's text and json runs in turns, so that a change of load
 * falls on all alike. */
static void measure(struct build *b, int n_builds, int runs, const int target_ms[2]) {
    for (int k = 0; k < n_builds; k++)
        for (int j = 0; j < 2; j++)
            b[k].v[j] = calloc((size_t)runs, sizeof *b[k].v[j]);
    for (int i = 0; i < runs; i++)
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < n_builds; k++)
                if (!run_ctl(b[k].ctl, b[k].sock, j ? "--json" : NULL, b[k].d->pid, &b[k].v[j][i])) {
                    fprintf(stderr, "bench_status: %s status failed\n", b[k].ctl);
                    exit(1);
                }
    for (int j = 0; j < 2; j++)
        for (int k = 0; k < n_builds; k++)
            report(&b[k], j, runs, target_ms[j]);
    for (int k = 0; k < n_builds; k++)
        for (int j = 0; j < 2; j++)
            free(b[k].v[j]);
}

static bool tree_started(void *ctx, const char *line) {
    return strstr(line, "event=tree_started") != NULL;
}

static void print_load(const char *when) {
    double load[3] = {0};
    if (getloadavg(load, 3) == 3)
        printf("  load average %s: %.2f %.2f %.2f\n", when, load[0], load[1], load[2]);
}

/* This build, and BASE's (a folder with another build's ninesd,
 * nines-worker and ninesctl) when given. */
static int set_builds(struct build *b, struct bench_daemon *d, const char *base, const char *yaml) {
    static char base_ninesd[4096], base_ctl[4096];
    b[0] = (struct build){.name = "this", .ctl = NINES_BUILD_DIR "/ninesctl", .d = &d[0]};
    bench_daemon_start(&d[0], yaml, NULL);
    if (!base)
        return 1;
    snprintf(base_ninesd, sizeof base_ninesd, "%s/ninesd", base);
    snprintf(base_ctl, sizeof base_ctl, "%s/ninesctl", base);
    b[1] = (struct build){.name = "base", .ctl = base_ctl, .d = &d[1]};
    bench_daemon_start_prog(&d[1], base_ninesd, yaml, NULL);
    return 2;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 50;
    const char *base = argc > 2 ? argv[2] : NULL;
    struct bench_daemon d[2];
    struct build b[2];
    char *yaml = tree_yaml();
    int n = set_builds(b, d, base, yaml);
    free(yaml);
    char last[16];
    snprintf(last, sizeof last, "w%d", CHILDREN - 1);
    for (int k = 0; k < n; k++) {
        if (bench_daemon_wait_started(&d[k], last, 60000) <= 0)
            return 1;
        snprintf(b[k].sock, sizeof b[k].sock, "%s/control.sock", d[k].dir);
    }
    printf("status: ninesctl status of a tree of %d workers, whole command (%d runs%s)\n", CHILDREN, runs,
           base ? ", interleaved with the base build" : "");
    print_load("before");
    measure(b, n, runs, (const int[2]){20, 20});
    for (int k = 0; k < n; k++)
        bench_daemon_stop(&d[k]);

    yaml = big_tree_yaml();
    n = set_builds(b, d, base, yaml);
    free(yaml);
    for (int k = 0; k < n; k++) {
        bench_daemon_lines(&d[k], 300000, tree_started, NULL);
        snprintf(b[k].sock, sizeof b[k].sock, "%s/control.sock", d[k].dir);
    }
    printf("status: a tree of 10,001 nodes (1,000 supervisors, each a worker and 8 empty dynamic ones), "
           "whole command (%d runs%s)\n", runs, base ? ", interleaved with the base build" : "");
    print_load("before");
    measure(b, n, runs, (const int[2]){50, 30});
    print_load("after");
    for (int k = 0; k < n; k++)
        bench_daemon_stop(&d[k]);
    return 0;
}
