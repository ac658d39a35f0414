/*
 * calls.h — messages between children, and from ninesctl to children,
 * routed by ninesd: OTP's gen_server call and cast by child path.
 *
 * A call gets exactly one answer: the callee's reply, or a failure that
 * says why — no such child, not running (or restarting), the callee ended
 * before replying (a crash), it does not handle calls, or the timeout.
 * Nothing waits forever and nobody's loop blocks: the caller (a worker's
 * host, or a control connection) gets the answer as a message. Requests,
 * answers and casts go through the child's send queue (child_send.h), so
 * a full channel delays them and never drops them. A cast is handed to
 * the child if it runs, and otherwise refused (the sender is told).
 */
#ifndef NINES_CALLS_H
#define NINES_CALLS_H

#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "daemon.h"
#include "proto.h"

void calls_free(struct daemon *d);

/* `ninesctl call PATH REQUEST`: the answer ends the request on `c`. */
void calls_from_control(struct daemon *d, struct control_conn *c, const char *path, const void *data,
                        size_t len, uint64_t timeout_ms);

/* `ninesctl cast`, or a worker's cast: CTL_ST_OK, or why not in `why`. */
enum ctl_status calls_cast(struct daemon *d, const char *path, const void *data, size_t len, char *why,
                           size_t size);

/* A worker's NINES_MSG_OUT_CALL or NINES_MSG_OUT_CAST. */
void calls_from_worker(struct daemon *d, engine_node node, uint64_t gen, const struct nines_msg *m);

/* A callee's NINES_MSG_REPLY or NINES_MSG_CALL_ERROR. */
void calls_on_answer(struct daemon *d, engine_node node, uint64_t gen, const struct nines_msg *m);

/* Worker node/gen ended: its pending calls fail with `why`, and answers
 * to the calls it made are no longer delivered (counted in its
 * answers_dropped, drops.h, unless kept for a rollback). */
void calls_on_exit(struct daemon *d, engine_node node, uint64_t gen, const struct nines_reason *why);

/* fn(arg, ref) for each call worker node/gen made that awaits its answer
 * (`ref`: the worker's own). */
void calls_each_pending_from(struct daemon *d, engine_node node, uint64_t gen, void (*fn)(void *, uint64_t),
                            void *arg);

/* The tree stops: every pending call fails. */
void calls_fail_all(struct daemon *d, const char *why);

#endif /* NINES_CALLS_H */
