/*
 * echo — a TCP line echo server driven entirely by the worker's event loop:
 * every socket is watched through nines_fd_watch(), nothing blocks and
 * there are no threads.
 *
 * Args:
 *   port   TCP port (integer 0-65535, default 7007; 0 picks a free port)
 *   bind   IPv4 address to listen on (default 127.0.0.1)
 *
 * Each complete line a client sends ("\n"-terminated, at most 64 KiB) is
 * written back byte for byte. A longer line closes that connection. Output
 * that cannot be written at once is kept and flushed when the socket is
 * writable; while more than 1 MiB is pending the connection is not read
 * (backpressure on a client that does not read its echoes).
 *
 * Calls:
 *   port    the port actually listened on, in decimal
 *   stats   "connections=N served=M" (open connections, lines echoed)
 *
 * Tags: 0 is the listener, connections get 1, 2, 3, ... in accept order.
 * Timer ACCEPT_RETRY_TAG re-watches the listener after running out of
 * descriptors.
 *
 * Live upgrade: export_state writes (little-endian) a version byte 1, the
 * listener fd (i32), port (i32), listener-paused flag (u8), served (u64),
 * next tag (u64), the connection count (u32), then per connection its tag
 * (u64), fd (i32), watched events (u8), eof flag (u8), the partial line
 * (u32 length + bytes) and the unsent output (u32 length + bytes).
 * code_change rebuilds the state from that layout; the descriptors stay
 * open across the swap since it happens inside one process.
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

#include "nines/module.h"

#define LISTENER_TAG 0
#define ACCEPT_RETRY_TAG UINT64_MAX
#define ACCEPT_RETRY_MS 100
#define DEFAULT_PORT 7007
#define DEFAULT_BIND "127.0.0.1"
#define BACKLOG 1024
#define LINE_MAX_BYTES (64 * 1024)
#define OUT_HIGH_WATER (1024 * 1024)
#define READ_CHUNK (16 * 1024)
/* A buffer this large is freed once empty, so idle connections stay small. */
#define BUF_KEEP_MAX (16 * 1024)
#define INITIAL_BUCKETS 64
#define SNAPSHOT_VERSION 1

/* A byte buffer; bytes [off, len) are live (off is used for output). */
struct bytes {
    char *data;
    size_t off, len, cap;
};

struct conn {
    struct conn *next; /* hash chain */
    uint64_t tag;
    int fd;
    uint32_t events;  /* what the host watches for us */
    bool eof;         /* the peer finished sending: close once flushed */
    struct bytes in;  /* the start of an incomplete line */
    struct bytes out; /* echoed bytes not yet written */
};

struct echo {
    int listen_fd;
    int port;
    bool listener_paused; /* unwatched until ACCEPT_RETRY_TAG fires */
    bool accept_warned;   /* said so once; quiet until an accept works */
    uint64_t next_tag;
    unsigned long long served;
    struct conn **buckets; /* connections by tag, chained */
    size_t nbuckets;       /* a power of two */
    size_t count;
};

/* --- Byte buffers. ------------------------------------------------------ */

static size_t bytes_pending(const struct bytes *b)
{
    return b->len - b->off;
}

static void bytes_clear(struct bytes *b)
{
    b->off = b->len = 0;
    if (b->cap > BUF_KEEP_MAX) {
        free(b->data);
        b->data = NULL;
        b->cap = 0;
    }
}

static int bytes_append(struct bytes *b, const void *data, size_t n)
{
    if (b->len + n > b->cap && b->off > 0) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (p == NULL)
            return -ENOMEM;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    return 0;
}

/* --- Connections by tag: a chained hash table that doubles. ------------ */

static size_t bucket_of(uint64_t tag, size_t nbuckets)
{
    /* Fibonacci hashing: spreads consecutive tags over the buckets. */
    return (size_t)((tag * 0x9e3779b97f4a7c15ull) >> 32) & (nbuckets - 1);
}

static struct conn *table_find(const struct echo *e, uint64_t tag)
{
    struct conn *c = e->buckets[bucket_of(tag, e->nbuckets)];

    while (c != NULL && c->tag != tag)
        c = c->next;
    return c;
}

