/*
 * fuzz_manifest.c — libFuzzer target for the release manifest's parser:
 * release.yaml as it may arrive in a tarball from anywhere.
 *
 * Beyond "no crash, no leak, no sanitizer report", it checks what must
 * hold: a failure leaves nothing behind and says something at a position
 * inside the input; a manifest that loads has only paths that stay inside
 * the release folder, unique names, modules and files, and (with `files:`)
 * lists everything it names; and written back it reads again as the same
 * manifest, which writes the same bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

static void check_loaded(const struct nines_manifest *m) {
    for (size_t k = 0; k < nines_manifest_n_refs(m); k++) {
        const char *path = nines_manifest_ref(m, k)->path;
        require(nines_manifest_path_problem(path) == NULL, "every named path is a valid release path");
        require(!m->has_files || nines_manifest_find_file(m, path), "with files, every named path is listed");
    }
    for (size_t i = 0; i < m->n_files; i++) {
        require(nines_manifest_path_problem(m->files[i].path) == NULL, "every file path is valid");
        require(strlen(m->files[i].sha256) == 64, "every checksum has 64 digits");
        require(nines_manifest_find_file(m, m->files[i].path) == &m->files[i], "file paths are unique");
    }
    for (size_t i = 0; i < m->n_apps; i++)
        for (size_t j = 0; j < i; j++)
            require(strcmp(m->apps[i].name, m->apps[j].name) != 0 &&
                        strcmp(m->apps[i].module.path, m->apps[j].module.path) != 0,
                    "application names and modules are unique");
    require(strchr(m->version, '/') == NULL, "the version makes a folder name");
}

static char *write_text(const struct nines_manifest *m, size_t *len) {
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    require(f != NULL, "out of memory");
    require(nines_manifest_write(m, f) == 0, "writing works");
    require(fclose(f) == 0, "writing works");
    return text;
}

static bool same_manifest(const struct nines_manifest *a, const struct nines_manifest *b) {
    if (strcmp(a->release, b->release) || strcmp(a->version, b->version) || strcmp(a->tree.path, b->tree.path) ||
        a->n_apps != b->n_apps || a->n_appups != b->n_appups || a->has_files != b->has_files ||
        a->n_files != b->n_files)
        return false;
    for (size_t i = 0; i < a->n_apps; i++)
        if (strcmp(a->apps[i].name, b->apps[i].name) || strcmp(a->apps[i].version, b->apps[i].version) ||
            strcmp(a->apps[i].module.path, b->apps[i].module.path))
            return false;
    for (size_t i = 0; i < a->n_appups; i++)
        if (strcmp(a->appups[i].path, b->appups[i].path))
            return false;
    for (size_t i = 0; i < a->n_files; i++) {
        const struct nines_manifest_file *f = nines_manifest_find_file(b, a->files[i].path);
        if (!f || strcmp(f->sha256, a->files[i].sha256))
            return false;
    }
    return true;
}

static void check_round_trip(const struct nines_manifest *m) {
    size_t len, len2;
    char *text = write_text(m, &len);
    struct nines_manifest *back = NULL;
    struct nines_error err;
    int r = nines_manifest_load_string("again.yaml", text, len, &back, &err);
    if (r < 0)
        fprintf(stderr, "written:\n%s\nerror: %u:%u: %s\n", text, err.line, err.column, err.message);
    require(r == 0, "a written manifest loads");
    require(same_manifest(m, back), "load(write(m)) == m");
    char *text2 = write_text(back, &len2);
    require(len == len2 && memcmp(text, text2, len) == 0, "write(load(write(m))) == write(m)");
    free(text), free(text2);
    nines_manifest_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct nines_manifest *m = (struct nines_manifest *)&m;
    struct nines_error err;
    int r = nines_manifest_load_string("fuzz.yaml", (const char *)data, size, &m, &err);
    if (r < 0) {
        require(r == -EINVAL || r == -ENOMEM, "errors are -EINVAL (or -ENOMEM)");
        require(m == NULL, "a failure returns no manifest");
        require(err.message[0] != '\0', "a failure says why");
        require(strcmp(err.file, "fuzz.yaml") == 0, "a failure names the file");
        return 0;
    }
    check_loaded(m);
    check_round_trip(m);
    nines_manifest_free(m);
    return 0;
}
