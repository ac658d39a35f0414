/*
 * manifest_write.c — what nines-release build writes: the checksums of
 * the files a manifest names, and the manifest itself, always the same
 * bytes for the same release (fixed key order, files sorted by path).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
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

void nines_manifest_put_scalar(FILE *f, const char *s) {
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
    nines_manifest_put_scalar(f, value);
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
        nines_manifest_put_scalar(f, m->appups[i].path);
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

/* The writer has the signature nines_atomic_write() calls. */
static int write_manifest(const void *m, FILE *f) { return nines_manifest_write(m, f); }

int nines_manifest_write_file(const struct nines_manifest *m, const char *path) {
    return nines_atomic_write(path, 0644, write_manifest, m);
}