static int table_grow(struct echo *e)
{
    size_t n = e->nbuckets * 2;
    struct conn **b = calloc(n, sizeof(*b));

    if (b == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < e->nbuckets; i++) {
        struct conn *c = e->buckets[i];
        while (c != NULL) {
            struct conn *next = c->next;
            size_t j = bucket_of(c->tag, n);
            c->next = b[j];
            b[j] = c;
            c = next;
        }
    }
    free(e->buckets);
    e->buckets = b;
    e->nbuckets = n;
    return 0;
}

static void table_insert(struct echo *e, struct conn *c)
{
    /* Growing is an optimisation: a full table still works, just slower. */
    if (e->count >= e->nbuckets)
        table_grow(e);
    size_t i = bucket_of(c->tag, e->nbuckets);
    c->next = e->buckets[i];
    e->buckets[i] = c;
    e->count++;
}

static void table_remove(struct echo *e, struct conn *c)
{
    struct conn **p = &e->buckets[bucket_of(c->tag, e->nbuckets)];

    while (*p != NULL && *p != c)
        p = &(*p)->next;
    if (*p != NULL) {
        *p = c->next;
        e->count--;
    }
}

static void conn_free(struct conn *c)
{
    free(c->in.data);
    free(c->out.data);
    free(c);
}

static struct echo *echo_new(void)
{
    struct echo *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return NULL;
    e->buckets = calloc(INITIAL_BUCKETS, sizeof(*e->buckets));
    if (e->buckets == NULL) {
        free(e);
        return NULL;
    }
    e->nbuckets = INITIAL_BUCKETS;
    e->listen_fd = -1;
    e->next_tag = 1;
    return e;
}

/* Free the state. With ctx, also unwatch and close every descriptor; a
 * refused code_change passes NULL because the old code still owns them. */
static void echo_free(nines_ctx *ctx, struct echo *e)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < e->nbuckets; i++) {
        struct conn *c = e->buckets[i];
        while (c != NULL) {
            struct conn *next = c->next;
            if (ctx != NULL) {
                nines_fd_unwatch(ctx, c->tag);
                close(c->fd);
            }
            conn_free(c);
            c = next;
        }
    }
    if (ctx != NULL && e->listen_fd >= 0) {
        if (e->listener_paused)
            nines_timer_cancel(ctx, ACCEPT_RETRY_TAG);
        else
            nines_fd_unwatch(ctx, LISTENER_TAG);
        close(e->listen_fd);
    }
    free(e->buckets);
    free(e);
}

/* --- Echoing. ----------------------------------------------------------- */

static void conn_close(nines_ctx *ctx, struct echo *e, struct conn *c)
{
    nines_fd_unwatch(ctx, c->tag);
    close(c->fd);
    table_remove(e, c);
    conn_free(c);
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

static void conn_event(nines_ctx *ctx, struct echo *e, struct conn *c, uint32_t events)
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

static int accept_all(nines_ctx *ctx, struct echo *e)
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

static int resume_listener(nines_ctx *ctx, struct echo *e)
{
    int r = nines_fd_watch(ctx, LISTENER_TAG, e->listen_fd, NINES_READABLE);

    if (r < 0) {
        nines_stop(ctx, NINES_STOP_ERROR, "echo: cannot watch the listener again");
        return r;
    }
    e->listener_paused = false;
    return accept_all(ctx, e);
}

/* --- Callbacks. --------------------------------------------------------- */

/* Stop the worker with "echo: MESSAGE" and return -err. */
static int fail(nines_ctx *ctx, int err, const char *fmt, ...) NINES_PRINTF(3, 4);

static int fail(nines_ctx *ctx, int err, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    nines_stop(ctx, NINES_STOP_ERROR, msg);
    return -err;
}

static int parse_args(nines_ctx *ctx, struct in_addr *addr, const char **bind_str,
                      int *port)
{
    long long p = DEFAULT_PORT;
    int r = nines_arg_int(ctx, "port", &p);

    if (r < 0 && r != -ENOENT)
        return fail(ctx, EINVAL, "echo: port must be an integer");
    if (p < 0 || p > 65535)
        return fail(ctx, EINVAL, "echo: port must be between 0 and 65535 (got %lld)", p);
    *port = (int)p;
    *bind_str = nines_arg(ctx, "bind");
    if (*bind_str == NULL)
        *bind_str = DEFAULT_BIND;
    if (inet_pton(AF_INET, *bind_str, addr) != 1)
        return fail(ctx, EINVAL, "echo: bind must be an IPv4 address (got '%s')", *bind_str);
    return 0;
}

/* Open the listening socket and learn its real port. */
static int open_listener(nines_ctx *ctx, const char *bind_str, struct in_addr addr,
                         int port, struct echo *e)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr = addr};
    socklen_t salen = sizeof(sa);
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return fail(ctx, errno, "echo: cannot create a socket: %s", strerror(errno));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, BACKLOG) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
        int err = errno;
        close(fd);
        return fail(ctx, err, "echo: cannot listen on %s:%d: %s", bind_str, port,
                    strerror(err));
    }
    e->listen_fd = fd;
    e->port = ntohs(sa.sin_port);
    return 0;
}

