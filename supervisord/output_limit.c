/*
 * output_limit.c — see output_limit.h.
 */
#include "output_limit.h"

size_t output_read_size(size_t done, size_t budget, size_t bufsize) {
    if (done >= budget)
        return 0;
    size_t left = budget - done;
    return left < bufsize ? left : bufsize;
}

enum output_verdict output_rate_line(struct output_rate *r, uint64_t now_ms, uint64_t *ended_dropped) {
    *ended_dropped = 0;
    if (r->lines == 0 || now_ms < r->start_ms || now_ms - r->start_ms >= NINES_OUTPUT_INTERVAL_MS) {
        *ended_dropped = r->dropped;
        *r = (struct output_rate){.start_ms = now_ms};
    }
    r->lines++;
    if (r->lines < NINES_OUTPUT_BURST)
        return OUTPUT_LOG;
    if (r->lines == NINES_OUTPUT_BURST)
        return OUTPUT_LOG_LIMIT;
    r->dropped++;
    return OUTPUT_DROP;
}

uint64_t output_rate_flush(struct output_rate *r) {
    uint64_t dropped = r->dropped;
    r->dropped = 0;
    return dropped;
}
