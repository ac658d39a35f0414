/*
 * kv_table.c — the pairs by key: records appended to one buffer (the
 * log), found through an open-addressing hash table of offsets (the
 * index, linear probing, at most 2/3 full); and the checksum over all
 * pairs.
 *
 * One buffer rather than one allocation per pair: a snapshot is the log
 * as it is (kv_snapshot.c), and a table rebuilt from a snapshot costs two
 * allocations whatever the number of pairs. The price is the dead records
 * a replaced or deleted pair leaves behind, reclaimed by compacting the
 * log once they make up half of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

#define INITIAL_SLOTS 64
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
/* Dead bytes below this are never worth a compaction. */
#define COMPACT_MIN 4096

/* FNV-1a, 64 bits, continuing from `h`. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;

    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

/* splitmix64's finaliser: every bit of x moves every bit of the result. */
uint64_t kv_mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Up to 8 bytes (n of them, 1 to 8) as one word, with loads that stay
 * within them: two overlapping halves, as wyhash reads a short key. */
static uint64_t load_short(const char *p, size_t n)
{
    uint32_t a, b;

    if (n >= 4) {
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        return (uint64_t)a << 32 | b;
    }
    return (uint64_t)(unsigned char)p[0] << 16 | (uint64_t)(unsigned char)p[n / 2] << 8 |
           (unsigned char)p[n - 1];
}

