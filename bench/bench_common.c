/*
 * bench_common.c — see bench_common.h. Linked into every benchmark.
 */
#include "bench_common.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl_proto.h"

extern char **environ;

double bench_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct bench_stats bench_stats(double *v, size_t n) {
    struct bench_stats s = {0};
    if (n == 0)
        return s;
    qsort(v, n, sizeof *v, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    s.p50 = v[n / 2];
    s.p99 = v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
    s.max = v[n - 1];
    s.mean = sum / (double)n;
    return s;
}

double bench_module_floor_us(const char *module) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        abort();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    char *argv[] = {NINES_BUILD_DIR "/bench/floor_loader", (char *)module, NULL};
    pid_t pid;
    double t0 = bench_now_us();
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
        abort();
    close(p[1]);
    char c;
    if (read(p[0], &c, 1) != 1)
        abort();
    double t = bench_now_us() - t0;
    close(p[0]);
    posix_spawn_file_actions_destroy(&fa);
    waitpid(pid, NULL, 0);
    return t;
}

char *bench_tree_yaml(int n, bool exec_child, const char *module) {
    size_t size = 256 + (size_t)n * (40 + strlen(module));
    char *y = malloc(size);
    if (!y)
        abort();
    size_t len = (size_t)snprintf(y, size, "supervisor:\n  intensity: 1000000\n  period: 1s\n  children:\n");
    if (exec_child)
        len += (size_t)snprintf(y + len, size - len, "    - {id: x, exec: [/bin/sleep, '1000'], shutdown: brutal_kill}\n");
    else if (n == 0)
        len += (size_t)snprintf(y + len, size - len, "    []\n");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(y + len, size - len, "    - {id: w%d, module: %s}\n", i, module);
    return y;
}

void bench_daemon_dir(struct bench_daemon *d) {
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "/tmp/nines-bench-XXXXXX");
    if (!mkdtemp(d->dir))
        abort();
}

void bench_daemon_spawn(struct bench_daemon *d, const char *const *args) {
    bench_daemon_spawn_prog(d, NINES_BUILD_DIR "/ninesd", args);
}

void bench_daemon_spawn_prog(struct bench_daemon *d, const char *ninesd, const char *const *args) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        abort();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    char sock[160];
    snprintf(sock, sizeof sock, "%s/control.sock", d->dir);
    const char *argv[16] = {ninesd, "--log-target", "stderr", "--socket", sock};
    size_t k = 5;
    /* One more option for every ninesd of the run (NINES_BENCH_NINESD_OPTION,
     * e.g. --exec-hosts: the same build with exec'd worker hosts, beside). */
    const char *extra = getenv("NINES_BENCH_NINESD_OPTION");
    if (extra && *extra)
        argv[k++] = extra;
    for (size_t i = 0; args[i] && k < 15; i++)
        argv[k++] = args[i];
    if (posix_spawn(&d->pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0)
        abort();
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    d->log_fd = p[0];
}

void bench_daemon_start(struct bench_daemon *d, const char *yaml, const char *option) {
    bench_daemon_start_prog(d, NINES_BUILD_DIR "/ninesd", yaml, option);
}

void bench_daemon_start_prog(struct bench_daemon *d, const char *ninesd, const char *yaml, const char *option) {
    bench_daemon_dir(d);
    char tree[128];
    snprintf(tree, sizeof tree, "%s/tree.yaml", d->dir);
    FILE *f = fopen(tree, "w");
    fputs(yaml, f);
    fclose(f);
    const char *args[] = {option ? option : tree, option ? tree : NULL, NULL};
    bench_daemon_spawn_prog(d, ninesd, args);
}

/* Take complete lines from the buffer; return the pid of a matching one. */
static pid_t scan_lines(struct bench_daemon *d, const char *want) {
    char *start = d->buf, *nl;
    pid_t found = -1;
    while (found < 0 && (nl = memchr(start, '\n', d->len - (size_t)(start - d->buf)))) {
        *nl = '\0';
        if (strstr(start, "event=child_started") && strstr(start, want)) {
            const char *p = strstr(start, " pid=");
            found = p ? (pid_t)atoi(p + 5) : -1;
        }
        start = nl + 1;
    }
    size_t rest = d->len - (size_t)(start - d->buf);
    memmove(d->buf, start, rest);
    d->len = rest;
    return found;
}

pid_t bench_daemon_wait_started(struct bench_daemon *d, const char *id, int timeout_ms) {
    char want[64];
    snprintf(want, sizeof want, " child=%s ", id);
    double end = bench_now_us() + timeout_ms * 1000.0;
    for (;;) {
        pid_t pid = scan_lines(d, want);
        if (pid > 0)
            return pid;
        double left = (end - bench_now_us()) / 1000.0;
        struct pollfd pfd = {.fd = d->log_fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left + 1) <= 0)
            return -1;
        ssize_t r = read(d->log_fd, d->buf + d->len, sizeof d->buf - d->len - 1);
        if (r <= 0)
            return -1;
        d->len += (size_t)r;
    }
}

