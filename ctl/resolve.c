/*
 * resolve.c — the paths of a command line made absolute (see resolve.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "resolve.h"

/* `path` made absolute into buf, or -errno with "PREFIXREASON" in error. */
static int absolute(const char *path, char buf[static PATH_MAX], const char *prefix, char *error, size_t size) {
    if (realpath(path, buf))
        return 0;
    int err = -errno;
    char why[64];
    snprintf(error, size, "%s%s", prefix, ctl_strerror(err, why));
    return err;
}

int ctl_args_resolve(struct ctl_args *a, struct ctl_resolved *store, char *error, size_t size) {
    /* An absolute module goes as typed: a symlink the operator points at
     * each new version stays the path the daemon remembers. */
    if (a->module && a->module[0] != '/') {
        char prefix[PATH_MAX + 16];
        snprintf(prefix, sizeof prefix, "--module %s: ", a->module);
        int r = absolute(a->module, store->module, prefix, error, size);
        if (r < 0)
            return r;
        a->module = store->module;
    }
    if (a->cmd && a->cmd->id == CTL_CMD_RELEASE_UNPACK && a->npos > 0) {
        int r = absolute(a->pos[0], store->path, "", error, size);
        if (r < 0)
            return r;
        a->pos[0] = store->path;
    }
    return 0;
}
