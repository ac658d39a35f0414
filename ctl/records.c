/*
 * records.c — lines and logfmt records of DATA frames (see records.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

uint64_t ctl_record_key_bit(const char *key) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return 1ull << (h % 64);
}

/* The records of one answer list their keys in the same order, and a
 * render asks each of 10,000 records for the same dozen keys, some of
 * which most records lack: a key whose bit is clear is absent at once;
 * otherwise look first where the key was found last (by the key's
 * address: callers pass literals), then everywhere. ninesctl has one
 * thread. */
const char *ctl_record_value(const struct ctl_record *r, const char *key) {
    static struct {
        const char *key;
        int at;
        uint64_t bit;
    } hint[64];
    size_t h = ((uintptr_t)key >> 3) % 64;
    if (hint[h].key != key)
        hint[h].key = key, hint[h].at = -1, hint[h].bit = ctl_record_key_bit(key);
    if (!(r->keys & hint[h].bit))
        return NULL;
    int at = hint[h].at;
    if (at >= 0 && at < r->n && strcmp(r->fields[at].key, key) == 0)
        return r->fields[at].value;
    for (int i = 0; i < r->n; i++)
        if (r->fields[i].key[0] == key[0] && strcmp(r->fields[i].key, key) == 0) {
            hint[h].at = i;
            return r->fields[i].value;
        }
    return NULL;
}

/* One block of just the size needed: the fields, then the text they
 * point into (parsed in a scratch buffer kept between calls, then moved):
 * 10,000 records of 64 fields' room each were 10 MB to fault in. */
int ctl_record_from_line(struct ctl_record *r, const char *line, size_t len) {
    static char *scratch;
    static size_t scratch_size;
    if (len + 1 > scratch_size) {
        char *p = realloc(scratch, len + 1);
        if (!p)
            return -ENOMEM;
        scratch = p, scratch_size = len + 1;
    }
    struct ctl_field tmp[CTL_RECORD_MAX_FIELDS];
    int n = ctl_record_parse(line, len, tmp, CTL_RECORD_MAX_FIELDS, scratch);
    if (n < 0)
        return n;
    size_t fields_size = (size_t)n * sizeof tmp[0];
    char *block = malloc(fields_size + len + 1);
    if (!block)
        return -ENOMEM;
    char *text = block + fields_size;
    memcpy(text, scratch, len + 1);
    struct ctl_field *fields = (struct ctl_field *)(void *)block;
    uint64_t keys = 0;
    for (int i = 0; i < n; i++) {
        fields[i].key = text + (tmp[i].key - scratch);
        fields[i].value = text + (tmp[i].value - scratch);
        keys |= ctl_record_key_bit(fields[i].key);
    }
    *r = (struct ctl_record){.fields = fields, .n = n, .keys = keys};
    return 0;
}

void ctl_record_free(struct ctl_record *r) {
    free(r->fields);
    r->fields = NULL;
    r->n = 0;
}

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
    int r = ctl_record_from_line(&rs->v[rs->n], line, len);
    if (r < 0)
        return r;
    rs->n++;
    return 0;
}

void ctl_records_free(struct ctl_records *rs) {
    for (size_t i = 0; i < rs->n; i++)
        ctl_record_free(&rs->v[i]);
    free(rs->v);
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
    if (l->len + len > l->cap) {
        size_t cap = l->cap ? l->cap : 4096;
        while (cap < l->len + len)
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

bool ctl_lines_next(struct ctl_lines *l, bool flush, const char **line, size_t *len) {
    size_t avail = l->len - l->start;
    if (avail == 0)
        return false;
    const char *p = l->buf + l->start;
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
