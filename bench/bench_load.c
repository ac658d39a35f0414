/*
 * bench_load.c — the TCP load of the upgrade benchmarks (bench_load.h).
 */
#include "bench_load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_common.h"

static void die(const char *what, const char *why) {
    fprintf(stderr, "bench: %s: %s\n", what, why);
    exit(1);
}

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
        l->wrong_bytes += c->in_len;
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
void load_run(struct load *l, double until_us, atomic_bool *done) {
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

void load_start(struct load *l, int n, int port) {
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
void load_reset(struct load *l) {
    l->n_lat = 0;
    l->failed = l->closed = l->refused = l->wrong = l->timeouts = 0;
    l->wrong_bytes = 0;
    l->max_gap = 0;
    double now = bench_now_us();
    for (int i = 0; i < l->n; i++)
        l->c[i].last_ok = now;
}

void load_stop(struct load *l) {
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

/* A port nobody listens on now, for a worker that must come back on it. */
int free_port(void) {
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        die("free port", strerror(errno));
    close(fd);
    return ntohs(sa.sin_port);
}

