/*
 * echo_snapshot.c — the state as bytes for a live upgrade, and back. Each
 * version writes its own layout and reads both (echo.h); they differ only
 * in a per-connection line count. Only memory is rebuilt: the descriptors
 * and their watches are the host's to carry over (echo.h).
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
#include "../common/snapshot_reader.h"

/* --- Live upgrade. ------------------------------------------------------ */

/* Append the low `width` bytes of v, little-endian. */
static int put(nines_buf *out, uint64_t v, int width)
{
    unsigned char b[8];

    put_le(b, v, width);
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
#if SNAPSHOT_VERSION >= 2
    if (r == 0)
        r = put(out, c->lines, 8);
#endif
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

/* The one reason for refusing a snapshot that is not -EINVAL. */
static const char out_of_memory[] = "out of memory";

/* One connection of a snapshot of `layout`; NULL, or why it is refused. */
static const char *restore_conn(struct echo *e, struct reader *rd, unsigned layout)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return out_of_memory;
    c->tag = get(rd, 8);
    c->fd = (int32_t)(uint32_t)get(rd, 4);
    c->events = (uint32_t)get(rd, 1);
    c->eof = get(rd, 1) != 0;
    uint64_t lines = layout >= 2 ? get(rd, 8) : 0;
#if ECHO_VERSION >= 2
    c->lines = lines;
#else
    (void)lines; /* the downgrade: version 1 does not number lines */
#endif
    const char *why = NULL;
    if (get_bytes(rd, &c->in) < 0 || get_bytes(rd, &c->out) < 0 || rd->bad)
        why = rd->bad ? "a connection is cut short" : out_of_memory;
    else if (c->tag == LISTENER_TAG || c->tag >= e->next_tag || table_find(e, c->tag) != NULL)
        why = "a connection's tag is the listener's, another's, or not below the next tag";
    else if (!fd_open(c->fd))
        why = "a connection's descriptor is not open";
    if (why != NULL) {
        conn_free(c);
        return why;
    }
    table_insert(e, c);
    return NULL;
}

/* The whole snapshot into `e`; NULL, or why it is refused. */
static const char *restore(struct echo *e, struct reader *rd, unsigned *layout)
{
    *layout = (unsigned)get(rd, 1);
    if (*layout != 1 && *layout != 2)
        return "its version byte is neither 1 nor 2";
    e->listen_fd = (int32_t)(uint32_t)get(rd, 4);
    e->port = (int32_t)(uint32_t)get(rd, 4);
    e->listener_paused = get(rd, 1) != 0;
    e->served = get(rd, 8);
    e->next_tag = get(rd, 8);
    uint32_t n = (uint32_t)get(rd, 4);
    if (rd->bad)
        return "it is shorter than its header";
    if (!fd_open(e->listen_fd))
        return "the listener's descriptor is not open";
    const char *why = NULL;
    for (uint32_t i = 0; i < n && why == NULL; i++)
        why = restore_conn(e, rd, *layout);
    if (why == NULL && rd->left != 0)
        why = "bytes follow the last connection";
    return why;
}

int echo_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot,
                     size_t len, const char *extra, void **state)
{
    struct reader rd = {.p = snapshot, .left = len};
    struct echo *e = echo_new();
    unsigned layout = 0;

    if (e == NULL)
        return -ENOMEM;
    const char *why = restore(e, &rd, &layout);
    if (why != NULL) {
        /* The old code goes on with these descriptors: free memory only. */
        echo_free(NULL, e);
        nines_log(ctx, NINES_LOG_ERR, "echo %s: refusing the snapshot of %s (%zu bytes): %s",
                  ECHO_VSN, from_version, len, why);
        return why == out_of_memory ? -ENOMEM : -EINVAL;
    }
    nines_log(ctx, NINES_LOG_INFO, "echo %s: %s %s with %zu connections (snapshot layout %u)",
              ECHO_VSN, strcmp(from_version, ECHO_VSN) == 0 ? "restored from" : "took over from",
              from_version, e->count, layout);
    *state = e;
    return 0;
}
