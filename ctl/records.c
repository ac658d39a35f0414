/*
 * records.c — lines and logfmt records of DATA frames (see records.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

/* The key a lookup found last, by the caller's key address. */
struct hint {
    const char *key;      /* the caller's */
    const char *interned; /* its one copy, once a record had it */
    size_t keys_seen;     /* how many keys there were when it was last looked for */
    int at;
    uint64_t bit;
};

static const char *slow_value(const struct ctl_record *r, const char *key) {
    for (int i = 0; i < r->n; i++)
        if (r->fields[i].key[0] == key[0] && strcmp(r->fields[i].key, key) == 0)
            return r->fields[i].value;
    return NULL;
}

/* The records of one answer list their keys in the same order, and a
 * render asks each of 10,000 records for the same dozen keys, some of
 * which most records lack: a key whose bit is clear is absent at once;
 * otherwise look first where the key was found last, then everywhere,
 * comparing the interned pointers. ninesctl has one thread. */
const char *ctl_record_value(const struct ctl_record *r, const char *key) {
    static struct hint hints[64];
    struct hint *h = &hints[((uintptr_t)key >> 3) % 64];
    if (h->key != key)
        *h = (struct hint){.key = key, .keys_seen = (size_t)-1, .at = -1, .bit = ctl_record_key_bit(key)};
    if (!(r->keys & h->bit))
        return NULL;
    if (!r->interned)
        return slow_value(r, key);
    if (!h->interned && h->keys_seen != ctl_keys_count()) {
        h->keys_seen = ctl_keys_count();
        h->interned = ctl_key_find(key);
    }
    if (!h->interned)
        return NULL; /* no record has had it: this one neither */
    if (h->at >= 0 && h->at < r->n && r->fields[h->at].key == h->interned)
        return r->fields[h->at].value;
    for (int i = 0; i < r->n; i++)
        if (r->fields[i].key == h->interned) {
            h->at = i;
            return r->fields[i].value;
        }
    return NULL;
}

/* Keys are a few bytes: compared here, not by a call per field. */
static inline bool same_key(const char *a, const char *b) {
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* The fields' keys swapped for their one copies, and the bits. Records
 * of one answer have their keys in the same order, some left out: the
 * key that followed this one last time is tried first. */
static void intern_keys(struct ctl_record *r) {
    static const char *after[CTL_KEYS_MAX + 1]; /* by key number; the last slot: the first key */
    const char **guess = &after[CTL_KEYS_MAX];
    r->interned = true;
    for (int i = 0; i < r->n; i++) {
        const char *k = r->fields[i].key, *one = *guess;
        if (!one || !same_key(one, k))
            one = ctl_key_intern(k, strlen(k));
        if (!one) {
            r->interned = false;
            r->keys |= ctl_record_key_bit(k);
            guess = &after[CTL_KEYS_MAX];
            continue;
        }
        *guess = one;
        guess = &after[ctl_key_index(one)];
        r->fields[i].key = one;
        r->keys |= ctl_key_bit(one);
    }
}

int ctl_record_in_place(struct ctl_record *r, char *text, size_t len, struct ctl_field *fields) {
    text[len] = '\0';
    int n = ctl_record_parse(text, len, fields, CTL_RECORD_MAX_FIELDS, text);
    if (n < 0)
        return n;
    *r = (struct ctl_record){.fields = fields, .n = n};
    intern_keys(r);
    return 0;
}

/* One block: room for the fields, then the text (a single record, shown
 * and freed at once: events as they come). */
int ctl_record_from_line(struct ctl_record *r, const char *line, size_t len) {
    size_t fields_size = CTL_RECORD_MAX_FIELDS * sizeof(struct ctl_field);
    char *block = malloc(fields_size + len + 1);
    if (!block)
        return -ENOMEM;
    memcpy(block + fields_size, line, len);
    int e = ctl_record_in_place(r, block + fields_size, len, (struct ctl_field *)(void *)block);
    if (e < 0)
        free(block);
    return e;
}

void ctl_record_free(struct ctl_record *r) {
    free(r->fields);
    r->fields = NULL;
    r->n = 0;
}

/* The text and then just the fields it has, from the arena: 10,000
 * records of 64 fields' room each were 10 MB to fault in. */
int ctl_records_add(struct ctl_records *rs, const char *line, size_t len) {
    if (len == 0)
        return 0;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 32;
        struct ctl_record *v = realloc(rs->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        rs->v = v;
        rs->cap = cap;
    }
    struct ctl_field tmp[CTL_RECORD_MAX_FIELDS];
    struct ctl_record *r = &rs->v[rs->n];
    char *text = ctl_arena_alloc(&rs->text, len + 1);
    if (!text)
        return -ENOMEM;
    memcpy(text, line, len);
    int e = ctl_record_in_place(r, text, len, tmp);
    if (e < 0)
        return e; /* the piece of arena stays unused until the records go */
    r->fields = ctl_arena_alloc(&rs->text, (size_t)r->n * sizeof tmp[0] + 1);
    if (!r->fields)
        return -ENOMEM;
    memcpy(r->fields, tmp, (size_t)r->n * sizeof tmp[0]);
    rs->n++;
    return 0;
}

void ctl_records_free(struct ctl_records *rs) {
    free(rs->v);
    ctl_arena_free(&rs->text);
    *rs = (struct ctl_records){0};
}

int ctl_lines_feed(struct ctl_lines *l, const void *data, size_t len) {
    /* Drop the lines already taken before growing. */
    if (l->start > 0) {
        memmove(l->buf, l->buf + l->start, l->len - l->start);
        l->len -= l->start;
        l->start = 0;
    }
    if (l->len + len > 2 * (size_t)CTL_MAX_RESPONSE)
        return -EMSGSIZE;
    if (l->len + len + 1 > l->cap) { /* and a byte after: a last line's NUL (ctl_record_in_place) */
        size_t cap = l->cap ? l->cap : 4096;
        while (cap < l->len + len + 1)
            cap *= 2;
        char *buf = realloc(l->buf, cap);
        if (!buf)
            return -ENOMEM;
        l->buf = buf;
        l->cap = cap;
    }
    if (len > 0)
        memcpy(l->buf + l->len, data, len);
    l->len += len;
    return 0;
}

bool ctl_lines_next(struct ctl_lines *l, bool flush, char **line, size_t *len) {
    size_t avail = l->len - l->start;
    if (avail == 0)
        return false;
    char *p = l->buf + l->start;
    const char *nl = memchr(p, '\n', avail);
    if (!nl && !flush)
        return false;
    *line = p;
    *len = nl ? (size_t)(nl - p) : avail;
    l->start += nl ? *len + 1 : avail;
    return true;
}

void ctl_lines_free(struct ctl_lines *l) {
    free(l->buf);
    *l = (struct ctl_lines){0};
}
