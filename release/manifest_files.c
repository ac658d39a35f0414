/*
 * manifest_files.c — the paths of a release: which may appear in a
 * manifest, where they lead once symbolic links are followed, and whether
 * the files there are the ones the manifest lists.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "manifest.h"

#define PATH_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+@,=-"

const char *nines_manifest_path_problem(const char *path) {
    size_t n = strlen(path);
    if (n == 0)
        return "it is empty";
    if (n > NINES_MANIFEST_MAX_PATH)
        return "it is longer than 1024 bytes";
    if (path[0] == '/')
        return "it is absolute: paths are relative to the release folder";
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 0 || (p[len] == '/' && p[len + 1] == '\0'))
            return "it has an empty part ('//' or a '/' at the end)";
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return "'..' leads out of the release folder";
        if (len == 1 && p[0] == '.')
            return "it has a '.' part";
        if (strspn(p, PATH_CHARS) < len)
            return "only letters, digits, '/' and . _ + @ , = - are allowed";
        p += len + (p[len] == '/');
    }
    if (strcmp(path, NINES_MANIFEST_NAME) == 0)
        return "release.yaml is the manifest itself";
    return NULL;
}

const struct nines_manifest_file *nines_manifest_find_file(const struct nines_manifest *m, const char *path) {
    for (size_t i = 0; i < m->n_files; i++)
        if (strcmp(m->files[i].path, path) == 0)
            return &m->files[i];
    return NULL;
}

const struct nines_manifest_app *nines_manifest_find_app(const struct nines_manifest *m, const char *name) {
    for (size_t i = 0; i < m->n_apps; i++)
        if (strcmp(m->apps[i].name, name) == 0)
            return &m->apps[i];
    return NULL;
}

int nines_manifest_resolve(const char *dir, const char *rel, char *out) {
    char root[PATH_MAX], joined[PATH_MAX];
    if (!realpath(dir, root))
        return -errno;
    if ((size_t)snprintf(joined, sizeof joined, "%s/%s", dir, rel) >= sizeof joined)
        return -ENAMETOOLONG;
    if (!realpath(joined, out))
        return -errno;
    size_t n = strlen(root);
    bool inside = strcmp(root, "/") == 0 || (strncmp(out, root, n) == 0 && out[n] == '/');
    return inside ? 0 : -EXDEV;
}

static int file_error(struct nines_error *err, const char *dir, const char *rel, int r, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int file_error(struct nines_error *err, const char *dir, const char *rel, int r, const char *fmt, ...) {
    va_list ap;
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s/%s", dir, rel);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return r;
}

/* A file is hashed only once it is known to be a regular file that stays
 * inside the folder, symbolic links followed. */
int nines_manifest_hash_file(const char *dir, const char *rel, char hex[NINES_SHA256_HEX], struct nines_error *err) {
    char real[PATH_MAX];
    struct stat st;
    int r = nines_manifest_resolve(dir, rel, real);
    if (r == -EXDEV)
        return file_error(err, dir, rel, -EINVAL, "a symbolic link leads out of the release folder (to %s)", real);
    if (r == 0 && stat(real, &st) < 0)
        r = -errno;
    if (r < 0)
        return file_error(err, dir, rel, -EINVAL, "missing: %s", strerror(-r));
    if (!S_ISREG(st.st_mode))
        return file_error(err, dir, rel, -EINVAL, "not a regular file");
    if ((r = nines_sha256_file(real, hex)) < 0)
        return file_error(err, dir, rel, -EINVAL, "cannot be read: %s", strerror(-r));
    return 0;
}

int nines_manifest_check_file(const struct nines_manifest *m, size_t i, const char *dir, struct nines_error *err) {
    const struct nines_manifest_file *f = &m->files[i];
    char hex[NINES_SHA256_HEX];
    int r = nines_manifest_hash_file(dir, f->path, hex, err);
    if (r < 0)
        return r;
    if (strcmp(hex, f->sha256) != 0)
        return file_error(err, dir, f->path, -EINVAL, "checksum mismatch: the manifest says %s, the file has %s",
                          f->sha256, hex);
    return 0;
}

int nines_manifest_check_files(const struct nines_manifest *m, const char *dir, struct nines_error *err) {
    if (!m->has_files) {
        memset(err, 0, sizeof *err);
        snprintf(err->file, sizeof err->file, "%s", m->path);
        snprintf(err->message, sizeof err->message,
                 "no 'files': this is a release spec, not a built release (nines-release build writes them)");
        return -EINVAL;
    }
    for (size_t i = 0; i < m->n_files; i++) {
        int r = nines_manifest_check_file(m, i, dir, err);
        if (r < 0)
            return r;
    }
    return 0;
}
