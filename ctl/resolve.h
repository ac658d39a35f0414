/*
 * resolve.h — the paths of a command line made absolute before they are
 * sent: the daemon resolves nothing against our working directory, and a
 * path that does not exist is better said here, by the shell that typed
 * it, than by the daemon.
 */
#ifndef NINES_CTL_RESOLVE_H
#define NINES_CTL_RESOLVE_H

#include <limits.h>
#include <stddef.h>

#include "args.h"

/* Where the absolute paths live, as long as the args point to them. */
struct ctl_resolved {
    char module[PATH_MAX]; /* upgrade --module */
    char path[PATH_MAX];   /* release unpack PATH */
};

/* A relative --module, and release unpack's PATH, made absolute
 * (realpath: each must exist) into store, and a's pointers moved there. 0, or -errno with
 * the reason in `error`: "--module x.so: no such file or directory", or
 * for the PATH, which the error line names anyway, only the reason. */
int ctl_args_resolve(struct ctl_args *a, struct ctl_resolved *store, char *error, size_t size);

#endif /* NINES_CTL_RESOLVE_H */
