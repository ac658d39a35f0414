/*
 * output_limit.h — how much of a child's output the daemon takes per wake-up
 * and how much of it it logs.
 *
 * Pure decisions, no system calls. A child that writes faster than the
 * daemon can read must not keep the event loop to itself: each readiness
 * event reads at most a budget of bytes, then the loop serves everyone else
 * (the pipe stays readable, so the rest comes on a later turn). And a child
 * that writes more lines than can be logged is rate-limited, as journald
 * does: a burst of lines per interval is logged, the rest is read and
 * dropped, and the number dropped is reported once the interval ends.
 */
#ifndef NINES_OUTPUT_LIMIT_H
#define NINES_OUTPUT_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes read from one output pipe per readiness event. */
#define NINES_OUTPUT_READ_BUDGET (64 * 1024)
/* Bytes read from a dead child's pipe at its end (it cannot refill it,
 * but a grandchild holding the pipe could). */
#define NINES_OUTPUT_EXIT_BUDGET (1024 * 1024)
/* Lines of one child (stdout and stderr together) logged per interval. */
#define NINES_OUTPUT_BURST 10000
#define NINES_OUTPUT_INTERVAL_MS 30000

/* How many bytes to ask read() for next, having read `done` of `budget`
 * in this turn, with a buffer of `bufsize`: 0 means yield to the loop. */
size_t output_read_size(size_t done, size_t budget, size_t bufsize);

struct output_rate {
    uint64_t start_ms; /* when the current interval began */
    uint64_t lines;    /* lines seen in it */
    uint64_t dropped;  /* of those, not logged */
};

enum output_verdict {
    OUTPUT_LOG,        /* log the line */
    OUTPUT_LOG_LIMIT,  /* log the line, then say the rest is dropped */
    OUTPUT_DROP,       /* drop it (counted) */
};

/* One line at now_ms. If an interval with drops ended, *ended_dropped is
 * set to that interval's drop count (to report before this line), else 0. */
enum output_verdict output_rate_line(struct output_rate *r, uint64_t now_ms, uint64_t *ended_dropped);

/* The child's end: the drops of the current interval not yet reported
 * (0 if none); resets the count. */
uint64_t output_rate_flush(struct output_rate *r);

#endif /* NINES_OUTPUT_LIMIT_H */
