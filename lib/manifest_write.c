/*
 * manifest_write.c — what nines-release build writes: the checksums of
 * the files a manifest names, and the manifest itself, always the same
 * bytes for the same release (fixed key order, files sorted by path).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"

size_t nines_manifest_n_refs(const struct nines_manifest *m) { return 1 + m->n_apps + m->n_appups; }

const struct nines_manifest_ref *nines_manifest_ref(const struct nines_manifest *m, size_t k) {
    if (k == 0)
        return &m->tree;
    return k <= m->n_apps ? &m->apps[k - 1].module : &m->appups[k - 1 - m->n_apps];
}

static int by_path(const void *a, const void *b) {
    return strcmp(((const struct nines_manifest_file *)a)->path, ((const struct nines_manifest_file *)b)->path);
}

static void free_files(struct nines_manifest_file *files, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(files[i].path);
    free(files);
}

int nines_manifest_hash_files(struct nines_manifest *m, const char *dir, struct nines_error *err) {
    struct nines_manifest_file *files = calloc(nines_manifest_n_refs(m), sizeof *files);
    size_t n = 0;
    if (!files)
        return -ENOMEM;
    for (size_t k = 0; k < nines_manifest_n_refs(m); k++) {
        const char *path = nines_manifest_ref(m, k)->path;
        bool again = false;
        for (size_t j = 0; j < n && !again; j++)
            again = strcmp(files[j].path, path) == 0;
        if (again)
            continue;
        struct nines_manifest_file *f = &files[n++];
        int r = (f->path = strdup(path)) ? nines_manifest_hash_file(dir, path, f->sha256, err) : -ENOMEM;
        if (r < 0) {
            free_files(files, n);
            return r;
        }
    }
    qsort(files, n, sizeof *files, by_path);
    free_files(m->files, m->n_files);
    m->files = files, m->n_files = n, m->has_files = true;
    return 0;
}

/* A plain scalar when it cannot be mistaken for anything else, else a
 * double-quoted one. */
static void put_scalar(FILE *f, const char *s) {
    static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/+=-";
    bool plain = *s && strspn(s, safe) == strlen(s) && strchr("._/+=-", *s) == NULL;
    if (plain) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void put_key(FILE *f, const char *indent, const char *key, const char *value) {
    fprintf(f, "%s%s: ", indent, key);
    put_scalar(f, value);
}

int nines_manifest_write(const struct nines_manifest *m, FILE *f) {
    put_key(f, "", "release", m->release);
    put_key(f, "\n", "version", m->version);
    put_key(f, "\n", "tree", m->tree.path);
    fputs(m->n_apps ? "\napplications:" : "\napplications: []", f);
    for (size_t i = 0; i < m->n_apps; i++) {
        put_key(f, "\n  - {", "name", m->apps[i].name);
        put_key(f, ", ", "version", m->apps[i].version);
        put_key(f, ", ", "module", m->apps[i].module.path);
        fputc('}', f);
    }
    if (m->n_appups)
        fputs("\nappups:", f);
    for (size_t i = 0; i < m->n_appups; i++) {
        fputs("\n  - ", f);
        put_scalar(f, m->appups[i].path);
    }
    if (m->has_files) {
        struct nines_manifest_file *sorted = m->n_files ? malloc(m->n_files * sizeof *sorted) : NULL;
        if (m->n_files && !sorted)
            return -ENOMEM;
        if (m->n_files)
            memcpy(sorted, m->files, m->n_files * sizeof *sorted);
        qsort(sorted, m->n_files, sizeof *sorted, by_path);
        fputs(m->n_files ? "\nfiles:" : "\nfiles: {}", f);
        for (size_t i = 0; i < m->n_files; i++)
            put_key(f, "\n  ", sorted[i].path, sorted[i].sha256);
        free(sorted);
    }
    fputc('\n', f);
    return ferror(f) ? -EIO : 0;
}

static int fsync_dir_of(const char *path) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return r;
}

int nines_manifest_write_file(const struct nines_manifest *m, const char *path) {
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= sizeof tmp)
        return -ENAMETOOLONG;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd), unlink(tmp);
        return -e;
    }
    int r = nines_manifest_write(m, f);
    if (r == 0 && (fflush(f) != 0 || fchmod(fd, 0644) < 0 || fsync(fd) < 0))
        r = -errno;
    if (fclose(f) != 0 && r == 0)
        r = -errno;
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        return r;
    }
    return fsync_dir_of(path);
}
