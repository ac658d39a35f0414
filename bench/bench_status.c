/*
 * bench_status — wall time of `ninesctl status` (the whole command: exec,
 * connect, 1,000 records, rendering) against a tree of 1,000 workers.
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

static void measure(const char *what, const char *sock, const char *json, int runs) {
    double *v = calloc((size_t)runs, sizeof *v);
    for (int i = 0; i < runs; i++)
        if ((v[i] = run_ctl(sock, json)) < 0) {
            fprintf(stderr, "bench_status: ninesctl status failed\n");
            exit(1);
        }
    struct bench_stats s = bench_stats(v, (size_t)runs);
    printf("  %-34s p50 %6.2f ms  p99 %6.2f ms  (target p50 <= 20 ms)\n", what, s.p50 / 1000, s.p99 / 1000);
    free(v);
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
    measure("ninesctl status", sock, NULL, runs);
    measure("ninesctl status --json", sock, "--json", runs);
    bench_daemon_stop(&d);
    return 0;
}