static int echo_init(nines_ctx *ctx, void **state)
{
    struct in_addr addr;
    const char *bind_str = NULL;
    int port = 0;
    int r = parse_args(ctx, &addr, &bind_str, &port);

    if (r < 0)
        return r;
    struct echo *e = echo_new();
    if (e == NULL)
        return fail(ctx, ENOMEM, "echo: out of memory");
    r = open_listener(ctx, bind_str, addr, port, e);
    if (r < 0) {
        echo_free(NULL, e);
        return r;
    }
    r = nines_fd_watch(ctx, LISTENER_TAG, e->listen_fd, NINES_READABLE);
    if (r < 0) {
        close(e->listen_fd);
        echo_free(NULL, e);
        return fail(ctx, -r, "echo: cannot watch the listener: %s", strerror(-r));
    }
    nines_log(ctx, NINES_LOG_INFO, "echo: listening on %s:%d", bind_str, e->port);
    *state = e;
    return 0;
}

static int echo_info(nines_ctx *ctx, void *state, const struct nines_info *info)
{
    struct echo *e = state;

    if (info->kind == NINES_INFO_TIMER)
        return info->tag == ACCEPT_RETRY_TAG && e->listener_paused
                   ? resume_listener(ctx, e)
                   : 0;
    if (info->tag == LISTENER_TAG)
        return e->listener_paused ? 0 : accept_all(ctx, e);
    struct conn *c = table_find(e, info->tag);
    /* An event for a connection closed earlier in this loop turn. */
    if (c != NULL)
        conn_event(ctx, e, c, info->events);
    return 0;
}

static int reply_text(nines_ctx *ctx, uint64_t ref, const char *text)
{
    return nines_reply(ctx, ref, text, strlen(text));
}

static int echo_call(nines_ctx *ctx, void *state, const struct nines_call *call)
{
    const struct echo *e = state;
    const char *req = call->data;
    size_t len = call->len;
    char out[160];

    while (len > 0 && (req[len - 1] == '\n' || req[len - 1] == ' '))
        len--;
    if (len == 4 && memcmp(req, "port", 4) == 0)
        snprintf(out, sizeof(out), "%d", e->port);
    else if (len == 5 && memcmp(req, "stats", 5) == 0)
        snprintf(out, sizeof(out), "connections=%zu served=%llu", e->count, e->served);
    else
        snprintf(out, sizeof(out), "error: unknown request '%.*s' (expected port, stats)",
                 len > 64 ? 64 : (int)len, req);
    return reply_text(ctx, call->ref, out);
}

static void echo_terminate(nines_ctx *ctx, void *state,
                           const struct nines_stop_reason *reason)
{
    echo_free(ctx, state);
}

/* --- Live upgrade. ------------------------------------------------------ */

