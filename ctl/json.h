/*
 * json.h — the little JSON ninesctl writes for --json: strings escaped
 * so any bytes come out as valid JSON, record values typed by key, and a
 * record as an object. Writes to a FILE, so a test can write to memory.
 */
#ifndef NINES_CTL_JSON_H
#define NINES_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "records.h"

/* `len` bytes as a JSON string, quotes included. Well-formed UTF-8 passes
 * through; '"', '\\' and control characters are escaped (\n, \t, ... or
 * \u00XX); a byte that is not part of well-formed UTF-8 becomes \u00XX,
 * its value as a code point, so the output is valid whatever came in. */
void ctl_json_string(FILE *f, const void *s, size_t len);
void ctl_json_cstring(FILE *f, const char *s);

/* How a record value is written: keys known to hold text (path, version,
 * name, msg, release, from, to, what, ...) always as strings, since a
 * child may be called "2024" or a version "3"; other values as numbers
 * when they are all digits (without a leading zero), as booleans when
 * "true" or "false", else as strings. Pure. */
enum ctl_json_type { CTL_JSON_STRING, CTL_JSON_NUMBER, CTL_JSON_BOOL };
enum ctl_json_type ctl_json_type_of(const char *key, const char *value);

/* A record as {"key":value,...}, without a newline. */
void ctl_json_record(FILE *f, const struct ctl_record *r);

/* The record's pairs "key":value, comma-separated, without braces, the
 * key `skip` (if not NULL) left out: for objects that add keys of their
 * own. Returns how many pairs were written. */
int ctl_json_fields(FILE *f, const struct ctl_record *r, const char *skip);

/* The start of every --json object: {"ok":...,"status":...,"message":...
 * (no closing brace: the command's own keys follow). */
/* The same three into a textbuf (textbuf.h), which the FILE versions
 * above write: a status builds its whole object before writing it. */
struct ctl_textbuf;
void ctl_json_string_buf(struct ctl_textbuf *b, const void *s, size_t len);
void ctl_json_record_buf(struct ctl_textbuf *b, const struct ctl_record *r);
int ctl_json_fields_buf(struct ctl_textbuf *b, const struct ctl_record *r, const char *skip);
void ctl_json_begin(FILE *f, bool ok, const char *status, const void *message, size_t message_len);

#endif /* NINES_CTL_JSON_H */
