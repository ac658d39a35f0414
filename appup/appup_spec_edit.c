/*
 * appup_spec_edit.c — appups added to a spec's text (appup_spec_edit.h).
 * Pure: text in, text out. The caller loads the result with the manifest
 * loader before writing it, so an edit that went wrong is never written.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appup_spec_edit.h"

/* A growing string. */
struct out {
    char *s;
    size_t len, cap;
    bool failed;
};

static void put(struct out *o, const char *s, size_t n) {
    if (o->failed)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = (o->len + n + 1) * 2;
        char *p = realloc(o->s, cap);
        if (!p) {
            o->failed = true;
            return;
        }
        o->s = p, o->cap = cap;
    }
    memcpy(o->s + o->len, s, n);
    o->len += n;
    o->s[o->len] = '\0';
}

static void puts_(struct out *o, const char *s) {
    put(o, s, strlen(s));
}

/* A path as a YAML scalar: plain when it can be, else double-quoted. */
static void put_path(struct out *o, const char *p) {
    if (p[0] && strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-") == strlen(p) &&
        p[0] != '-') {
        puts_(o, p);
        return;
    }
    puts_(o, "\"");
    for (; *p; p++) {
        if (*p == '"' || *p == '\\')
            puts_(o, "\\");
        put(o, p, 1);
    }
    puts_(o, "\"");
}

static void put_list(struct out *o, const char *const *paths, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (i)
            puts_(o, ", ");
        put_path(o, paths[i]);
    }
}

static size_t line_len(const char *p) {
    return strcspn(p, "\n");
}

static const char *skip_blanks(const char *p) {
    return p + strspn(p, " \t");
}

/* Whether the line at p is blank or only a comment. */
static bool is_filler(const char *p) {
    p = skip_blanks(p);
    return *p == '\n' || *p == '\0' || *p == '#';
}

/* The top-level line "appups:" or NULL. */
static const char *find_key(const char *text) {
    for (const char *p = text; *p; p += line_len(p) + (p[line_len(p)] == '\n')) {
        if (strncmp(p, "appups:", 7) == 0)
            return p;
        if (!p[line_len(p)])
            break;
    }
    return NULL;
}

/* Block items after the key's line: where the last one's line ends, and
 * its indent; NULL when there is none. */
static const char *last_item(const char *after, size_t *indent) {
    const char *end = NULL;
    for (const char *p = after; *p; p += line_len(p) + (p[line_len(p)] == '\n')) {
        const char *t = skip_blanks(p);
        if (!is_filler(p)) {
            bool item = *t == '-' && (t[1] == ' ' || t[1] == '\n' || t[1] == '\0');
            if (!item || (end && (size_t)(t - p) != *indent))
                break;
            *indent = (size_t)(t - p);
            end = p + line_len(p);
        }
        if (!p[line_len(p)])
            break;
    }
    return end;
}

int nines_spec_add_appups(const char *text, const char *const *paths, size_t n, char **out, char *why,
                          size_t why_size) {
    struct out o = {0};
    const char *key = find_key(text);
    *out = NULL;
    if (!key) {
        puts_(&o, text);
        if (o.len && o.s[o.len - 1] != '\n')
            puts_(&o, "\n");
        puts_(&o, "appups: [");
        put_list(&o, paths, n);
        puts_(&o, "]\n");
    } else {
        const char *value = skip_blanks(key + 7), *eol = key + line_len(key);
        size_t indent = 0;
        const char *next = *eol ? eol + 1 : eol;
        const char *items = *value == '\n' || *value == '#' || !*value ? last_item(next, &indent) : NULL;
        if (*value == '[') {
            const char *close = memchr(value, ']', (size_t)(eol - value));
            if (!close) {
                snprintf(why, why_size, "its appups: is a flow sequence over several lines");
                return -1;
            }
            put(&o, text, (size_t)(close - text));
            if (*skip_blanks(value + 1) != ']')
                puts_(&o, ", ");
            put_list(&o, paths, n);
            puts_(&o, close);
        } else if (items) {
            put(&o, text, (size_t)(items - text));
            for (size_t i = 0; i < n; i++) {
                puts_(&o, "\n");
                for (size_t k = 0; k < indent; k++)
                    puts_(&o, " ");
                puts_(&o, "- ");
                put_path(&o, paths[i]);
            }
            puts_(&o, items);
        } else if (*value == '\n' || *value == '#' || !*value || strncmp(value, "null", 4) == 0 ||
                   *value == '~') {
            put(&o, text, (size_t)(key - text));
            puts_(&o, "appups: [");
            put_list(&o, paths, n);
            puts_(&o, "]");
            puts_(&o, eol);
        } else {
            snprintf(why, why_size, "its appups: is not a sequence");
            return -1;
        }
    }
    if (o.failed) {
        free(o.s);
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    *out = o.s;
    return 0;
}
