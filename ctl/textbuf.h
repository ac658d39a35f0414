/*
 * textbuf.h — a growable run of bytes that output is built in before it
 * is written at once: the --json object of a status of 10,000 nodes is
 * 2.4 MB, and writing it field by field through stdio was 300,000 calls.
 */
#ifndef NINES_CTL_TEXTBUF_H
#define NINES_CTL_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct ctl_textbuf {
    char *p;
    size_t len, cap;
    bool oom; /* a growth failed: what came after it is missing */
};

/* Room for `more` bytes after len; false (and oom set) when out of memory. */
bool ctl_textbuf_grow(struct ctl_textbuf *b, size_t more);

static inline void ctl_textbuf_put(struct ctl_textbuf *b, const void *s, size_t n) {
    if (n == 0) /* nothing: and an empty buffer has no memory yet (memcpy's may not be NULL) */
        return;
    if (b->cap - b->len < n && !ctl_textbuf_grow(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static inline void ctl_textbuf_putc(struct ctl_textbuf *b, char c) {
    if (b->len == b->cap && !ctl_textbuf_grow(b, 1))
        return;
    b->p[b->len++] = c;
}

static inline void ctl_textbuf_puts(struct ctl_textbuf *b, const char *s) {
    ctl_textbuf_put(b, s, strlen(s));
}

void ctl_textbuf_free(struct ctl_textbuf *b);

#endif /* NINES_CTL_TEXTBUF_H */
