/*
 * host_regs.c — the table of an application's registrations, by tag.
 *
 * Slots live in one array and are found through a chained hash of
 * (kind, tag). A slot's index and generation go into epoll's event data,
 * so an event for a registration removed earlier in the same batch is
 * recognised as stale instead of being dispatched to a reused slot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

static size_t bucket_of(const struct regs *r, enum reg_kind kind, uint64_t tag) {
    uint64_t h = (tag ^ ((uint64_t)kind << 61)) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (r->n_buckets - 1);
}

static void link_slot(struct regs *r, int32_t idx) {
    struct reg *s = &r->slots[idx];
    size_t b = bucket_of(r, s->kind, s->tag);
    s->next = r->buckets[b];
    r->buckets[b] = idx;
}

/* Keep the chains short: double the buckets when they are outnumbered. */
static int grow_buckets(struct regs *r) {
    size_t n = r->n_buckets ? r->n_buckets * 2 : 64;
    int32_t *b = malloc(n * sizeof *b);
    if (!b)
        return -ENOMEM;
    free(r->buckets);
    r->buckets = b;
    r->n_buckets = n;
    for (size_t i = 0; i < n; i++)
        b[i] = -1;
    for (size_t i = 0; i < r->n_slots; i++)
        if (r->slots[i].used)
            link_slot(r, (int32_t)i);
    return 0;
}

static int32_t take_slot(struct regs *r) {
    if (r->free_head >= 0) {
        int32_t idx = r->free_head;
        r->free_head = r->slots[idx].next;
        return idx;
    }
    if (r->n_slots == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        if (cap > INT32_MAX)
            return -ENOMEM;
        struct reg *s = realloc(r->slots, cap * sizeof *s);
        if (!s)
            return -ENOMEM;
        r->slots = s;
        r->cap = cap;
    }
    r->slots[r->n_slots] = (struct reg){.gen = 0};
    return (int32_t)r->n_slots++;
}

int regs_find(const struct regs *r, enum reg_kind kind, uint64_t tag) {
    if (!r->n_buckets)
        return -1;
    for (int32_t i = r->buckets[bucket_of(r, kind, tag)]; i >= 0; i = r->slots[i].next)
        if (r->slots[i].kind == kind && r->slots[i].tag == tag)
            return i;
    return -1;
}

int regs_add(struct regs *r, enum reg_kind kind, uint64_t tag) {
    if (regs_find(r, kind, tag) >= 0)
        return -EEXIST;
    if (r->count + 1 > r->n_buckets && grow_buckets(r) < 0)
        return -ENOMEM;
    int32_t idx = take_slot(r);
    if (idx < 0)
        return idx;
    struct reg *s = &r->slots[idx];
    uint32_t gen = s->gen + 1;
    *s = (struct reg){.kind = kind, .tag = tag, .fd = -1, .used = true, .gen = gen};
    link_slot(r, idx);
    r->count++;
    return idx;
}

void regs_remove(struct regs *r, int idx) {
    struct reg *s = &r->slots[idx];
    int32_t *link = &r->buckets[bucket_of(r, s->kind, s->tag)];
    while (*link != idx)
        link = &r->slots[*link].next;
    *link = s->next;
    s->used = false;
    s->gen++;
    s->next = r->free_head;
    r->free_head = idx;
    r->count--;
}

struct reg *regs_at(struct regs *r, uint32_t idx, uint32_t gen) {
    if (idx >= r->n_slots)
        return NULL;
    struct reg *s = &r->slots[idx];
    return s->used && s->gen == gen ? s : NULL;
}

void regs_free(struct regs *r) {
    free(r->slots);
    free(r->buckets);
    memset(r, 0, sizeof *r);
    r->free_head = -1;
}
