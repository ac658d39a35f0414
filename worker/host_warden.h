/*
 * host_warden.h — `nines-worker --warden`: what stops a dead ninesd's
 * children's processes when ninesd could not (SIGKILL, OOM kill, a crash).
 *
 * ninesd starts one warden, in a process group of its own, deaf to the
 * signals a terminal or an impatient operator sends (TERM, INT, HUP,
 * QUIT), and without a parent-death signal: it is meant to outlive ninesd.
 * Over a stream socket (fd 3) ninesd tells it each child's process group
 * as the child starts (a positive int32) and when it has ended (negative).
 * When the stream ends — ninesd is gone, however it went — the warden
 * SIGKILLs every group it still knows, and every child cgroup ninesd made
 * (cgroup.kill) when it was given the folder they are in, then exits.
 * A normal exit of ninesd has stopped every child first: nothing is left
 * to kill.
 */
#ifndef NINES_HOST_WARDEN_H
#define NINES_HOST_WARDEN_H

#define NINES_WARDEN_FD 3

/* argv after "--warden": [--cgroups DIR]. The process's exit status. */
int host_warden_main(int argc, char **argv);

#endif /* NINES_HOST_WARDEN_H */
