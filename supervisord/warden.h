/*
 * warden.h — ninesd's side of the warden (worker/host_warden.h): the one
 * process that kills what ninesd's children leave behind when ninesd dies
 * without stopping them (SIGKILL, the OOM killer, a crash).
 *
 * ninesd tells it each child's process group as the child is spawned and
 * when its end is handled (one 4-byte send each, never blocking: the
 * warden reads them in batches). A warden that ends while ninesd runs is
 * started again a second later with the groups alive then. As PID 1 there
 * is none: when PID 1 dies the kernel kills its whole namespace.
 */
#ifndef NINES_WARDEN_H
#define NINES_WARDEN_H

#include <sys/types.h>

struct daemon;

/* Start the warden (d->worker_path --warden). Not fatal: a warden that
 * cannot start is logged, and ninesd runs without the guarantee. */
void warden_start(struct daemon *d);
void warden_add(struct daemon *d, pid_t pgid);
void warden_remove(struct daemon *d, pid_t pgid);
/* At ninesd's end: close the stream (the warden exits: nothing to kill). */
void warden_free(struct daemon *d);

#endif /* NINES_WARDEN_H */
