/*
 * status_line.h — the text of ninesd's STATUS= (sd_notify: what `systemctl
 * status` shows under "Status:"), decided without the system: "running N
 * children" while every child is healthy (health.h), else what is wrong,
 * worst first:
 *
 *   crash-looping: web/listener crash-looping (killed by SIGSEGV); 1 of 3 children in trouble
 *   degraded: jobs/flaky failed (exit status 1), db degraded (killed by SIGKILL); 2 of 9 children in trouble
 *
 * A child is crash-looping when it ended in trouble twice within its
 * supervisor's period (the second end still counts); degraded after one
 * such end that still counts; failed while it is down after one.
 */
#ifndef NINES_STATUS_LINE_H
#define NINES_STATUS_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"

/* At most this many children are named; the rest are counted. */
#define STATUS_LINE_NAMED 3
#define STATUS_LINE_MAX 512

struct status_trouble {
    const char *path;
    enum nines_health health; /* degraded or failed */
    bool looping;
    const char *why; /* its last end, as status shows it; may be empty */
};

/* Two ends in trouble, the earlier `prev_ms` (0: none) still within
 * `period_ms` of now: crash-looping. Monotonic milliseconds. */
bool status_is_looping(uint64_t prev_trouble_ms, uint64_t now_ms, uint64_t period_ms);

/* Keep the worse of the troubles seen so far in `kept` (at most
 * STATUS_LINE_NAMED, worst first: looping, failed, degraded; ties in the
 * order seen). *n_kept is updated. */
void status_line_keep(struct status_trouble *kept, size_t *n_kept, const struct status_trouble *t);

/* The STATUS= text (without "STATUS="): `children` in the tree,
 * `troubled` of them in trouble, `named` of which are in `kept`. */
void status_line_render(size_t children, size_t troubled, const struct status_trouble *kept, size_t named,
                        char *buf, size_t size);

#endif /* NINES_STATUS_LINE_H */
