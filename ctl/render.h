/*
 * render.h — the human output of ninesctl: the status tree and event
 * lines. Pure apart from writing to the FILE given, so a test renders
 * into memory and compares the exact text.
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

/* Count children and permanent ones not running. Pure. */
void ctl_status_summarize(const struct ctl_records *rs, struct ctl_status_summary *out);

/* The tree table, its header, and the summary line. With `color`, states
 * are coloured with ANSI escapes (the padding stays outside them). 0, or
 * -ENOMEM. */
int ctl_render_status(FILE *out, const struct ctl_records *rs, bool color);

/* One event record as "TIME LEVEL EVENT CHILD REASON ACTION msg". */
void ctl_render_event(FILE *out, const struct ctl_record *r);

#endif /* NINES_CTL_RENDER_H */
