/*
 * spare_rate.c — see spare_rate.h.
 */
#include "spare_rate.h"

/* Move the windows up to now: a window older than the one before is gone. */
static void roll(struct spare_rate *r, uint64_t now_ms) {
    if (now_ms < r->window_start_ms + SPARE_RATE_WINDOW_MS)
        return;
    uint64_t windows = (now_ms - r->window_start_ms) / SPARE_RATE_WINDOW_MS;
    r->prev = windows == 1 ? r->cur : 0;
    r->cur = 0;
    r->window_start_ms += windows * SPARE_RATE_WINDOW_MS;
}

void spare_rate_note(struct spare_rate *r, uint64_t now_ms) {
    if (r->window_start_ms == 0 && r->cur == 0 && r->prev == 0)
        r->window_start_ms = now_ms;
    roll(r, now_ms);
    if (r->cur < UINT32_MAX)
        r->cur++;
}

unsigned spare_rate_recent(const struct spare_rate *r, uint64_t now_ms) {
    struct spare_rate at = *r;
    roll(&at, now_ms);
    uint64_t into = now_ms > at.window_start_ms ? now_ms - at.window_start_ms : 0;
    uint64_t left = into < SPARE_RATE_WINDOW_MS ? SPARE_RATE_WINDOW_MS - into : 0;
    return at.cur + (unsigned)((uint64_t)at.prev * left / SPARE_RATE_WINDOW_MS);
}

unsigned spare_rate_target(unsigned recent) {
    unsigned n = 1 + recent / SPARE_STARTS_PER_SPARE;
    return n < SPARE_MAX ? n : SPARE_MAX;
}

uint64_t spare_refill_wait_us(bool tree_up, unsigned has, uint64_t started_us, uint64_t now_us) {
    if (!tree_up || has == 0 || now_us >= started_us + SPARE_REFILL_AFTER_US)
        return 0;
    return started_us + SPARE_REFILL_AFTER_US - now_us;
}
