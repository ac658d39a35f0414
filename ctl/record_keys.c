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


static struct ctl_key_entry *slot[SLOTS];
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

/* The slot of key: where it is, or the empty one where it would go. */
static size_t probe(const char *key, size_t len, uint32_t h) {
    size_t i = h % SLOTS;
    while (slot[i] && !(strncmp(slot[i]->text, key, len) == 0 && slot[i]->text[len] == '\0'))
        i = (i + 1) % SLOTS;
    return i;
}

const char *ctl_key_find(const char *key) {
    size_t len = strlen(key);
    struct ctl_key_entry *e = slot[probe(key, len, key_hash(key, len))];
    return e ? e->text : NULL;
}

const char *ctl_key_intern(const char *key, size_t len) {
    uint32_t h = key_hash(key, len);
    size_t i = probe(key, len, h);
    if (slot[i])
        return slot[i]->text;
    if (n_keys >= CTL_KEYS_MAX)
        return NULL;
    struct ctl_key_entry *e = malloc(sizeof *e + len + 1);
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
