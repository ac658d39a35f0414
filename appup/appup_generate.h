/*
 * appup_generate.h — the appups a release difference needs, for people to
 * review: what `nines-appup generate OLD NEW` writes (doc/appup.md).
 *
 * From two releases of the same name — their manifests, their trees, and
 * what the command line found out about each module (where it is, its
 * checksum, whether it has code_change) — comes one appup per application
 * whose version changes, going up from the old version and down back to
 * it. It is a pure function: it reads no file and runs nothing, so that
 * every rule is a unit test (tests/unit/test_appup_generate.c).
 *
 * The rules:
 *  - an application whose module changed (another checksum) gets a
 *    `code_change` step if its new module has a code_change callback,
 *    else `restart`; going down the same, by the old module's callback;
 *  - the trees are compared by supervisor path and child id: a child only
 *    in the new tree is added, one only in the old removed, one whose spec
 *    differs in any field changed (a module counts as its application,
 *    not its path); a supervisor in both is compared child by child, and
 *    its changed strategy, intensity or period give a `supervisor_flags`
 *    step with only those;
 *  - each step about a child goes in the appup of the application the
 *    child runs, if that application changes; the others (supervisors,
 *    programs, flags, children of applications that are new, gone or
 *    unchanged) go in the appup of the first application of the new
 *    manifest that changes, with a comment saying so: only an application
 *    whose version changes has an appup the planner reads (doc/relup.md);
 *  - going up: children added, flags, the code step, children changed,
 *    children removed (the new code finds the children it calls, the old
 *    code keeps those it used until it is gone); going down: the same
 *    steps undone, in the reverse order.
 *
 * Module paths in the child specs are written for an appup that lives in
 * the new release's appups/ folder: "../apps/kv.so" for the new release's
 * module of the application (in a downgrade too: the code step that
 * follows swaps the workers to the old module). A module of an application
 * the new release does not have, or one that is no release's application,
 * is written as the absolute path it has now, with a comment: it has to be
 * pointed at where it will be.
 */
#ifndef NINES_APPUP_GENERATE_H
#define NINES_APPUP_GENERATE_H

#include <stdbool.h>
#include <stddef.h>

#include "appup.h"
#include "manifest.h"
#include "tree.h"

/* What the caller found out about one application's module. */
struct nines_appup_gen_module {
    const char *path;   /* absolute, resolved as the tree loader resolves `module:` (so a child finds its application) */
    const char *sha256; /* its content's checksum: another one means new code */
    bool code_change;   /* its descriptor has a code_change callback */
};

/* One release. */
struct nines_appup_gen_release {
    const struct nines_manifest *manifest;
    const struct nines_tree *tree;
    const struct nines_appup_gen_module *modules; /* one per application, in the manifest's order */
};

struct nines_appup_gen {
    struct nines_appup **appups; /* one per changed application, in the new manifest's order */
    size_t n_appups;
    /* What the appups do not say — applications that come or go, a module
     * that changes under the same version — one note a line ("" if none). */
    char *notes;
};

/* Make the appups from `from` to `to`. 0 and *out set (free with
 * nines_appup_gen_free); or -EINVAL with *err saying why no appup can say
 * it (releases of two names or of one version, a root supervisor that
 * changes kind or template, a tree that changes while no application's
 * version does), or -ENOMEM. */
int nines_appup_generate(const struct nines_appup_gen_release *from, const struct nines_appup_gen_release *to,
                         struct nines_appup_gen **out, struct nines_error *err);

void nines_appup_gen_free(struct nines_appup_gen *g); /* accepts NULL */

#endif /* NINES_APPUP_GENERATE_H */
