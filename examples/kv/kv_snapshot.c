/*
 * kv_snapshot.c — the pairs as bytes for a live upgrade, and back. Each
 * version writes its own layout and reads both (kv.h); the layouts differ
 * in where the lengths go and in version 2's write counts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "../common/snapshot_reader.h"

/* Each version writes the layout of its number. */
#define LAYOUT KV_VERSION


/* One pair: the fixed fields in `head`, then the key and the value (and,
 * in layout 1, the value's length between them). */
static int export_pair(nines_buf *out, const struct kv_entry *e)
{
    unsigned char head[16];
    int r;

#if LAYOUT == 1
    unsigned char vlen[4];
    put_le(head, e->klen, 4);
    put_le(vlen, e->vlen, 4);
    r = nines_buf_append(out, head, 4);
    if (r == 0)
        r = nines_buf_append(out, kv_key(e), e->klen);
    if (r == 0)
        r = nines_buf_append(out, vlen, sizeof(vlen));
#else
    put_le(head, e->klen, 4);
    put_le(head + 4, e->vlen, 4);
    put_le(head + 8, e->writes, 8);
    r = nines_buf_append(out, head, 16);
    if (r == 0)
        r = nines_buf_append(out, kv_key(e), e->klen);
#endif
    return r == 0 ? nines_buf_append(out, kv_value(e), e->vlen) : r;
}

int kv_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    const struct kv_table *t = state;
    unsigned char head[5];

    if (t->count > UINT32_MAX)
        return -EOVERFLOW;
    head[0] = LAYOUT;
    put_le(head + 1, t->count, 4);
    int r = nines_buf_append(out, head, sizeof(head));
    for (size_t i = 0; i < t->nbuckets && r == 0; i++)
        for (const struct kv_entry *e = t->buckets[i]; e != NULL && r == 0; e = e->next)
            r = export_pair(out, e);
    return r;
}


/* The next n bytes, or NULL past the end. */
static const char *take(struct reader *rd, size_t n)
{
    const char *p = (const char *)rd->p;

    if (rd->bad || rd->left < n) {
        rd->bad = true;
        return NULL;
    }
    rd->p += n;
    rd->left -= n;
    return p;
}

/* The reason for refusing a snapshot that is not -EINVAL. */
static const char out_of_memory[] = "out of memory";

/* One pair of a snapshot of `layout` into t; NULL, or why it is refused. */
static const char *restore_pair(struct kv_table *t, struct reader *rd, unsigned layout)
{
    size_t klen = (size_t)get(rd, 4), vlen = 0;
    uint64_t writes = 1;
    const char *key, *value;

    if (layout == 1) {
        key = take(rd, klen);
        vlen = (size_t)get(rd, 4);
    } else {
        vlen = (size_t)get(rd, 4);
        writes = get(rd, 8);
        key = take(rd, klen);
    }
    value = take(rd, vlen);
    if (rd->bad)
        return "it is cut short";
    if (klen == 0 || klen > KEY_MAX || memchr(key, ' ', klen) != NULL)
        return "a key is empty, over 255 bytes or holds a space";
    if (writes == 0)
        return "a key was written 0 times";
    struct kv_entry *e;
    int r = kv_put(t, key, klen, value, vlen, &e);
    if (r < 0)
        return r == -ENOMEM ? out_of_memory : "a value is too long";
    if (r == 1)
        return "a key comes twice";
#if KV_VERSION >= 2
    e->writes = writes;
#endif
    return NULL;
}

static const char *restore(struct kv_table *t, struct reader *rd, unsigned *layout)
{
    *layout = (unsigned)get(rd, 1);
    uint32_t n = (uint32_t)get(rd, 4);
    const char *why = NULL;

    if (rd->bad)
        return "it is shorter than its header";
    if (*layout != 1 && *layout != 2)
        return "its version byte is neither 1 nor 2";
    for (uint32_t i = 0; i < n && why == NULL; i++)
        why = restore_pair(t, rd, *layout);
    if (why == NULL && rd->left != 0)
        why = "bytes follow the last pair";
    return why;
}

int kv_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot, size_t len,
                   const char *extra, void **state)
{
    struct reader rd = {.p = snapshot, .left = len};
    struct kv_table *t = calloc(1, sizeof(*t));
    unsigned layout = 0;

    if (t == NULL || kv_table_init(t) < 0) {
        free(t);
        return -ENOMEM;
    }
    const char *why = restore(t, &rd, &layout);
    if (why != NULL) {
        kv_table_free(t);
        free(t);
        nines_log(ctx, NINES_LOG_ERR, "kv %s: refusing the snapshot of %s (%zu bytes): %s",
                  KV_VSN, from_version, len, why);
        return why == out_of_memory ? -ENOMEM : -EINVAL;
    }
    nines_log(ctx, NINES_LOG_INFO, "kv %s: %s %s with %zu keys (snapshot layout %u)", KV_VSN,
              strcmp(from_version, KV_VSN) == 0 ? "restored from" : "took over from",
              from_version, t->count, layout);
    *state = t;
    return 0;
}