/* Whether a word holds a space: a byte of w ^ "        " is zero. */
static uint64_t space_in(uint64_t w)
{
    uint64_t v = w ^ 0x2020202020202020ull;

    return (v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull;
}

/* The key's hash for the index: eight bytes at a time, then mixed; and, in
 * the same pass, whether the key holds a space. The hash only ever lives
 * in this process, so it may depend on the byte order. */
uint64_t kv_hash_key(const char *key, size_t klen, bool *space)
{
    uint64_t h = klen * 0x9e3779b97f4a7c15ull, w, spaces = 0;

    for (; klen > 8; key += 8, klen -= 8) {
        memcpy(&w, key, 8);
        spaces |= space_in(w);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    if (klen > 0) {
        w = load_short(key, klen);
        spaces |= space_in(klen >= 4 ? w : w | 0xffffffffff000000ull);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
    }
    *space = spaces != 0;
    return kv_mix(h);
}

uint64_t kv_hash(const char *key, size_t klen)
{
    bool space;

    return kv_hash_key(key, klen, &space);
}

void rec_write(unsigned char *r, const char *key, size_t klen, const char *value, size_t vlen, uint64_t writes)
{
    rec_put32(r, (uint32_t)klen);
#if KV_VERSION >= 2
    rec_put32(r + 4, (uint32_t)vlen);
    rec_put64(r + 8, writes);
    memcpy(r + 16, key, klen);
    memcpy(r + 16 + klen, value, vlen);
#else
    memcpy(r + 4, key, klen);
    rec_put32(r + 4 + klen, (uint32_t)vlen);
    memcpy(r + 8 + klen, value, vlen);
#endif
}

static struct kv_slot *slots_new(size_t n)
{
    return calloc(n, sizeof(struct kv_slot));
}

int kv_table_init(struct kv_table *t)
{
    memset(t, 0, sizeof(*t));
    t->slots = slots_new(INITIAL_SLOTS);
    t->mask = INITIAL_SLOTS - 1;
    return t->slots != NULL ? 0 : -ENOMEM;
}

void kv_table_free(struct kv_table *t)
{
    free(t->log);
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

static const unsigned char *record_at(const struct kv_table *t, const struct kv_slot *s)
{
    return t->log + s->at - 1;
}

/* The slot holding `key`, or the empty slot where it would go. */
static struct kv_slot *slot_of(const struct kv_table *t, const char *key, size_t klen, uint32_t hash)
{
    for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        struct kv_slot *s = &t->slots[i];
        if (s->at == 0)
            return s;
        if (s->hash == hash) {
            const unsigned char *r = record_at(t, s);
            if (rec_klen(r) == klen && memcmp(rec_key(r), key, klen) == 0)
                return s;
        }
    }
}

/* Move the index to `n` slots (a power of two): placing a slot needs only
 * its hash, so the log is not read. */
static int resize_index(struct kv_table *t, size_t n)
{
    struct kv_slot *slots = slots_new(n);

    if (slots == NULL)
        return -ENOMEM;
    for (size_t i = 0; i <= t->mask; i++) {
        if (t->slots[i].at == 0)
            continue;
        size_t j = t->slots[i].hash & (n - 1);
        while (slots[j].at != 0)
            j = (j + 1) & (n - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->mask = n - 1;
    return 0;
}

/* Room for `n` pairs without the index going over 2/3 full. */
static int index_room(struct kv_table *t, size_t n)
{
    size_t slots = t->mask + 1;

    if (n > UINT32_MAX)
        return -ENOMEM;
    while (n * 3 > slots * 2)
        slots *= 2;
    return slots == t->mask + 1 ? 0 : resize_index(t, slots);
}

/* Room for `n` more bytes at the end of the log: the log doubles as it
 * fills, or, `exact`, grows to just that. */
static int log_room(struct kv_table *t, size_t n, bool exact)
{
    if (n > LOG_MAX - t->used)
        return -ENOMEM;
    if (t->cap - t->used >= n)
        return 0;
    size_t cap = exact ? t->used + n : t->cap != 0 ? t->cap : 4096;
    while (cap - t->used < n)
        cap *= 2;
    unsigned char *log = realloc(t->log, cap);
    if (log == NULL)
        return -ENOMEM;
    t->log = log;
    t->cap = cap;
    return 0;
}

int kv_table_reserve(struct kv_table *t, size_t n, size_t bytes)
{
    int r = index_room(t, n);

    return r == 0 ? log_room(t, bytes, true) : r;
}

/* Copy the live records to a new log, in the order of the index. Like
 * growing, compacting is an optimisation: without memory, it waits. */
static void compact(struct kv_table *t)
{
    size_t live = t->used - t->dead, cap = live + live / 2 + 4096, used = 0;
    unsigned char *log = malloc(cap);

    if (log == NULL)
        return;
    for (size_t i = 0; i <= t->mask; i++) {
        struct kv_slot *s = &t->slots[i];
        if (s->at == 0)
            continue;
        const unsigned char *r = record_at(t, s);
        size_t n = rec_size(rec_klen(r), rec_vlen(r));
        memcpy(log + used, r, n);
        s->at = (uint32_t)(used + 1);
        used += n;
    }
    free(t->log);
    t->log = log;
    t->used = used;
    t->cap = cap;
    t->dead = 0;
}

/* The record at `at` (an offset plus one) is no longer the current one. */
static void mark_dead(struct kv_table *t, uint32_t at)
{
    unsigned char *r = t->log + at - 1;
    uint32_t klen = rec_klen(r);

    t->dead += rec_size(klen, rec_vlen(r));
    rec_put32(r, klen | REC_DEAD);
}

static void maybe_compact(struct kv_table *t)
{
    if (t->dead >= COMPACT_MIN && t->dead * 2 >= t->used)
        compact(t);
}

const unsigned char *kv_get(const struct kv_table *t, const char *key, size_t klen)
{
    const struct kv_slot *s = slot_of(t, key, klen, (uint32_t)kv_hash(key, klen));

    return s->at != 0 ? record_at(t, s) : NULL;
}

/* Set `key` to `value`: 0 for a new key, 1 if it replaced a value.
 * -EOVERFLOW for a value over 4 GiB, -ENOMEM (also when the log would go
 * over LOG_MAX). */
int kv_put(struct kv_table *t, const char *key, size_t klen, const char *value, size_t vlen)
{
    if (klen > KEY_MAX || vlen > UINT32_MAX)
        return -EOVERFLOW;
    int r = index_room(t, t->count + 1);
    if (r < 0)
        return r;
    uint64_t hash = kv_hash(key, klen), writes = 1;
    struct kv_slot *s = slot_of(t, key, klen, (uint32_t)hash);
    uint32_t old = s->at;
#if KV_VERSION >= 2
    writes = old != 0 ? rec_writes(t->log + old - 1) + 1 : 1;
#endif
    if (old != 0 && rec_vlen(t->log + old - 1) == vlen) {
        /* Same length: the value is overwritten where it is. */
        unsigned char *rec = t->log + old - 1;
        memcpy(rec + rec_value_at(rec), value, vlen);
#if KV_VERSION >= 2
        rec_put64(rec + 8, writes);
#endif
        return 1;
    }
    size_t size = rec_size(klen, vlen);
    if ((r = log_room(t, size, false)) < 0)
        return r;
    rec_write(t->log + t->used, key, klen, value, vlen, writes);
    if (old != 0) {
        mark_dead(t, old);
    } else {
        s->hash = (uint32_t)hash;
        t->count++;
    }
    s->at = (uint32_t)(t->used + 1);
    t->used += size;
    maybe_compact(t);
    return old != 0;
}

int kv_add(struct kv_table *t, size_t at, uint32_t hash)
{
    const unsigned char *rec = t->log + at;
    struct kv_slot *s = slot_of(t, rec_key(rec), rec_klen(rec), hash);

    if (s->at != 0)
        return 1;
    s->hash = hash;
    s->at = (uint32_t)(at + 1);
    t->count++;
    return 0;
}

/* Empty slot i of a linear-probing table, moving back the slots after it
 * that would no longer be found (no tombstones). */
static void remove_slot(struct kv_table *t, size_t i)
{
    for (size_t j = (i + 1) & t->mask; t->slots[j].at != 0; j = (j + 1) & t->mask) {
        size_t home = t->slots[j].hash & t->mask;
        /* Slot j may move to i unless its home lies in (i, j], cyclically. */
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i].at = 0;
}

int kv_del(struct kv_table *t, const char *key, size_t klen)
{
    struct kv_slot *s = slot_of(t, key, klen, (uint32_t)kv_hash(key, klen));

    if (s->at == 0)
        return -ENOENT;
    mark_dead(t, s->at);
    remove_slot(t, (size_t)(s - t->slots));
    t->count--;
    maybe_compact(t);
    return 0;
}

/* The sum, modulo 2^64, of a hash of each pair: FNV-1a over the key's
 * length (u32 little-endian), the key and the value, then mixed. A sum
 * does not depend on the order of the pairs, so any table holding the same
 * pairs — in any version, after any upgrade — has the same checksum. */
uint64_t kv_checksum(const struct kv_table *t)
{
    uint64_t sum = 0;

    for (size_t at = 0; at < t->used;) {
        const unsigned char *r = t->log + at;
        uint32_t klen = rec_klen(r) & ~REC_DEAD;
        at += rec_size(klen, rec_vlen(r));
        if (rec_klen(r) & REC_DEAD)
            continue;
        unsigned char len[4];
        rec_put32(len, klen);
        uint64_t h = fnv1a(FNV_OFFSET, len, sizeof(len));
        h = fnv1a(h, rec_key(r), klen);
        sum += kv_mix(fnv1a(h, rec_value(r), rec_vlen(r)));
    }
    return sum;
}
