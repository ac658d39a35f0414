/*
 * echo_io.c — reading, echoing and writing a connection; accepting new ones.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo.h"

/* --- Echoing. ----------------------------------------------------------- */

static void conn_close(nines_ctx *ctx, struct echo *e, struct conn *c)
{
    nines_fd_unwatch(ctx, c->tag);
    close(c->fd);
    table_remove(e, c);
    conn_free(c);
}

/* Version 2 numbers each connection's lines: "[N] " goes out before the
 * Nth. Version 1 echoes byte for byte. */
static int line_prefix(struct conn *c)
{
#if ECHO_VERSION >= 2
    char prefix[32];
    int n = snprintf(prefix, sizeof(prefix), "[%llu] ", (unsigned long long)++c->lines);

    return bytes_append(&c->out, prefix, (size_t)n);
#else
    return 0;
#endif
}

/* Move every complete line of `p` (after what c->in holds) to c->out; keep
 * the incomplete rest in c->in. -EMSGSIZE for a line over the limit. */
static int conn_feed(struct echo *e, struct conn *c, const char *p, size_t n)
{
    const char *end = p + n;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t seg = (size_t)((nl != NULL ? nl + 1 : end) - p);
        if (c->in.len + seg > LINE_MAX_BYTES)
            return -EMSGSIZE;
        if (nl == NULL)
            return bytes_append(&c->in, p, seg);
        if (line_prefix(c) < 0)
            return -ENOMEM;
        if (c->in.len > 0) {
            if (bytes_append(&c->out, c->in.data, c->in.len) < 0)
                return -ENOMEM;
            bytes_clear(&c->in);
        }
        if (bytes_append(&c->out, p, seg) < 0)
            return -ENOMEM;
        e->served++;
        p += seg;
    }
    return 0;
}

/* Write as much pending output as the socket takes. */
static int conn_flush(struct conn *c)
{
    while (bytes_pending(&c->out) > 0) {
        ssize_t n = send(c->fd, c->out.data + c->out.off, bytes_pending(&c->out),
                         MSG_NOSIGNAL);
        if (n >= 0)
            c->out.off += (size_t)n;
        else if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        else if (errno != EINTR)
            return -errno;
    }
    bytes_clear(&c->out);
    return 0;
}

/* Read until the socket is drained, the peer is done, or too much output
 * is pending; echo as we go. */
static int conn_read(struct echo *e, struct conn *c)
{
    char buf[READ_CHUNK];

    while (bytes_pending(&c->out) < OUT_HIGH_WATER) {
        ssize_t n = read(c->fd, buf, sizeof(buf));
        if (n == 0) {
            c->eof = true;
            return 0;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR)
                continue;
            return -errno;
        }
        int r = conn_feed(e, c, buf, (size_t)n);
        if (r == 0)
            r = conn_flush(c);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The events the connection needs watched now (never 0 while it lives). */
static uint32_t conn_want(const struct conn *c)
{
    size_t pending = bytes_pending(&c->out);
    uint32_t ev = 0;

    if (!c->eof && pending < OUT_HIGH_WATER)
        ev |= NINES_READABLE;
    if (pending > 0)
        ev |= NINES_WRITABLE;
    return ev;
}

void conn_event(nines_ctx *ctx, struct echo *e, struct conn *c, uint32_t events)
{
    int r = 0;

    /* The peer is gone (reset or fully closed): nothing left to echo to. */
    if (events & NINES_HANGUP) {
        conn_close(ctx, e, c);
        return;
    }
    if ((events & NINES_READABLE) && !c->eof)
        r = conn_read(e, c);
    if (r == 0 && (events & NINES_WRITABLE))
        r = conn_flush(c);
    uint32_t want = conn_want(c);
    if (r == 0 && want != 0 && want != c->events) {
        r = nines_fd_update(ctx, c->tag, want);
        if (r == 0)
            c->events = want;
    }
    if (r == -EMSGSIZE)
        nines_log(ctx, NINES_LOG_DEBUG, "echo: connection %llu sent a line over %d bytes",
                  (unsigned long long)c->tag, LINE_MAX_BYTES);
    if (r < 0 || want == 0)
        conn_close(ctx, e, c);
}

/* --- Accepting. --------------------------------------------------------- */

static void conn_open(nines_ctx *ctx, struct echo *e, int fd)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        nines_log(ctx, NINES_LOG_WARNING, "echo: out of memory, connection dropped");
        close(fd);
        return;
    }
    c->fd = fd;
    c->tag = e->next_tag++;
    c->events = NINES_READABLE;
    int r = nines_fd_watch(ctx, c->tag, fd, NINES_READABLE);
    if (r < 0) {
        nines_log(ctx, NINES_LOG_WARNING, "echo: cannot watch a connection, dropped: %s",
                  strerror(-r));
        close(fd);
        conn_free(c);
        return;
    }
    table_insert(e, c);
}

/* Out of descriptors or memory: stop watching the listener for a while
 * rather than spin on a listener that stays readable. */
static int pause_listener(nines_ctx *ctx, struct echo *e, int err)
{
    if (!e->accept_warned)
        nines_log(ctx, NINES_LOG_WARNING, "echo: cannot accept: %s; retrying every %d ms",
                  strerror(err), ACCEPT_RETRY_MS);
    e->accept_warned = true;
    nines_fd_unwatch(ctx, LISTENER_TAG);
    e->listener_paused = true;
    return nines_timer_start(ctx, ACCEPT_RETRY_TAG, ACCEPT_RETRY_MS, 0);
}

/* An accept4() error that concerns only the connection being accepted. */
static bool accept_error_transient(int err)
{
    switch (err) {
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case ENETDOWN:
    case ENETUNREACH:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case EHOSTUNREACH:
    case ENONET:
    case EOPNOTSUPP:
        return true;
    default:
        return false;
    }
}

int accept_all(nines_ctx *ctx, struct echo *e)
{
    for (;;) {
        int fd = accept4(e->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            e->accept_warned = false;
            conn_open(ctx, e, fd);
            continue;
        }
        int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK)
            return 0;
        if (accept_error_transient(err))
            continue;
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
            return pause_listener(ctx, e, err);
        nines_stop(ctx, NINES_STOP_ERROR, "echo: accept on the listener failed");
        return -err;
    }
}

int resume_listener(nines_ctx *ctx, struct echo *e)
{
    int r = nines_fd_watch(ctx, LISTENER_TAG, e->listen_fd, NINES_READABLE);

    if (r < 0) {
        nines_stop(ctx, NINES_STOP_ERROR, "echo: cannot watch the listener again");
        return r;
    }
    e->listener_paused = false;
    return accept_all(ctx, e);
}
