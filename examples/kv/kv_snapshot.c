/*
 * kv_snapshot.c — the pairs as bytes for a live upgrade, and back. Each
 * version writes its own layout and reads both (kv.h). A record in the
 * log is already a pair of its version's layout, so exporting is copying
 * the log, less its dead records; reading a snapshot copies each pair into
 * a log allocated once, rewriting it when the layout is the other
 * version's, and rebuilds the index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

/* Each version writes the layout of its number. */
#define LAYOUT KV_VERSION
/* A snapshot's header: the layout, the number of pairs. */
#define SNAP_HEAD 5

int kv_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    const struct kv_table *t = state;
    unsigned char head[SNAP_HEAD];

    if (t->count > UINT32_MAX)
        return -EOVERFLOW;
    head[0] = LAYOUT;
    rec_put32(head + 1, (uint32_t)t->count);
    int r = nines_buf_append(out, head, sizeof(head));
    if (r < 0 || t->used == 0)
        return r;
    if (t->dead == 0)
        return nines_buf_append(out, t->log, t->used);
    /* The runs of live records between the dead ones. */
    size_t run = 0, at = 0;
    while (r == 0 && at < t->used) {
        const unsigned char *rec = t->log + at;
        uint32_t klen = rec_klen(rec);
        size_t size = rec_size(klen & ~REC_DEAD, rec_vlen(rec));
        if (klen & REC_DEAD) {
            if (at > run)
                r = nines_buf_append(out, t->log + run, at - run);
            run = at + size;
        }
        at += size;
    }
    return r == 0 && at > run ? nines_buf_append(out, t->log + run, at - run) : r;
}


/* The reason for refusing a snapshot that is not -EINVAL. */
static const char out_of_memory[] = "out of memory";

/* Pairs are copied a batch at a time, then indexed: while the next pairs
 * are copied, the CPU fetches the slots the earlier ones go to. */
#define BATCH 16

/* A pair's size less its key and value, in a snapshot of `layout`. */
static size_t pair_fixed(unsigned layout)
{
    return layout == 1 ? 8 : 16;
}

/* The size of the pair at p, of `layout`, or SIZE_MAX if the `left` bytes
 * cannot hold it. */
static size_t pair_size(const unsigned char *p, size_t left, unsigned layout)
{
    size_t fixed = pair_fixed(layout), klen, vlen;

    if (left < fixed || (klen = rec_get32(p)) > left - fixed)
        return SIZE_MAX;
    vlen = rec_get32(layout == 1 ? p + 4 + klen : p + 4);
    return vlen <= left - fixed - klen ? fixed + klen + vlen : SIZE_MAX;
}

/* Append the pair at p (of `layout`, `size` bytes, within the snapshot)
 * to the log as a record of ours, its key's hash in *hash; NULL, or why
 * not. */
static const char *copy_pair(struct kv_table *t, const unsigned char *p, size_t size, unsigned layout,
                             uint64_t *hash)
{
    size_t klen = rec_get32(p), vlen = size - pair_fixed(layout) - klen;
    const char *key = (const char *)p + (layout == 1 ? 4 : 16);
    const char *value = key + klen + (layout == 1 ? 4 : 0);
    uint64_t writes = layout == 2 ? rec_get64(p + 8) : 1;
    bool space = false;

    if (klen > 0 && klen <= KEY_MAX)
        *hash = kv_hash_key(key, klen, &space);
    if (klen == 0 || klen > KEY_MAX || space)
        return "a key is empty, over 255 bytes or holds a space";
    if (writes == 0)
        return "a key was written 0 times";
    if (layout == LAYOUT)
        memcpy(t->log + t->used, p, size);
    else
        rec_write(t->log + t->used, key, klen, value, vlen, writes);
    t->used += rec_size(klen, vlen);
    return NULL;
}

/* The n pairs of a snapshot of `layout` (p, left bytes after the header)
 * into t; NULL, or why they are refused. */
static const char *import(struct kv_table *t, const unsigned char *p, size_t left, unsigned layout,
                          uint32_t n)
{
    size_t fixed = pair_fixed(layout);
    struct {
        size_t at;
        uint32_t hash;
    } batch[BATCH];

    if (left / fixed < n)
        return "it is cut short";
    /* The log, sized once: the snapshot's pairs as records of ours. */
    if (kv_table_reserve(t, n, left - n * fixed + (size_t)n * REC_FIXED) < 0)
        return out_of_memory;
    for (uint32_t i = 0; i < n;) {
        int k = 0;
        for (; k < BATCH && i < n; k++, i++) {
            size_t size = pair_size(p, left, layout);
            /* Pairs too long for the room left cannot leave room for the rest. */
            if (size == SIZE_MAX || size - fixed + REC_FIXED > t->cap - t->used)
                return "it is cut short";
            uint64_t hash = 0;
            batch[k].at = t->used;
            const char *why = copy_pair(t, p, size, layout, &hash);
            if (why != NULL)
                return why;
            batch[k].hash = (uint32_t)hash;
            kv_prefetch(t, batch[k].hash);
            p += size;
            left -= size;
        }
        for (int j = 0; j < k; j++)
            if (kv_add(t, batch[j].at, batch[j].hash) != 0)
                return "a key comes twice";
    }
    return left != 0 ? "bytes follow the last pair" : NULL;
}

int kv_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot, size_t len,
                   const char *extra, void **state)
{
    const unsigned char *p = snapshot;
    struct kv_table *t = calloc(1, sizeof(*t));
    unsigned layout = len >= SNAP_HEAD ? p[0] : 0;
    const char *why = NULL;

    if (t == NULL || kv_table_init(t) < 0) {
        free(t);
        return -ENOMEM;
    }
    if (len < SNAP_HEAD)
        why = "it is shorter than its header";
    else if (layout != 1 && layout != 2)
        why = "its version byte is neither 1 nor 2";
    else
        why = import(t, p + SNAP_HEAD, len - SNAP_HEAD, layout, rec_get32(p + 1));
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
