/*
 * counters.c — see counters.h.
 */
#include "counters.h"

#include <time.h>

const uint64_t call_latency_bounds_us[CALL_LATENCY_BUCKETS] = {
    25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 10000000,
};

void call_latency_observe(struct call_latency *h, uint64_t us) {
    int i = 0;
    while (i < CALL_LATENCY_BUCKETS && us > call_latency_bounds_us[i])
        i++;
    h->bucket[i]++;
    h->count++;
    h->sum_us += us;
}

uint64_t call_latency_cumulative(const struct call_latency *h, int i) {
    uint64_t n = 0;
    for (int k = 0; k <= i && k <= CALL_LATENCY_BUCKETS; k++)
        n += h->bucket[k];
    return n;
}

const char *call_outcome_name(enum call_outcome o) {
    static const char *const names[CALL_OUTCOMES] = {"replied", "error", "failed"};
    return o < CALL_OUTCOMES ? names[o] : "?";
}

const char *upgrade_outcome_name(enum upgrade_outcome o) {
    static const char *const names[UPGRADE_OUTCOMES] = {"ok", "refused", "rolled_back", "failed"};
    return o < UPGRADE_OUTCOMES ? names[o] : "?";
}

uint64_t counters_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
