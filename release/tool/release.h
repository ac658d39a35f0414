/*
 * release.h — the parts of nines-release (doc/releases.md): reading the
 * command line, opening a release (a folder or a tarball), running helper
 * programs (tar, the worker host's --check), copying and syncing files,
 * reporting problems, and the four commands. Tarballs are read with
 * libarchive (tarball.c) and written with tar.
 */
#ifndef NINES_RELEASE_TOOL_H
#define NINES_RELEASE_TOOL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "appup.h"
#include "fs_tree.h"
#include "run_program.h"
#include "manifest.h"

#define EXIT_PROBLEMS 1 /* the release is not valid, or could not be read or written */
#define EXIT_USAGE 2

#define TAR_PROGRAM "/bin/tar"

/* --- the command line (args.c, pure) ------------------------------------ */

/* The options; a command takes some of them (a mask of 1 << OPT_...). */
enum option_id { OPT_FORCE, OPT_NO_VERIFY, OPT_JSON, OPT_WORKER, OPT_PREVIOUS, OPT_YAML_LIMITS,
                 OPT_TARBALL_LIMITS, OPT_COUNT };

#define ARGS_MAX_OPERANDS 2

/* What `verify` checks a release with, beside the release itself; build
 * and unpack verify with the same. */
struct verify_options {
    const char *worker;   /* --worker: the nines-worker that checks modules; NULL: the default one */
    const char *previous; /* --previous: the release upgraded from; NULL: coverage is not checked */
};

struct args {
    bool force, no_verify, json;
    bool help; /* --help or -h: print the command's help, nothing else */
    struct verify_options verify;
    const char *yaml_limits; /* --yaml-limits: NAME=N,... (yaml_limits.h); NULL: the defaults */
    const char *tarball_limits; /* --tarball-limits: NAME=N,... (tarball_limits.h); NULL: the defaults */
    const char *operands[ARGS_MAX_OPERANDS]; /* in the order given */
};

struct command {
    const char *name;
    int (*run)(const struct args *a);
    unsigned options;                            /* 1 << OPT_... of the options it takes */
    const char *operands[ARGS_MAX_OPERANDS + 1]; /* their names, all required; NULL-terminated */
    const char *summary;                         /* what it does: lines of text, for --help */
};

/* Read `argv` (the arguments after the command's name) by the rules of
 * `c`. 0 with *a filled; or -EINVAL with a one-line reason in `why`
 * ("unexpected '--json'", "missing DIR", "'--worker' needs a value"). */
int args_parse(const struct command *c, int argc, char *const *argv, struct args *a, char *why, size_t size);

/* "verify [--worker PATH] [--previous RELEASE] RELEASE" into buf; the
 * length needed, as snprintf. */
size_t args_synopsis(const struct command *c, char *buf, size_t size);

/* The lines of the options in `mask` (for --help). */
void args_print_options(FILE *f, unsigned mask);

/* --- opening a release (open.c) ------------------------------------------ */

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

/* Unpack the tarball at `path` into the folder `dir` (tarball.c), within
 * the process's tarball_limits, every member checked before anything is
 * written: 0, or -errno with `why` saying what was refused or failed. */
int tarball_unpack(const char *path, const char *dir, char *why, size_t size);

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

/* --- programs and files (run.c, files.c) --------------------------------- */

/* What went wrong, from tar's stderr (modified in place). */
const char *tar_reason(char *text);

/* snprintf into a PATH_MAX buffer: 0, or -ENAMETOOLONG if it was cut. */
int path_printf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Make the hidden staging folder DIR/.NAME.WHAT-XXXXXX (into `out`,
 * PATH_MAX bytes): beside what DIR holds, on its file system, so that a
 * rename moves it into place. A failure is a problem naming DIR; `out`
 * is then "". 0 or -errno. */
int make_staging(const char *dir, const char *name, const char *what, char *out, struct problems *p);

/* Copy FROM_DIR/REL to TO_DIR/REL, making the folders above it: its
 * content and its permissions (a link is followed: a release holds
 * files). A failure is a problem naming FROM_DIR/REL; -errno. */
int copy_release_file(const char *from_dir, const char *to_dir, const char *rel, struct problems *p);

/* Read a whole regular file (at most max bytes) into a new buffer, NUL
 * added; its permissions into *mode. 0, or -errno (-EFBIG: too large). */
int read_whole_file(const char *path, size_t max, char **text, size_t *len, mode_t *mode);

/* Write `len` bytes to a new file `path` with permissions `mode`. 0 or -errno. */
int write_new_file(const char *path, const char *text, size_t len, mode_t mode);

/* fsync every file and folder below `path`, and `path` itself. 0 or -errno. */
int sync_tree(const char *path);

/* fsync one folder (or file). 0 or -errno. */
int sync_path(const char *path);

/* --- verifying (verify*.c, appups.c) ------------------------------------- */

/* The checks of `nines-release verify`, on the opened folder; problems
 * are added to `p`. verify_loaded() is the same on a manifest already
 * loaded from the folder (unpack installs exactly the manifest it
 * verified). */
void verify_release(const struct release_dir *rd, const struct verify_options *o, struct problems *p);
void verify_loaded(const struct release_dir *rd, const struct nines_manifest *m, const struct verify_options *o,
                   struct problems *p);
/* Its parts (verify_modules.c): the tree loads and names only the
 * release's modules; each module loads and is what the manifest says. */
void verify_tree(const struct release_dir *rd, const struct nines_manifest *m, struct problems *p);
void verify_modules(const struct release_dir *rd, const struct nines_manifest *m, const char *worker,
                    struct problems *p);

/* The appups (verify_appups.c): each loads and belongs to one of the
 * release's applications at its version; with `previous` (the release
 * upgraded from, opened as RELEASE is), they lead from it to this release
 * and back, and it is the same release. */
void verify_appups(const struct release_dir *rd, const struct nines_manifest *m, const char *previous,
                   struct problems *p);

/* Pure checks of the appups (appups.c). `appups[i]` is the loaded appup
 * m->appups[i]. Each returns 0, or -EINVAL with *err saying what is wrong
 * (-ENOMEM when memory ran out). */

/* Appup i is of one of m's applications, at its version, and the only
 * one of it; err points at the appup's line in the manifest. */
int appup_problem(const struct nines_manifest *m, const struct nines_appup *const *appups, size_t i,
                  struct nines_error *err);

/* `prev` is an earlier version of the same release as `m`. */
int previous_problem(const struct nines_manifest *prev, const struct nines_manifest *m, struct nines_error *err);

/* The planner finds the way from `prev` (folder prev_dir) to `m` (folder
 * dir) with m's appups, or back when `down`: the planner's error if not. */
int plan_problem(const struct nines_manifest *prev, const char *prev_dir, const struct nines_manifest *m,
                 const char *dir, const struct nines_appup *const *appups, bool down, struct nines_error *err);

/* --- the commands -------------------------------------------------------- */

int cmd_build(const struct args *a);
int cmd_inspect(const struct args *a);
int cmd_verify(const struct args *a);
int cmd_unpack(const struct args *a);

#endif /* NINES_RELEASE_TOOL_H */
