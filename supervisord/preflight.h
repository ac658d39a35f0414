/*
 * preflight.h — every module of a tree checked before anything starts.
 *
 * ninesd never loads application code itself, so each distinct .so is
 * loaded by a throw-away `nines-worker --check MODULE` process, which
 * dlopen()s it and checks its descriptor without running init. A module
 * that would be refused is then an error of the tree file, with its
 * position, and nothing is started (`ninesd --check` reports it too).
 */
#ifndef NINES_PREFLIGHT_H
#define NINES_PREFLIGHT_H

#include <stddef.h>

#include "tree.h"

/* A module to check and the first child that names it. */
struct preflight_item {
    const char *module;
    const struct nines_child_spec *child;
};

/* The distinct modules of `tree` (dynamic templates included), each with
 * the first child naming it in file order. Pure. *out is malloc'd (free
 * it); returns the count, or -ENOMEM. */
int preflight_collect(const struct nines_tree *tree, struct preflight_item **out);

/* Check them all with `worker`. 0, or -EINVAL with *err naming the first
 * refused module's child position and the host's reason. */
int preflight_check(const struct nines_tree *tree, const char *worker, struct nines_error *err);

/* The same in two steps, so that the hosts load the modules while ninesd
 * goes on with its start: begin checks the exec programs at once (-EINVAL
 * with *err) and starts the first hosts (0 and *out, which end takes);
 * end waits for them, runs the rest and gives preflight_check's verdict.
 * Nothing of the tree may start before it. */
struct preflight;
int preflight_begin(const struct nines_tree *tree, const char *worker, struct preflight **out,
                    struct nines_error *err);
int preflight_end(struct preflight *p, struct nines_error *err);

#endif /* NINES_PREFLIGHT_H */
