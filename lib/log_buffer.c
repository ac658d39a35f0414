/*
 * log_buffer.c — see log_buffer.h.
 */
#include "log_buffer.h"

#include <string.h>

bool nines_log_buffer_add(struct nines_log_buffer *b, const char *bytes, size_t len) {
    if (len > sizeof b->data - b->len) {
        b->dropped++;
        return false;
    }
    memcpy(b->data + b->len, bytes, len);
    b->len += len;
    return true;
}

void nines_log_buffer_consume(struct nines_log_buffer *b, size_t n) {
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

uint64_t nines_log_buffer_take_dropped(struct nines_log_buffer *b) {
    if (b->len > 0)
        return 0;
    uint64_t dropped = b->dropped;
    b->dropped = 0;
    return dropped;
}