double bench_daemon_stop(struct bench_daemon *d) {
    double t0 = bench_now_us();
    kill(d->pid, SIGTERM);
    /* Keep reading its log until it is gone: a shutdown logs a line per
     * child, and a full pipe would stop ninesd in the middle of it. */
    char sink[65536];
    while (read(d->log_fd, sink, sizeof sink) > 0)
        ;
    waitpid(d->pid, NULL, 0);
    double ms = (bench_now_us() - t0) / 1000;
    close(d->log_fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", d->dir);
    return ms;
}

double bench_restart_us(struct bench_daemon *d, const char *prog, const char *id, pid_t *victim, int timeout_ms) {
    if (*victim <= 1) {
        fprintf(stderr, "%s: no pid for %s\n", prog, id);
        exit(1);
    }
    double t0 = bench_now_us();
    kill(*victim, SIGKILL);
    pid_t next = bench_daemon_wait_started(d, id, timeout_ms);
    double t = bench_now_us() - t0;
    if (next <= 1) {
        fprintf(stderr, "%s: no restart of %s seen\n", prog, id);
        exit(1);
    }
    static const char *show;
    if (!show)
        show = getenv("NINES_BENCH_SHOW_US") ? getenv("NINES_BENCH_SHOW_US") : "";
    if (*show && t > atof(show)) /* when, on CLOCK_MONOTONIC: beside a trace (perf -k mono) */
        fprintf(stderr, "%s: %s restart %.0f us, killed at %.6f s, pid %d -> %d\n", prog, id, t, t0 / 1e6,
                (int)*victim, (int)next);
    *victim = next;
    return t;
}

int bench_connect(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

void bench_daemon_lines(struct bench_daemon *d, int timeout_ms, bool (*fn)(void *ctx, const char *line),
                        void *ctx) {
    double end = bench_now_us() + timeout_ms * 1000.0;
    for (;;) {
        char *start = d->buf, *nl;
        bool done = false;
        while (!done && (nl = memchr(start, '\n', d->len - (size_t)(start - d->buf)))) {
            *nl = '\0';
            done = fn(ctx, start);
            start = nl + 1;
        }
        size_t rest = d->len - (size_t)(start - d->buf);
        memmove(d->buf, start, rest);
        d->len = rest;
        double left = (end - bench_now_us()) / 1000.0;
        struct pollfd pfd = {.fd = d->log_fd, .events = POLLIN};
        if (done || left <= 0 || poll(&pfd, 1, (int)left + 1) <= 0)
            return;
        ssize_t r = read(d->log_fd, d->buf + d->len, sizeof d->buf - d->len - 1);
        if (r <= 0)
            return;
        d->len += (size_t)r;
    }
}

void bench_daemon_drain(struct bench_daemon *d) {
    struct pollfd pfd = {.fd = d->log_fd, .events = POLLIN};
    while (poll(&pfd, 1, 0) == 1) {
        ssize_t r = read(d->log_fd, d->buf + d->len, sizeof d->buf - d->len - 1);
        if (r <= 0)
            return;
        d->len += (size_t)r;
        char *nl = memrchr(d->buf, '\n', d->len);
        size_t rest = nl ? d->len - (size_t)(nl + 1 - d->buf) : 0; /* a line longer than buf goes too */
        memmove(d->buf, d->buf + d->len - rest, rest);
        d->len = rest;
    }
}

int bench_ask(const struct bench_daemon *d, struct bench_answer *a, const char *const *argv) {
    char sock[128];
    snprintf(sock, sizeof sock, "%s/control.sock", d->dir);
    memset(a, 0, sizeof *a);
    a->status = -1;
    int argc = 0;
    while (argv[argc])
        argc++;
    static __thread uint8_t req[CTL_MAX_REQUEST]; /* one per thread: load generators ask in parallel */
    int fd = bench_connect(sock), len = ctl_argv_encode(req, sizeof req, argc, argv);
    if (fd < 0 || len < 0 || ctl_send(fd, CTL_REQUEST, CTL_ST_OK, req, (size_t)len) < 0) {
        snprintf(a->message, sizeof a->message, "cannot ask ninesd at %s", sock);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct ctl_decoder dec;
    ctl_decoder_init(&dec, CTL_MAX_RESPONSE);
    struct ctl_frame f;
    while (a->status < 0 && ctl_recv(fd, &dec, &f) > 0) {
        char *to = f.type == CTL_END ? a->message : a->data;
        size_t size = f.type == CTL_END ? sizeof a->message : sizeof a->data;
        snprintf(to, size, "%.*s", f.length < size ? (int)f.length : (int)size - 1, (const char *)f.payload);
        if (f.type == CTL_END)
            a->status = (int)f.status;
    }
    ctl_decoder_free(&dec);
    close(fd);
    if (a->status < 0)
        snprintf(a->message, sizeof a->message, "the answer of ninesd broke off");
    return a->status < 0 ? -1 : 0;
}

double bench_cpu_us(pid_t pid) {
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return (double)strtoull(buf, NULL, 10) / 1e3;
}
