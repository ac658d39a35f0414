/*
 * kv.h — what the files of the kv example share.
 *
 * One set of sources, two versions: built plainly it is version 1; built
 * with -DKV_VERSION=2 it is version 2, which also counts the writes of
 * each key (a record's `writes`, the "writes K" call). The Makefile
 * builds both, kv.so and kv-2.so.
 *
 * The store (kv_table.c) keeps its pairs as records appended one after
 * the other to one buffer, the log, and finds them through an index, an
 * open-addressing hash table of offsets into the log. A record is laid out
 * in memory exactly as a pair in the snapshot of its version (below), so
 * that exporting the state is copying the log; a replaced or deleted
 * record stays in the log, marked dead, until the log is compacted (when
 * dead records are half of it).
 *
 * A snapshot is nines/snap.h's, its version the layout: a count (the
 * number of pairs), then blobs of pairs, an empty blob last (the live
 * runs of the log as they are). Pair layouts (integers little-endian),
 * both read by both versions (kv_snapshot.c):
 *
 *   layout 1 (written by 1.0.0)          layout 2 (written by 2.0.0)
 *     u32 + bytes  the key                 u32  the key's length
 *     u32 + bytes  the value               u32  the value's length
 *                                          u64  writes of the key
 *                                          the key's bytes, the value's bytes
 *
 * Pairs come in no particular order. Version 1 reading layout 2 drops the
 * write counts (the downgrade); version 2 reading layout 1 counts 1 write
 * for every key (it was written at least once; how often before is not
 * known). Refused with a log line saying why (with the byte offset):
 * what nines/snap.h refuses (cut short, a field of another type, bytes
 * after the last blob: -EBADMSG), and with -EINVAL another layout, a
 * pair cut short, a count that is not the pairs', an empty
 * or overlong key, the same key twice, a write count of 0.
 */
#ifndef NINES_EXAMPLE_KV_H
#define NINES_EXAMPLE_KV_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* A record: a pair of this version's layout (above). Records follow each
 * other without padding, so fields are read and written with memcpy
 * (rec_get32() and friends); REC_FIXED is a record's size less its key and
 * value. */
#if KV_VERSION >= 2
#define REC_FIXED 16
#else
#define REC_FIXED 8
#endif
/* Set in a dead record's key length: replaced or deleted, to be dropped
 * by the next compaction. Key lengths are at most KEY_MAX. */
#define REC_DEAD 0x80000000u

/* The store holds up to 4 GiB of records: the index keeps 32-bit offsets. */
#define LOG_MAX ((size_t)UINT32_MAX - 1)

/* One slot of the index: the low 32 bits of the key's hash (which also
 * place it: the table has at most 2^32 slots) and the record's offset in
 * the log plus one; `at` is 0 in an empty slot. */
struct kv_slot {
    uint32_t hash;
    uint32_t at;
};

struct kv_table {
    unsigned char *log;   /* the records */
    size_t used, cap;     /* bytes of the log in use, allocated */
    size_t dead;          /* bytes of dead records in the log */
    struct kv_slot *slots;
    size_t mask;          /* slots - 1: a power of two, at most 2/3 full */
    size_t count;         /* live pairs */
};

static inline uint32_t rec_get32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return le32toh(v);
}

static inline void rec_put32(unsigned char *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, sizeof(v));
}

static inline uint64_t rec_get64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return le64toh(v);
}

static inline void rec_put64(unsigned char *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, sizeof(v));
}

/* The key's length, REC_DEAD included. */
static inline uint32_t rec_klen(const unsigned char *r)
{
    return rec_get32(r);
}

#if KV_VERSION >= 2
static inline const char *rec_key(const unsigned char *r)
{
    return (const char *)r + 16;
}

static inline uint32_t rec_vlen(const unsigned char *r)
{
    return rec_get32(r + 4);
}

/* Where the value starts. */
static inline size_t rec_value_at(const unsigned char *r)
{
    return 16 + (rec_klen(r) & ~REC_DEAD);
}

static inline uint64_t rec_writes(const unsigned char *r)
{
    return rec_get64(r + 8);
}
#else
static inline const char *rec_key(const unsigned char *r)
{
    return (const char *)r + 4;
}

static inline uint32_t rec_vlen(const unsigned char *r)
{
    return rec_get32(r + 4 + (rec_klen(r) & ~REC_DEAD));
}

static inline size_t rec_value_at(const unsigned char *r)
{
    return 8 + (rec_klen(r) & ~REC_DEAD);
}
#endif

static inline const char *rec_value(const unsigned char *r)
{
    return (const char *)r + rec_value_at(r);
}

static inline size_t rec_size(size_t klen, size_t vlen)
{
    return REC_FIXED + klen + vlen;
}

/* kv_table.c */
/* Write a record at r (rec_size() bytes); `writes` is version 2's. */
void rec_write(unsigned char *r, const char *key, size_t klen, const char *value, size_t vlen, uint64_t writes);
int kv_table_init(struct kv_table *t);
void kv_table_free(struct kv_table *t);
/* The record of `key`, or NULL; valid until the next change of t. */
const unsigned char *kv_get(const struct kv_table *t, const char *key, size_t klen);
int kv_put(struct kv_table *t, const char *key, size_t klen, const char *value, size_t vlen);
int kv_del(struct kv_table *t, const char *key, size_t klen);
uint64_t kv_checksum(const struct kv_table *t);
uint64_t kv_mix(uint64_t x);
uint64_t kv_hash(const char *key, size_t klen);
/* kv_hash(), and whether the key holds a space, in one pass over it. */
uint64_t kv_hash_key(const char *key, size_t klen, bool *space);
/* For a table being filled from a snapshot: room for n pairs in the index
 * and `bytes` in the log; then each record is written at the end of the
 * log (t->used moved past it) and indexed with kv_add(). */
int kv_table_reserve(struct kv_table *t, size_t n, size_t bytes);
/* Index the record at offset `at` of the log under `hash` (the low half of
 * kv_hash()), room for it having been reserved: 0, or 1 (and nothing
 * added) if its key is already there. */
int kv_add(struct kv_table *t, size_t at, uint32_t hash);

/* Ask the CPU for the slot where `hash` goes, ahead of kv_add(). */
static inline void kv_prefetch(const struct kv_table *t, uint32_t hash)
{
    __builtin_prefetch(&t->slots[hash & t->mask]);
}

/* kv_snapshot.c */
int kv_export(nines_ctx *ctx, void *state, nines_buf *out);
int kv_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot, size_t len,
                   const char *extra, void **state);

#endif /* NINES_EXAMPLE_KV_H */
