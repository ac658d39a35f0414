/*
 * ctl_path.c — the default control socket path (see ctl_path.h).
 */
#include "ctl_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int put(char *buf, size_t size, int n) {
    if (n < 0 || (size_t)n >= size) {
        if (size > 0)
            buf[0] = '\0'; /* never leave a truncated path to bind or connect to */
        return -ENAMETOOLONG;
    }
    return 0;
}

int ctl_socket_path_from(char *buf, size_t size, const char *runtime_directory,
                         const char *xdg_runtime_dir, uid_t uid) {
    if (runtime_directory && runtime_directory[0]) {
        /* RuntimeDirectory= may list several folders, which systemd joins
         * with ':'; the first is the one a unit names first, ours. */
        size_t len = strcspn(runtime_directory, ":");
        return put(buf, size, snprintf(buf, size, "%.*s/" CTL_SOCKET_NAME, (int)len, runtime_directory));
    }
    if (uid == 0)
        return put(buf, size, snprintf(buf, size, "/run/nines/" CTL_SOCKET_NAME));
    if (xdg_runtime_dir && xdg_runtime_dir[0])
        return put(buf, size, snprintf(buf, size, "%s/nines/" CTL_SOCKET_NAME, xdg_runtime_dir));
    return put(buf, size, snprintf(buf, size, "/tmp/nines-%u/" CTL_SOCKET_NAME, (unsigned)uid));
}

int ctl_default_socket_path(char *buf, size_t size) {
    return ctl_socket_path_from(buf, size, getenv("RUNTIME_DIRECTORY"), getenv("XDG_RUNTIME_DIR"), getuid());
}
