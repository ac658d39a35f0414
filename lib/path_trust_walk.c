/*
 * path_trust_walk.c — the system half of path_trust.h: stat the file and
 * each folder above it, and ask path_trust_judge about each.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path_trust.h"

/* Cut the last component: "/a/b" -> "/a", "/a" -> "/". false at "/". */
static bool up(char *dir) {
    if (strcmp(dir, "/") == 0)
        return false;
    char *slash = strrchr(dir, '/');
    if (!slash)
        return false;
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    return true;
}

/* One path: 0, -EPERM (why says so) or -errno. `at` NULL: the file. */
static int judge_one(const char *what, const char *path, const char *at, uid_t me, char *why, size_t size) {
    struct stat st;
    if (stat(at ? at : path, &st) < 0) {
        int e = errno;
        snprintf(why, size, "%s %s: %s: %s", what, path, at ? at : path, strerror(e));
        return -e;
    }
    struct path_trust_stat t = {.uid = st.st_uid, .mode = st.st_mode};
    enum path_trust_verdict v = path_trust_judge(&t, me);
    if (v == PATH_TRUST_OK)
        return 0;
    path_trust_explain(v, what, path, at ? at : path, &t, why, size);
    return -EPERM;
}

/* Every folder above `from` (a copy is cut), nearest first. */
static int judge_folders(const char *what, const char *path, const char *from, uid_t me, char *why,
                         size_t size) {
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s", from) >= (int)sizeof dir) {
        snprintf(why, size, "%s %s: path too long", what, path);
        return -ENAMETOOLONG;
    }
    int r = 0;
    while (r == 0 && up(dir))
        r = judge_one(what, path, dir, me, why, size);
    return r;
}

int path_trust_check(const char *what, const char *path, char *why, size_t size) {
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        int e = errno;
        snprintf(why, size, "%s %s: %s", what, path, strerror(e));
        return -e;
    }
    uid_t me = geteuid();
    int r = judge_one(what, path, NULL, me, why, size);
    if (r == 0)
        r = judge_folders(what, path, real, me, why, size);
    /* A link on the way is only as safe as the folder it sits in: whoever
     * may write that folder may point the link elsewhere later. */
    if (r == 0 && path[0] == '/' && strcmp(path, real) != 0)
        r = judge_folders(what, path, path, me, why, size);
    return r;
}

/* The file execvp would run for `name`: itself when it has a slash, else
 * the first executable of that name on $PATH. false when there is none. */
bool path_trust_find_program(const char *name, char *out, size_t size) {
    return path_trust_find_program_on(name, getenv("PATH"), out, size);
}

bool path_trust_find_program_on(const char *name, const char *path, char *out, size_t size) {
    if (strchr(name, '/'))
        return snprintf(out, size, "%s", name) < (int)size;
    for (const char *p = path && path[0] ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
        size_t len = strcspn(p, ":");
        if (snprintf(out, size, "%.*s/%s", (int)len, len ? p : ".", name) < (int)size && access(out, X_OK) == 0)
            return true;
        p += len + (p[len] == ':');
    }
    return false;
}
