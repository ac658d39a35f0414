/*
 * exec_ready.h — the exec-ready process: the next start of an exec child,
 * made ahead by the launcher (LAUNCH_READY, lib/launch_proto.h).
 *
 * A restart through the launcher costs four hand-overs between processes
 * (ninesd -> launcher -> its clone -> ninesd) and the clone itself, each
 * a wake-up that may wait for a CPU. The exec-ready process is already
 * made: ninesd's child, its own process group, its own channel to ninesd,
 * holding nothing of anyone's (a clean fork of the launcher, made as the
 * forked worker hosts are, whose descriptors it closes:
 * worker/launch_ready.h). An exec child's start sends it the request, so the child's
 * pid is known at once and nothing else is on the way; the process then
 * prepares it exactly as the launcher would (its user, groups,
 * environment over the launcher's own, folder, PATH look-up, trust check)
 * and execs: one exec, as from the launcher.
 *
 * ninesd keeps at most one, asked for after each start of an exec child
 * (so a tree with no exec child never has one). A start finds it (or
 * not) and falls back to the launcher's clone when there is none (none
 * asked yet, or the one there died). A child with a cgroup: ninesd moves
 * the ready process into it before sending the request, so the cgroup
 * holds it before its program runs. Its channel is closed once the
 * request is sent: an exec child that cannot run its program says why on
 * its stderr and exits 126 or 127, as from the launcher's clone.
 *
 * The child's stdout and stderr are made when the process is, not at its
 * start: two pipes, their write ends sent to it then, ninesd keeping the
 * read ends (2 descriptors more, for the one idle process). A start then
 * makes no pipe and its request carries no descriptor.
 */
#ifndef NINES_EXEC_READY_H
#define NINES_EXEC_READY_H

/* How long after an exec child's start the next ready process is asked
 * for (off the CPUs the start's exec and its log want). */
#define EXEC_READY_DELAY_US 1000

#include <stdbool.h>
#include <sys/types.h>

#include "daemon.h"
#include "launch_proto.h"

struct exec_ready;

struct exec_ready *exec_ready_new(struct daemon *d);
/* Kill the idle one (if any) and drop every channel. */
void exec_ready_free(struct exec_ready *r);

/* Hold no idle process and none is asked for. */
bool exec_ready_wanted(const struct exec_ready *r);
void exec_ready_set_asked(struct exec_ready *r, bool asked);
/* The launcher made none (err): asked again after the next exec start,
 * never again when it cannot make clean forks (-ENOSYS: no clone3). */
void exec_ready_failed(struct exec_ready *r, int err);

/* A ready process the launcher made (pid, ninesd's end of its channel,
 * taken over). */
void exec_ready_offer(struct exec_ready *r, pid_t pid, int sock);

/* Start exec request `req` (LAUNCH_EXEC, with fds as launcher_spawn
 * takes them) in the idle ready process: 0 with *pid, or -ENOTCONN when
 * there is none (or it is gone): nothing happened, use the launcher. */
int exec_ready_spawn(struct exec_ready *r, const struct launch_request *req, const int *fds, pid_t *pid);

/* The idle one holds the next child's output, given to it ahead (two
 * pipes made once it was made, their write ends sent to it in a
 * LAUNCH_READY_OUTPUT: lib/launch_proto.h). */
bool exec_ready_has_output(const struct exec_ready *r);
/* Start `req` there with that output (nothing attached to the request;
 * moved into cgroup_fd's cgroup first unless it is -1): 0 with *pid and
 * the pipes' read ends in ends[0] (stdout), ends[1] (stderr), now the
 * caller's; -ENOTCONN when there is no such process (nothing happened). */
int exec_ready_spawn_given(struct exec_ready *r, const struct launch_request *req, int cgroup_fd, pid_t *pid,
                           int ends[2]);

/* The idle one's pid, or 0 (tests and status). */
pid_t exec_ready_pid(const struct exec_ready *r);

#endif
