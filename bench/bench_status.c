/*
 * bench_status — wall time of `ninesctl status` (the whole command: exec,
 * connect, the records, rendering) against a tree of 1,000 workers, and
 * against a tree of 10,000 nodes (issue 11: the render was N^2 there):
 * 1,000 supervisors, each with one worker and eight empty dynamic
 * supervisors (1,000 processes, 10,001 records).
 *
 *   bench_status [RUNS]    (default 50 of each output)
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* One run of ninesctl with stdout to /dev/null; microseconds, or -1. */
static double run_ctl(const char *sock, const char *json) {
    char *argv[] = {NINES_BUILD_DIR "/ninesctl", "--socket", (char *)sock, "status", (char *)json, NULL};
    if (!json)
        argv[4] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    double t0 = bench_now_us();
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
        return -1;
    int status;
    waitpid(pid, &status, 0);
    double t = bench_now_us() - t0;
    posix_spawn_file_actions_destroy(&fa);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

static void measure(const char *what, const char *sock, const char *json, int runs, int target_ms) {
    double *v = calloc((size_t)runs, sizeof *v);
    for (int i = 0; i < runs; i++)
        if ((v[i] = run_ctl(sock, json)) < 0) {
            fprintf(stderr, "bench_status: ninesctl status failed\n");
            exit(1);
        }
    struct bench_stats s = bench_stats(v, (size_t)runs);
    printf("  %-34s p50 %6.2f ms  p99 %6.2f ms  (target p50 <= %d ms)\n", what, s.p50 / 1000, s.p99 / 1000,
           target_ms);
    free(v);
}

static bool tree_started(void *ctx, const char *line) {
    return strstr(line, "event=tree_started") != NULL;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 50;
    char *yaml = tree_yaml();
    struct bench_daemon d;
    bench_daemon_start(&d, yaml, NULL);
    free(yaml);
    char last[16];
    snprintf(last, sizeof last, "w%d", CHILDREN - 1);
    if (bench_daemon_wait_started(&d, last, 60000) <= 0)
        return 1;
    char sock[128];
    snprintf(sock, sizeof sock, "%s/control.sock", d.dir);
    printf("status: ninesctl status of a tree of %d workers, whole command (%d runs)\n", CHILDREN, runs);
    measure("ninesctl status", sock, NULL, runs, 20);
    measure("ninesctl status --json", sock, "--json", runs, 20);
    bench_daemon_stop(&d);

    yaml = big_tree_yaml();
    bench_daemon_start(&d, yaml, NULL);
    free(yaml);
    bench_daemon_lines(&d, 300000, tree_started, NULL);
    snprintf(sock, sizeof sock, "%s/control.sock", d.dir);
    printf("status: a tree of 10,001 nodes (1,000 supervisors, each a worker and 8 empty dynamic ones), "
           "whole command (%d runs)\n", runs);
    measure("ninesctl status", sock, NULL, runs, 50);
    measure("ninesctl status --json", sock, "--json", runs, 30);
    bench_daemon_stop(&d);
    return 0;
}