/* Append the low `width` bytes of v, little-endian. */
static int put(nines_buf *out, uint64_t v, int width)
{
    unsigned char b[8];

    for (int i = 0; i < width; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return nines_buf_append(out, b, (size_t)width);
}

static int put_bytes(nines_buf *out, const char *data, size_t n)
{
    if (n > UINT32_MAX)
        return -EOVERFLOW;
    int r = put(out, n, 4);
    return r < 0 || n == 0 ? r : nines_buf_append(out, data, n);
}

static int export_conn(nines_buf *out, const struct conn *c)
{
    int r = put(out, c->tag, 8);

    if (r == 0)
        r = put(out, (uint32_t)c->fd, 4);
    if (r == 0)
        r = put(out, c->events, 1);
    if (r == 0)
        r = put(out, c->eof, 1);
    if (r == 0)
        r = put_bytes(out, c->in.data, c->in.len);
    if (r == 0)
        r = put_bytes(out, c->out.data + c->out.off, bytes_pending(&c->out));
    return r;
}

static int echo_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    const struct echo *e = state;
    int r = put(out, SNAPSHOT_VERSION, 1);

    if (r == 0)
        r = put(out, (uint32_t)e->listen_fd, 4);
    if (r == 0)
        r = put(out, (uint32_t)e->port, 4);
    if (r == 0)
        r = put(out, e->listener_paused, 1);
    if (r == 0)
        r = put(out, e->served, 8);
    if (r == 0)
        r = put(out, e->next_tag, 8);
    if (r == 0)
        r = put(out, e->count, 4);
    for (size_t i = 0; i < e->nbuckets && r == 0; i++)
        for (const struct conn *c = e->buckets[i]; c != NULL && r == 0; c = c->next)
            r = export_conn(out, c);
    return r;
}

/* A cursor over the snapshot; `bad` sticks once a read runs off the end. */
struct reader {
    const unsigned char *p;
    size_t left;
    bool bad;
};

static uint64_t get(struct reader *rd, int width)
{
    uint64_t v = 0;

    if (rd->bad || rd->left < (size_t)width) {
        rd->bad = true;
        return 0;
    }
    for (int i = 0; i < width; i++)
        v |= (uint64_t)rd->p[i] << (8 * i);
    rd->p += width;
    rd->left -= (size_t)width;
    return v;
}

static int get_bytes(struct reader *rd, struct bytes *b)
{
    size_t n = (size_t)get(rd, 4);

    if (rd->bad || rd->left < n) {
        rd->bad = true;
        return -EINVAL;
    }
    int r = n > 0 ? bytes_append(b, rd->p, n) : 0;
    rd->p += n;
    rd->left -= n;
    return r;
}

static bool fd_open(int fd)
{
    return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

static int restore_conn(struct echo *e, struct reader *rd)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return -ENOMEM;
    c->tag = get(rd, 8);
    c->fd = (int32_t)(uint32_t)get(rd, 4);
    c->events = (uint32_t)get(rd, 1);
    c->eof = get(rd, 1) != 0;
    int r = get_bytes(rd, &c->in);
    if (r == 0)
        r = get_bytes(rd, &c->out);
    if (r == 0 && (rd->bad || !fd_open(c->fd) || c->tag == LISTENER_TAG))
        r = -EINVAL;
    if (r < 0) {
        conn_free(c);
        return r;
    }
    table_insert(e, c);
    return 0;
}

static int echo_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot,
                            size_t len, const char *extra, void **state)
{
    struct reader rd = {.p = snapshot, .left = len};

    if (get(&rd, 1) != SNAPSHOT_VERSION)
        return -EINVAL;
    struct echo *e = echo_new();
    if (e == NULL)
        return -ENOMEM;
    e->listen_fd = (int32_t)(uint32_t)get(&rd, 4);
    e->port = (int32_t)(uint32_t)get(&rd, 4);
    e->listener_paused = get(&rd, 1) != 0;
    e->served = get(&rd, 8);
    e->next_tag = get(&rd, 8);
    uint32_t n = (uint32_t)get(&rd, 4);
    int r = rd.bad || !fd_open(e->listen_fd) ? -EINVAL : 0;
    for (uint32_t i = 0; i < n && r == 0; i++)
        r = restore_conn(e, &rd);
    if (r == 0 && rd.left != 0)
        r = -EINVAL;
    if (r < 0) {
        /* The old code goes on with these descriptors: free memory only. */
        echo_free(NULL, e);
        return r;
    }
    nines_log(ctx, NINES_LOG_INFO, "echo: upgraded from %s with %zu connections",
              from_version, e->count);
    *state = e;
    return 0;
}

NINES_MODULE_V1(.name = "echo", .version = "1.0.0", .init = echo_init,
                .handle_call = echo_call, .handle_info = echo_info,
                .terminate = echo_terminate, .export_state = echo_export,
                .code_change = echo_code_change);
