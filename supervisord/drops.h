/*
 * drops.h — what ninesd had to drop for a child, counted in its status and
 * said once per burst (issue 10; the burst rule is drop_burst.h).
 *
 * Two kinds are dropped by policy, each counted over the child's life
 * (struct node_info) and logged as one record with the count at the end
 * of its burst:
 *  - casts_dropped (casts.h): casts accepted for the child but never
 *    handed over — it was not running, or ended with them queued;
 *  - answers_dropped: answers to calls the child made that came after the
 *    process that made them had ended (restarted or stopped, and no
 *    rollback could give them to a restored one), or were still queued for
 *    it when it ended. The caller is gone: nobody waits for them.
 * (A third count, answers_lost, is what a rollback could not give back:
 * each such call was answered -ECONNABORTED, logged by calls_kept.c.)
 */
#ifndef NINES_DROPS_H
#define NINES_DROPS_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"

/* `n` of `kind` dropped for `node`: counted, and its burst said later. */
void drops_count(struct daemon *d, engine_node node, enum drop_kind kind, uint64_t n);

/* Log the bursts that have ended (all of them with `force`: the tree stops). */
void drops_log(struct daemon *d, bool force);

/* The engine freed `node`: its bursts not yet said are said now. */
void drops_forget_node(struct daemon *d, engine_node node);

#endif /* NINES_DROPS_H */
