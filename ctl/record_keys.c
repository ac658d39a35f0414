/*
 * record_keys.c — the keys of records, each kept once (see records.h).
 *
 * A status of 10,000 nodes has 300,000 fields but some 35 distinct keys.
 * Every record points at the one copy of each key, so finding a key in a
 * record is comparing pointers, and a key's bit and its JSON form are
 * worked out once, not once per field. The table is bounded: a stream of
 * ever new keys (events --follow for days) stops being interned when it
 * is full, and the records parsed after that compare their keys as text.
 * ninesctl has one thread.
 */
#include <stdlib.h>
#include <string.h>

#include "records.h"

#define SLOTS (2 * CTL_KEYS_MAX) /* open addressing, at most half full */

struct key_entry {
    uint64_t bit;
    unsigned index;
    char text[]; /* what callers get: the key, NUL-terminated */
};

static struct key_entry *slot[SLOTS];
static size_t n_keys;

static uint32_t key_hash(const char *key, size_t len) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}

uint64_t ctl_record_key_bit(const char *key) {
    return 1ull << (key_hash(key, strlen(key)) % 64);
}

static struct key_entry *entry_of(const char *interned) {
    return (struct key_entry *)(void *)(interned - offsetof(struct key_entry, text));
}

/* The slot of key: where it is, or the empty one where it would go. */
static size_t probe(const char *key, size_t len, uint32_t h) {
    size_t i = h % SLOTS;
    while (slot[i] && !(strncmp(slot[i]->text, key, len) == 0 && slot[i]->text[len] == '\0'))
        i = (i + 1) % SLOTS;
    return i;
}

const char *ctl_key_find(const char *key) {
    size_t len = strlen(key);
    struct key_entry *e = slot[probe(key, len, key_hash(key, len))];
    return e ? e->text : NULL;
}

const char *ctl_key_intern(const char *key, size_t len) {
    uint32_t h = key_hash(key, len);
    size_t i = probe(key, len, h);
    if (slot[i])
        return slot[i]->text;
    if (n_keys >= CTL_KEYS_MAX)
        return NULL;
    struct key_entry *e = malloc(sizeof *e + len + 1);
    if (!e)
        return NULL;
    e->bit = 1ull << (h % 64);
    e->index = (unsigned)n_keys++;
    memcpy(e->text, key, len);
    e->text[len] = '\0';
    slot[i] = e;
    return e->text;
}

size_t ctl_keys_count(void) {
    return n_keys;
}

uint64_t ctl_key_bit(const char *interned) {
    return entry_of(interned)->bit;
}

unsigned ctl_key_index(const char *interned) {
    return entry_of(interned)->index;
}
