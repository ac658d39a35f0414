/*
 * counter_snapshot.c — the state as bytes for a live upgrade, and back,
 * with nines/snap.h. Each version writes its own layout and reads both
 * (counter.h); only what a version keeps of what it read differs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "nines/snap.h"

int counter_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    const struct counter *c = state;
    struct nines_snap_writer w;

    nines_snap_write_begin(&w, out, COUNTER_VERSION);
    nines_snap_put_i64(&w, c->value);
#if COUNTER_VERSION >= 2
    nines_snap_put_count(&w, c->history.count);
    for (unsigned i = 0; i < c->history.count; i++) {
        nines_snap_put_u8(&w, (uint8_t)history_at(&c->history, i)->kind);
        nines_snap_put_i64(&w, history_at(&c->history, i)->arg);
    }
#endif
    return nines_snap_write_end(&w);
}

/* Layout 2's history into h (read and checked whatever the version). */
static void read_history(struct nines_snap_reader *r, struct history *h)
{
    size_t n = nines_snap_get_count(r, HISTORY_LEN);

    for (size_t i = 0; i < n; i++) {
        struct op op = {.kind = (enum op_kind)nines_snap_get_u8(r)};
        op.arg = nines_snap_get_i64(r);
        if (op.kind != OP_INCR && op.kind != OP_ADD && op.kind != OP_SET)
            nines_snap_fail(r, -EINVAL, "an operation of an unknown kind in the history");
        history_add(h, &op);
    }
}

int counter_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot,
                        size_t len, const char *extra, void **state)
{
    struct nines_snap_reader r;
    struct history h = {0};

    nines_snap_read_begin(&r, snapshot, len);
    if (r.version != 1 && r.version != 2)
        nines_snap_fail(&r, -EINVAL, "a layout other than 1 and 2");
    long long value = nines_snap_get_i64(&r);
    if (r.version == 2)
        read_history(&r, &h);
    struct counter *c = nines_snap_read_end(&r) == 0 ? calloc(1, sizeof(*c)) : NULL;
    if (c == NULL) {
        nines_log(ctx, NINES_LOG_ERR, "counter %s: refusing the snapshot of %s (%zu bytes): %s",
                  COUNTER_VSN, from_version, len, r.error ? r.why : "out of memory");
        return r.error ? r.error : -ENOMEM;
    }
    c->value = value;
#if COUNTER_VERSION >= 2
    c->history = h;
#else
    if (h.count > 0)
        nines_log(ctx, NINES_LOG_NOTICE, "counter %s: dropping a history of %u operations",
                  COUNTER_VSN, h.count);
#endif
    *state = c;
    nines_log(ctx, NINES_LOG_INFO, "counter %s: %s %s at %lld (snapshot layout %u)", COUNTER_VSN,
              strcmp(from_version, COUNTER_VSN) == 0 ? "restored from" : "took over from",
              from_version, c->value, r.version);
    return 0;
}
