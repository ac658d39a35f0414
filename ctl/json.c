/*
 * json.c — JSON strings, typed record values and objects for --json
 * (see json.h).
 *
 * Built in a textbuf (textbuf.h) and written at once: a status of
 * 10,000 nodes is 300,000 fields, and a stdio call or more for each was
 * most of its --json.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "textbuf.h"
#include "utf8.h"

/* The escape of an ASCII byte that is not written as it is. JSON only
 * requires escaping below 0x20; DEL is escaped too, so no control byte
 * reaches a terminal that shows the output. */
static void put_ascii(struct ctl_textbuf *b, uint8_t c) {
    static const char hex[] = "0123456789abcdef";
    const char *esc = NULL;
    switch (c) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    }
    if (esc) {
        ctl_textbuf_put(b, esc, 2);
        return;
    }
    if (c < 0x20 || c == 0x7f) {
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        ctl_textbuf_put(b, u, sizeof u);
    } else {
        ctl_textbuf_putc(b, (char)c);
    }
}

/* Bytes written as they are: printable ASCII but the two JSON escapes
 * (a table: a status of 10,000 nodes is 2 MB of them). */
static const bool plain_byte[256] = {
    [' ' ... '!'] = true, ['#' ... '['] = true, [']' ... '~'] = true,
};

void ctl_json_string_buf(struct ctl_textbuf *b, const void *s, size_t len) {
    const uint8_t *p = s;
    ctl_textbuf_putc(b, '"');
    for (size_t i = 0; i < len;) {
        size_t run = 0;
        while (i + run < len && plain_byte[p[i + run]])
            run++;
        if (run) { /* most of a status: one copy per run, not per byte */
            ctl_textbuf_put(b, p + i, run);
            i += run;
            continue;
        }
        if (p[i] < 0x80) {
            put_ascii(b, p[i++]);
            continue;
        }
        uint32_t cp;
        size_t n = nines_utf8_decode(p + i, len - i, &cp);
        if (n == 0) { /* not UTF-8: the byte as a code point */
            char u[7];
            snprintf(u, sizeof u, "\\u%04x", p[i++]);
            ctl_textbuf_put(b, u, 6);
            continue;
        }
        ctl_textbuf_put(b, p + i, n);
        i += n;
    }
    ctl_textbuf_putc(b, '"');
}

/* What a FILE is given: the text built, then written at once. */
static void flush_to(FILE *f, struct ctl_textbuf *b) {
    if (b->len > 0) /* an empty buffer has no text: fwrite's may not be NULL */
        fwrite_unlocked(b->p, 1, b->len, f);
    ctl_textbuf_free(b);
}

void ctl_json_string(FILE *f, const void *s, size_t len) {
    struct ctl_textbuf b = {0};
    ctl_json_string_buf(&b, s, len);
    flush_to(f, &b);
}

void ctl_json_cstring(FILE *f, const char *s) {
    ctl_json_string(f, s, strlen(s));
}

/* Keys whose values are text even when they look like a number or a
 * boolean: names, paths and versions people choose. */
static const char *const text_keys[] = {
    "path", "kind", "state", "restart", "module", "version", "name", "strategy",
    "ts", "level", "event", "supervisor", "child", "reason", "action", "msg",
    "health", "last_exit", "last_exit_at", "args", "upgrading", "upgrading_from",
    /* the release commands' */
    "release", "status", "dir", "running", "phase", "application", "what", "result", "from", "to",
};

static bool text_key(const char *key) {
    for (size_t i = 0; i < sizeof text_keys / sizeof text_keys[0]; i++)
        if (key[0] == text_keys[i][0] && strcmp(key, text_keys[i]) == 0)
            return true;
    return false;
}

/* The type of a value and its length, in one pass over it (a status of
 * 10,000 nodes has 300,000: a strspn, then a strlen, then the copy each
 * was a fifth of --json). */
