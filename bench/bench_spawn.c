/*
 * bench_spawn — what spawning costs as the tree grows (issue 11), through
 * the real ninesd, for trees of N = 100, 1,000 and 10,000 module workers
 * (and one exec child), beside floors measured in the same run:
 *
 *   boot       ninesd started -> tree_started, against N x the spawn floor
 *              (posix_spawn + exec + dlopen of the same module by a bare
 *              C loop, floor_loader) / the CPUs: what N spawns cost if
 *              they were spread perfectly over every CPU. Also with
 *              --no-launcher (every child spawned from ninesd itself: its
 *              descriptor table copied and closed again each time), at
 *              100 and 1,000 (at 10,000 with NINES_BENCH_SLOW=1);
 *   shutdown   SIGTERM -> ninesd gone;
 *   restart    SIGKILL of a worker -> its child_started line, p50 and p99,
 *              with the warm spare (default) and with --no-spare, against
 *              the spawn floor;
 *   exec       SIGKILL of the exec child -> its child_started line, against
 *              posix_spawn + exec of the same program by a bare loop, and
 *              against a bare supervisor loop's whole restart (SIGKILL ->
 *              waitpid -> posix_spawn + exec: the old process's end too);
 *              with MAX_N 0 (the exec child alone) also SIGKILL -> the new
 *              program runs (exec_probe's first write to a FIFO: past its
 *              exec and dynamic loader, which child_started does not wait
 *              for) against the bare loop's restart of the same program
 *              to the same mark, each restart and each floor's sample
 *              taken in turns beside the same running ninesd;
 *   memory     ninesd's descriptors, and its PSS per worker (and the
 *              workers' own mean PSS).
 *
 *   bench_spawn [MAX_N] [RESTARTS] [MIN_N]   (default 10000, 200 and 100;
 *                                    MAX_N 0: the exec child alone,
 *                                    restarts only; MIN_N 10000: only
 *                                    the 10,000 row)
 *
 *   NINES_BENCH_SHOW_US=N prints each restart slower than N us with the
 *   CLOCK_MONOTONIC time of its SIGKILL, to find it in a trace taken
 *   beside the run (perf record -k mono).
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

extern char **environ;

#define MODULE NINES_BUILD_DIR "/tests/apps/trivial.so"
#define SLEEP_PROGRAM "/bin/sleep"
#define PROBE_PROGRAM NINES_BUILD_DIR "/bench/exec_probe"
#define SETTLE_US 3000
#define FLOOR_RUNS 200

/* --- floors ------------------------------------------------------------ */

static double module_floor_once(void) {
    return bench_module_floor_us(MODULE);
}

/* posix_spawn returns once the exec has happened (glibc waits for it). */
static double exec_floor_once(void) {
    char *argv[] = {SLEEP_PROGRAM, "1000", NULL};
    pid_t pid;
    double t0 = bench_now_us();
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        abort();
    double t = bench_now_us() - t0;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return t;
}

/* A bare supervisor loop's restart: SIGKILL of its child -> reaped ->
 * posix_spawn + exec of the next. What no supervisor can go below: the
 * end of the old process is in it, not in the exec floor. The victim has
 * run as long as ninesd's do before their kill (SETTLE_US: past its
 * start-up, as theirs). */
static double loop_floor_once(void) {
    char *argv[] = {SLEEP_PROGRAM, "1000", NULL};
    pid_t pid, next;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        abort();
    usleep(SETTLE_US);
    double t0 = bench_now_us();
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (posix_spawn(&next, argv[0], NULL, NULL, argv, environ) != 0)
        abort();
    double t = bench_now_us() - t0;
    kill(next, SIGKILL);
    waitpid(next, NULL, 0);
    return t;
}

/* --- the program running: SIGKILL -> the new exec_probe's mark ------- */

static char probe_dir[64], probe_fifo[96];
static int probe_fd = -1;

/* The FIFO every probe marks, held open for reading and writing (so that
 * it never reads as ended between two probes). */
