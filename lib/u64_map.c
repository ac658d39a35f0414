/*
 * u64_map.c — see u64_map.h.
 */
#include "u64_map.h"

#include <errno.h>
#include <stdlib.h>

static char tombstone;
#define TOMB ((void *)&tombstone)
#define MIN_CAP 16

static size_t slot_of(uint64_t key, size_t cap) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull; /* murmur3's finaliser */
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

static struct u64_map_slot *find(const struct u64_map *m, uint64_t key) {
    if (!m->cap)
        return NULL;
    for (size_t i = slot_of(key, m->cap), n = 0; n < m->cap; i = (i + 1) & (m->cap - 1), n++) {
        struct u64_map_slot *s = &m->v[i];
        if (!s->value)
            return NULL;
        if (s->value != TOMB && s->key == key)
            return s;
    }
    return NULL;
}

/* The size for `live` entries: at most a quarter full after a rebuild. */
static size_t cap_for(size_t live) {
    size_t cap = MIN_CAP;
    while (cap < live * 4)
        cap *= 2;
    return cap;
}

static void insert_fresh(struct u64_map *m, uint64_t key, void *value) {
    size_t i = slot_of(key, m->cap);
    while (m->v[i].value && m->v[i].value != TOMB)
        i = (i + 1) & (m->cap - 1);
    if (!m->v[i].value)
        m->used++;
    m->v[i] = (struct u64_map_slot){key, value};
    m->live++;
}

static int rebuild(struct u64_map *m, size_t cap) {
    struct u64_map_slot *v = calloc(cap, sizeof *v), *old = m->v;
    if (!v)
        return -ENOMEM;
    size_t old_cap = m->cap;
    *m = (struct u64_map){.v = v, .cap = cap};
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].value && old[i].value != TOMB)
            insert_fresh(m, old[i].key, old[i].value);
    free(old);
    return 0;
}

int u64_map_put(struct u64_map *m, uint64_t key, void *value) {
    struct u64_map_slot *s = find(m, key);
    if (s) {
        s->value = value;
        return 0;
    }
    if ((m->used + 1) * 2 > m->cap && rebuild(m, cap_for(m->live + 1)) < 0)
        return -ENOMEM;
    insert_fresh(m, key, value);
    return 0;
}

void *u64_map_get(const struct u64_map *m, uint64_t key) {
    struct u64_map_slot *s = find(m, key);
    return s ? s->value : NULL;
}

void *u64_map_del(struct u64_map *m, uint64_t key) {
    struct u64_map_slot *s = find(m, key);
    if (!s)
        return NULL;
    void *value = s->value;
    s->value = TOMB;
    m->live--;
    /* Far too big for what is left: smaller (a failure keeps it as it is). */
    if (m->cap > MIN_CAP && m->live * 16 < m->cap)
        (void)rebuild(m, cap_for(m->live));
    return value;
}

void u64_map_free(struct u64_map *m) {
    free(m->v);
    *m = (struct u64_map){0};
}

void *u64_map_next(const struct u64_map *m, size_t *pos, uint64_t *key) {
    for (; *pos < m->cap; (*pos)++) {
        const struct u64_map_slot *s = &m->v[*pos];
        if (s->value && s->value != TOMB) {
            (*pos)++;
            if (key)
                *key = s->key;
            return s->value;
        }
    }
    return NULL;
}
