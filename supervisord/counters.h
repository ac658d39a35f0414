/*
 * counters.h — what `ninesctl metrics` counts that nothing else keeps:
 * per node its calls by outcome, the casts accepted for it and its live
 * upgrades by outcome (in struct node_info), and one histogram of call
 * latency for the whole daemon. Bumping them is the hot path's only cost:
 * a few increments, and a bucket found among CALL_LATENCY_BUCKETS bounds.
 * The histogram's arithmetic is pure; counters_now_us() reads the clock
 * (calls.c takes the loop's time of the turn instead: no read per call).
 */
#ifndef NINES_COUNTERS_H
#define NINES_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

enum call_outcome {
    CALL_REPLIED, /* the callee replied */
    CALL_ERROR,   /* the callee answered that it cannot (no handle_call, an error) */
    CALL_FAILED,  /* no answer: the timeout, or the callee ended first */
    CALL_OUTCOMES
};

enum upgrade_outcome {
    UPGRADE_OK,          /* swapped: the new code runs */
    UPGRADE_REFUSED,     /* the worker said no (load, check, export_state, code_change): old code goes on */
    UPGRADE_ROLLED_BACK, /* the worker ended during or right after a swap: restored on the old code */
    UPGRADE_FAILED,      /* anything else: not running, unreachable, ended and restarted by its supervisor */
    UPGRADE_OUTCOMES
};

struct node_counters {
    uint64_t calls[CALL_OUTCOMES]; /* calls made to the node, by how they ended */
    uint64_t casts;                /* casts accepted for it (handed over or queued) */
    uint32_t upgrades[UPGRADE_OUTCOMES];
};

/* Upper bounds of the latency buckets, microseconds (25 us to 10 s). */
#define CALL_LATENCY_BUCKETS 17
extern const uint64_t call_latency_bounds_us[CALL_LATENCY_BUCKETS];

struct call_latency {
    uint64_t bucket[CALL_LATENCY_BUCKETS + 1]; /* not cumulative; the last is +Inf */
    uint64_t count, sum_us;
};

/* Count one call of `us` microseconds. */
void call_latency_observe(struct call_latency *h, uint64_t us);
/* Calls of at most bound i (cumulative, as Prometheus' _bucket{le}). */
uint64_t call_latency_cumulative(const struct call_latency *h, int i);

const char *call_outcome_name(enum call_outcome o);
const char *upgrade_outcome_name(enum upgrade_outcome o);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t counters_now_us(void);

#endif /* NINES_COUNTERS_H */