static void probe_open(void) {
    snprintf(probe_dir, sizeof probe_dir, "/tmp/nines-probe-XXXXXX");
    snprintf(probe_fifo, sizeof probe_fifo, "%s/fifo", mkdtemp(probe_dir) ? probe_dir : "/nonexistent");
    if (mkfifo(probe_fifo, 0600) < 0 || (probe_fd = open(probe_fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
        perror("bench_spawn: the probe's FIFO");
        exit(1);
    }
}

static void probe_close(void) {
    close(probe_fd);
    unlink(probe_fifo);
    rmdir(probe_dir);
}

/* Marks left from before (a first start's). */
static void probe_drain(void) {
    char sink[64];
    while (read(probe_fd, sink, sizeof sink) > 0)
        ;
}

static void probe_wait(void) {
    struct pollfd p = {probe_fd, POLLIN, 0};
    char c;
    if (poll(&p, 1, 10000) != 1 || read(probe_fd, &c, 1) != 1) {
        fprintf(stderr, "bench_spawn: no mark from exec_probe\n");
        exit(1);
    }
}

static pid_t probe_spawn(void) {
    char *argv[] = {PROBE_PROGRAM, probe_fifo, NULL};
    pid_t pid;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        abort();
    return pid;
}

/* The bare loop's restart to its program running: SIGKILL -> reaped ->
 * posix_spawn + exec of exec_probe -> its mark. */
static double loop_probe_once(void) {
    pid_t pid = probe_spawn();
    probe_wait();
    usleep(SETTLE_US);
    probe_drain();
    double t0 = bench_now_us();
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    pid_t next = probe_spawn();
    probe_wait();
    double t = bench_now_us() - t0;
    kill(next, SIGKILL);
    waitpid(next, NULL, 0);
    return t;
}

/* ninesd's: SIGKILL of its exec_probe child -> the new one's mark (its
 * child_started line read after, for the next pid). */
static double probe_restart_once(struct bench_daemon *d, pid_t *victim) {
    probe_drain();
    double t0 = bench_now_us();
    kill(*victim, SIGKILL);
    probe_wait();
    double t = bench_now_us() - t0;
    pid_t next = bench_daemon_wait_started(d, "p", 10000);
    if (next <= 1 || next == *victim) {
        fprintf(stderr, "bench_spawn: no restart of p seen\n");
        exit(1);
    }
    *victim = next;
    return t;
}

static struct bench_stats floor_of(double (*once)(void)) {
    static double v[FLOOR_RUNS];
    for (int i = 0; i < FLOOR_RUNS; i++) {
        usleep(1000);
        v[i] = once();
    }
    return bench_stats(v, FLOOR_RUNS);
}

/* --- one ninesd -------------------------------------------------------- */

/* The bench's tree (bench_tree_yaml), with `probe` a second exec child:
 * p, exec_probe marking the FIFO. */
static char *tree_yaml(int n, bool probe) {
    char *y = bench_tree_yaml(n, true, MODULE);
    if (!probe)
        return y;
    size_t len = strlen(y), size = len + 512;
    if (!(y = realloc(y, size)))
        abort();
    snprintf(y + len, size - len, "    - {id: p, exec: [%s, '%s'], shutdown: brutal_kill}\n", PROBE_PROGRAM,
             probe_fifo);
    return y;
}

struct boot_ctx {
    pid_t w0, x, p;
    bool up;
};

static bool on_boot_line(void *ctx, const char *line) {
    struct boot_ctx *b = ctx;
    if (strstr(line, "event=tree_started"))
        return b->up = true;
    const char *pid = strstr(line, " pid=");
    if (pid && strstr(line, "event=child_started")) {
        if (strstr(line, " child=w0 "))
            b->w0 = (pid_t)atoi(pid + 5);
        else if (strstr(line, " child=x "))
            b->x = (pid_t)atoi(pid + 5);
        else if (strstr(line, " child=p "))
            b->p = (pid_t)atoi(pid + 5);
    }
    return false;
}

static int count_fds(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    int count = 0;
    for (struct dirent *e; dir && (e = readdir(dir));)
        count += e->d_name[0] != '.';
    if (dir)
        closedir(dir);
    return count;
}

static long pss_kib(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "Pss:", 4) == 0)
            kib = atol(line + 4);
    if (f)
        fclose(f);
    return kib;
}

/* The workers' mean PSS: every child of ninesd's, in KiB. */
static double children_pss_kib(pid_t parent, int *count) {
    DIR *dir = opendir("/proc");
    double sum = 0;
    *count = 0;
    for (struct dirent *e; dir && (e = readdir(dir));) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[len] = '\0';
        const char *end = strrchr(buf, ')');
        int ppid = 0;
        char st;
        if (end && sscanf(end + 1, " %c %d", &st, &ppid) == 2 && ppid == parent) {
            long k = pss_kib((pid_t)atoi(e->d_name));
            if (k >= 0)
                sum += (double)k, (*count)++;
        }
    }
    if (dir)
        closedir(dir);
    return *count ? sum / *count : 0;
}

