/*
 * bench_calls — a call's round trip from one worker to another through
 * ninesd (nines_call -> ninesd -> handle_call -> nines_reply -> ninesd ->
 * handle_info), timed inside the calling worker, beside the floor: a bare
 * SOCK_SEQPACKET round trip between two processes, in the same run; and
 * beside the call's shape with nothing in it: the same four hops through
 * a bare relay process (what routing by ninesd costs at the least).
 *
 *   bench_calls [N] [--one-cpu]   (default 10000 round trips of each;
 *                                  --one-cpu: only the rows with every
 *                                  process on CPU 0, e.g. under perf)
 */
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "ctl_proto.h"

#define MODULE NINES_BUILD_DIR "/tests/apps/pingpong.so"

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The floor: a parent and a child bouncing 4 bytes over SEQPACKET;
 * with `one_cpu`, both pinned to CPU 0 (no cross-CPU wake-ups). */
static void floor_round_trips(int n, bool one_cpu, double *p50, double *p99) {
    cpu_set_t saved;
    sched_getaffinity(0, sizeof saved, &saved);
    if (one_cpu) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        sched_setaffinity(0, sizeof one, &one);
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]); /* or the echo loop never sees the end */
        char buf[16];
        ssize_t r;
        while ((r = recv(sv[1], buf, sizeof buf, 0)) > 0)
            if (send(sv[1], buf, (size_t)r, 0) != r)
                break;
        _exit(0);
    }
    close(sv[1]);
    double *v = calloc((size_t)n, sizeof *v);
    char buf[16];
    for (int i = 0; i < n; i++) {
        double t0 = bench_now_us();
        if (send(sv[0], "ping", 4, 0) != 4 || recv(sv[0], buf, sizeof buf, 0) != 4)
            abort();
        v[i] = (bench_now_us() - t0) * 1000.0;
    }
    close(sv[0]);
    waitpid(pid, NULL, 0);
    sched_setaffinity(0, sizeof saved, &saved);
    qsort(v, (size_t)n, sizeof *v, cmp);
    *p50 = v[n / 2], *p99 = v[(n * 99) / 100];
    free(v);
}

/* The call's shape with nothing else: the parent's 4 bytes go to a relay
 * process, which sends them on to a third process and its answer back
 * (one epoll loop over its two SEQPACKET ends, as ninesd's): the four
 * hops and three processes of a call, without any routing. */
static void relay_child(int up, int down) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e = {.events = EPOLLIN, .data.fd = up};
    epoll_ctl(ep, EPOLL_CTL_ADD, up, &e);
    e.data.fd = down;
    epoll_ctl(ep, EPOLL_CTL_ADD, down, &e);
    char buf[16];
    for (;;) {
        struct epoll_event ev;
        if (epoll_wait(ep, &ev, 1, -1) != 1)
            continue;
        ssize_t r = recv(ev.data.fd, buf, sizeof buf, 0);
        if (r <= 0 || send(ev.data.fd == up ? down : up, buf, (size_t)r, 0) != r)
            _exit(0);
    }
}

static void echo_child(int fd) {
    char buf[16];
    ssize_t r;
    while ((r = recv(fd, buf, sizeof buf, 0)) > 0)
        if (send(fd, buf, (size_t)r, 0) != r)
            break;
    _exit(0);
}

static void pin_to_cpu0(cpu_set_t *saved);

/* With `one_cpu`, the three processes on CPU 0. */
static void relay_round_trips(int n, bool one_cpu, double *p50, double *p99) {
    cpu_set_t saved;
    sched_getaffinity(0, sizeof saved, &saved);
    if (one_cpu)
        pin_to_cpu0(&saved);
    int a[2], b[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, a) < 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, b) < 0)
        abort();
    pid_t relay = fork();
    if (relay == 0) {
        close(a[0]);
        if (fork() == 0) {
            close(a[1]), close(b[0]);
            echo_child(b[1]);
        }
        close(b[1]);
        relay_child(a[1], b[0]);
    }
    close(a[1]), close(b[0]), close(b[1]);
    double *v = calloc((size_t)n, sizeof *v);
    char buf[16];
    for (int i = 0; i < n; i++) {
        double t0 = bench_now_us();
        if (send(a[0], "ping", 4, 0) != 4 || recv(a[0], buf, sizeof buf, 0) != 4)
            abort();
        v[i] = (bench_now_us() - t0) * 1000.0;
    }
    close(a[0]);
    waitpid(relay, NULL, 0); /* the third one ends on its own as the relay's end closes */
    sched_setaffinity(0, sizeof saved, &saved);
    qsort(v, (size_t)n, sizeof *v, cmp);
    *p50 = v[n / 2], *p99 = v[(n * 99) / 100];
    free(v);
}

