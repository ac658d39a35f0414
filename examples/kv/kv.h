/*
 * kv.h — what the files of the kv example share.
 *
 * One set of sources, two versions: built plainly it is version 1; built
 * with -DKV_VERSION=2 it is version 2, which also counts the writes of
 * each key (struct kv_entry's `writes`, the "writes K" call). The Makefile
 * builds both, kv.so and kv-2.so.
 *
 * Snapshot layouts (all integers little-endian), both read by both
 * versions (kv_snapshot.c):
 *
 *   layout 1 (written by 1.0.0)          layout 2 (written by 2.0.0)
 *     u8   1                               u8   2
 *     u32  number of pairs                 u32  number of pairs
 *     per pair:                            per pair:
 *       u32 + bytes  the key                 u32  the key's length
 *       u32 + bytes  the value               u32  the value's length
 *                                            u64  writes of the key
 *                                            the key's bytes, the value's bytes
 *
 * Pairs come in no particular order. Version 1 reading layout 2 drops the
 * write counts (the downgrade); version 2 reading layout 1 counts 1 write
 * for every key (it was written at least once; how often before is not
 * known). Refused with -EINVAL and a log line saying why: another version
 * byte, a snapshot cut short or with bytes after the last pair, an empty
 * or overlong key, the same key twice, a write count of 0.
 */
#ifndef NINES_EXAMPLE_KV_H
#define NINES_EXAMPLE_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nines/module.h"

#ifndef KV_VERSION
#define KV_VERSION 1
#endif
#if KV_VERSION == 1
#define KV_VSN "1.0.0"
#elif KV_VERSION == 2
#define KV_VSN "2.0.0"
#else
#error "KV_VERSION must be 1 or 2"
#endif

/* Keys are 1 to KEY_MAX bytes without a space; a value is any bytes that
 * fit in a request. */
#define KEY_MAX 255

/* One pair, in one allocation. Key and value live in `data`, each followed
 * by a NUL for convenience; their lengths are what counts. */
struct kv_entry {
    struct kv_entry *next; /* hash chain */
    uint64_t hash;         /* of the key */
#if KV_VERSION >= 2
    uint64_t writes; /* puts of this key, its first included */
#endif
    uint32_t klen, vlen;
    char data[]; /* key, NUL, value, NUL */
};

static inline const char *kv_key(const struct kv_entry *e)
{
    return e->data;
}

static inline const char *kv_value(const struct kv_entry *e)
{
    return e->data + e->klen + 1;
}

/* The pairs by key: a chained hash table that doubles as it fills. */
struct kv_table {
    struct kv_entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
};

/* kv_table.c */
int kv_table_init(struct kv_table *t);
void kv_table_free(struct kv_table *t);
struct kv_entry *kv_get(const struct kv_table *t, const char *key, size_t klen);
int kv_put(struct kv_table *t, const char *key, size_t klen, const char *value, size_t vlen,
           struct kv_entry **out);
int kv_del(struct kv_table *t, const char *key, size_t klen);
uint64_t kv_checksum(const struct kv_table *t);
uint64_t kv_mix(uint64_t x);

/* kv_snapshot.c */
int kv_export(nines_ctx *ctx, void *state, nines_buf *out);
int kv_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot, size_t len,
                   const char *extra, void **state);

#endif /* NINES_EXAMPLE_KV_H */
