/*
 * appup.h — how one application goes from older versions to this one and
 * back: OTP's .appup, as a YAML file NAME.appup.yaml (doc/appup.md).
 *
 * An appup is a pure, validated description: it names supervisors by their
 * path and children by their id, and says nothing about the running tree.
 * Whether those supervisors and children exist is the planner's question,
 * asked against a release's tree; whether a step succeeds is the release
 * handler's. Loading is all-or-nothing, like the tree file: either the
 * whole file is valid and an appup comes back, or nothing is built and the
 * error names the file, line and column and what was expected.
 */
#ifndef NINES_APPUP_H
#define NINES_APPUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tree.h"

/* One instruction. Steps run in the order written. */
enum nines_appup_step_kind {
    NINES_STEP_CODE_CHANGE,      /* swap every worker of the application live, calling code_change */
    NINES_STEP_RESTART,          /* restart every worker of the application on the new code */
    NINES_STEP_ADD_CHILD,        /* start a new child under a supervisor */
    NINES_STEP_REMOVE_CHILD,     /* stop a child and forget its spec */
    NINES_STEP_CHANGE_CHILD,     /* replace a child's spec, restarting it with the new one */
    NINES_STEP_SUPERVISOR_FLAGS, /* change a supervisor's strategy, intensity or period */
};

/* SUPERVISOR_FLAGS: only what is written changes ("unset" is not
 * "default"): each value comes with whether it was given. */
struct nines_appup_flags {
    bool has_strategy, has_intensity, has_period;
    enum nines_strategy strategy; /* never NINES_DYNAMIC: children and a template do not convert */
    unsigned intensity;
    uint64_t period_ms;
};

struct nines_appup_step {
    enum nines_appup_step_kind kind;
    struct nines_mark mark; /* where the step was written */

    /* CODE_CHANGE: code_change's `extra` argument; NULL when not given
     * (the release handler then passes "", as `ninesctl upgrade` does). */
    char *extra;

    /* The supervisor the step is about, by its path in the tree: "/" for
     * the root, else ids joined by '/' ("web/pool"), without a leading '/'.
     * Every kind but CODE_CHANGE and RESTART. */
    char *supervisor;

    /* REMOVE_CHILD and CHANGE_CHILD: the child's id under `supervisor`. */
    char *id;

    /* ADD_CHILD and CHANGE_CHILD: the new spec, loaded and checked exactly
     * as a child of a tree file (relative paths against the appup's
     * folder). For CHANGE_CHILD its id is `id`. */
    struct nines_child_spec *child;

    struct nines_appup_flags flags; /* SUPERVISOR_FLAGS */

    /* Why the step is there, for the reader: nines_appup_write puts it
     * above the step as '#' lines. The loader does not read comments: it
     * leaves this NULL. */
    char *comment;
};

/* The way from one or more versions (an `up` entry: its `from`) or back to
 * them (a `down` entry: its `to`). */
struct nines_appup_entry {
    char **versions; /* in file order; never empty */
    size_t n_versions;
    struct nines_appup_step *steps; /* in file order; may be empty */
    size_t n_steps;
    struct nines_mark mark;
};

struct nines_appup {
    char *path;        /* the file it was loaded from, as given */
    char *application; /* the module descriptor's name: [a-z0-9_-]{1,64} */
    char *version;     /* the version this appup upgrades to */
    struct nines_appup_entry *up; /* from older versions to `version` */
    size_t n_up;
    struct nines_appup_entry *down; /* from `version` back to older ones */
    size_t n_down;
    char *comment; /* written at the top of the file as '#' lines; NULL when loaded */
};

/* Load and validate an appup file. On success returns 0 and sets *out
 * (free with nines_appup_free). On failure returns a negative errno
 * (-EINVAL for invalid content) and fills *err; *out is left NULL and
 * nothing leaks. A file named NAME.appup.yaml must be NAME's appup. */
int nines_appup_load(const char *path, struct nines_appup **out, struct nines_error *err);

/* Same, from text in memory: `name` stands for the file in errors (and is
 * checked as a file name is) and relative paths of child specs are
 * resolved against `base_dir`. Used by tests and fuzzers. */
int nines_appup_load_string(const char *name, const char *base_dir, const char *text, size_t len,
                            struct nines_appup **out, struct nines_error *err);

void nines_appup_free(struct nines_appup *a); /* accepts NULL */

/* The entry that goes up from `version` (up == true) or down to it (up ==
 * false); NULL when the appup does not cover that version. Pure. */
const struct nines_appup_entry *nines_appup_find(const struct nines_appup *a, bool up, const char *version);

/* The step's key in the file: "code_change", "restart", ... ("?" if unknown). */
const char *nines_appup_step_name(enum nines_appup_step_kind kind);

/* Write `a` as an appup file (appup/appup_write.c): nines_appup_load reads
 * the text back to the same appup — every entry, step and field, child
 * specs whole — but for the comments, which are written as '#' lines
 * (wrapped) and not read back, and `path`, which is not written. Module
 * and program paths are written as they are held: a loaded appup holds
 * absolute ones. 0; -EILSEQ when a string is not UTF-8 (a YAML file
 * cannot hold it), -EIO when writing fails. */
int nines_appup_write(const struct nines_appup *a, FILE *f);

#endif /* NINES_APPUP_H */
