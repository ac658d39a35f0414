/*
 * counter.h — what the files of the counter example share.
 *
 * One set of sources, two versions: built plainly it is version 1 (the
 * state is one integer); built with -DCOUNTER_VERSION=2 it is version 2
 * (the integer plus the last HISTORY_LEN operations). The Makefile builds
 * both, counter.so and counter-2.so.
 *
 * Snapshot layouts (nines/snap.h, its version the layout's), both read
 * by both versions (counter_snapshot.c):
 *
 *   layout 1 (written by 1.0.0): i64 the value
 *   layout 2 (written by 2.0.0): i64 the value, then a count n (0..16)
 *     and n x { u8 kind (1 incr, 2 add, 3 set), i64 its argument (1 for
 *     incr) }, oldest first
 *
 * Version 1 reading layout 2 keeps the value and drops the history (the
 * downgrade); version 2 reading layout 1 starts with an empty history.
 * Anything else is refused with the reader's error and a log line saying
 * why.
 */
#ifndef NINES_EXAMPLE_COUNTER_H
#define NINES_EXAMPLE_COUNTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nines/module.h"

#ifndef COUNTER_VERSION
#define COUNTER_VERSION 1
#endif
#if COUNTER_VERSION == 1
#define COUNTER_VSN "1.0.0"
#elif COUNTER_VERSION == 2
#define COUNTER_VSN "2.0.0"
#else
#error "COUNTER_VERSION must be 1 or 2"
#endif

/* How many operations version 2 remembers. */
#define HISTORY_LEN 16

/* An operation that changes the counter; the numbers are the snapshot's. */
enum op_kind {
    OP_INCR = 1,
    OP_ADD = 2,
    OP_SET = 3,
};

struct op {
    enum op_kind kind;
    long long arg; /* 1 for OP_INCR */
};

/* The last HISTORY_LEN operations, a ring: the oldest at `first`. */
struct history {
    struct op ops[HISTORY_LEN];
    unsigned first, count;
};

struct counter {
    long long value;
#if COUNTER_VERSION >= 2
    struct history history; /* what was applied, by call or cast */
#endif
};

/* counter_history.c */
void history_add(struct history *h, const struct op *op);
const struct op *history_at(const struct history *h, unsigned i); /* 0: the oldest */
int op_format(const struct op *op, char *buf, size_t size);
void history_format(const struct history *h, char *buf, size_t size);

/* Longest text history_format() writes, NUL included: HISTORY_LEN times
 * "set -9223372036854775808" and a comma. */
#define HISTORY_TEXT_MAX (HISTORY_LEN * 26)

/* counter_snapshot.c */
int counter_export(nines_ctx *ctx, void *state, nines_buf *out);
int counter_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot,
                        size_t len, const char *extra, void **state);

#endif /* NINES_EXAMPLE_COUNTER_H */
