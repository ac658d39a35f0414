/*
 * drop_burst.c — one log record per burst of drops (see drop_burst.h).
 */
#include "drop_burst.h"

bool drop_burst_add(struct drop_burst *b, uint64_t n, uint64_t now_ms) {
    if (n == 0)
        return false;
    bool began = !b->open;
    if (began)
        *b = (struct drop_burst){.count = 0, .start_ms = now_ms, .open = true};
    b->count += n;
    return began;
}

uint64_t drop_burst_due(const struct drop_burst *b) {
    return b->open ? b->start_ms + DROP_BURST_MS : 0;
}

uint64_t drop_burst_take(struct drop_burst *b, uint64_t now_ms, bool force) {
    if (!b->open || (!force && now_ms < b->start_ms + DROP_BURST_MS))
        return 0;
    uint64_t n = b->count;
    *b = (struct drop_burst){0};
    return n;
}
