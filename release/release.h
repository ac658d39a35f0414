/*
 * release.h — the parts of nines-release (doc/releases.md): opening a
 * release (a folder or a tarball), running helper programs (tar, the
 * worker host's --check), reporting problems, and the three commands.
 */
#ifndef NINES_RELEASE_TOOL_H
#define NINES_RELEASE_TOOL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "manifest.h"

#define EXIT_PROBLEMS 1 /* the release is not valid, or could not be read or written */
#define EXIT_USAGE 2

#define TAR_PROGRAM "/bin/tar"

/* A release opened for reading: a folder, or a tarball unpacked into a
 * temporary folder that release_close() removes. */
struct release_dir {
    char dir[PATH_MAX];      /* the folder that holds release.yaml */
    char manifest[PATH_MAX]; /* the manifest: DIR/release.yaml, or a spec named directly */
    char shown[PATH_MAX]; /* how that folder is named in messages */
    char tmp[PATH_MAX];   /* the temporary folder to remove, or "" */
    bool from_tarball;
};

/* Open `arg`: a release folder, a tarball of one, or a manifest file. A
 * failure is reported on stderr (and counted in `p`). */
struct problems;
int release_open(const char *arg, struct release_dir *rd, struct problems *p);
void release_close(struct release_dir *rd);

/* Problems are counted and printed one a line on stderr: "FILE: what" or
 * "FILE:LINE:COLUMN: what". File names under `real` are shown under
 * `shown` instead (a build's staging folder, a tarball's unpacked copy). */
struct problems {
    int count;
    const char *real, *shown;
};
void problem(struct problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void problem_error(struct problems *p, const struct nines_error *err);
/* `path` as messages show it (into buf). */
const char *problem_path(const struct problems *p, const char *path, char *buf, size_t size);

/* Run `argv` (argv[0] an absolute path) with no stdin, its stdout and
 * stderr captured into `out` and `err` (truncated, NUL-terminated; either
 * may be NULL), for at most timeout_ms (-1: no limit; then SIGKILL).
 * Returns the wait status, or -errno if it could not be run. */
int run_program(char *const argv[], char *out, size_t out_size, char *err, size_t err_size, int timeout_ms);

/* What went wrong, from tar's stderr (modified in place). */
const char *tar_reason(char *text);

/* snprintf into a PATH_MAX buffer: 0, or -ENAMETOOLONG if it was cut. */
int path_printf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Remove a folder and everything in it, without following links. */
int remove_tree(const char *path);

/* The checks of `nines-release verify`, on the opened folder; problems
 * are added to `p`. `worker` is the nines-worker to check modules with. */
void verify_release(const struct release_dir *rd, const char *worker, struct problems *p);
/* Its parts (verify_modules.c): the tree loads and names only the
 * release's modules; each module loads and is what the manifest says. */
void verify_tree(const struct release_dir *rd, const struct nines_manifest *m, struct problems *p);
void verify_modules(const struct release_dir *rd, const struct nines_manifest *m, const char *worker,
                    struct problems *p);

int cmd_build(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#endif /* NINES_RELEASE_TOOL_H */
