/*
 * yaml_schema.h — the schema layer every YAML format of Nines is read
 * through (tree files, appups, release manifests, release state): one
 * document per file, each mapping checked against a table of keys (nginx's
 * command table, redis's config table) whose setters check type and range,
 * and every error placed at its node's FILE:LINE:COLUMN.
 */
#ifndef NINES_YAML_SCHEMA_H
#define NINES_YAML_SCHEMA_H

#include <limits.h>
#include <stdio.h>
#include <yaml.h>

#include "nines_error.h"

/* The context of one load. The last three fields serve the tree's own
 * setters (tree_internal.h), which every format embedding child specs
 * shares. */
struct schema_loader {
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
typedef int (*schema_setter_fn)(struct schema_loader *l, yaml_node_t *value, void *target);
struct schema_key {
    const char *name;
    schema_setter_fn set;
};

/* Apply `rules` to every pair of mapping `map` (described as `where` in
 * errors): unknown and duplicate keys are errors listing the allowed ones;
 * seen[i] is set to the value node of rule i. */
int schema_apply_keys(struct schema_loader *l, yaml_node_t *map, const struct schema_key *rules, size_t n,
                     void *target, const char *where, yaml_node_t **seen);

/* Fill the error at `node`'s position; returns -EINVAL for `return fail(...)`. */
int schema_fail(struct schema_loader *l, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *schema_node_kind(const yaml_node_t *node); /* "a scalar", "a sequence", "a mapping" */
const char *schema_scalar(const yaml_node_t *node);   /* NULL unless a scalar */
yaml_node_t *schema_node(struct schema_loader *l, int index);

/* Load the one YAML document of `parser` into l->doc. A syntax error, or a
 * second document, is an error at its position; `what` names the kind of
 * file in that message ("a tree file"). */
int schema_parse_document(struct schema_loader *l, yaml_parser_t *parser, const char *what);

/* The whole of loading one file: its one document from `parser`, then
 * `root_fn(l, obj)` on it; the document is released either way, and an
 * allocation failure gets its message. 0 or the first error. */
typedef int (*schema_root_fn)(struct schema_loader *l, void *obj);
int schema_load_document(struct schema_loader *l, yaml_parser_t *parser, const char *what, schema_root_fn root_fn,
                       void *obj);

/* A parser reading the file `path` (a regular file), or `text` when path
 * is NULL; *err starts empty, naming the file `name`. Opening fails with
 * -errno and err->message "cannot open WHAT: why" (`what`: "the release
 * manifest"); close after a successful open. */
struct schema_input {
    yaml_parser_t parser;
    char *text; /* the file's, read whole within the limit `size` */
};
int schema_input_open(struct schema_input *in, const char *name, const char *path, const char *text, size_t len,
                    const char *what, struct nines_error *err);
void schema_input_close(struct schema_input *in);

/* Text in memory through schema_load_document (a parser of its own). */
int schema_load_text(struct schema_loader *l, const char *text, size_t len, const char *what, schema_root_fn root_fn,
                     void *obj);

/* 0 if `len` bytes are within the YAML limit `size` (yaml_limits.h),
 * else -EINVAL with err naming the limit at the place it is crossed. */
int schema_check_size(struct nines_error *err, const char *text, size_t len);

/* The whole of file `f` into *text (malloc'd, NUL-terminated), reading at
 * most one byte more than the limit `size`, so that schema_check_size can
 * refuse a larger one: 0, or -errno with err's message set ("cannot read
 * WHAT: why"). */
int schema_read_file(FILE *f, const char *what, char **text, size_t *len, struct nines_error *err);

/* Errors start empty, naming the file. */
void schema_reset_error(struct nines_error *err, const char *name);

#endif
