/*
 * str_set.h — a set of strings with a number for each (open addressing,
 * FNV-1a): the linear duplicate check of a child's args and the anchors of
 * a YAML document, where comparing each new name with every earlier one
 * made 200,000 args take over a minute (issue 16).
 *
 * The set does not copy the strings: they must outlive it.
 */
#ifndef NINES_STR_SET_H
#define NINES_STR_SET_H

#include <stdbool.h>
#include <stddef.h>

struct str_set {
    struct str_set_slot {
        const char *key;
        size_t value;
    } *slots;
    size_t n, cap; /* cap: 0 or a power of two */
};

/* Add `key` with `value`, or find it: 0 if added, 1 if it was there (its
 * value left as it was, in *old when old is not NULL), -ENOMEM. */
int str_set_add(struct str_set *s, const char *key, size_t value, size_t *old);

/* Set `key`'s value, adding it if needed: 0 or -ENOMEM. */
int str_set_put(struct str_set *s, const char *key, size_t value);

/* `key`'s value in *value: true if the set has it. */
bool str_set_get(const struct str_set *s, const char *key, size_t *value);

void str_set_free(struct str_set *s);

#endif
