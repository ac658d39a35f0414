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

/* --- the quick walk ----------------------------------------------------
 * For an absolute path without ".", ".." or empty components, one lstat
 * of each prefix instead of realpath() (a readlink per component) and a
 * stat of each folder: half the system calls, about 20 -> 10 us for a
 * module six folders down on the project's VM, paid at every start (a
 * preloaded spare's START too). Where no prefix is a link the path is its
 * own real path and each lstat is what the full walk's stat would be: the
 * same verdicts, judged in the same order (the file, then its folders
 * nearest first). Anything else (a link on the way, an error, which the
 * full walk names) goes the full walk. */

#define QUICK_DEPTH 32

/* The components of path ("/a/b/c" -> "a", "b", "c") into copy, pointed
 * to by comp; their count, or 0 when the quick walk does not apply. */
static size_t split(const char *path, char *copy, size_t size, char **comp) {
    size_t n = 0;
    if (path[0] != '/' || snprintf(copy, size, "%s", path + 1) >= (int)size)
        return 0;
    for (char *c = copy, *next; c; c = next) {
        next = strchr(c, '/');
        if (next)
            *next++ = '\0';
        if (!*c || strcmp(c, ".") == 0 || strcmp(c, "..") == 0 || n == QUICK_DEPTH)
            return 0;
        comp[n++] = c;
    }
    return n;
}

/* lstat of "/" and of each prefix of path down to the file (none of
 * them a link): 0, or -1 when the full walk must judge. */
static int stat_chain(const char *path, const char *copy, char **comp, size_t n, struct stat *st) {
    char prefix[PATH_MAX];
    if (lstat("/", &st[0]) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int len = (int)(comp[i] + strlen(comp[i]) - copy + 1);
        snprintf(prefix, sizeof prefix, "%.*s", len, path);
        if (lstat(prefix, &st[i + 1]) < 0 || S_ISLNK(st[i + 1].st_mode))
            return -1;
    }
    return 0;
}

/* 1 when judged (the result in *r), 0 when the full walk must. */
static int judge_quick(const char *what, const char *path, uid_t me, char *why, size_t size, int *r) {
    char copy[PATH_MAX], *comp[QUICK_DEPTH];
    struct stat st[QUICK_DEPTH + 1];
    size_t n = split(path, copy, sizeof copy, comp);
    if (n == 0 || stat_chain(path, copy, comp, n, st) < 0)
        return 0;
    /* The file, then each folder from its own up to "/". */
    for (size_t i = n + 1; i-- > 0;) {
        struct path_trust_stat t = {.uid = st[i].st_uid, .mode = st[i].st_mode};
        enum path_trust_verdict v = path_trust_judge(&t, me);
        if (v == PATH_TRUST_OK)
            continue;
        char at[PATH_MAX] = "/";
        if (i == n)
            snprintf(at, sizeof at, "%s", path);
        else if (i > 0)
            snprintf(at, sizeof at, "%.*s", (int)(comp[i - 1] + strlen(comp[i - 1]) - copy + 1), path);
        path_trust_explain(v, what, path, at, &t, why, size);
        *r = -EPERM;
        return 1;
    }
    *r = 0;
    return 1;
}

int path_trust_check(const char *what, const char *path, char *why, size_t size) {
    uid_t me = geteuid();
    int quick;
    if (judge_quick(what, path, me, why, size, &quick))
        return quick;
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        int e = errno;
        snprintf(why, size, "%s %s: %s", what, path, strerror(e));
        return -e;
    }
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
