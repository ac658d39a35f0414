/*
 * drop_burst.h — losses said once per burst (issue 10).
 *
 * Pure decisions, no system calls. Whatever ninesd drops for a child (a
 * cast to a child that is not running, casts still queued when it ended,
 * answers to a caller that ended) is counted in its status and logged —
 * but a storm of drops must not become a storm of log records. A burst
 * starts with the first drop and lasts DROP_BURST_MS; one record at its end
 * gives the count. A steady stream of drops thus costs one record per
 * DROP_BURST_MS per child, and a single drop is said within that time.
 */
#ifndef NINES_DROP_BURST_H
#define NINES_DROP_BURST_H

#include <stdbool.h>
#include <stdint.h>

#define DROP_BURST_MS 1000

/* What is dropped, each kind with a burst of its own (drops.h). */
enum drop_kind { DROP_CASTS, DROP_ANSWERS, DROP_KINDS };

struct drop_burst {
    uint64_t count;    /* dropped in the burst under way */
    uint64_t start_ms; /* when it began */
    bool open;
};

/* `n` more dropped at now_ms. True when that began a burst: its end is
 * due at drop_burst_due(). */
bool drop_burst_add(struct drop_burst *b, uint64_t n, uint64_t now_ms);

/* When the burst under way ends (0: none). */
uint64_t drop_burst_due(const struct drop_burst *b);

/* At now_ms: the count of a burst that has ended, to be logged (0 if
 * none has); that burst is closed. With `force`, the burst under way
 * ends now (the tree stops). */
uint64_t drop_burst_take(struct drop_burst *b, uint64_t now_ms, bool force);

#endif /* NINES_DROP_BURST_H */
