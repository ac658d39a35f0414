/*
 * bench_upgrade — live code upgrades through the real ninesd, asked on its
 * control socket as `ninesctl upgrade` does:
 *
 *   1. the pause of one worker (the kv example) while it swaps its code,
 *      as the worker measured it (the END message: "paused N us"), for
 *      states of about 1 KiB, 1 MiB and 64 MiB; where it went (the steps
 *      of each upgrade_done line in the log), and the first swap apart;
 *   2. CONNS TCP connections over loopback, each a closed loop of
 *      "req K\n" lines to the echo example (one epoll loop), while echo is
 *      upgraded and downgraded CHANGES times, back to back: requests that
 *      failed, connections that closed, every request's latency;
 *   3. the same load while each version change is made the way users
 *      otherwise make it, by stopping the worker and starting the other
 *      version (terminate, delete, start); closed connections reconnect.
 *
 *   bench_upgrade [SWAPS [CHANGES [CONNS]]]
 *       (default 50 swaps per state size, 100 version changes, 100 connections)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_common.h"

#define KV1 NINES_BUILD_DIR "/examples/kv.so"
#define KV2 NINES_BUILD_DIR "/examples/kv-2.so"
#define ECHO1 NINES_BUILD_DIR "/examples/echo.so"
#define ECHO2 NINES_BUILD_DIR "/examples/echo-2.so"
#define SETTLE_US 2000
#define TIMEOUT_US 2e6        /* a request unanswered this long has failed */
#define RETRY_US 2000         /* a closed connection connects again after this */
#define WARMUP_US 500000      /* load before the changes start: the baseline */
#define COOLDOWN_US 200000    /* load counted after the last change answered */
#define PAUSE_TARGET_US 1000  /* the target: p99 at 1 MiB */

static void die(const char *what, const char *why) {
    fprintf(stderr, "bench_upgrade: %s: %s\n", what, why);
    exit(1);
}

/* Ask, and stop the run unless the answer is ok. */
static void must(const struct bench_daemon *d, struct bench_answer *a, const char *const *argv) {
    if (bench_ask(d, a, argv) < 0 || a->status != 0)
        die(argv[0], a->message);
}

/* --- 1. the pause, by state size --------------------------------------------- */

static const struct size {
    const char *id, *label;
    size_t bytes;
} SIZES[] = {{"kv1k", "1 KiB", 1024}, {"kv1m", "1 MiB", 1u << 20}, {"kv64m", "64 MiB", 64u << 20}};
#define N_SIZES (sizeof SIZES / sizeof SIZES[0])

/* Keys to preload for a layout-1 snapshot (kv.h) of at least `bytes`: a
 * 5-byte head, then per pair two u32 lengths, "key-N" and 64 value bytes. */
static long keys_for(size_t bytes) {
    size_t total = 5;
    long n = 0;
    char key[32];
    while (total < bytes)
        total += 8 + (size_t)snprintf(key, sizeof key, "key-%ld", n++) + 64;
    return n;
}

/* One upgrade: the pause the worker measured, its snapshot, the command's time. */
static void upgrade(const struct bench_daemon *d, const char *id, const char *module, double *pause_us,
                    unsigned long long *bytes, double *command_us) {
    struct bench_answer a;
    double t0 = bench_now_us();
    must(d, &a, (const char *[]){"upgrade", id, module, NULL});
    *command_us = bench_now_us() - t0;
    unsigned long long pause;
    const char *p = strstr(a.message, "(paused ");
    if (!p || sscanf(p, "(paused %llu us, state %llu bytes)", &pause, bytes) != 2)
        die("upgrade: no pause in the answer", a.message);
    *pause_us = (double)pause;
}

/* The steps of the next upgrade_done line of child `id` in the daemon's
 * log (steps_us=load/export_state/hand-off/code_change), read as it comes:
 * the answer to the operator has only the whole pause. */
