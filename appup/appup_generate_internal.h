/*
 * appup_generate_internal.h — shared by the appup generator's files: the
 * differences of two trees (appup_generate_tree.c), comparing and copying
 * child specs across two releases (appup_generate_spec.c), and the driver
 * that gives each difference to an application (appup_generate.c).
 */
#ifndef NINES_APPUP_GENERATE_INTERNAL_H
#define NINES_APPUP_GENERATE_INTERNAL_H

#include "appup_generate.h"
#include "tree_spec.h"

/* What child specs' module paths start with: an appup lives in its
 * release's appups/ folder, and relative paths are relative to it. */
#define GEN_MODULE_PREFIX "../"

/* One difference of the trees: a child added (only `to`), removed (only
 * `from`), changed (both), or a supervisor's flags. The specs are the
 * trees'. */
struct gen_change {
    enum nines_appup_step_kind kind; /* ADD_CHILD, REMOVE_CHILD, CHANGE_CHILD or SUPERVISOR_FLAGS */
    char *supervisor;                /* "/" or "store/pool" */
    const struct nines_child_spec *from, *to;
    struct nines_appup_flags up, down; /* SUPERVISOR_FLAGS: the new values of what changes, and the old ones */
};

/* The differences of from->tree and to->tree, in the order the trees are
 * walked: a supervisor's flags, then its children in the new order (a
 * supervisor in both is walked in its turn), then the children it lost,
 * last first. */
struct gen_diff {
    const struct nines_appup_gen_release *from, *to;
    struct gen_change *v;
    size_t n;
};

/* Fill d->v; 0, -ENOMEM, or -EINVAL with *err when the root supervisor
 * changes in a way no step can say. gen_diff_clear frees what it holds. */
int gen_diff_trees(struct gen_diff *d, struct nines_error *err);
void gen_diff_clear(struct gen_diff *d);

/* The application of release `r` whose module a child runs, or NULL (not
 * a module child, or a module that is none of the release's). */
const struct nines_manifest_app *gen_child_app(const struct nines_appup_gen_release *r,
                                               const struct nines_child_spec *c);

/* Whether two specs, each of its release, are the same in every field;
 * a module is its application (its path differs from release to release),
 * or its path when it is no application's. */
bool gen_child_equal(const struct nines_appup_gen_release *ra, const struct nines_child_spec *a,
                     const struct nines_appup_gen_release *rb, const struct nines_child_spec *b);

/* Whether a supervisor of each release can be walked as the same one:
 * both with children, or both dynamic with the same template. */
bool gen_sup_same_kind(const struct nines_appup_gen_release *ra, const struct nines_sup_spec *a,
                       const struct nines_appup_gen_release *rb, const struct nines_sup_spec *b);

/* A copy of `c` (a spec of release `side`) as the appup writes it: module
 * paths GEN_MODULE_PREFIX + the `to` release's module of the application;
 * a module of no application of `to` keeps its absolute path, and the
 * first one is *foreign (left alone if NULL already set). NULL when out
 * of memory. */
struct nines_child_spec *gen_child_copy(const struct nines_appup_gen_release *side,
                                        const struct nines_appup_gen_release *to, const struct nines_child_spec *c,
                                        const char **foreign);

#endif
