/*
 * render.h — the human output of ninesctl: the status tree, event lines,
 * the list of releases and the steps of a release upgrade. Pure apart
 * from writing to the FILE given, so a test renders into memory and
 * compares the exact text.
 */
#ifndef NINES_CTL_RENDER_H
#define NINES_CTL_RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "records.h"

/* "0s", "45s", "12m03s", "3h04m", "2d05h": two units at most, the larger
 * first, so a column of uptimes reads at a glance. Returns what
 * snprintf returns. */
int ctl_format_uptime(uint64_t ms, char *buf, size_t size);

struct ctl_status_summary {
    size_t children; /* records of children (every node but the root) */
    size_t down;     /* permanent children not running */
};

/* Count children and permanent ones not running. Pure. _add: one more
 * record counted into *s. */
void ctl_status_summarize(const struct ctl_records *rs, struct ctl_status_summary *out);
void ctl_status_summary_add(struct ctl_status_summary *s, const struct ctl_record *r);

/* The status table built as the records come, each record's row made
 * when it arrives (its cells copied), so the records need not be kept:
 * `ninesctl status` of 10,000 nodes held 7 MB of them. new: NULL when out
 * of memory; add: 0 or -ENOMEM; print: the table and the summary line
 * (as ctl_render_status), 0 or -ENOMEM (nothing printed). now_ms: what
 * "12s ago" counts from. */
struct ctl_status_rows;
struct ctl_status_rows *ctl_status_rows_new(int64_t now_ms);
int ctl_status_rows_add(struct ctl_status_rows *t, const struct ctl_record *r);
const struct ctl_status_summary *ctl_status_rows_summary(const struct ctl_status_rows *t);
int ctl_status_rows_print(FILE *out, const struct ctl_status_rows *t, bool color);
void ctl_status_rows_free(struct ctl_status_rows *t); /* accepts NULL */

/* Now, in ms since the epoch (CLOCK_REALTIME). */
int64_t ctl_now_ms(void);

/* The tree table, its header, and the summary line. With `color`, states
 * are coloured with ANSI escapes (the padding stays outside them). 0, or
 * -ENOMEM. */
int ctl_render_status(FILE *out, const struct ctl_records *rs, bool color);
/* The same, with the time "12s ago" counts from (ms since the epoch).
 * Columns WINDOW, LAST EXIT, CPU and MEM appear when a record has them. */
int ctl_render_status_at(FILE *out, const struct ctl_records *rs, bool color, int64_t now_ms);

/* One event record as "TIME LEVEL EVENT CHILD REASON ACTION msg". */
void ctl_render_event(FILE *out, const struct ctl_record *r);

/* release list: a table NAME VERSION STATUS, "* " before the name of the
 * release the tree runs (running=yes), then a summary line; "no
 * releases" for none. With `color`, statuses are coloured: permanent
 * green, current yellow, old dim. 0, or -ENOMEM. */
int ctl_render_releases(FILE *out, const struct ctl_records *rs, bool color);

/* One record of a running upgrade or downgrade, as a line:
 *   "  1/3 echo: WHAT ... ok (2 ms)" for phase=step,
 *   "  undo 1/3 echo: WHAT ... ok (1 ms)" for phase=undo,
 * with ": REASON" after a failure (WHAT: the record's `what`, else its
 * `kind`). With `color`, ok is green and failed red. False, and nothing
 * printed, for another phase. */
bool ctl_render_install_record(FILE *out, const struct ctl_record *r, bool color);

/* One child of `upgrade SUPERVISOR` (a phase=child or phase=undo record),
 * as a line; false (nothing printed) for other records. */
bool ctl_render_upgrade_child(FILE *out, const struct ctl_record *r, bool color);

/* A progress record of release unpack, make-permanent or remove:
 * "  PHASE KEY=VALUE..." (phase=verify -> "  verify"). */
void ctl_render_progress(FILE *out, const struct ctl_record *r);

#endif /* NINES_CTL_RENDER_H */
