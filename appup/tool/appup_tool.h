/*
 * appup_tool.h — the parts of nines-appup (doc/appup.md): its commands,
 * and what `generate` needs from the files of a release.
 */
#ifndef NINES_APPUP_TOOL_H
#define NINES_APPUP_TOOL_H

#include <limits.h>
#include <stdbool.h>

#include "appup_generate.h"
#include "sha256.h"

#define EXIT_PROBLEMS 1 /* generate: a release that cannot be read, appups that cannot be made or written */
#define EXIT_USAGE 2    /* a wrong command line; check: an invalid appup too (as `ninesd --check`) */

/* One release as `generate` reads it: its manifest and tree, and for each
 * application its module resolved, hashed and (when asked) load-checked. */
struct side {
    const char *arg;        /* as given on the command line */
    char dir[PATH_MAX];     /* the folder the manifest's paths are relative to */
    char manifest[PATH_MAX]; /* the manifest's path */
    struct nines_manifest *m;
    struct nines_tree *tree;
    char (*paths)[PATH_MAX];
    char (*shas)[NINES_SHA256_HEX];
    struct nines_appup_gen_module *modules;
    struct nines_appup_gen_release r;
};

/* Open `arg` (a release folder, or its release.yaml or a spec) and load
 * its manifest, its tree and its modules' paths and checksums. 0, or -1
 * with the problem printed on stderr as one line naming the file. */
int side_open(struct side *s, const char *arg);
void side_close(struct side *s);

/* Ask `worker` (nines-worker --check) whether application i's module has
 * code_change, and check that it is the application the manifest says.
 * 0, or -1 with the problem printed. */
int side_check_module(struct side *s, size_t i, const char *worker);

int cmd_generate(int argc, char **argv);

#endif
