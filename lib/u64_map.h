/*
 * u64_map.h — a table from 64-bit keys to pointers, O(1) on average.
 *
 * Pure (memory only). Open addressing with linear probing; a removed entry
 * leaves a tombstone that a later insert reuses. The table is rebuilt when
 * live entries and tombstones fill half of it, and the rebuilt size follows
 * the live count, not the history: a table that saw a million keys come and
 * go, with ten live, is small again. Used for what ninesd must find by a
 * number without scanning: an output socket's address (output_sock.h), a
 * call by its ref and a callee's calls by its gen (calls.c), a watched
 * process by its pid (reaper.c); in the worker host, the calls in flight
 * by their ref (host_calls.c, host_runtime.c).
 */
#ifndef NINES_U64_MAP_H
#define NINES_U64_MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64_map_slot {
    uint64_t key;
    void *value; /* NULL: never used; &u64_map_tombstone: removed */
};

struct u64_map {
    struct u64_map_slot *v;
    size_t cap;  /* a power of two, or 0 */
    size_t live; /* entries */
    size_t used; /* entries and tombstones */
};

/* Set key -> value (value not NULL), replacing an entry with the same key.
 * 0 or -ENOMEM (the map unchanged). */
int u64_map_put(struct u64_map *m, uint64_t key, void *value);
/* The value of key, or NULL. */
void *u64_map_get(const struct u64_map *m, uint64_t key);
/* Remove key; its value, or NULL if it was not there. May shrink the table. */
void *u64_map_del(struct u64_map *m, uint64_t key);
void u64_map_free(struct u64_map *m); /* back to empty; accepts a zeroed map */
/* Every entry once, in no order: start with *pos = 0; the next entry's
 * value (and key, if asked), or NULL at the end. The map must not change
 * during the walk. */
void *u64_map_next(const struct u64_map *m, size_t *pos, uint64_t *key);

#endif /* NINES_U64_MAP_H */
