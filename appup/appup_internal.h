/*
 * appup_internal.h — shared by the appup loader's files. The appup loader
 * is the tree loader with more keys: it reuses the schema layer's context,
 * key tables and error reporting (yaml_schema.h) and the tree's own
 * setters (tree_internal.h), so that a child spec or a supervisor flag in
 * an appup is checked by the very code that checks it in a tree file.
 */
#ifndef NINES_APPUP_INTERNAL_H
#define NINES_APPUP_INTERNAL_H

#include "appup.h"
#include "tree_internal.h"

/* Bounds on what one file may hold. Real appups have a handful of entries
 * and steps; the bounds keep a hostile file (YAML aliases can repeat a
 * node any number of times) from costing more than a moment. */
#define APPUP_MAX_STEPS 10000    /* in the whole file */
#define APPUP_MAX_VERSIONS 1000  /* in `up`, and again in `down` */
#define APPUP_MAX_EXTRA 4096     /* bytes of one code_change extra */

/* The tree loader's context (first, so that a `struct schema_loader *` handed to
 * a setter is also this) and the appup's own counts. */
struct appup_loader {
    struct schema_loader l;
    size_t n_steps;             /* in the whole file */
    const char *own_version;    /* the top `version:`, read first: an entry may not name it */
    bool up;                    /* the direction being read */
    struct nines_appup_entry *entries; /* its entries so far, for duplicate versions */
    size_t n_versions;          /* in that direction */
};

/* Load the sequence `seq` of steps into `e`. */
int appup_load_steps(struct schema_loader *l, yaml_node_t *seq, struct nines_appup_entry *e);

/* Free what a step, an entry owns; accept half-built ones. */
void appup_step_clear(struct nines_appup_step *s);
void appup_entry_clear(struct nines_appup_entry *e);

#endif
