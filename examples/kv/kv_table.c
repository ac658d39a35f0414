/*
 * kv_table.c — the pairs by key: a chained hash table that doubles as it
 * fills, each pair in one allocation; and the checksum over all pairs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

#define INITIAL_BUCKETS 64
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

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

static uint64_t key_hash(const char *key, size_t klen)
{
    return kv_mix(fnv1a(FNV_OFFSET, key, klen));
}

int kv_table_init(struct kv_table *t)
{
    t->buckets = calloc(INITIAL_BUCKETS, sizeof(*t->buckets));
    t->nbuckets = INITIAL_BUCKETS;
    t->count = 0;
    return t->buckets != NULL ? 0 : -ENOMEM;
}

void kv_table_free(struct kv_table *t)
{
    for (size_t i = 0; t->buckets != NULL && i < t->nbuckets; i++) {
        struct kv_entry *e = t->buckets[i];
        while (e != NULL) {
            struct kv_entry *next = e->next;
            free(e);
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = NULL;
    t->nbuckets = t->count = 0;
}

static void grow(struct kv_table *t)
{
    size_t n = t->nbuckets * 2;
    struct kv_entry **b = calloc(n, sizeof(*b));

    /* Growing is an optimisation: a full table still works, just slower. */
    if (b == NULL)
        return;
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct kv_entry *e = t->buckets[i];
        while (e != NULL) {
            struct kv_entry *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

/* The link that points at `key`'s entry, or the end of its chain. */
static struct kv_entry **link_of(const struct kv_table *t, const char *key, size_t klen,
                                 uint64_t hash)
{
    struct kv_entry **p = &t->buckets[hash & (t->nbuckets - 1)];

    while (*p != NULL && !((*p)->hash == hash && (*p)->klen == klen &&
                           memcmp((*p)->data, key, klen) == 0))
        p = &(*p)->next;
    return p;
}

struct kv_entry *kv_get(const struct kv_table *t, const char *key, size_t klen)
{
    return *link_of(t, key, klen, key_hash(key, klen));
}

/* Set `key` to `value`: 0 for a new key, 1 if it replaced a value; the
 * entry in *out. -EOVERFLOW for a value over 4 GiB, -ENOMEM. */
int kv_put(struct kv_table *t, const char *key, size_t klen, const char *value, size_t vlen,
           struct kv_entry **out)
{
    if (klen > KEY_MAX || vlen > UINT32_MAX - 2)
        return -EOVERFLOW;
    if (t->count >= t->nbuckets)
        grow(t);
    uint64_t hash = key_hash(key, klen);
    struct kv_entry **p = link_of(t, key, klen, hash);
    struct kv_entry *old = *p;
    struct kv_entry *e = malloc(sizeof(*e) + klen + 1 + vlen + 1);
    if (e == NULL)
        return -ENOMEM;
    e->hash = hash;
    e->klen = (uint32_t)klen;
    e->vlen = (uint32_t)vlen;
    memcpy(e->data, key, klen);
    e->data[klen] = '\0';
    memcpy(e->data + klen + 1, value, vlen);
    e->data[klen + 1 + vlen] = '\0';
#if KV_VERSION >= 2
    e->writes = old != NULL ? old->writes + 1 : 1;
#endif
    /* The new entry takes the old one's place in the chain, or ends it. */
    e->next = old != NULL ? old->next : NULL;
    *p = e;
    free(old);
    t->count += old == NULL;
    *out = e;
    return old != NULL;
}

int kv_del(struct kv_table *t, const char *key, size_t klen)
{
    struct kv_entry **p = link_of(t, key, klen, key_hash(key, klen));
    struct kv_entry *e = *p;

    if (e == NULL)
        return -ENOENT;
    *p = e->next;
    free(e);
    t->count--;
    return 0;
}

/* The sum, modulo 2^64, of a hash of each pair: FNV-1a over the key's
 * length (u32 little-endian), the key and the value, then mixed. A sum
 * does not depend on the order of the pairs, so any table holding the same
 * pairs — in any version, after any upgrade — has the same checksum. */
uint64_t kv_checksum(const struct kv_table *t)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < t->nbuckets; i++)
        for (const struct kv_entry *e = t->buckets[i]; e != NULL; e = e->next) {
            unsigned char klen[4] = {(unsigned char)e->klen, (unsigned char)(e->klen >> 8),
                                     (unsigned char)(e->klen >> 16),
                                     (unsigned char)(e->klen >> 24)};
            uint64_t h = fnv1a(FNV_OFFSET, klen, sizeof(klen));
            h = fnv1a(h, kv_key(e), e->klen);
            sum += kv_mix(fnv1a(h, kv_value(e), e->vlen));
        }
    return sum;
}
