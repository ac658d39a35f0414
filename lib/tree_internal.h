/*
 * tree_internal.h — the tree file's own schema: the keys of a child and a
 * supervisor, shared by every format that embeds them (appups, release
 * trees). The generic machinery (context, key tables, errors at a node's
 * position, where the YAML comes from) is the schema layer, yaml_schema.h.
 */
#ifndef NINES_TREE_INTERNAL_H
#define NINES_TREE_INTERNAL_H

#include <stdbool.h>

#include "tree.h"
#include "tree_spec.h"
#include "yaml_schema.h"

#define TREE_MAX_DEPTH 32      /* nested supervisors */
#define TREE_MAX_CHILDREN 100000 /* in the whole tree: aliases cannot blow it up */

/* Whether `s` is a valid child id: [A-Za-z0-9_.-]+ (also each part of a
 * child's path). */
bool tree_id_valid(const char *s);

/* Resolve and check what a child runs. */
int tree_resolve_module(struct schema_loader *l, const yaml_node_t *value, char **out);
int tree_resolve_program(struct schema_loader *l, const yaml_node_t *value, char **out);

/* Setters of a supervisor's flags (target: a struct nines_sup_spec), shared
 * with the appups' supervisor_flags so both accept exactly the same values. */
int tree_set_strategy(struct schema_loader *l, yaml_node_t *v, void *target);
int tree_set_intensity(struct schema_loader *l, yaml_node_t *v, void *target);
int tree_set_period(struct schema_loader *l, yaml_node_t *v, void *target);

/* tree_exec.c: env, cwd, user, group, stop_signal (exec children), as
 * keys of a child; tree_check_exec applies the
 * rules between them and the child's kind, seen[] indexed as the table. */
enum { TREE_EXEC_ENV, TREE_EXEC_CWD, TREE_EXEC_USER, TREE_EXEC_GROUP, TREE_EXEC_STOP_SIGNAL,
       TREE_EXEC_NKEYS };
int tree_set_env(struct schema_loader *l, yaml_node_t *v, void *target);
int tree_set_cwd(struct schema_loader *l, yaml_node_t *v, void *target);
int tree_set_user(struct schema_loader *l, yaml_node_t *v, void *target);
int tree_set_group(struct schema_loader *l, yaml_node_t *v, void *target);
int tree_set_stop_signal(struct schema_loader *l, yaml_node_t *v, void *target);
int tree_check_exec(struct schema_loader *l, const struct nines_child_spec *c, yaml_node_t *const *seen);

/* tree_backoff.c: `backoff: {initial, max, reset}` (workers). */
int tree_set_backoff(struct schema_loader *l, yaml_node_t *v, void *target);
/* tree_sockets.c: `sockets: [{name, tcp | unix, backlog, mode}]`. */
int tree_set_sockets(struct schema_loader *l, yaml_node_t *v, void *target);

int tree_load_supervisor(struct schema_loader *l, yaml_node_t *node, struct nines_sup_spec *sup);
int tree_load_child(struct schema_loader *l, yaml_node_t *node, struct nines_child_spec *c);


#endif
