/*
 * worker_path.c — see worker_path.h.
 */
#include "worker_path.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *nines_worker_default_path(void) {
    static char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
    if (n > 0) {
        path[n] = '\0';
        char *slash = strrchr(path, '/');
        if (slash) {
            strcpy(slash + 1, "nines-worker");
            if (access(path, X_OK) == 0)
                return path;
        }
    }
    snprintf(path, sizeof path, "%s/nines-worker", NINES_LIBEXECDIR);
    return path;
}
