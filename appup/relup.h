/*
 * relup.h — the release upgrade planner: Erlang's relup (doc/relup.md).
 *
 * From the running release's manifest and tree, the target release's
 * manifest, and the appups that cover the way between them, the planner
 * computes the ordered list of steps `ninesctl upgrade` runs, each with the
 * step that undoes it. It is a pure function: it reads no file and runs
 * nothing, so that `--dry-run` prints exactly what the release handler
 * will do, and every rule is a unit test. Whether a step succeeds is the
 * release handler's business; the plan only says what to try and how to
 * go back.
 */
#ifndef NINES_RELUP_H
#define NINES_RELUP_H

#include <stdbool.h>
#include <stddef.h>

#include "appup.h"
#include "manifest.h"
#include "tree.h"

struct nines_relup_input {
    const struct nines_manifest *current; /* the release running now */
    const char *current_dir;              /* its folder: absolute, module paths are joined to it */
    const struct nines_tree *current_tree; /* its tree: the old specs and flags that undo steps */
    const struct nines_manifest *target;  /* the release to go to */
    const char *target_dir;               /* its folder: absolute */
    /* Going up: the target release's appups; going down (down == true):
     * the current release's, whose `down` entries lead back. */
    const struct nines_appup *const *appups;
    size_t n_appups;
    bool down;
};

enum nines_relup_kind {
    NINES_RELUP_SWAP,             /* swap every worker of the application to `module`, live */
    NINES_RELUP_RESTART,          /* restart every worker of the application on `module` */
    NINES_RELUP_ADD_CHILD,        /* start `child` under `supervisor`, after its children */
    NINES_RELUP_REMOVE_CHILD,     /* stop child `id` of `supervisor` and forget its spec */
    NINES_RELUP_CHANGE_CHILD,     /* replace child `id`'s spec with `child`, restarting it */
    NINES_RELUP_SUPERVISOR_FLAGS, /* set the given `flags` of `supervisor` */
};

/* One action, with concrete data. Only `module` belongs to the plan; the
 * other pointers borrow from the input, which must outlive the plan. */
struct nines_relup_op {
    enum nines_relup_kind kind;
    char *module;             /* SWAP, RESTART: absolute path of the .so to run */
    const char *from_version; /* SWAP, RESTART: the version the workers run before */
    const char *to_version;   /* SWAP, RESTART: the version they run after */
    const char *extra;        /* SWAP: code_change's `extra`; "" when the appup gives none */
    const char *supervisor;   /* child and flag kinds: "/" or "web/pool" */
    const char *id;           /* REMOVE_CHILD, CHANGE_CHILD (and ADD_CHILD: child->id) */
    const struct nines_child_spec *child; /* ADD_CHILD, CHANGE_CHILD */
    struct nines_appup_flags flags;       /* SUPERVISOR_FLAGS: only the has_* ones change */
};

struct nines_relup_step {
    const char *application;  /* whose appup the step comes from */
    const char *appup;        /* that appup's path, and where the step is written in it */
    struct nines_mark mark;
    struct nines_relup_op op;
    /* What brings the tree back to where it was before `op`, run when a
     * later step fails. false when nothing can: a child removed or changed
     * that neither the current tree nor an earlier step defines. */
    bool has_undo;
    struct nines_relup_op undo;
};

struct nines_relup {
    bool down;
    const char *release;      /* the target's name */
    const char *from_version; /* the current release's version */
    const char *to_version;   /* the target's */
    struct nines_relup_step *steps; /* in the order to run them */
    size_t n_steps;
    char **notes; /* what the plan does not do, for the operator to know */
    size_t n_notes;
};

/* Make the plan. 0 and *out set (free with nines_relup_free); or -EINVAL
 * with *err naming the application, the versions and the appup at fault
 * (no appup, no entry for the way, a wrong appup version), or -ENOMEM;
 * *out is then NULL. Applications are taken in the target manifest's
 * order, each application's steps in its appup entry's order. */
int nines_relup_plan(const struct nines_relup_input *in, struct nines_relup **out, struct nines_error *err);

void nines_relup_free(struct nines_relup *p); /* accepts NULL */

/* Print the plan into buf (always NUL-terminated when size > 0), as
 * numbered lines for people or as one JSON object; returns the length the
 * whole text needs, as snprintf does. Pure. */
size_t nines_relup_format(const struct nines_relup *p, char *buf, size_t size, bool json);

/* One operation as the text form prints it ("swap workers 1.0.0 -> 1.1.0
 * on …"), for logs and progress lines; like nines_relup_format. Pure. */
size_t nines_relup_op_format(const struct nines_relup_op *op, char *buf, size_t size);

/* "swap", "restart", "add_child", "remove_child", "change_child",
 * "supervisor_flags" ("?" if unknown). */
const char *nines_relup_kind_name(enum nines_relup_kind kind);

#endif /* NINES_RELUP_H */
