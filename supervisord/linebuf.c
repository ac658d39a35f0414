/*
 * linebuf.c — see linebuf.h.
 */
#include "linebuf.h"

#include <stdlib.h>
#include <string.h>

static void emit(struct linebuf *b, linebuf_line_fn fn, void *userdata) {
    fn(userdata, b->data, b->len);
    b->len = 0;
}

/* Nothing waits: whole lines (and pieces of NINES_LINE_MAX) go straight
 * from the input; the bytes it took, 0 for a partial line to keep. */
static size_t pass_through(const char *bytes, size_t len, linebuf_line_fn fn, void *userdata) {
    const char *nl = memchr(bytes, '\n', len < NINES_LINE_MAX ? len : NINES_LINE_MAX);
    if (nl) {
        fn(userdata, bytes, (size_t)(nl - bytes));
        return (size_t)(nl - bytes) + 1;
    }
    if (len >= NINES_LINE_MAX) {
        fn(userdata, bytes, NINES_LINE_MAX); /* too long: cut here */
        return NINES_LINE_MAX;
    }
    return 0;
}

void linebuf_feed(struct linebuf *b, const char *bytes, size_t len, linebuf_line_fn fn, void *userdata) {
    while (len > 0) {
        size_t done = b->len == 0 ? pass_through(bytes, len, fn, userdata) : 0;
        if (done) {
            bytes += done, len -= done;
            continue;
        }
        if (!b->data && !(b->data = malloc(NINES_LINE_MAX))) {
            fn(userdata, bytes, len < NINES_LINE_MAX ? len : NINES_LINE_MAX); /* no room: a line of its own */
            len -= len < NINES_LINE_MAX ? len : NINES_LINE_MAX;
            continue;
        }
        const char *nl = memchr(bytes, '\n', len);
        size_t take = nl ? (size_t)(nl - bytes) : len;
        size_t room = NINES_LINE_MAX - b->len;
        if (take >= room) {
            /* The line does not fit: cut it here and go on with the rest. */
            memcpy(b->data + b->len, bytes, room);
            b->len += room;
            emit(b, fn, userdata);
            bytes += room, len -= room;
            continue;
        }
        memcpy(b->data + b->len, bytes, take);
        b->len += take;
        bytes += take, len -= take;
        if (nl) {
            emit(b, fn, userdata);
            bytes++, len--;
        }
    }
}

void linebuf_flush(struct linebuf *b, linebuf_line_fn fn, void *userdata) {
    if (b->len > 0)
        emit(b, fn, userdata);
}

void linebuf_free(struct linebuf *b) {
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

int linebuf_priority(const char **line, size_t *len, int fallback) {
    const char *s = *line;
    if (*len >= 3 && s[0] == '<' && s[1] >= '0' && s[1] <= '7' && s[2] == '>') {
        *line += 3, *len -= 3;
        return s[1] - '0';
    }
    return fallback;
}
