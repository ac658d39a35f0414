/*
 * records.h — the logfmt records of `status` and `events` as ninesctl
 * receives them: DATA payloads cut into lines (a line may straddle two
 * frames), each parsed in place with ctl_record_parse.
 */
#ifndef NINES_CTL_RECORDS_H
#define NINES_CTL_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "ctl_proto.h"

/* Fields per record we keep; the daemon writes about 16 today, and keys
 * are only ever added, so leave room. */
#define CTL_RECORD_MAX_FIELDS 64

struct ctl_record {
    struct ctl_field *fields; /* keys are interned (below) when `interned`, else in the record's text */
    int n;
    bool interned;
    uint64_t keys; /* a bit per key's hash (ctl_record_key_bit): a key whose bit is clear is absent */
};

/* The bit of `keys` a key sets. */
uint64_t ctl_record_key_bit(const char *key);

/* The value of key, or NULL. The key is found first where it was found
 * last: callers pass string literals (the hint is kept by the key's
 * address). */
const char *ctl_record_value(const struct ctl_record *r, const char *key);

/* Parse text[0..len) in place (text[len] is written: a NUL) into *r, its
 * fields into `fields` (room for CTL_RECORD_MAX_FIELDS): a record used
 * once, then dropped. 0, -EBADMSG, -E2BIG. */
int ctl_record_in_place(struct ctl_record *r, char *text, size_t len, struct ctl_field *fields);

/* Parse one line (no newline) into *r, in one allocation of its own.
 * 0, -EBADMSG, -E2BIG, -ENOMEM. */
int ctl_record_from_line(struct ctl_record *r, const char *line, size_t len);
void ctl_record_free(struct ctl_record *r);

/* Records kept together: their fields and text come from one arena,
 * freed with them. Moving the struct moves them. */
struct ctl_records {
    struct ctl_record *v;
    size_t n, cap;
    struct ctl_arena text;
};

/* Parse and append one line; an empty line is skipped. 0 or -errno. */
int ctl_records_add(struct ctl_records *rs, const char *line, size_t len);
void ctl_records_free(struct ctl_records *rs);

/* record_keys.c: each key kept once, so that records share it. At most
 * CTL_KEYS_MAX keys; then ctl_key_intern says NULL and records keep their
 * own copies. */
#define CTL_KEYS_MAX 512
/* The one copy of key[0..len), added if new; NULL when the table is full. */
const char *ctl_key_intern(const char *key, size_t len);
/* The one copy of key, or NULL if no record had it. */
const char *ctl_key_find(const char *key);
/* Keys interned so far: a key not found stays so until this changes. */
size_t ctl_keys_count(void);
/* Of an interned key: its bit (ctl_record_key_bit) and its number, below
 * CTL_KEYS_MAX. Inline: asked twice for each of 300,000 fields. */
struct ctl_key_entry {
    uint64_t bit;
    unsigned index;
    char text[]; /* what callers get: the key, NUL-terminated */
};
static inline const struct ctl_key_entry *ctl_key_entry_of(const char *interned) {
    return (const struct ctl_key_entry *)(const void *)(interned - offsetof(struct ctl_key_entry, text));
}
static inline uint64_t ctl_key_bit(const char *interned) {
    return ctl_key_entry_of(interned)->bit;
}
static inline unsigned ctl_key_index(const char *interned) {
    return ctl_key_entry_of(interned)->index;
}

struct ctl_lines {
    char *buf;
    size_t len, cap, start;
};

/* Append bytes. 0, -ENOMEM, or -EMSGSIZE for a line longer than a whole
 * DATA frame could be (the daemon never writes one). */
int ctl_lines_feed(struct ctl_lines *l, const void *data, size_t len);
/* The next complete line (without its newline), valid and writable
 * until the next feed, with a byte after it that may be written (its
 * newline, or room kept for it); false when none is complete. With `flush`, what is left without
 * a newline counts as a last line (the END came). */
bool ctl_lines_next(struct ctl_lines *l, bool flush, char **line, size_t *len);
void ctl_lines_free(struct ctl_lines *l);

#endif /* NINES_CTL_RECORDS_H */