static void wait_steps(struct bench_daemon *d, const char *id, double steps[4]) {
    char want[64];
    snprintf(want, sizeof want, " child=%s ", id);
    double end = bench_now_us() + 5e6;
    for (;;) {
        char *start = d->buf, *nl;
        bool found = false;
        while (!found && (nl = memchr(start, '\n', d->len - (size_t)(start - d->buf)))) {
            *nl = '\0';
            const char *s = strstr(start, " steps_us=");
            unsigned long long v[4];
            if (strstr(start, "event=upgrade_done") && strstr(start, want) && s &&
                sscanf(s, " steps_us=%llu/%llu/%llu/%llu", &v[0], &v[1], &v[2], &v[3]) == 4) {
                for (int i = 0; i < 4; i++)
                    steps[i] = (double)v[i];
                found = true;
            }
            start = nl + 1;
        }
        size_t rest = d->len - (size_t)(start - d->buf);
        memmove(d->buf, start, rest);
        d->len = rest;
        if (found)
            return;
        struct pollfd pfd = {.fd = d->log_fd, .events = POLLIN};
        double left = (end - bench_now_us()) / 1000.0;
        ssize_t r = -1;
        if (left > 0 && poll(&pfd, 1, (int)left + 1) == 1)
            r = read(d->log_fd, d->buf + d->len, sizeof d->buf - d->len - 1);
        if (r <= 0)
            die("upgrade_done", "no steps_us in the log");
        d->len += (size_t)r;
    }
}

/* SWAPS upgrades of one kv worker, alternating 1 -> 2 -> 1 ...; its pairs
 * checked before and after (count, checksum). */
static bool measure_pauses_of(struct bench_daemon *d, const struct size *sz, long keys, int swaps) {
    struct bench_answer a;
    char before[sizeof a.data];
    must(d, &a, (const char *[]){"call", sz->id, "count", NULL});
    if (atol(a.data) != keys)
        die("kv count", a.data);
    must(d, &a, (const char *[]){"call", sz->id, "checksum", NULL});
    snprintf(before, sizeof before, "%s", a.data);
    double *pause = calloc((size_t)swaps, sizeof *pause), *command = calloc((size_t)swaps, sizeof *command);
    double *steps[4], first = 0, first_steps[4] = {0};
    for (int k = 0; k < 4; k++)
        steps[k] = calloc((size_t)swaps, sizeof *steps[k]);
    unsigned long long bytes[2] = {0, 0};
    for (int i = 0; i < swaps; i++) {
        usleep(SETTLE_US);
        upgrade(d, sz->id, i % 2 ? KV1 : KV2, &pause[i], &bytes[i % 2], &command[i]);
        double s[4];
        wait_steps(d, sz->id, s);
        for (int k = 0; k < 4; k++)
            steps[k][i] = s[k];
        if (i == 0) {
            first = pause[0];
            memcpy(first_steps, s, sizeof s);
        }
    }
    must(d, &a, (const char *[]){"call", sz->id, "checksum", NULL});
    bool same = strcmp(before, a.data) == 0;
    struct bench_stats p = bench_stats(pause, (size_t)swaps), c = bench_stats(command, (size_t)swaps);
    struct bench_stats st[4];
    for (int k = 0; k < 4; k++)
        st[k] = bench_stats(steps[k], (size_t)swaps);
    printf("  %-7s %8ld  %9llu %9llu  %9.0f %9.0f %9.0f  %9.0f   %s\n", sz->label, keys, bytes[0], bytes[1],
           p.p50, p.p99, p.max, c.p50, same ? "same" : "CHANGED");
    printf("  %-7s steps p50 (p99) us: load %.0f (%.0f), export_state %.0f (%.0f), hand-off %.0f (%.0f),"
           " code_change %.0f (%.0f)\n", "", st[0].p50, st[0].p99, st[1].p50, st[1].p99, st[2].p50, st[2].p99,
           st[3].p50, st[3].p99);
    printf("  %-7s the first swap: %.0f us, steps %.0f/%.0f/%.0f/%.0f\n", "", first, first_steps[0], first_steps[1],
           first_steps[2], first_steps[3]);
    if (sz->bytes == 1u << 20)
        printf("  target: p99 <= %d us at 1 MiB: %s\n", PAUSE_TARGET_US, p.p99 <= PAUSE_TARGET_US ? "met" : "NOT met");
    free(pause);
    free(command);
    for (int k = 0; k < 4; k++)
        free(steps[k]);
    return same;
}

