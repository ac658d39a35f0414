/*
 * engine_tree_diff.h — what `ninesctl reload` (and SIGHUP) changes: the
 * difference between the tree file the daemon runs and the one it has
 * just read, as the engine requests a release upgrade uses (start_child
 * in_init, retire_child, change_child, set_flags). Pure: it compares
 * specs (lib/tree_spec.h) and allocates, nothing else, so every rule is a
 * unit test (tests/unit/test_engine_tree_diff.c).
 *
 * The order: every removal first, tree-wide, each supervisor's children
 * in reverse start order (so a child that moves to another supervisor,
 * or a replaced one, frees what it holds before its successor starts);
 * then, walking the new file in order, each supervisor's flags, then its
 * changed children and its new ones. A supervisor in both files whose
 * kind allows it is walked child by child, so that a change deep inside
 * it restarts nothing else; one that turns dynamic or static, or changes
 * its template, max_children or restart type, or a child that turns
 * from worker to supervisor, is removed and added again.
 */
#ifndef NINES_ENGINE_TREE_DIFF_H
#define NINES_ENGINE_TREE_DIFF_H

#include <stddef.h>

#include "engine.h"

enum engine_diff_kind {
    ENGINE_DIFF_REMOVE, /* retire child `id` of `supervisor` (`from`: its old spec) */
    ENGINE_DIFF_CHANGE, /* change worker `id`'s spec from `from` to `to` */
    ENGINE_DIFF_ADD,    /* start `to` as the last child of `supervisor`, in its init */
    ENGINE_DIFF_FLAGS,  /* set `flags` (the has_* ones) of `supervisor`; `old_flags` undoes */
};

struct engine_diff_op {
    enum engine_diff_kind kind;
    char *supervisor; /* "/" or "web/pool" (owned) */
    const char *id;   /* the child (not FLAGS) */
    const struct nines_child_spec *from, *to; /* borrowed from the two trees */
    struct engine_sup_flags flags, old_flags;
};

struct engine_diff {
    struct engine_diff_op *v;
    size_t n;
};

/* The ops that turn `from` into `to`. 0; -EINVAL when the root cannot be
 * changed so (it turns dynamic or static, or its template changes), with
 * `why` saying so; -ENOMEM. *out is empty on failure. */
int engine_tree_diff(const struct nines_sup_spec *from, const struct nines_sup_spec *to, struct engine_diff *out,
                     char *why, size_t size);

/* The op that undoes `op` (remove <-> add, change back, old flags). The
 * supervisor string is borrowed from `op`. */
struct engine_diff_op engine_diff_undo(const struct engine_diff_op *op);

/* The child's path ("web/x", "x" under the root) into buf; for FLAGS the
 * supervisor's. */
void engine_diff_path(const struct engine_diff_op *op, char *buf, size_t size);

const char *engine_diff_kind_name(enum engine_diff_kind k); /* "remove", "change", "add", "flags" */

void engine_diff_free(struct engine_diff *d); /* accepts an empty one */

#endif
