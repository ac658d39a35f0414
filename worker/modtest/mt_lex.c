/*
 * mt_lex.c — a script line as words: separated by blanks, '#' starts a
 * comment, "..." a word with C escapes (\n \r \t \0 \\ \" \xHH) that may
 * hold blanks and any byte.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "modtest.h"

static int hex(char c) {
    return isdigit((unsigned char)c) ? c - '0' : isxdigit((unsigned char)c) ? (tolower((unsigned char)c) - 'a' + 10) : -1;
}

/* The escape at *p (after the backslash) into *out; false if invalid. */
static bool escape(const char **p, char *out) {
    const char *map = "n\nr\rt\t0\0\\\\\"\"";
    for (size_t i = 0; i < 12; i += 2)
        if (**p == map[i]) {
            *out = map[i + 1];
            (*p)++;
            return true;
        }
    if (**p == 'x' && hex((*p)[1]) >= 0 && hex((*p)[2]) >= 0) {
        *out = (char)(hex((*p)[1]) * 16 + hex((*p)[2]));
        *p += 3;
        return true;
    }
    return false;
}

int mt_lex(const char *text, struct mt_line *out, char *why, size_t why_size) {
    const char *p = text;
    size_t used = 0;
    out->n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '\n' || *p == '#')
            return 0;
        unsigned col = (unsigned)(p - text) + 1;
        if (out->n == MT_MAX_WORDS) {
            snprintf(why, why_size, "%u: more than %d words", col, MT_MAX_WORDS);
            return -1;
        }
        struct mt_word *w = &out->w[out->n++];
        *w = (struct mt_word){.text = out->buf + used, .col = col};
        bool quoted = *p == '"';
        if (quoted)
            p++;
        while (*p && *p != '\n' && (quoted ? *p != '"' : (*p != ' ' && *p != '\t'))) {
            char c = *p++;
            if (quoted && c == '\\' && !escape(&p, &c)) {
                snprintf(why, why_size, "%u: unknown escape \\%c (known: \\n \\r \\t \\0 \\\\ \\\" \\xHH)",
                         (unsigned)(p - text) + 1, *p ? *p : ' ');
                return -1;
            }
            if (used + 2 > sizeof out->buf) {
                snprintf(why, why_size, "%u: the line is too long", col);
                return -1;
            }
            out->buf[used++] = c;
        }
        if (quoted && *p++ != '"') {
            snprintf(why, why_size, "%u: the quoted word does not end", col);
            return -1;
        }
        w->len = (size_t)(out->buf + used - w->text);
        out->buf[used++] = '\0';
    }
}
