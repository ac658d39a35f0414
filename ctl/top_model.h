/*
 * top_model.h — what `ninesctl top` shows, decided without a terminal:
 * one row per node from a `status PATH resources` answer, CPU as a share
 * of one core since the previous sample, sorted by the key the user
 * chose (the tree's order by default).
 */
#ifndef NINES_CTL_TOP_MODEL_H
#define NINES_CTL_TOP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"

enum top_sort { TOP_SORT_TREE, TOP_SORT_CPU, TOP_SORT_MEM, TOP_SORT_RESTARTS, TOP_SORT_QUEUED };

struct top_row {
    const struct ctl_record *record;             /* the node's, for its colour */
    const char *path, *kind, *state, *last_exit; /* into the records */
    int pid;                                     /* 0: no process */
    uint64_t cpu_ms, rss_kib, restarts, queued;
    int cpu_permille; /* of one core since the last sample; -1 when unknown */
    size_t order;     /* in the tree */
};

struct top_sample {
    struct top_row *rows;
    size_t n;
    int64_t at_ms; /* monotonic, when taken */
};

/* Rows from records (borrowed: keep them while the sample lives), CPU
 * shares against `prev` (NULL for the first). 0 or -ENOMEM. */
int top_sample_build(struct top_sample *s, const struct ctl_records *rs, int64_t at_ms,
                     const struct top_sample *prev);
void top_sample_sort(struct top_sample *s, enum top_sort key);
void top_sample_free(struct top_sample *s);

/* The order a keystroke picks: 'c' CPU, 'm' memory, 'r' restarts,
 * 'u' queued messages, 't' the tree; -1 for any other key. */
int top_sort_for_key(int key);
const char *top_sort_name(enum top_sort key); /* "cpu", "mem", ... */

#endif