static struct bench_stats restarts(struct bench_daemon *d, const char *id, pid_t *victim, int runs) {
    double *v = calloc((size_t)runs, sizeof *v);
    for (int i = 0; i < runs; i++) {
        usleep(SETTLE_US);
        v[i] = bench_restart_us(d, "bench_spawn", id, victim, 10000);
    }
    struct bench_stats s = bench_stats(v, (size_t)runs);
    free(v);
    return s;
}

static void print_ratio(const char *what, const struct bench_stats *s, const struct bench_stats *floor,
                        const char *target) {
    printf("  %-36s p50 %7.1f us  p99 %7.1f us  (%.2fx, %.2fx of floor)%s%s\n", what, s->p50, s->p99,
           s->p50 / floor->p50, s->p99 / floor->p99, target ? "  target " : "", target ? target : "");
}

/* Boot with `a` and `b` (options or NULL), measure what `what` asks, stop. */
struct run {
    double boot_ms, shutdown_ms;
    struct bench_stats restart, exec;
    int fds, workers;
    long pss_kib;
    double worker_pss_kib;
};

/* Boot a tree of n (with the probe child p if asked): 0 with its pids in
 * *bc and out->boot_ms, once booted and settled. */
static int boot(struct bench_daemon *d, int n, bool probe, const char *a, const char *b, struct boot_ctx *bc,
                struct run *out) {
    bench_daemon_dir(d);
    char tree[128];
    snprintf(tree, sizeof tree, "%s/tree.yaml", d->dir);
    char *yaml = tree_yaml(n, probe);
    FILE *f = fopen(tree, "w");
    fputs(yaml, f);
    fclose(f);
    free(yaml);
    const char *args[6] = {"--max-connections", "16"};
    size_t k = 2;
    if (a)
        args[k++] = a;
    if (b)
        args[k++] = b;
    args[k++] = tree;
    *bc = (struct boot_ctx){0};
    double t0 = bench_now_us();
    bench_daemon_spawn(d, args);
    bench_daemon_lines(d, 600000, on_boot_line, bc);
    if (!bc->up) {
        fprintf(stderr, "bench_spawn: a tree of %d did not boot\n", n);
        return -1;
    }
    *out = (struct run){.boot_ms = (bench_now_us() - t0) / 1000};
    usleep(200000); /* the spare, the output of the last ones */
    bench_daemon_drain(d);
    return 0;
}

static int run_one(int n, const char *a, const char *b, int runs, bool exec_too, struct run *out) {
    struct bench_daemon d;
    struct boot_ctx bc;
    if (boot(&d, n, false, a, b, &bc, out) < 0)
        return -1;
    out->fds = count_fds(d.pid);
    out->pss_kib = pss_kib(d.pid);
    out->worker_pss_kib = children_pss_kib(d.pid, &out->workers);
    if (runs > 0 && n > 0)
        out->restart = restarts(&d, "w0", &bc.w0, runs);
    if (exec_too && runs > 0)
        out->exec = restarts(&d, "x", &bc.x, runs);
    out->shutdown_ms = bench_daemon_stop(&d); /* SIGTERM -> gone */
    return 0;
}

/* MAX_N 0: the exec child alone, and the probe child. Each round takes
 * one sample of every floor and one restart of each child, in turns,
 * beside the same running ninesd: all see the same machine. */
