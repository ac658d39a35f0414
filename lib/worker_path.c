/*
 * worker_path.c — see worker_path.h.
 */
#include "worker_path.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* NAME beside the running program if it is there, else DIR/NAME. */
static const char *beside_self(char path[PATH_MAX], const char *name, const char *dir) {
    ssize_t n = readlink("/proc/self/exe", path, PATH_MAX - 32);
    if (n > 0) {
        path[n] = '\0';
        char *slash = strrchr(path, '/');
        if (slash) {
            strcpy(slash + 1, name);
            if (access(path, X_OK) == 0)
                return path;
        }
    }
    snprintf(path, PATH_MAX, "%s/%s", dir, name);
    return path;
}

const char *nines_worker_default_path(void) {
    static char path[PATH_MAX];
    return beside_self(path, "nines-worker", NINES_LIBEXECDIR);
}

const char *nines_release_tool_default_path(void) {
    static char path[PATH_MAX];
    return beside_self(path, "nines-release", NINES_BINDIR);
}
