/*
 * kv_snapshot.c — the pairs as bytes for a live upgrade, and back, in a
 * nines/snap.h snapshot. Each version writes its own layout and reads both
 * (kv.h). A record in the log is already a pair of its version's layout,
 * so exporting is copying the log, less its dead records, as blobs;
 * reading a snapshot copies each pair into
 * a log allocated once, rewriting it when the layout is the other
 * version's, and rebuilds the index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "nines/snap.h"

/* The number of pairs, then the live records of the log as they are: a
 * blob per run between dead ones, and an empty blob to end. */
int kv_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    const struct kv_table *t = state;
    struct nines_snap_writer w;
    size_t run = 0, at = 0;

    nines_snap_write_begin(&w, out, KV_VERSION);
    nines_snap_put_count(&w, t->count);
    while (at < t->used) {
        uint32_t klen = rec_klen(t->log + at);
        size_t size = rec_size(klen & ~REC_DEAD, rec_vlen(t->log + at));
        if ((klen & REC_DEAD) && at > run)
            nines_snap_put_blob(&w, t->log + run, at - run);
        at += size;
        if (klen & REC_DEAD)
            run = at;
    }
    if (at > run)
        nines_snap_put_blob(&w, t->log + run, at - run);
    nines_snap_put_blob(&w, NULL, 0);
    return nines_snap_write_end(&w);
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
    if (layout == KV_VERSION)
        memcpy(t->log + t->used, p, size);
    else
        rec_write(t->log + t->used, key, klen, value, vlen, writes);
    t->used += rec_size(klen, vlen);
    return NULL;
}

/* The pairs of one run (p, left bytes) of `layout` into t, which has room
 * for n in all; NULL, or why they are refused. */
static const char *import_run(struct kv_table *t, const unsigned char *p, size_t left, unsigned layout,
                              size_t n)
{
    size_t fixed = pair_fixed(layout);
    struct {
        size_t at;
        uint32_t hash;
    } batch[BATCH];

    while (left > 0) {
        int k = 0;
        for (; k < BATCH && left > 0; k++) {
            if (t->count + (size_t)k >= n)
                return "it holds more pairs than it says";
            size_t size = pair_size(p, left, layout);
            /* Pairs too long for the room left cannot leave room for the rest. */
            if (size == SIZE_MAX || size - fixed + REC_FIXED > t->cap - t->used)
                return "a pair is cut short";
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
    return NULL;
}

int kv_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot, size_t len,
                   const char *extra, void **state)
{
    struct kv_table *t = calloc(1, sizeof(*t));
    struct nines_snap_reader r;
    size_t blen = 1;

    if (t == NULL || kv_table_init(t) < 0) {
        free(t);
        return -ENOMEM;
    }
    nines_snap_read_begin(&r, snapshot, len);
    if (r.version != 1 && r.version != 2)
        nines_snap_fail(&r, -EINVAL, "a layout other than 1 and 2");
    /* A pair takes pair_fixed() bytes and its key's at least. */
    size_t n = nines_snap_get_count(&r, len / (pair_fixed(r.version) + 1));
    /* The log, sized once: the pairs as records of ours. */
    if (!r.error && kv_table_reserve(t, n, len + (size_t)n * REC_FIXED) < 0)
        nines_snap_fail(&r, -ENOMEM, out_of_memory);
    while (!r.error && blen > 0) {
        const unsigned char *run = nines_snap_get_blob(&r, &blen);
        const char *why = r.error ? NULL : import_run(t, run, blen, r.version, n);
        if (why != NULL)
            nines_snap_fail(&r, -EINVAL, why);
    }
    if (!r.error && t->count != n)
        nines_snap_fail(&r, -EINVAL, "it holds fewer pairs than it says");
    if (nines_snap_read_end(&r) < 0) {
        nines_log(ctx, NINES_LOG_ERR, "kv %s: refusing the snapshot of %s (%zu bytes): %s", KV_VSN,
                  from_version, len, r.why);
        kv_table_free(t);
        free(t);
        return r.error;
    }
    nines_log(ctx, NINES_LOG_INFO, "kv %s: %s %s with %zu keys (snapshot layout %u)", KV_VSN,
              strcmp(from_version, KV_VSN) == 0 ? "restored from" : "took over from", from_version,
              t->count, r.version);
    *state = t;
    return 0;
}