static enum ctl_json_type value_type_len(const char *value, size_t *len) {
    size_t n = 0;
    while (value[n] >= '0' && value[n] <= '9')
        n++;
    if (value[n] == '\0') {
        *len = n;
        /* JSON has no leading zeros; 20 digits would overflow what readers
         * hold exactly anyway, and such a value is an id, not a count. */
        return n > 0 && n < 20 && (value[0] != '0' || n == 1) ? CTL_JSON_NUMBER : CTL_JSON_STRING;
    }
    *len = n + strlen(value + n);
    if ((*len == 4 && memcmp(value, "true", 4) == 0) || (*len == 5 && memcmp(value, "false", 5) == 0))
        return CTL_JSON_BOOL;
    return CTL_JSON_STRING;
}

static enum ctl_json_type value_type(const char *value) {
    size_t len;
    return value_type_len(value, &len);
}

enum ctl_json_type ctl_json_type_of(const char *key, const char *value) {
    return text_key(key) ? CTL_JSON_STRING : value_type(value);
}

/* What an interned key (records.h) needs, worked out once: whether it
 * holds text, and "key": as written (a parsed key is [A-Za-z0-9_.-]+:
 * nothing to escape). NULL when out of memory. */
struct key_json {
    char *quoted;
    size_t len;
    bool text;
};

static const struct key_json *key_json_of(const char *interned) {
    static struct key_json cache[CTL_KEYS_MAX];
    struct key_json *k = &cache[ctl_key_index(interned)];
    char *q;
    int n;
    if (!k->quoted && (n = asprintf(&q, "\"%s\":", interned)) >= 0)
        *k = (struct key_json){.quoted = q, .len = (size_t)n, .text = text_key(interned)};
    return k->quoted ? k : NULL;
}

static void put_pair(struct ctl_textbuf *b, const struct ctl_field *fl, bool interned) {
    const struct key_json *k = interned ? key_json_of(fl->key) : NULL;
    bool text;
    if (k) {
        ctl_textbuf_put(b, k->quoted, k->len);
        text = k->text;
    } else {
        ctl_json_string_buf(b, fl->key, strlen(fl->key));
        ctl_textbuf_putc(b, ':');
        text = text_key(fl->key);
    }
    size_t len;
    if (text)
        ctl_json_string_buf(b, fl->value, strlen(fl->value));
    else if (value_type_len(fl->value, &len) == CTL_JSON_STRING)
        ctl_json_string_buf(b, fl->value, len);
    else
        ctl_textbuf_put(b, fl->value, len);
}

int ctl_json_fields_buf(struct ctl_textbuf *b, const struct ctl_record *r, const char *skip) {
    int n = 0;
    for (int i = 0; i < r->n; i++) {
        const struct ctl_field *fl = &r->fields[i];
        if (skip && strcmp(fl->key, skip) == 0)
            continue;
        if (n++ > 0)
            ctl_textbuf_putc(b, ',');
        put_pair(b, fl, r->interned);
    }
    return n;
}

void ctl_json_record_buf(struct ctl_textbuf *b, const struct ctl_record *r) {
    ctl_textbuf_putc(b, '{');
    ctl_json_fields_buf(b, r, NULL);
    ctl_textbuf_putc(b, '}');
}

int ctl_json_fields(FILE *f, const struct ctl_record *r, const char *skip) {
    struct ctl_textbuf b = {0};
    int n = ctl_json_fields_buf(&b, r, skip);
    flush_to(f, &b);
    return n;
}

void ctl_json_record(FILE *f, const struct ctl_record *r) {
    struct ctl_textbuf b = {0};
    ctl_json_record_buf(&b, r);
    flush_to(f, &b);
}

void ctl_json_begin(FILE *f, bool ok, const char *status, const void *message, size_t message_len) {
    fprintf(f, "{\"ok\":%s,\"status\":", ok ? "true" : "false");
    ctl_json_cstring(f, status);
    fputs_unlocked(",\"message\":", f);
    ctl_json_string(f, message, message_len);
}