static bool measure_pauses(int swaps) {
    char yaml[2048];
    long keys[N_SIZES];
    size_t len = (size_t)snprintf(yaml, sizeof yaml, "supervisor:\n  children:\n");
    for (size_t i = 0; i < N_SIZES; i++) {
        keys[i] = keys_for(SIZES[i].bytes);
        len += (size_t)snprintf(yaml + len, sizeof yaml - len,
                                "    - {id: %s, module: %s, args: {preload: %ld}}\n", SIZES[i].id, KV1, keys[i]);
    }
    struct bench_daemon d;
    bench_daemon_start(&d, yaml, NULL);
    for (size_t i = 0; i < N_SIZES; i++)
        if (bench_daemon_wait_started(&d, SIZES[i].id, 120000) <= 0)
            die(SIZES[i].id, "did not start");
    printf("upgrade pause: one kv worker swapping its code, %d swaps per state (kv 1.0.0 <-> 2.0.0 in turn),\n"
           "the pause as the worker measured it, from taking the request to serving again\n", swaps);
    printf("  %-7s %8s  %9s %9s  %9s %9s %9s  %9s   %s\n", "state", "keys", "bytes 1>2", "bytes 2>1", "p50 us",
           "p99 us", "max us", "command", "pairs after");
    bool ok = true;
    for (size_t i = 0; i < N_SIZES; i++)
        ok &= measure_pauses_of(&d, &SIZES[i], keys[i], swaps);
    printf("  (command: the whole `upgrade` request as a client sees it, p50 us)\n");
    bench_daemon_stop(&d);
    return ok;
}

/* --- the load: closed loops over loopback, one epoll loop ------------------------ */

enum conn_state { DOWN, CONNECTING, WAITING };

struct conn {
    int fd;
    enum conn_state st;
    unsigned long k;       /* the request in flight: "req K" */
    double sent, last_ok;  /* when it (or the connect) was sent; the last good reply */
    double retry_at;       /* DOWN: when to connect again */
    size_t in_len;
    char in[128];
};

struct load {
    int ep, port, n;
    struct conn *c;
    unsigned long next_k;
    double *lat;           /* every good request's latency, us */
    size_t n_lat, cap;
    long failed, closed, refused, wrong, timeouts;
    double max_gap;        /* the longest any connection went without a good reply */
};

static void conn_down(struct load *l, struct conn *c) {
    if (c->fd >= 0)
        close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    c->st = DOWN;
    c->retry_at = bench_now_us() + RETRY_US;
}

/* The connection ended under a request: by the peer, or by us (a wrong
 * reply, a timeout). */
static void conn_lost(struct load *l, struct conn *c, bool by_peer) {
    if (c->st == WAITING)
        l->failed++;
    if (by_peer)
        l->closed++;
    conn_down(l, c);
}

static void conn_send(struct load *l, struct conn *c) {
    char line[32];
    c->k = l->next_k++;
    int n = snprintf(line, sizeof line, "req %lu\n", c->k);
    c->st = WAITING;
    c->in_len = 0;
    c->sent = bench_now_us();
    if (send(c->fd, line, (size_t)n, MSG_NOSIGNAL) != n)
        conn_lost(l, c, true); /* EPIPE, ECONNRESET; a short send cannot happen on an idle socket */
}

static void conn_open(struct load *l, struct conn *c) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)l->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket", strerror(errno));
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->st = CONNECTING;
    c->sent = bench_now_us();
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
        l->refused++;
        conn_down(l, c);
    } else if (epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        die("epoll_ctl", strerror(errno));
    }
}

/* "req K", or echo 2's "[N] req K" (N: that connection's line count). */
static bool is_echo(const char *line, size_t len, unsigned long k) {
    char want[32];
    size_t i = 1;
    if (len > 0 && line[0] == '[') {
        while (i < len && line[i] >= '0' && line[i] <= '9')
            i++;
        if (i == 1 || i + 2 > len || line[i] != ']' || line[i + 1] != ' ')
            return false;
        line += i + 2, len -= i + 2;
    }
    int n = snprintf(want, sizeof want, "req %lu", k);
    return len == (size_t)n && memcmp(line, want, len) == 0;
}

static void record(struct load *l, struct conn *c, double now) {
    if (l->n_lat == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 65536;
        if (!(l->lat = realloc(l->lat, l->cap * sizeof *l->lat)))
            die("realloc", "out of memory");
    }
    l->lat[l->n_lat++] = now - c->sent;
    if (now - c->last_ok > l->max_gap)
        l->max_gap = now - c->last_ok;
    c->last_ok = now;
}

