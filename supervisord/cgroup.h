/*
 * cgroup.h — a cgroup per child, where ninesd has a cgroup of its own to
 * divide (systemd's Delegate=yes, a container's cgroup, --cgroups on).
 *
 * Each child runs in BASE/child-PATH (cgroup_rule.h), BASE being the
 * cgroup ninesd was started in; ninesd itself stays in BASE and enables
 * no controller there. A child joins its cgroup before its program runs
 * (the launcher's new process writes to the cgroup.procs descriptor it is
 * handed; spawned directly or taken from the spare pool, ninesd moves it
 * right after the spawn, before the spare is told what to run). When the
 * child's main process ends, or its grace runs out, its whole cgroup is
 * killed (cgroup.kill, or each of its processes where the kernel has no
 * cgroup.kill): what left its process group (setsid, a daemon's double
 * fork) dies too. The folder is removed once empty; the warden kills every
 * child-* cgroup if ninesd dies.
 *
 * Elsewhere (no cgroup v2, not writable, not delegated) ninesd says so in
 * one line at start and a child is its process group (child_proc.h).
 */
#ifndef NINES_CGROUP_H
#define NINES_CGROUP_H

#include <sys/types.h>

#include "cgroup_rule.h"

struct daemon;

/* Decide and log the decision. -EPERM (why filled) when `on` cannot be. */
int cgroups_setup(struct daemon *d, enum nines_cgroup_mode mode, char *why, size_t size);
/* BASE when cgroups are used, else NULL. */
const char *cgroups_base(const struct daemon *d);
/* The child's cgroup, made if needed: a descriptor of its cgroup.procs
 * (O_WRONLY, close-on-exec), or -1 (cgroups off, or it cannot be made:
 * logged once). */
int cgroups_open(struct daemon *d, const char *path);
/* Move pid into the cgroup whose cgroup.procs is fd. 0 or -errno. */
int cgroups_move(int procs_fd, pid_t pid);
/* Move pid back to BASE (a spare that was not handed over after all). */
void cgroups_move_home(struct daemon *d, pid_t pid);
/* SIGKILL every process of child `path`'s cgroup. */
void cgroups_kill(struct daemon *d, const char *path);
/* Remove child `path`'s folder, now or once it is empty. */
void cgroups_release(struct daemon *d, const char *path);
/* At the end: remove every child folder left (waits up to 1 s). */
void cgroups_free(struct daemon *d);

#endif /* NINES_CGROUP_H */
