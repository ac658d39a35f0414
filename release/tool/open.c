/*
 * open.c — a release given on the command line: a folder, a manifest
 * file, or a tarball unpacked into a temporary folder (tarball.c: every
 * member checked and counted before anything is written). And the one
 * way problems are reported.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "release.h"

void problem(struct problems *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    p->count++;
}

const char *problem_path(const struct problems *p, const char *path, char *buf, size_t size) {
    size_t n = p->real ? strlen(p->real) : 0;
    if (n && strncmp(path, p->real, n) == 0 && (path[n] == '/' || path[n] == '\0'))
        snprintf(buf, size, "%s%s", p->shown, path + n);
    else
        snprintf(buf, size, "%s", path);
    return buf;
}

void problem_error(struct problems *p, const struct nines_error *err) {
    char file[PATH_MAX];
    problem_path(p, err->file, file, sizeof file);
    if (err->line)
        problem(p, "%s:%u:%u: %s", file, err->line, err->column, err->message);
    else
        problem(p, "%s: %s", file, err->message);
}

/* The one folder a tarball holds, which must hold the manifest. */
static int find_top(struct release_dir *rd, const char *arg, struct problems *p) {
    DIR *d = opendir(rd->tmp);
    struct dirent *e;
    int n = 0;
    char name[256] = "";
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && n++ == 0)
            snprintf(name, sizeof name, "%s", e->d_name);
    if (d)
        closedir(d);
    struct stat st;
    path_printf(rd->dir, "%s/%s", rd->tmp, name);
    if (n != 1 || lstat(rd->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        problem(p, "%s: not a release tarball: it must hold exactly one folder, NAME-VERSION/", arg);
        return -EINVAL;
    }
    path_printf(rd->shown, "%s/%s", arg, name);
    path_printf(rd->manifest, "%s/%s", rd->dir, NINES_MANIFEST_NAME);
    return 0;
}

/* tar's last line that says what went wrong, without its name: the
 * first ones may be warnings, the last ones a summary. */
const char *tar_reason(char *text) {
    char *best = NULL, *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (!strstr(line, "Exiting with failure status") && !strstr(line, "Error is not recoverable"))
            best = line;
    if (!best)
        return "tar failed";
    const char *colon = strstr(best, "tar: ");
    return colon && colon - best < 16 ? colon + 5 : best;
}

static int unpack(const char *arg, struct release_dir *rd, struct problems *p) {
    const char *base = getenv("TMPDIR");
    path_printf(rd->tmp, "%s/nines-release-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(rd->tmp)) {
        int e = errno;
        problem(p, "%s: cannot make a temporary folder to unpack into: %s", rd->tmp, strerror(e));
        rd->tmp[0] = '\0';
        return -e;
    }
    char why[2048];
    if (tarball_unpack(arg, rd->tmp, why, sizeof why) < 0) {
        problem(p, "%s: cannot unpack: %s", arg, why);
        return -EINVAL;
    }
    rd->from_tarball = true;
    return find_top(rd, arg, p);
}

int release_open(const char *arg, struct release_dir *rd, struct problems *p) {
    struct stat st;
    *rd = (struct release_dir){0};
    if (stat(arg, &st) < 0) {
        int e = errno;
        problem(p, "%s: %s", arg, strerror(e));
        return -e;
    }
    size_t len = strlen(arg);
    while (len > 1 && arg[len - 1] == '/')
        len--;
    if (S_ISDIR(st.st_mode)) {
        path_printf(rd->dir, "%.*s", (int)len, arg);
        path_printf(rd->manifest, "%s/%s", rd->dir, NINES_MANIFEST_NAME);
    } else if (len > 5 && strcmp(arg + len - 5, ".yaml") == 0) {
        /* A manifest named directly: its folder is the release. */
        const char *slash = strrchr(arg, '/');
        if (!slash)
            path_printf(rd->dir, ".");
        else
            path_printf(rd->dir, "%.*s", slash == arg ? 1 : (int)(slash - arg), arg);
        path_printf(rd->manifest, "%s", arg);
    } else {
        return unpack(arg, rd, p);
    }
    path_printf(rd->shown, "%s", rd->dir);
    return 0;
}

void release_close(struct release_dir *rd) {
    if (rd->tmp[0])
        nines_remove_tree(rd->tmp);
    rd->tmp[0] = '\0';
}