static void conn_readable(struct load *l, struct conn *c) {
    ssize_t r = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r <= 0) { /* EOF, ECONNRESET */
        conn_lost(l, c, true);
        return;
    }
    c->in_len += (size_t)r;
    char *nl = memchr(c->in, '\n', c->in_len);
    if (!nl && c->in_len < sizeof c->in)
        return; /* the rest of the line is on its way */
    if (!nl || nl + 1 != c->in + c->in_len || !is_echo(c->in, (size_t)(nl - c->in), c->k)) {
        l->wrong++;
        conn_lost(l, c, false);
        return;
    }
    record(l, c, bench_now_us());
    conn_send(l, c);
}

static void conn_event(struct load *l, struct conn *c, uint32_t events) {
    if (c->st == WAITING) {
        conn_readable(l, c);
        return;
    }
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err || (events & (EPOLLERR | EPOLLHUP))) {
        l->refused++;
        conn_down(l, c);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev);
    conn_send(l, c);
}

/* Timeouts, and connections due to connect again. */
static void load_scan(struct load *l, double now) {
    for (int i = 0; i < l->n; i++) {
        struct conn *c = &l->c[i];
        if (c->st == DOWN && now >= c->retry_at) {
            conn_open(l, c);
        } else if (c->st != DOWN && now - c->sent > TIMEOUT_US) {
            if (c->st == WAITING)
                l->timeouts++;
            else
                l->refused++;
            conn_lost(l, c, false);
        }
    }
}

/* Drive the load until `until_us` has passed and, with `done`, it is set. */
static void load_run(struct load *l, double until_us, atomic_bool *done) {
    struct epoll_event ev[256];
    double last_scan = 0;
    for (;;) {
        double now = bench_now_us();
        if (now >= until_us && (!done || atomic_load(done)))
            return;
        int n = epoll_wait(l->ep, ev, 256, 1);
        for (int i = 0; i < n; i++)
            conn_event(l, ev[i].data.ptr, ev[i].events);
        if ((now = bench_now_us()) - last_scan >= 1000) {
            load_scan(l, now);
            last_scan = now;
        }
    }
}

static void load_start(struct load *l, int n, int port) {
    memset(l, 0, sizeof *l);
    l->n = n, l->port = port;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    l->c = calloc((size_t)n, sizeof *l->c);
    if (l->ep < 0 || !l->c)
        die("load", strerror(errno));
    for (int i = 0; i < n; i++)
        conn_open(l, &l->c[i]);
}

/* Forget what the warm-up counted: figures from now on. */
static void load_reset(struct load *l) {
    l->n_lat = 0;
    l->failed = l->closed = l->refused = l->wrong = l->timeouts = 0;
    l->max_gap = 0;
    double now = bench_now_us();
    for (int i = 0; i < l->n; i++)
        l->c[i].last_ok = now;
}

static void load_stop(struct load *l) {
    double now = bench_now_us();
    for (int i = 0; i < l->n; i++) {
        if (now - l->c[i].last_ok > l->max_gap)
            l->max_gap = now - l->c[i].last_ok;
        if (l->c[i].fd >= 0)
            close(l->c[i].fd);
    }
    close(l->ep);
    free(l->c);
}

/* --- 2. and 3. version changes under the load ------------------------------------ */

/* The version changes, in a thread of their own beside the load's loop. */
struct changes {
    struct bench_daemon *d; /* used by this thread alone meanwhile */
    int n, port;
    bool restart;          /* stop and start instead of a live upgrade */
    double *command_us;    /* each change, as the client saw it */
    double *pause_us;      /* live: each pause, as the worker measured it */
    atomic_bool done;
};

/* The way users avoid: stop the worker, forget it, start the other version. */
static void change_by_restart(struct changes *ch, int i) {
    char spec[512];
    struct bench_answer a;
    snprintf(spec, sizeof spec, "{id: echo, module: %s, args: {port: %d}}", i % 2 ? ECHO1 : ECHO2, ch->port);
    must(ch->d, &a, (const char *[]){"terminate", "echo", NULL});
    must(ch->d, &a, (const char *[]){"delete", "echo", NULL});
    must(ch->d, &a, (const char *[]){"start", "/", spec, NULL});
}

static void *run_changes(void *arg) {
    struct changes *ch = arg;
    for (int i = 0; i < ch->n; i++) {
        double t0 = bench_now_us();
        unsigned long long bytes;
        if (ch->restart)
            change_by_restart(ch, i);
        else
            upgrade(ch->d, "echo", i % 2 ? ECHO1 : ECHO2, &ch->pause_us[i], &bytes, &ch->command_us[i]);
        ch->command_us[i] = bench_now_us() - t0;
        bench_daemon_drain(ch->d);
    }
    atomic_store(&ch->done, true);
    return NULL;
}

