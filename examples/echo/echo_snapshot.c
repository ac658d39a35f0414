/*
 * echo_snapshot.c — the state as bytes for a live upgrade, and back, with
 * nines/snap.h. Each version writes its own layout and reads both
 * (echo.h); they differ only in a per-connection line count. Only memory
 * is rebuilt: each connection's descriptor and events are the host's
 * registration under its tag (nines_registration()), not the snapshot's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "echo.h"
#include "nines/snap.h"

int echo_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    const struct echo *e = state;
    struct nines_snap_writer w;

    nines_snap_write_begin(&w, out, SNAPSHOT_VERSION);
    nines_snap_put_fd(&w, e->listen_fd);
    nines_snap_put_u32(&w, (uint32_t)e->port);
    nines_snap_put_bool(&w, e->listener_paused);
    nines_snap_put_u64(&w, e->served);
    nines_snap_put_u64(&w, e->next_tag);
    nines_snap_put_count(&w, e->count);
    for (size_t i = 0; i < e->nbuckets; i++)
        for (const struct conn *c = e->buckets[i]; c != NULL; c = c->next) {
            nines_snap_put_u64(&w, c->tag);
            nines_snap_put_bool(&w, c->eof);
#if SNAPSHOT_VERSION >= 2
            nines_snap_put_u64(&w, c->lines);
#endif
            nines_snap_put_blob(&w, c->in.data, c->in.len);
            nines_snap_put_blob(&w, c->out.data + c->out.off, bytes_pending(&c->out));
        }
    return nines_snap_write_end(&w);
}

/* A blob of the snapshot into b. */
static void get_bytes(struct nines_snap_reader *r, struct bytes *b)
{
    size_t n;
    const void *p = nines_snap_get_blob(r, &n);

    if (n > 0 && bytes_append(b, p, n) < 0)
        nines_snap_fail(r, -ENOMEM, "out of memory");
}

/* One connection of a snapshot of `layout`, its fd and events the host's. */
static void restore_conn(nines_ctx *ctx, struct echo *e, struct nines_snap_reader *r)
{
    struct conn *c = calloc(1, sizeof(*c));
    struct nines_registration reg;

    if (c == NULL) {
        nines_snap_fail(r, -ENOMEM, "out of memory");
        return;
    }
    c->tag = nines_snap_get_u64(r);
    c->eof = nines_snap_get_bool(r);
    uint64_t lines = r->version >= 2 ? nines_snap_get_u64(r) : 0;
#if ECHO_VERSION >= 2
    c->lines = lines;
#else
    (void)lines; /* the downgrade: version 1 does not number lines */
#endif
    get_bytes(r, &c->in);
    get_bytes(r, &c->out);
    if (c->tag == LISTENER_TAG || c->tag >= e->next_tag || table_find(e, c->tag) != NULL)
        nines_snap_fail(r, -EINVAL, "a connection's tag is the listener's, another's, or not below the next tag");
    else if (nines_registration(ctx, NINES_INFO_FD, c->tag, &reg) < 0)
        nines_snap_fail(r, -EINVAL, "a connection's descriptor is not watched");
    if (r->error) {
        conn_free(c);
        return;
    }
    c->fd = reg.fd;
    c->events = reg.events;
    table_insert(e, c);
}

int echo_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot,
                     size_t len, const char *extra, void **state)
{
    struct nines_snap_reader r;
    struct echo *e = echo_new();

    if (e == NULL)
        return -ENOMEM;
    nines_snap_read_begin(&r, snapshot, len);
    if (r.version != 1 && r.version != 2)
        nines_snap_fail(&r, -EINVAL, "a layout other than 1 and 2");
    e->listen_fd = nines_snap_get_fd(&r);
    e->port = (int)nines_snap_get_u32(&r);
    e->listener_paused = nines_snap_get_bool(&r);
    e->served = nines_snap_get_u64(&r);
    e->next_tag = nines_snap_get_u64(&r);
    size_t n = nines_snap_get_count(&r, SIZE_MAX);
    for (size_t i = 0; i < n && r.error == 0; i++)
        restore_conn(ctx, e, &r);
    if (nines_snap_read_end(&r) < 0) {
        /* The old code goes on with these descriptors: free memory only. */
        echo_free(NULL, e);
        nines_log(ctx, NINES_LOG_ERR, "echo %s: refusing the snapshot of %s (%zu bytes): %s",
                  ECHO_VSN, from_version, len, r.why);
        return r.error;
    }
    nines_log(ctx, NINES_LOG_INFO, "echo %s: %s %s with %zu connections (snapshot layout %u)",
              ECHO_VSN, strcmp(from_version, ECHO_VSN) == 0 ? "restored from" : "took over from",
              from_version, e->count, r.version);
    *state = e;
    return 0;
}
