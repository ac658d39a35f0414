/*
 * json.c — JSON strings, typed record values and objects for --json
 * (see json.h).
 *
 * Written with the stdio calls that take no lock (ninesctl has one
 * thread): a status of 10,000 nodes is 300,000 of them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

static void put_ascii(FILE *f, uint8_t c) {
    switch (c) {
    case '"': fputs_unlocked("\\\"", f); return;
    case '\\': fputs_unlocked("\\\\", f); return;
    case '\n': fputs_unlocked("\\n", f); return;
    case '\r': fputs_unlocked("\\r", f); return;
    case '\t': fputs_unlocked("\\t", f); return;
    case '\b': fputs_unlocked("\\b", f); return;
    case '\f': fputs_unlocked("\\f", f); return;
    }
    /* JSON only requires escaping below 0x20; DEL is escaped too, so no
     * control byte reaches a terminal that shows the output. */
    if (c < 0x20 || c == 0x7f)
        fprintf(f, "\\u%04x", c);
    else
        fputc_unlocked(c, f);
}

/* Bytes written as they are: printable ASCII but the two JSON escapes
 * (a table: a status of 10,000 nodes is 2 MB of them). */
static const bool plain_byte[256] = {
    [' ' ... '!'] = true, ['#' ... '['] = true, [']' ... '~'] = true,
};

void ctl_json_string(FILE *f, const void *s, size_t len) {
    const uint8_t *p = s;
    fputc_unlocked('"', f);
    for (size_t i = 0; i < len;) {
        size_t run = 0;
        while (i + run < len && plain_byte[p[i + run]])
            run++;
        if (run) { /* most of a status: one write per run, not per byte */
            fwrite_unlocked(p + i, 1, run, f);
            i += run;
            continue;
        }
        if (p[i] < 0x80) {
            put_ascii(f, p[i++]);
            continue;
        }
        uint32_t cp;
        size_t n = nines_utf8_decode(p + i, len - i, &cp);
        if (n == 0) {
            fprintf(f, "\\u%04x", p[i++]); /* not UTF-8: the byte as a code point */
            continue;
        }
        fwrite_unlocked(p + i, 1, n, f);
        i += n;
    }
    fputc_unlocked('"', f);
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

static enum ctl_json_type value_type(const char *value) {
    if ((value[0] == 't' && strcmp(value, "true") == 0) || (value[0] == 'f' && strcmp(value, "false") == 0))
        return CTL_JSON_BOOL;
    size_t n = strspn(value, "0123456789");
    /* JSON has no leading zeros; 20 digits would overflow what readers
     * hold exactly anyway, and such a value is an id, not a count. */
    if (n > 0 && value[n] == '\0' && n < 20 && (value[0] != '0' || n == 1))
        return CTL_JSON_NUMBER;
    return CTL_JSON_STRING;
}

enum ctl_json_type ctl_json_type_of(const char *key, const char *value) {
    return text_key(key) ? CTL_JSON_STRING : value_type(value);
}

/* What an interned key (records.h) needs, worked out once: whether it
 * holds text, and "key": as written (a parsed key is [A-Za-z0-9_.-]+:
 * nothing to escape). NULL when out of memory. */
struct key_json {
    char *quoted;
    bool text;
};

static const struct key_json *key_json_of(const char *interned) {
    static struct key_json cache[CTL_KEYS_MAX];
    struct key_json *k = &cache[ctl_key_index(interned)];
    char *q;
    if (!k->quoted && asprintf(&q, "\"%s\":", interned) >= 0)
        *k = (struct key_json){.quoted = q, .text = text_key(interned)};
    return k->quoted ? k : NULL;
}

static void put_pair(FILE *f, const struct ctl_field *fl, bool interned) {
    const struct key_json *k = interned ? key_json_of(fl->key) : NULL;
    bool text;
    if (k) {
        fputs_unlocked(k->quoted, f);
        text = k->text;
    } else {
        ctl_json_cstring(f, fl->key);
        fputc_unlocked(':', f);
        text = text_key(fl->key);
    }
    if (text || value_type(fl->value) == CTL_JSON_STRING)
        ctl_json_cstring(f, fl->value);
    else
        fputs_unlocked(fl->value, f);
}

int ctl_json_fields(FILE *f, const struct ctl_record *r, const char *skip) {
    int n = 0;
    for (int i = 0; i < r->n; i++) {
        const struct ctl_field *fl = &r->fields[i];
        if (skip && strcmp(fl->key, skip) == 0)
            continue;
        if (n++ > 0)
            fputc_unlocked(',', f);
        put_pair(f, fl, r->interned);
    }
    return n;
}

void ctl_json_record(FILE *f, const struct ctl_record *r) {
    fputc_unlocked('{', f);
    ctl_json_fields(f, r, NULL);
    fputc_unlocked('}', f);
}

void ctl_json_begin(FILE *f, bool ok, const char *status, const void *message, size_t message_len) {
    fprintf(f, "{\"ok\":%s,\"status\":", ok ? "true" : "false");
    ctl_json_cstring(f, status);
    fputs_unlocked(",\"message\":", f);
    ctl_json_string(f, message, message_len);
}