/* Ask the pinger worker to run n calls to the ponger; its reply has the figures. */
static int worker_round_trips(struct bench_daemon *d, int n, char *result, size_t size) {
    char sock[128], req[64];
    snprintf(sock, sizeof sock, "%s/control.sock", d->dir);
    snprintf(req, sizeof req, "run ponger %d", n);
    const char *argv[] = {"call", "pinger", req, "600000"};
    uint8_t payload[256];
    int fd = bench_connect(sock);
    int len = ctl_argv_encode(payload, sizeof payload, 4, argv);
    if (fd < 0 || len < 0 || ctl_send(fd, CTL_REQUEST, CTL_ST_OK, payload, (size_t)len) < 0)
        return -1;
    struct ctl_decoder dec;
    ctl_decoder_init(&dec, CTL_MAX_RESPONSE);
    struct ctl_frame f;
    int ok = -1;
    while (ctl_recv(fd, &dec, &f) > 0) {
        if (f.type == CTL_DATA)
            snprintf(result, size, "%.*s", (int)f.length, (const char *)f.payload);
        if (f.type == CTL_END) {
            ok = f.status == CTL_ST_OK ? 0 : -1;
            break;
        }
    }
    ctl_decoder_free(&dec);
    close(fd);
    return ok;
}

static void pin_to_cpu0(cpu_set_t *saved) {
    cpu_set_t one;
    sched_getaffinity(0, sizeof *saved, saved);
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
}

static void start_pair(struct bench_daemon *d) {
    bench_daemon_start(d,
        "supervisor:\n  children:\n"
        "    - id: ponger\n      module: " MODULE "\n"
        "    - id: pinger\n      module: " MODULE "\n", NULL);
    if (bench_daemon_wait_started(d, "pinger", 5000) <= 0)
        exit(1);
}

/* A warm-up, then the measured run: "p50=NS p99=NS max=NS failed=K". */
static void measure_workers(struct bench_daemon *d, int n, unsigned long long *p50, unsigned long long *p99,
                            long *failed) {
    char result[200] = "";
    worker_round_trips(d, n / 10 + 1, result, sizeof result);
    if (worker_round_trips(d, n, result, sizeof result) < 0) {
        fprintf(stderr, "bench_calls: the run failed: %s\n", result);
        exit(1);
    }
    unsigned long long max;
    sscanf(result, "p50=%llu p99=%llu max=%llu failed=%ld", p50, p99, &max, failed);
}

/* The rows with every process on CPU 0: floor, relay and call. */
static long one_cpu_rows(int n, struct bench_daemon *pinned) {
    double o50, o99, s50, s99;
    unsigned long long q50, q99;
    long failed;
    floor_round_trips(n, true, &o50, &o99);
    relay_round_trips(n, true, &s50, &s99);
    measure_workers(pinned, n, &q50, &q99, &failed);
    printf("  %-36s p50 %7.1f us  p99 %7.1f us\n", "floor, both processes on one CPU", o50 / 1000, o99 / 1000);
    printf("  %-36s p50 %7.1f us  p99 %7.1f us  (%.2fx of floor)\n", "bare relay, all on one CPU", s50 / 1000,
           s99 / 1000, s50 / o50);
    printf("  %-36s p50 %7.1f us  p99 %7.1f us  (%.2fx, %.2fx of floor; %.2fx of the relay)\n",
           "nines_call, all on one CPU", q50 / 1000.0, q99 / 1000.0, q50 / o50, q99 / o99, q50 / s50);
    return failed;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    bool only_one_cpu = argc > 2 && strcmp(argv[2], "--one-cpu") == 0;
    struct bench_daemon spread, pinned;
    cpu_set_t saved;
    if (!only_one_cpu)
        start_pair(&spread);
    pin_to_cpu0(&saved); /* inherited by that ninesd and its workers */
    start_pair(&pinned);
    sched_setaffinity(0, sizeof saved, &saved);
    double f50 = 0, f99 = 0, r50 = 0, r99 = 0;
    unsigned long long p50 = 0, p99 = 0;
    long failed = 0;
    if (!only_one_cpu) {
        floor_round_trips(n, false, &f50, &f99);
        measure_workers(&spread, n, &p50, &p99, &failed);
        relay_round_trips(n, false, &r50, &r99);
        bench_daemon_stop(&spread);
        printf("calls: %d round trips worker -> ninesd -> worker -> ninesd -> worker\n", n);
        printf("  %-36s p50 %7.1f us  p99 %7.1f us\n", "floor: bare SEQPACKET round trip", f50 / 1000, f99 / 1000);
        printf("  %-36s p50 %7.1f us  p99 %7.1f us  (%.2fx, %.2fx of floor)\n", "nines_call through ninesd",
               p50 / 1000.0, p99 / 1000.0, p50 / f50, p99 / f99);
        printf("  %-36s p50 %7.1f us  p99 %7.1f us  (%.2fx of floor; the call is %.2fx of it)\n",
               "the same 4 hops through a bare relay", r50 / 1000, r99 / 1000, r50 / f50, p50 / r50);
    }
    failed += one_cpu_rows(n, &pinned);
    bench_daemon_stop(&pinned);
    printf("  failed calls: %ld; target: p50 <= 3x of floor\n", failed);
    return failed == 0 ? 0 : 1;
}
