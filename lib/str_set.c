/*
 * str_set.c — a set of strings with a number for each (str_set.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "str_set.h"

static uint64_t hash(const char *s) {
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The slot of `key`, or the empty one where it would go. */
static struct str_set_slot *find(const struct str_set *s, const char *key) {
    size_t mask = s->cap - 1;
    for (size_t i = (size_t)hash(key) & mask;; i = (i + 1) & mask)
        if (!s->slots[i].key || strcmp(s->slots[i].key, key) == 0)
            return &s->slots[i];
}

/* Kept at most half full, so that a probe ends soon. */
static int grow(struct str_set *s) {
    if (2 * (s->n + 1) <= s->cap)
        return 0;
    struct str_set old = *s;
    s->cap = old.cap ? 2 * old.cap : 16;
    if (!(s->slots = calloc(s->cap, sizeof *s->slots))) {
        *s = old;
        return -ENOMEM;
    }
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key)
            *find(s, old.slots[i].key) = old.slots[i];
    free(old.slots);
    return 0;
}

int str_set_add(struct str_set *s, const char *key, size_t value, size_t *old) {
    if (grow(s) < 0)
        return -ENOMEM;
    struct str_set_slot *slot = find(s, key);
    if (slot->key) {
        if (old)
            *old = slot->value;
        return 1;
    }
    *slot = (struct str_set_slot){key, value};
    s->n++;
    return 0;
}

int str_set_put(struct str_set *s, const char *key, size_t value) {
    if (grow(s) < 0)
        return -ENOMEM;
    struct str_set_slot *slot = find(s, key);
    if (!slot->key)
        s->n++;
    *slot = (struct str_set_slot){key, value};
    return 0;
}

bool str_set_get(const struct str_set *s, const char *key, size_t *value) {
    if (!s->cap)
        return false;
    const struct str_set_slot *slot = find(s, key);
    if (slot->key && value)
        *value = slot->value;
    return slot->key != NULL;
}

void str_set_free(struct str_set *s) {
    free(s->slots);
    *s = (struct str_set){0};
}
