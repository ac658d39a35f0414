/*
 * launch_ready.h — the launcher's exec-ready processes (LAUNCH_READY,
 * lib/launch_proto.h; ninesd's end is supervisord/exec_ready.h).
 *
 * Asked for by a LAUNCH_READY request, the launcher makes a clean fork of
 * itself (launch_fork_sibling: ninesd's child, glibc's thread state as a
 * fork's) with a channel of its own, and answers LAUNCH_READY_PID with
 * its pid and ninesd's end of that channel. The new process shows
 * `nines-worker --ready`, takes its own process group, keeps only
 * /dev/null and its channel, ties its life to ninesd's, and waits for one
 * LAUNCH_EXEC request with the child's stdout and stderr (attached to the
 * request, or given ahead by a LAUNCH_READY_OUTPUT before it); it then
 * prepares and runs it exactly as the launcher's clone would
 * (launch_job_prepare, launch_job_exec), only without saying its pid:
 * ninesd knew it before it sent the request. A request it cannot run is
 * said on the child's stderr and ends in exit 127; the end of its channel
 * before any request (ninesd let it go) ends it with 0.
 */
#ifndef NINES_WORKER_LAUNCH_READY_H
#define NINES_WORKER_LAUNCH_READY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What the new process takes from the launcher. */
struct launch_ready {
    int launcher_sock; /* the launcher's channel: answered on, closed in the new process */
    int devnull;       /* kept: the child's stdin */
    int home;          /* the launcher's folder: closed in the new process */
    pid_t ninesd;
    const char *path;  /* what ps shows before "--ready" (the launcher's file) */
    uint8_t *buf;      /* room for one request, and its strings' slots */
    size_t buf_size;
    const char **slots;
    size_t n_slots;
};

/* Make one exec-ready process and answer for it on r->launcher_sock
 * (LAUNCH_READY_PID, or LAUNCH_DONE with -errno when none could be
 * made): 0, or -1 when the answer could not be sent (ninesd is gone). */
int launch_ready_serve(const struct launch_ready *r);

#endif
