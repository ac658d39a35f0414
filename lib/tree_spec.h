/*
 * tree_spec.h — the one owner of a child spec's memory: clear, free, deep
 * copy and compare (tree.h's types). The loader builds specs, the engine
 * keeps copies of the ones added at run time, the appup generator copies
 * and compares specs of two releases: all through these functions. Pure:
 * memory and strings only, so the engine may link it.
 */
#ifndef NINES_TREE_SPEC_H
#define NINES_TREE_SPEC_H

#include <stdbool.h>

#include "tree.h"

/* Free what a spec owns and zero it (the struct itself stays). */
void nines_child_spec_clear(struct nines_child_spec *c);
void nines_sup_spec_clear(struct nines_sup_spec *s);

/* What the copy writes as a child's `module:` — 0 and a malloc'd *out,
 * or -ENOMEM. NULL in nines_child_spec_copy_into stands for strdup. */
typedef int (*nines_spec_module_fn)(void *ctx, const struct nines_child_spec *c, char **out);

/* Deep copy of `s` into `d` (strings, argv, args, nested supervisors and
 * templates), modules written by `module_fn`. 0, or -ENOMEM with in `d`
 * what was copied so far (nines_child_spec_clear frees it). */
int nines_child_spec_copy_into(struct nines_child_spec *d, const struct nines_child_spec *s,
                               nines_spec_module_fn module_fn, void *ctx);

/* A whole copy (free with nines_child_spec_free), or NULL. */
struct nines_child_spec *nines_child_spec_copy(const struct nines_child_spec *s);

/* A copy of `n` args, or NULL (also for n == 0); *ok turns false when
 * memory runs out. */
struct nines_arg *nines_args_copy(const struct nines_arg *args, size_t n, bool *ok);
void nines_args_free(struct nines_arg *args, size_t n);
void nines_sockets_free(struct nines_socket *v, size_t n); /* accepts NULL */

/* Whether two modules are the same application; NULL compares paths. */
typedef bool (*nines_spec_module_eq_fn)(void *ctx, const struct nines_child_spec *a,
                                        const struct nines_child_spec *b);

/* Whether `a` and `b` declare the same child: id, kind, restart, shutdown,
 * readiness, cast bound, timeouts, backoff, sockets (in order), args and env (mappings: order does not count),
 * cwd, user, group, stop signal, argv, module (by `module_eq`) and, for
 * supervisors, flags and children in order. The
 * marks (where each was written) do not count. */
bool nines_child_spec_equal(const struct nines_child_spec *a, const struct nines_child_spec *b,
                            nines_spec_module_eq_fn module_eq, void *ctx);
/* The part of that for supervisors that decides whether a running one can
 * take the other's flags: dynamic or not, and a dynamic one's template. */
bool nines_sup_spec_same_kind(const struct nines_sup_spec *a, const struct nines_sup_spec *b,
                              nines_spec_module_eq_fn module_eq, void *ctx);

#endif
