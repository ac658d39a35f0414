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
#include "yaml_output.h"

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

static void put_files(struct nines_yaml_out *o, const struct nines_manifest *m) {
    struct nines_manifest_file *sorted = m->n_files ? malloc(m->n_files * sizeof *sorted) : NULL;
    if (m->n_files && !sorted) {
        o->error = o->error ? o->error : -ENOMEM;
        return;
    }
    if (m->n_files)
        memcpy(sorted, m->files, m->n_files * sizeof *sorted);
    qsort(sorted, m->n_files, sizeof *sorted, by_path);
    nines_yaml_scalar(o, "files");
    nines_yaml_map_begin(o, m->n_files == 0);
    for (size_t i = 0; i < m->n_files; i++)
        nines_yaml_pair(o, sorted[i].path, sorted[i].sha256);
    nines_yaml_map_end(o);
    free(sorted);
}

int nines_manifest_write(const struct nines_manifest *m, FILE *f) {
    struct nines_yaml_out o;
    nines_yaml_out_begin(&o, f);
    nines_yaml_map_begin(&o, false);
    nines_yaml_pair(&o, "release", m->release);
    nines_yaml_pair(&o, "version", m->version);
    nines_yaml_pair(&o, "tree", m->tree.path);
    nines_yaml_scalar(&o, "applications");
    nines_yaml_seq_begin(&o, m->n_apps == 0);
    for (size_t i = 0; i < m->n_apps; i++) {
        nines_yaml_map_begin(&o, true);
        nines_yaml_pair(&o, "name", m->apps[i].name);
        nines_yaml_pair(&o, "version", m->apps[i].version);
        nines_yaml_pair(&o, "module", m->apps[i].module.path);
        nines_yaml_map_end(&o);
    }
    nines_yaml_seq_end(&o);
    if (m->n_appups) {
        nines_yaml_scalar(&o, "appups");
        nines_yaml_seq_begin(&o, false);
        for (size_t i = 0; i < m->n_appups; i++)
            nines_yaml_scalar(&o, m->appups[i].path);
        nines_yaml_seq_end(&o);
    }
    if (m->has_files)
        put_files(&o, m);
    nines_yaml_map_end(&o);
    int e = nines_yaml_out_end(&o);
    return e ? e : ferror(f) ? -EIO : 0;
}

/* The writer has the signature nines_atomic_write() calls. */
static int write_manifest(const void *m, FILE *f) { return nines_manifest_write(m, f); }

int nines_manifest_write_file(const struct nines_manifest *m, const char *path) {
    return nines_atomic_write(path, 0644, write_manifest, m);
}
