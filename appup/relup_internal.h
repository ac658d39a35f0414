/*
 * relup_internal.h — shared by the planner's files: growing the plan, and
 * the steps about children and flags, whose undo depends on the tree as it
 * will be when they run (the current tree changed by the steps before).
 */
#ifndef NINES_RELUP_INTERNAL_H
#define NINES_RELUP_INTERNAL_H

#include "relup.h"

/* Append a zeroed step to p; NULL when out of memory. */
struct nines_relup_step *relup_push_step(struct nines_relup *p);

/* Fill p's last step (already pushed) from an appup step that is about a
 * child or a supervisor's flags, with its undo worked out against `tree`
 * and the plan's earlier steps. */
void relup_tree_step(const struct nines_relup *p, const struct nines_tree *tree, const struct nines_appup_step *s,
                     struct nines_relup_step *out);

/* The supervisor at `path` ("/" or "web/pool") in `tree`; NULL if none. */
const struct nines_sup_spec *relup_find_supervisor(const struct nines_tree *tree, const char *path);

#endif
