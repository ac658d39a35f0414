/*
 * casts.h — casts with a bound per destination, and backpressure to the
 * sender instead of a silent drop (issue 10).
 *
 * At most the worker's `max_queued_casts` (its tree key, 4,096 by
 * default: NINES_MAX_QUEUED_CASTS) casts should wait in ninesd for it
 * (in its send queue, child_send.h). At that bound:
 *  - a cast from `ninesctl cast` is refused right away (CTL_ST_REFUSED,
 *    "try again later");
 *  - a cast from a worker is still queued (it was accepted from that
 *    sender), and the sender is told the destination is busy
 *    (NINES_MSG_CAST_FLOW): from then on its host refuses its
 *    nines_cast() to that path with -EAGAIN, until ninesd says the
 *    destination drained (to half its bound) or ended. Only what was
 *    already on the way when a sender was told goes past the bound.
 * Nothing vanishes: the application decides what to do with -EAGAIN.
 *
 * Per destination, for `ninesctl status`: casts_queued (waiting in
 * ninesd), casts_refused (refused to `ninesctl cast`, and by a sending
 * worker's host, whose application saw each -EAGAIN: the host tells
 * ninesd how many, NINES_MSG_CASTS_REFUSED), casts_dropped
 * (accepted but never handed over: the destination was not running, or
 * ended with casts still waiting; logged once per burst with the count).
 * The counts live as long as the child, across its restarts.
 */
#ifndef NINES_CASTS_H
#define NINES_CASTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "daemon.h"

struct child_proc;

/* A sender told that a destination is busy: by gen too, so a new node in
 * its number is never told the destination is free again. */
struct casts_told {
    engine_node node;
    uint64_t gen;
};

/* `ninesctl cast`: CTL_ST_OK, or why not in `why`. */
enum ctl_status casts_from_control(struct daemon *d, const char *path, const void *data, size_t len, char *why,
                                   size_t size);

/* A worker's NINES_MSG_OUT_CAST, already split into path and data. */
void casts_from_worker(struct daemon *d, engine_node node, uint64_t gen, const char *path, const void *data,
                       size_t len);

/* A worker's NINES_MSG_CASTS_REFUSED: its host refused that many of its
 * casts to PATH (told busy): counted in PATH's casts_refused. */
void casts_refused_by_worker(struct daemon *d, const uint8_t *payload, size_t len);

/* `p`'s queue took some casts: below half its bound, its senders go on. */
void casts_drained(struct child_proc *p);

/* `p` is ending: its senders go on, and the casts still queued for it
 * are counted dropped (and logged), and so are the answers queued for it
 * (answers_dropped, drops.h) unless they are kept for a rollback. */
void casts_on_exit(struct child_proc *p);

/* `n` casts for node `n` dropped: counted in its casts_dropped and
 * logged once per burst (drops.h), as one casts_dropped record with
 * the count. */
void casts_count_dropped(struct daemon *d, engine_node node, uint64_t n);

#endif /* NINES_CASTS_H */
