/*
 * textbuf.c — see textbuf.h.
 */
#include <stdlib.h>

#include "textbuf.h"

bool ctl_textbuf_grow(struct ctl_textbuf *b, size_t more) {
    if (b->oom)
        return false;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void ctl_textbuf_free(struct ctl_textbuf *b) {
    free(b->p);
    *b = (struct ctl_textbuf){0};
}