/* A port nobody listens on now, for a worker that must come back on it. */
static int free_port(void) {
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        die("free port", strerror(errno));
    close(fd);
    return ntohs(sa.sin_port);
}

/* With n 0: no changes (the warm-up, as a baseline). */
static void print_load_row(const char *what, struct load *l, double *command_us, int n) {
    struct bench_stats s = bench_stats(l->lat, l->n_lat), c = bench_stats(command_us, (size_t)n);
    char change[16] = "-";
    if (n > 0)
        snprintf(change, sizeof change, "%.2f", c.p50 / 1000);
    printf("  %-24s %9zu %6ld %6ld %7ld  %7.0f %7.0f %8.0f  %8.1f  %7s\n", what, l->n_lat, l->failed, l->closed,
           l->refused, s.p50, s.p99, s.max, l->max_gap / 1000, change);
    if (l->wrong || l->timeouts)
        printf("  %-24s of the failed: %ld wrong replies, %ld timeouts\n", "", l->wrong, l->timeouts);
}

/* One echo worker under the load while it changes version n times. */
static bool changes_under_load(bool restart, int n, int conns) {
    int port = free_port();
    char yaml[512];
    snprintf(yaml, sizeof yaml, "supervisor:\n  children:\n    - {id: echo, module: %s, args: {port: %d}}\n",
             ECHO1, port);
    struct bench_daemon d;
    bench_daemon_start(&d, yaml, NULL);
    if (bench_daemon_wait_started(&d, "echo", 5000) <= 0)
        die("echo", "did not start");
    struct load l;
    load_start(&l, conns, port);
    load_reset(&l);
    load_run(&l, bench_now_us() + WARMUP_US, NULL);
    if (!restart)
        print_load_row("no change (baseline)", &l, NULL, 0);
    load_reset(&l);
    struct changes ch = {.d = &d, .n = n, .port = port, .restart = restart,
                         .command_us = calloc((size_t)n, sizeof(double)),
                         .pause_us = calloc((size_t)n, sizeof(double))};
    pthread_t t;
    if (pthread_create(&t, NULL, run_changes, &ch) != 0)
        die("pthread_create", "failed");
    load_run(&l, 0, &ch.done);
    load_run(&l, bench_now_us() + COOLDOWN_US, NULL);
    pthread_join(t, NULL);
    load_stop(&l);
    bench_daemon_stop(&d);
    print_load_row(restart ? "restart (stop + start)" : "live upgrade", &l, ch.command_us, n);
    if (!restart) {
        struct bench_stats p = bench_stats(ch.pause_us, (size_t)n);
        printf("  %-24s pause as the worker measured it: p50 %.0f us, p99 %.0f us, max %.0f us\n", "", p.p50,
               p.p99, p.max);
    }
    bool clean = l.failed == 0 && l.closed == 0;
    free(l.lat);
    free(ch.command_us);
    free(ch.pause_us);
    return clean;
}

int main(int argc, char **argv) {
    int swaps = argc > 1 ? atoi(argv[1]) : 50;
    int changes = argc > 2 ? atoi(argv[2]) : 100;
    int conns = argc > 3 ? atoi(argv[3]) : 100;
    if (swaps < 1 || changes < 1 || conns < 1)
        die("usage", "bench_upgrade [SWAPS [CHANGES [CONNS]]], each at least 1");
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    bool pairs_kept = measure_pauses(swaps);
    printf("\nupgrade under load: %d connections over loopback, each a closed loop of \"req K\" lines to the\n"
           "echo worker, while it changes version %d times (1.0.0 <-> 2.0.0), each change asked as soon as\n"
           "the last one answered; figures over the changes and %d ms after\n", conns, changes, COOLDOWN_US / 1000);
    printf("  %-24s %9s %6s %6s %7s  %7s %7s %8s  %8s  %7s\n", "", "requests", "failed", "closed", "refused",
           "p50 us", "p99 us", "max us", "gap ms", "change");
    bool live_clean = changes_under_load(false, changes, conns);
    changes_under_load(true, changes, conns);
    printf("  (refused: connects refused while no worker listened; gap: the longest a connection went\n"
           "   without an answer; change: one version change as the client saw it, p50 ms)\n");
    printf("  target: live upgrade 0 failed, 0 closed: %s\n", live_clean ? "met" : "NOT met");
    return pairs_kept && live_clean ? 0 : 1;
}
