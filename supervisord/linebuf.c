/*
 * linebuf.c — see linebuf.h.
 */
#include "linebuf.h"

#include <string.h>

static void emit(struct linebuf *b, linebuf_line_fn fn, void *userdata) {
    fn(userdata, b->data, b->len);
    b->len = 0;
}

void linebuf_feed(struct linebuf *b, const char *bytes, size_t len, linebuf_line_fn fn, void *userdata) {
    while (len > 0) {
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

int linebuf_priority(const char **line, size_t *len, int fallback) {
    const char *s = *line;
    if (*len >= 3 && s[0] == '<' && s[1] >= '0' && s[1] <= '7' && s[2] == '>') {
        *line += 3, *len -= 3;
        return s[1] - '0';
    }
    return fallback;
}
