/*
 * calls_kept.h — the answers to a worker's nines_call()s, kept while that
 * worker may still be rolled back (upgrade.h), so that the worker restored
 * on its old code gets one answer for each call its hand-off lists.
 *
 * The hand-off lists the calls the old code had outstanding when it
 * exported its state. An answer ninesd sent after that went to the new
 * code — read by it (a stale restore follows), or still in its channel or
 * in ninesd's queue for it when it died — and went with that process. So
 * while an upgrade of the worker is in flight, or its hand-off is still a
 * safety net, every answer sent to it (a reply, or an error such as
 * -ETIMEDOUT) is copied here; when the worker is restored, each listed
 * call that ninesd no longer has pending is answered again from its copy.
 * The copies of one worker hold at most CALLS_KEPT_MAX_BYTES (answers
 * and their bookkeeping): a worker that is sent more while it may be
 * rolled back, or ninesd out of memory, has no copy of the rest. Each
 * listed call without one is answered -ECONNABORTED when the worker is
 * restored — never silence, never twice —, counted in the worker's
 * answers_lost (status, metrics) and logged as one call_answers_lost
 * record with the count. The copies go when the rollback is no longer
 * possible.
 */
#ifndef NINES_CALLS_KEPT_H
#define NINES_CALLS_KEPT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "proto.h"

#define CALLS_KEPT_MAX_BYTES (4u << 20)

enum calls_kept_result {
    CALLS_KEPT_NOT_NEEDED, /* the worker cannot be rolled back: no copy is needed */
    CALLS_KEPT_COPIED,
    CALLS_KEPT_NO_ROOM,    /* over the bound, or out of memory: a restore answers it -ECONNABORTED */
};

/* An answer (NINES_MSG_CALL_RESULT or _FAILED) for the call `ref` of
 * worker node/gen, sent or about to be: copied if that worker may still be
 * rolled back (upgrade_rollback_possible). */
enum calls_kept_result calls_kept_add(struct daemon *d, engine_node node, uint64_t gen, uint32_t type, uint64_t ref,
                    const void *data, size_t len);

/* Node's copies are no longer needed: its rollback is over or impossible. */
void calls_kept_forget(struct daemon *d, engine_node node);

/* Worker p (node, gen) was restored from a hand-off listing `calls`
 * (sorted here, and their tags used as marks: the table was sent): send
 * the answer of each one ninesd has no longer pending, from its copy or as
 * an error. The copies are kept until calls_kept_forget. */
void calls_kept_resend(struct daemon *d, struct child_proc *p, struct nines_handoff_call *calls, size_t n);

void calls_kept_free(struct daemon *d);

#endif /* NINES_CALLS_KEPT_H */
