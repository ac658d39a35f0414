/*
 * echo_snapshot.c — the state as bytes for a live upgrade, and back (layout in echo.h).
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

int echo_export(nines_ctx *ctx, void *state, nines_buf *out)
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

int echo_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot,
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
