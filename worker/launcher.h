/*
 * launcher.h — `nines-worker --launcher`: ninesd's fork server
 * (lib/launch_proto.h has the protocol, supervisord/launcher.h the other end).
 *
 * ninesd starts it first, while its own descriptor table is small, and
 * hands it every spawn: starts, restarts, spare hosts, exec children. It
 * holds its channel to ninesd (fd 3), /dev/null and the descriptors of the
 * one request in hand, so creating a child copies a handful of descriptors
 * whatever the size of the tree. Children are ninesd's (CLONE_PARENT:
 * ninesd reaps and signals them, and their parent-death signal is
 * ninesd's death). A worker host (a spare, a module worker: LAUNCH_FORK)
 * is a fork of the launcher itself, which is nines-worker already linked:
 * no exec, no dynamic loader (launch_fork.c), unless its file on disk is
 * no longer the launcher's image (a release replaced it: that host is
 * exec'd, and the launcher then execs the new file itself, same pid and
 * channel) or ninesd runs with --exec-hosts. Anything else is created
 * with clone(CLONE_PARENT | CLONE_VM | CLONE_VFORK) and the launcher
 * waits for its exec as posix_spawn would. An exec child's program is
 * exec'd straight from there, after its user, groups, environment and
 * folder are set: one exec instead of two (nines-worker --exec, then the
 * program).
 *
 * Everything that may allocate or read files (the user database, the PATH
 * look-up, the trust check, the environment) is done in the launcher
 * before the clone; the child only makes system calls. The launcher dies
 * with ninesd (PR_SET_PDEATHSIG) and exits when its channel closes.
 */
#ifndef NINES_WORKER_LAUNCHER_H
#define NINES_WORKER_LAUNCHER_H

/* Run the launcher on fd 3 until ninesd closes it: 0, or 1 on a broken
 * channel or a start that cannot be made. argv is main's (`PATH
 * --launcher PADDING`: the padding is room for the titles of the hosts
 * forked from it); `host` the worker host's main, which a forked host
 * runs (launch_fork.c). */
int launcher_main(int argc, char **argv, int (*host)(int argc, char **argv));

#endif
