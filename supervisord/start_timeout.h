/*
 * start_timeout.h — a module worker's init, or an exec child's wait for
 * READY=1 (`ready: notify`), bounded by its `start_timeout` tree key
 * (issue 16): a child that has not said READY when it expires is
 * killed, and its end is its start failing, naming the limit. Without
 * it, a hung init kept the worker starting forever and its supervisor,
 * which starts children one at a time (OTP's synchronous start), with it.
 */
#ifndef NINES_START_TIMEOUT_H
#define NINES_START_TIMEOUT_H

#include <stdint.h>

#include "reason.h"

struct child_proc;

/* At spawn: `ms` from now (0: never) the worker is killed unless
 * start_timeout_disarm() came first. 0 or -errno. */
int start_timeout_arm(struct child_proc *p, uint64_t ms);

/* At READY (and when p goes): the init returned in time. */
void start_timeout_disarm(struct child_proc *p);

/* At its end: a worker killed for its start_timeout ended because its
 * init failed, not because of the SIGKILL; *r is made so. */
void start_timeout_reason(const struct child_proc *p, struct nines_reason *r);

#endif
