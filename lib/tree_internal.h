/*
 * tree_internal.h — shared by the loader's files: the loader's context,
 * error reporting at a node's position, and the node helpers.
 */
#ifndef NINES_TREE_INTERNAL_H
#define NINES_TREE_INTERNAL_H

#include <limits.h>
#include <yaml.h>

#include <stdbool.h>
#include <stdio.h>

#include "tree.h"

#define TREE_MAX_DEPTH 32      /* nested supervisors */
#define TREE_MAX_CHILDREN 100000 /* in the whole tree: aliases cannot blow it up */

struct loader {
    yaml_document_t doc;
    const char *base_dir;
    struct nines_error *err;
    int depth;
    size_t n_children;
    /* The last module path resolved and what it resolved to: a tree of
     * many workers of one module resolves it once (realpath reads every
     * component's link). */
    char module_joined[PATH_MAX], module_real[PATH_MAX];
};

/* A key of a mapping and the function that checks and stores its value. */
typedef int (*tree_setter_fn)(struct loader *l, yaml_node_t *value, void *target);
struct key_rule {
    const char *name;
    tree_setter_fn set;
};

/* Apply `rules` to every pair of mapping `map` (described as `where` in
 * errors): unknown and duplicate keys are errors listing the allowed ones;
 * seen[i] is set to the value node of rule i. */
int tree_apply_rules(struct loader *l, yaml_node_t *map, const struct key_rule *rules, size_t n,
                     void *target, const char *where, yaml_node_t **seen);

/* Fill the error at `node`'s position; returns -EINVAL for `return fail(...)`. */
int tree_fail(struct loader *l, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *tree_node_kind(const yaml_node_t *node); /* "a scalar", "a sequence", "a mapping" */
const char *tree_scalar(const yaml_node_t *node);   /* NULL unless a scalar */
yaml_node_t *tree_node(struct loader *l, int index);

/* Whether `s` is a valid child id: [A-Za-z0-9_.-]+ (also each part of a
 * child's path). */
bool tree_id_valid(const char *s);

/* Resolve and check what a child runs. */
int tree_resolve_module(struct loader *l, const yaml_node_t *value, char **out);
int tree_resolve_program(struct loader *l, const yaml_node_t *value, char **out);

/* Load the one YAML document of `parser` into l->doc. A syntax error, or a
 * second document, is an error at its position; `what` names the kind of
 * file in that message ("a tree file"). */
int tree_parse_document(struct loader *l, yaml_parser_t *parser, const char *what);

/* The whole of loading one file: its one document from `parser`, then
 * `root_fn(l, obj)` on it; the document is released either way, and an
 * allocation failure gets its message. 0 or the first error. */
typedef int (*tree_root_fn)(struct loader *l, void *obj);
int tree_load_document(struct loader *l, yaml_parser_t *parser, const char *what, tree_root_fn root_fn,
                       void *obj);

/* A parser reading the file `path` (a regular file), or `text` when path
 * is NULL; *err starts empty, naming the file `name`. Opening fails with
 * -errno and err->message "cannot open WHAT: why" (`what`: "the release
 * manifest"); close after a successful open. */
struct tree_input {
    yaml_parser_t parser;
    FILE *file;
};
int tree_input_open(struct tree_input *in, const char *name, const char *path, const char *text, size_t len,
                    const char *what, struct nines_error *err);
void tree_input_close(struct tree_input *in);

/* Setters of a supervisor's flags (target: a struct nines_sup_spec), shared
 * with the appups' supervisor_flags so both accept exactly the same values. */
int tree_set_strategy(struct loader *l, yaml_node_t *v, void *target);
int tree_set_intensity(struct loader *l, yaml_node_t *v, void *target);
int tree_set_period(struct loader *l, yaml_node_t *v, void *target);

int tree_load_supervisor(struct loader *l, yaml_node_t *node, struct nines_sup_spec *sup);
int tree_load_child(struct loader *l, yaml_node_t *node, struct nines_child_spec *c);

void nines_child_spec_clear(struct nines_child_spec *c);
void nines_sup_spec_clear(struct nines_sup_spec *s);

#endif
