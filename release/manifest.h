/*
 * manifest.h — a release's manifest, release.yaml (doc/releases.md).
 *
 * A release is a folder NAME-VERSION/ holding release.yaml, the tree file,
 * the applications' shared objects and their appups; and a tarball of that
 * folder. The manifest names the release, its tree, each application's
 * name, version and .so, the appups, and the SHA-256 of every other file
 * of the folder. Every path in it is relative to the folder and must stay
 * inside it.
 *
 * Loading is all-or-nothing, like the tree file: either the whole manifest
 * is valid and comes back, or nothing is built and the error names the
 * file, line and column and what was expected. Loading reads only the
 * manifest; nines_manifest_check_files() then looks at the files.
 *
 * The same format without `files:` is the *spec* nines-release build
 * reads: build copies what it names and writes the checksums.
 */
#ifndef NINES_MANIFEST_H
#define NINES_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sha256.h"
#include "tree.h"

#define NINES_MANIFEST_NAME "release.yaml" /* the manifest's name in a release folder */
#define NINES_MANIFEST_MAX_PATH 1024       /* bytes of one path in a manifest */

/* A path of the release with where the manifest names it. */
struct nines_manifest_ref {
    char *path;
    struct nines_mark mark;
};

struct nines_manifest_app {
    char *name;    /* the module descriptor's name: [a-z0-9_-]{1,64} */
    char *version; /* the module descriptor's version */
    struct nines_manifest_ref module; /* its .so */
    struct nines_mark mark, name_mark, version_mark; /* the entry, its name, its version */
};

struct nines_manifest_file {
    char *path;
    char sha256[NINES_SHA256_HEX]; /* 64 lowercase hex digits */
    struct nines_mark mark;
};

struct nines_manifest {
    char *path;    /* the file it was loaded from, as given */
    char *release; /* the release's name: [a-z0-9_-]{1,64} */
    char *version; /* printable, no spaces, no '/': it is part of a folder's name */
    struct nines_manifest_ref tree;
    struct nines_manifest_app *apps; /* in file order; names and modules unique */
    size_t n_apps;
    struct nines_manifest_ref *appups; /* in file order; unique; may be empty */
    size_t n_appups;
    bool has_files; /* `files:` was given: a built release, not a spec */
    struct nines_manifest_file *files; /* in file order; unique paths */
    size_t n_files;
};

/* Load and validate a manifest. On success returns 0 and sets *out (free
 * with nines_manifest_free). On failure returns a negative errno (-EINVAL
 * for invalid content) and fills *err; *out is left NULL and nothing
 * leaks. With `files:`, the tree, every module and every appup must be
 * listed in it. */
int nines_manifest_load(const char *path, struct nines_manifest **out, struct nines_error *err);

/* Same, from text in memory; `name` stands for the file in errors. Used
 * by tests and fuzzers. */
int nines_manifest_load_string(const char *name, const char *text, size_t len, struct nines_manifest **out,
                               struct nines_error *err);

void nines_manifest_free(struct nines_manifest *m); /* accepts NULL */

/* Why `path` cannot name a file of a release, or NULL if it can: it must
 * be relative, made of parts of [A-Za-z0-9._+@,=-] separated by single
 * '/', none "." or "..", at most NINES_MANIFEST_MAX_PATH bytes, and not
 * the manifest itself. Pure. */
const char *nines_manifest_path_problem(const char *path);

/* Whether `s` can be a release's version: 1 to 64 printable characters,
 * no spaces, no '/' (it is part of the folder's name NAME-VERSION). The
 * release handler's state file uses the same rule; errors say
 * NINES_MANIFEST_VERSION_RULE. */
bool nines_manifest_version_valid(const char *s);
#define NINES_MANIFEST_VERSION_RULE "1 to 64 printable characters, no spaces, no '/'"

/* The paths the manifest names, k from 0 to n_refs - 1: the tree, then
 * each application's module, then the appups. */
size_t nines_manifest_n_refs(const struct nines_manifest *m);
const struct nines_manifest_ref *nines_manifest_ref(const struct nines_manifest *m, size_t k);

/* The listed file with this path, or NULL. */
const struct nines_manifest_file *nines_manifest_find_file(const struct nines_manifest *m, const char *path);

/* The application with this name, or NULL. */
const struct nines_manifest_app *nines_manifest_find_app(const struct nines_manifest *m, const char *name);

/* Resolve `rel` in the release folder `dir` into `out` (PATH_MAX bytes),
 * following symbolic links: 0, -ENOENT (or another -errno) if it cannot be
 * resolved, -EXDEV if it leads out of the folder. */
int nines_manifest_resolve(const char *dir, const char *rel, char *out);

/* The SHA-256 of `rel` in the release folder `dir`, which must be a
 * regular file inside the folder. 0, or an error naming "DIR/REL". */
int nines_manifest_hash_file(const char *dir, const char *rel, char hex[NINES_SHA256_HEX], struct nines_error *err);

/* Check listed file i of `m` in the release folder `dir`: it is a regular
 * file inside the folder and its SHA-256 is the listed one. 0, or an
 * error naming "DIR/PATH" (without a position) and what is wrong. */
int nines_manifest_check_file(const struct nines_manifest *m, size_t i, const char *dir, struct nines_error *err);

/* Check every listed file, in order; the first problem is the error. A
 * manifest without `files:` is an error too: it is a spec, not a release. */
int nines_manifest_check_files(const struct nines_manifest *m, const char *dir, struct nines_error *err);

/* Replace m's files with every file the manifest names (the tree, the
 * modules, the appups), hashed in the folder `dir`, sorted by path. For
 * build. Errors name the file. */
int nines_manifest_hash_files(struct nines_manifest *m, const char *dir, struct nines_error *err);

/* Write the manifest as YAML (through libyaml's emitter, so any UTF-8
 * text reads back the same), deterministically: the keys in a fixed
 * order, files sorted by path. 0, or -errno (-EILSEQ for text that is not
 * UTF-8). */
int nines_manifest_write(const struct nines_manifest *m, FILE *f);

/* Write it to `path` whole or not at all: a temporary file beside it,
 * fsync, rename, fsync of the folder. 0, or -errno. */
int nines_manifest_write_file(const struct nines_manifest *m, const char *path);

#endif /* NINES_MANIFEST_H */