static void bench_exec_only(int runs) {
    probe_open();
    struct bench_daemon d;
    struct boot_ctx bc;
    struct run def;
    if (boot(&d, 0, true, NULL, NULL, &bc, &def) < 0 || bc.p <= 1)
        exit(1);
    double *v[5];
    for (int k = 0; k < 5; k++)
        v[k] = calloc((size_t)runs, sizeof *v[k]);
    for (int i = 0; i < runs; i++) {
        usleep(SETTLE_US); /* past what ninesd does after a restart (the next ready process, 1 ms on) */
        v[0][i] = exec_floor_once();
        v[1][i] = loop_floor_once();
        v[2][i] = loop_probe_once();
        usleep(SETTLE_US);
        v[3][i] = bench_restart_us(&d, "bench_spawn", "x", &bc.x, 10000);
        usleep(SETTLE_US);
        v[4][i] = probe_restart_once(&d, &bc.p);
    }
    bench_daemon_stop(&d);
    probe_close();
    struct bench_stats s[5];
    for (int k = 0; k < 5; k++)
        s[k] = bench_stats(v[k], (size_t)runs), free(v[k]);
    printf("\nthe exec child alone; exec floor (posix_spawn+exec) p50 %.1f us p99 %.1f us, a bare supervisor loop's "
           "restart p50 %.1f us p99 %.1f us; that loop's restart to its program running (exec_probe's first write) "
           "p50 %.1f us p99 %.1f us (%d of each, in turns with ninesd's restarts)\n",
           s[0].p50, s[0].p99, s[1].p50, s[1].p99, s[2].p50, s[2].p99, runs);
    print_ratio("exec child crash -> running", &s[3], &s[0], "p50 <= 1.2x");
    print_ratio("same, against a bare supervisor loop", &s[3], &s[1], NULL);
    print_ratio("crash -> its program runs, vs the loop", &s[4], &s[2], NULL);
}

static void bench_n(int n, int runs, long cpus, bool slow) {
    struct bench_stats mf = floor_of(module_floor_once), ef = floor_of(exec_floor_once),
                       lf = floor_of(loop_floor_once);
    double ideal_ms = n * mf.p50 / cpus / 1000;
    printf("\nN = %d module workers and 1 exec child, %ld CPUs; spawn floor (posix_spawn+exec+dlopen) p50 %.1f us "
           "p99 %.1f us, exec floor (posix_spawn+exec) p50 %.1f us p99 %.1f us, a bare supervisor loop's restart "
           "(SIGKILL -> reaped -> posix_spawn+exec) p50 %.1f us p99 %.1f us\n",
           n, cpus, mf.p50, mf.p99, ef.p50, ef.p99, lf.p50, lf.p99);
    struct run def, cold, direct;
    if (run_one(n, NULL, NULL, runs, true, &def) < 0 || run_one(n, "--no-spare", NULL, runs, false, &cold) < 0)
        exit(1);
    printf("  %-36s %9.0f ms   N x floor / CPUs %.0f ms: %.2fx   target <= 1.5x\n", "boot", def.boot_ms, ideal_ms,
           def.boot_ms / ideal_ms);
    bool with_direct = n <= 1000 || slow;
    if (with_direct && run_one(n, "--no-launcher", "--no-spare", runs, false, &direct) == 0)
        printf("  %-36s %9.0f ms   %.2fx of N x floor / CPUs\n", "boot --no-launcher (spawned by ninesd)",
               direct.boot_ms, direct.boot_ms / ideal_ms);
    printf("  %-36s %9.0f ms   (%.1f us per worker)\n", "shutdown (SIGTERM -> ninesd gone)", def.shutdown_ms,
           def.shutdown_ms * 1000 / n);
    print_ratio("crash -> restarted, warm spare", &def.restart, &mf, "p50 <= 0.5x");
    print_ratio("crash -> restarted, --no-spare", &cold.restart, &mf, "p50 <= 1.2x");
    if (with_direct)
        print_ratio("same, --no-launcher --no-spare", &direct.restart, &mf, NULL);
    print_ratio("exec child crash -> running", &def.exec, &ef, "p50 <= 1.2x");
    print_ratio("same, against a bare supervisor loop", &def.exec, &lf, NULL);
    printf("  %-36s %d descriptors (%.3f per worker), PSS %.1f MiB (%.2f KiB per worker); workers' mean PSS "
           "%.0f KiB (%d processes)\n",
           "ninesd", def.fds, (double)def.fds / n, def.pss_kib / 1024.0, (double)def.pss_kib / n, def.worker_pss_kib,
           def.workers);
}

int main(int argc, char **argv) {
    int max_n = argc > 1 ? atoi(argv[1]) : 10000;
    int runs = argc > 2 ? atoi(argv[2]) : 200;
    int min_n = argc > 3 ? atoi(argv[3]) : 100;
    bool slow = getenv("NINES_BENCH_SLOW") != NULL;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    printf("spawn: boot, shutdown and restarts as the tree grows (%d restarts per row)\n", runs);
    if (max_n == 0)
        bench_exec_only(runs);
    for (int n = 100; n <= max_n; n *= 10)
        if (n >= min_n)
            bench_n(n, runs, cpus < 1 ? 1 : cpus, slow);
    return 0;
}
