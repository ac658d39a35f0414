/*
 * launcher.h — ninesd's end of its fork server (`nines-worker
 * --launcher`, worker/launcher.h; the protocol is lib/launch_proto.h).
 *
 * ninesd starts the launcher before the tree, while its own descriptor
 * table is small, and spawns every child through it: a spawn then costs
 * the same whatever the tree's size (from ninesd itself it copies ninesd's
 * whole descriptor table, and the exec closes each of them again).
 *
 * A spawn is one request, waited for in place until the new child says
 * its pid (or, for the spare pool, answered later: launcher_spawn_async), so the pid is known before the loop looks at any child's end;
 * its exec then goes on beside ninesd (one hand-over each way, where
 * posix_spawn from ninesd would wait for the exec). The launcher's
 * LAUNCH_DONE comes later, read by a source that goes before the
 * reaper's: when the exec failed (that child exits 127 at once), its end
 * is reported as a spawn failure with the exec's errno
 * (launcher_exec_error). The children are ninesd's own (CLONE_PARENT).
 * A worker host's request (lib/launch_proto.h: launch_request_forkable)
 * is marked LAUNCH_FORK unless --exec-hosts: the launcher makes it a fork
 * of its own already linked image (worker/launch_fork.c).
 *
 * The launcher may die (killed by hand, out of memory): no child is lost.
 *   - Dead before the request is read, or before it made the child: no
 *     child exists (or one that already died, reaped as an orphan); the
 *     request is sent again to a new launcher, once, then ninesd spawns
 *     directly.
 *   - Dead after making the child: the child said its pid itself
 *     (LAUNCH_CHILD_PID) before its exec, and ninesd took it as spawned;
 *     also when that pid and the end of the channel are read together
 *     (ninesd had no CPU between them): a launcher is only declared lost
 *     once everything it and its children said is taken.
 *   - A launcher that does not answer within LAUNCHER_TIMEOUT_MS is killed
 *     and handled as dead. A child it was making that comes to say its
 *     pid after that finds the channel shut (lost() shuts it before it
 *     takes the last answers) and exits 127 unrun: its request is asked
 *     again, and must not run twice.
 * A dead launcher is replaced at the next spawn; one that keeps dying
 * (three times within a second of its start) is given up for 10 s, and
 * ninesd spawns directly meanwhile: slower with a large tree, never
 * broken.
 */
#ifndef NINES_LAUNCHER_H
#define NINES_LAUNCHER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon.h"
#include "launch_proto.h"

#define LAUNCHER_TIMEOUT_MS 10000

struct launcher;

/* Start the launcher (failure is not fatal: spawns are then direct). */
void launcher_start(struct daemon *d);

/* Spawn `req` with fds (four: stdout, stderr, with LAUNCH_CHANNEL the
 * child's channel end, with LAUNCH_CGROUP its cgroup.procs) through the launcher: 0 with *pid, -ENOTCONN when
 * there is no launcher to use (spawn directly instead: nothing happened),
 * another -errno when the spawn itself failed. The caller keeps fds. */
int launcher_spawn(struct daemon *d, const struct launch_request *req, const int *fds, pid_t *pid);

/* An exec child (LAUNCH_EXEC, no channel) started in the exec-ready
 * process with the output given to it ahead (exec_ready.h), moved into
 * cgroup_fd's cgroup first unless it is -1: 0 with *pid and the read ends
 * of its stdout and stderr in ends[0], ends[1] (the caller's); -ENOTCONN
 * when there is no such process (nothing happened: make pipes and use
 * launcher_spawn). */
int launcher_spawn_given(struct daemon *d, const struct launch_request *req, int cgroup_fd, pid_t *pid,
                         int ends[2]);

/* Called once for a request of launcher_spawn_async: with the child's pid
 * and 0 once it said it (its exec is under way), or with 0 and -errno when
 * no child was made (a failed clone, or the launcher was lost first). */
typedef void (*launcher_fn)(void *userdata, pid_t pid, int err);

/* The same without waiting (the spare pool's: a boot's refills then go on
 * beside the starts instead of holding the loop for each clone): 0 once
 * sent, fn called later from the loop (or from within another launcher
 * call, which hands on the answers of the requests before its own);
 * -ENOTCONN when there is no launcher, fn never called. A child is only
 * made known through fn: the reaper asks for the answers already there
 * (launcher_claim) before it takes an unknown end for an orphan's. */
int launcher_spawn_async(struct daemon *d, const struct launch_request *req, const int *fds, launcher_fn fn,
                         void *userdata);

/* Wait in place until the requests of launcher_spawn_async for
 * `userdata` have had their answer (fn called: with the child's pid, or
 * with an error when the launcher was lost or hung first): 0, or -errno
 * when the launcher was lost meanwhile. The answers of the requests
 * before them are handed on meanwhile. A start with no spare ready but
 * one asked for waits for it (spare_await) instead of asking for a host
 * of its own, whose answer would come after that one's. */
int launcher_await(struct daemon *d, void *userdata);

/* fn is no longer called for requests of `userdata` (its owner is gone):
 * a child they still make is reaped as an orphan when it ends. */
void launcher_cancel(struct daemon *d, void *userdata);

/* Take the launcher's answers that are there now (reaper_set_claim). */
void launcher_claim(struct daemon *d);

/* The errno (negative) of child pid's failed exec, if the launcher said
 * so, else 0: its end is then a spawn failure, not an exit 127. */
int launcher_exec_error(const struct daemon *d, pid_t pid);

/* The idle exec-ready process's pid (exec_ready.h), or 0 (tests). */
pid_t launcher_ready_pid(const struct daemon *d);

/* The launcher's pid, or 0 (tests and status). */
pid_t launcher_pid(const struct daemon *d);

/* Close the channel (the launcher exits) and reap it. */
void launcher_stop(struct daemon *d);

#endif
