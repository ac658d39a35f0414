/*
 * tree_child.c — one child of a supervisor: its keys, the rules between
 * them (a child is exactly one of module, exec, supervisor), its defaults;
 * and the top of the file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "str_set.h"
#include "tree_internal.h"
#include "yaml_limits.h"


static int copy_string(const char *s, char **out) { return (*out = strdup(s)) ? 0 : -ENOMEM; }

bool tree_id_valid(const char *s) {
    return *s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == strlen(s);
}

static int set_id(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    if (!s || !tree_id_valid(s))
        return schema_fail(l, v, "invalid id '%s' (letters, digits, '_', '.' and '-' only)", s ? s : schema_node_kind(v));
    return copy_string(s, &((struct nines_child_spec *)t)->id);
}

static int set_module(struct schema_loader *l, yaml_node_t *v, void *t) {
    return tree_resolve_module(l, v, &((struct nines_child_spec *)t)->module);
}

static int set_exec(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_child_spec *c = t;
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
        return schema_fail(l, v, "'exec' must be a non-empty sequence: [program, arguments...]");
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (!(c->exec_argv = calloc(n + 1, sizeof *c->exec_argv)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = schema_node(l, v->data.sequence.items.start[i]);
        const char *s = schema_scalar(item);
        if (!s)
            return schema_fail(l, item, "'exec' items must be strings, got %s", schema_node_kind(item));
        int r = i == 0 ? tree_resolve_program(l, item, &c->exec_argv[0]) : copy_string(s, &c->exec_argv[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

static int set_supervisor(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_child_spec *c = t;
    if (!(c->supervisor = calloc(1, sizeof *c->supervisor)))
        return -ENOMEM;
    return tree_load_supervisor(l, v, c->supervisor);
}

/* One argument: a name without '=' and a scalar value. */
static int check_arg(struct schema_loader *l, yaml_node_t *key, yaml_node_t *value) {
    const char *k = schema_scalar(key), *val = schema_scalar(value);
    if (!k || !*k || strchr(k, '='))
        return schema_fail(l, key, "argument names must be non-empty strings without '='");
    if (!val)
        return schema_fail(l, value, "argument '%s' must be a scalar (string, number or boolean), got %s", k,
                         schema_node_kind(value));
    return 0;
}

/* Duplicates are found in a set of the names (linear: comparing each with
 * every earlier one made 200,000 args take over a minute). */
static int set_args(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_child_spec *c = t;
    if (v->type != YAML_MAPPING_NODE)
        return schema_fail(l, v, "'args' must be a mapping of names to values, got %s", schema_node_kind(v));
    size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    if (n > yaml_limits.args)
        return schema_fail(l, v, "%zu args, more than %zu (a limit: %s)", n, yaml_limits.args,
                         YAML_LIMITS_HINT("args"));
    if (n && !(c->args = calloc(n, sizeof *c->args)))
        return -ENOMEM;
    struct str_set names = {0};
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        yaml_node_pair_t *p = &v->data.mapping.pairs.start[i];
        yaml_node_t *key = schema_node(l, p->key), *value = schema_node(l, p->value);
        if ((r = check_arg(l, key, value)) < 0)
            break;
        const char *k = schema_scalar(key);
        if ((r = str_set_add(&names, k, i, NULL)) != 0) {
            r = r < 0 ? r : schema_fail(l, key, "duplicate argument '%s'", k);
            break;
        }
        c->n_args = i + 1;
        if (copy_string(k, &c->args[i].key) < 0 || copy_string(schema_scalar(value), &c->args[i].value) < 0)
            r = -ENOMEM;
    }
    str_set_free(&names);
    return r;
}

static int set_restart(struct schema_loader *l, yaml_node_t *v, void *t) {
    static const char *const names[] = {"permanent", "transient", "temporary"};
    const char *s = schema_scalar(v);
    for (size_t i = 0; s && i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            ((struct nines_child_spec *)t)->restart = (enum nines_restart)i;
            return 0;
        }
    return schema_fail(l, v, "invalid restart '%s' (allowed: permanent, transient, temporary)", s ? s : schema_node_kind(v));
}

static int set_shutdown(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_shutdown *sd = &((struct nines_child_spec *)t)->shutdown;
    const char *s = schema_scalar(v);
    if (s && strcmp(s, "brutal_kill") == 0)
        sd->kind = NINES_SHUTDOWN_BRUTAL_KILL;
    else if (s && strcmp(s, "infinity") == 0)
        sd->kind = NINES_SHUTDOWN_INFINITY;
    else if (s && nines_duration_parse(s, &sd->ms) == 0)
        sd->kind = NINES_SHUTDOWN_TIMEOUT;
    else
        return schema_fail(l, v, "invalid shutdown '%s' (allowed: a duration such as 500ms, 5s or 1m; brutal_kill; infinity)",
                         s ? s : schema_node_kind(v));
    return 0;
}

static int set_ready(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    if (s && (strcmp(s, "spawn") == 0 || strcmp(s, "notify") == 0)) {
        ((struct nines_child_spec *)t)->notify = strcmp(s, "notify") == 0;
        return 0;
    }
    return schema_fail(l, v, "invalid ready '%s' (allowed: spawn, notify)", s ? s : schema_node_kind(v));
}

static int set_max_queued_casts(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    char *end = NULL;
    errno = 0;
    unsigned long n = s && *s >= '0' && *s <= '9' ? strtoul(s, &end, 10) : 0;
    if (!s || !end || *end || errno || n < 1 || n > NINES_MAX_QUEUED_CASTS_LIMIT)
        return schema_fail(l, v, "max_queued_casts must be an integer from 1 to %u, got '%s'",
                           NINES_MAX_QUEUED_CASTS_LIMIT, s ? s : schema_node_kind(v));
    ((struct nines_child_spec *)t)->max_queued_casts = (unsigned)n;
    return 0;
}

/* A duration from 1 ms, or infinity (0). */
static int set_timeout(struct schema_loader *l, yaml_node_t *v, uint64_t *ms, const char *key) {
    const char *s = schema_scalar(v);
    if (s && strcmp(s, "infinity") == 0) {
        *ms = 0;
        return 0;
    }
    if (s && nines_duration_parse(s, ms) == 0 && *ms > 0)
        return 0;
    return schema_fail(l, v, "invalid %s '%s' (allowed: a duration such as 500ms, 30s or 2m; infinity)", key,
                       s ? s : schema_node_kind(v));
}

static int set_start_timeout(struct schema_loader *l, yaml_node_t *v, void *t) {
    return set_timeout(l, v, &((struct nines_child_spec *)t)->start_timeout_ms, "start_timeout");
}

static int set_swap_timeout(struct schema_loader *l, yaml_node_t *v, void *t) {
    return set_timeout(l, v, &((struct nines_child_spec *)t)->swap_timeout_ms, "swap_timeout");
}

static const struct schema_key child_rules[] = {
    {"id", set_id},         {"module", set_module},   {"exec", set_exec},
    {"supervisor", set_supervisor}, {"args", set_args}, {"restart", set_restart},
    {"shutdown", set_shutdown}, {"ready", set_ready}, {"max_queued_casts", set_max_queued_casts},
    {"start_timeout", set_start_timeout}, {"swap_timeout", set_swap_timeout},
    /* tree_exec.c, in the order of its TREE_EXEC_* */
    {"env", tree_set_env}, {"cwd", tree_set_cwd}, {"user", tree_set_user},
    {"group", tree_set_group}, {"stop_signal", tree_set_stop_signal},
    {"backoff", tree_set_backoff}, {"sockets", tree_set_sockets},
};
enum { C_ID, C_MODULE, C_EXEC, C_SUPERVISOR, C_ARGS, C_RESTART, C_SHUTDOWN, C_READY, C_MAX_CASTS, C_START_TIMEOUT,
       C_SWAP_TIMEOUT, C_OWN, C_BACKOFF = C_OWN + TREE_EXEC_NKEYS, C_SOCKETS,
       C_NKEYS };
_Static_assert(sizeof child_rules / sizeof child_rules[0] == C_NKEYS, "one rule per key");

/* The rules between keys, once every key has been read. */
static int check_child(struct schema_loader *l, yaml_node_t *node, struct nines_child_spec *c, yaml_node_t **seen) {
    if (!seen[C_ID])
        return schema_fail(l, node, "a child needs an 'id'");
    int kinds = !!seen[C_MODULE] + !!seen[C_EXEC] + !!seen[C_SUPERVISOR];
    if (kinds != 1)
        return schema_fail(l, node, "child '%s' must have exactly one of 'module', 'exec', 'supervisor' (it has %d)",
                         c->id, kinds);
    c->kind = seen[C_MODULE] ? NINES_CHILD_MODULE : seen[C_EXEC] ? NINES_CHILD_EXEC : NINES_CHILD_SUPERVISOR;
    if (seen[C_READY] && c->kind != NINES_CHILD_EXEC)
        return schema_fail(l, seen[C_READY], "'ready' is only for 'exec' children");
    if (seen[C_MAX_CASTS] && c->kind != NINES_CHILD_MODULE)
        return schema_fail(l, seen[C_MAX_CASTS], "'max_queued_casts' is only for 'module' children (only workers take casts)");
    if (c->kind == NINES_CHILD_MODULE && !seen[C_MAX_CASTS])
        c->max_queued_casts = NINES_MAX_QUEUED_CASTS;
    /* A start that waits for something: a worker's init, a program's READY=1. */
    bool waits = c->kind == NINES_CHILD_MODULE || (c->kind == NINES_CHILD_EXEC && c->notify);
    if (seen[C_START_TIMEOUT] && !waits)
        return schema_fail(l, seen[C_START_TIMEOUT], "'start_timeout' is only for 'module' children and 'exec' "
                                                     "children with 'ready: notify' (it bounds init or READY=1)");
    if (seen[C_SWAP_TIMEOUT] && c->kind != NINES_CHILD_MODULE)
        return schema_fail(l, seen[C_SWAP_TIMEOUT], "'swap_timeout' is only for 'module' children (it bounds code_change)");
    if (waits && !seen[C_START_TIMEOUT])
        c->start_timeout_ms = NINES_START_TIMEOUT_MS;
    if (c->kind == NINES_CHILD_MODULE && !seen[C_SWAP_TIMEOUT])
        c->swap_timeout_ms = NINES_SWAP_TIMEOUT_MS;
    if (seen[C_BACKOFF] && c->kind == NINES_CHILD_SUPERVISOR)
        return schema_fail(l, seen[C_BACKOFF], "'backoff' is only for 'module' and 'exec' children");
    if (seen[C_SOCKETS] && c->kind == NINES_CHILD_SUPERVISOR)
        return schema_fail(l, seen[C_SOCKETS], "'sockets' is only for 'module' and 'exec' children");
    if (seen[C_ARGS] && c->kind == NINES_CHILD_SUPERVISOR)
        return schema_fail(l, seen[C_ARGS], "'args' is only for 'module' and 'exec' children");
    if (c->kind == NINES_CHILD_SUPERVISOR) {
        if (seen[C_SHUTDOWN] && c->shutdown.kind != NINES_SHUTDOWN_INFINITY)
            return schema_fail(l, seen[C_SHUTDOWN], "a supervisor's shutdown must be infinity: "
                                                  "each worker below it has its own grace");
        c->shutdown.kind = NINES_SHUTDOWN_INFINITY;
    } else if (!seen[C_SHUTDOWN]) {
        c->shutdown = (struct nines_shutdown){NINES_SHUTDOWN_TIMEOUT, 5000};
    }
    return tree_check_exec(l, c, seen + C_OWN);
}

int tree_load_child(struct schema_loader *l, yaml_node_t *node, struct nines_child_spec *c) {
    yaml_node_t *seen[C_NKEYS] = {0};
    *c = (struct nines_child_spec){.restart = NINES_PERMANENT};
    c->mark = (struct nines_mark){(unsigned)node->start_mark.line + 1, (unsigned)node->start_mark.column + 1};
    int r = schema_apply_keys(l, node, child_rules, C_NKEYS, c, "a child", seen);
    return r < 0 ? r : check_child(l, node, c, seen);
}

/* --- the file ----------------------------------------------------------- */

static int load_root(struct schema_loader *l, struct nines_tree *tree) {
    yaml_node_t *root = yaml_document_get_root_node(&l->doc);
    if (!root)
        return schema_fail(l, NULL, "the tree file is empty: expected a mapping with the key 'supervisor'");
    if (root->type != YAML_MAPPING_NODE)
        return schema_fail(l, root, "expected a mapping with the key 'supervisor', got %s", schema_node_kind(root));
    yaml_node_t *sup = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *key = schema_node(l, p->key);
        const char *name = schema_scalar(key);
        if (!name || strcmp(name, "supervisor") != 0)
            return schema_fail(l, key, "unknown key '%s' at the top (allowed: supervisor)", name ? name : "?");
        if (sup)
            return schema_fail(l, key, "duplicate key 'supervisor' at the top");
        sup = schema_node(l, p->value);
    }
    if (!sup)
        return schema_fail(l, root, "the tree file needs the key 'supervisor'");
    return tree_load_supervisor(l, sup, &tree->root);
}

static int tree_root(struct schema_loader *l, void *tree) {
    return load_root(l, tree);
}

int nines_tree_load_string(const char *name, const char *base_dir, const char *text, size_t len,
                           struct nines_tree **out, struct nines_error *err) {
    struct schema_loader l = {.base_dir = base_dir, .err = err};
    schema_reset_error(err, name);
    *out = NULL;
    struct nines_tree *tree = calloc(1, sizeof *tree);
    int r = tree ? schema_load_text(&l, text, len, "a tree file", tree_root, tree) : -ENOMEM;
    if (r == 0 && !(tree->path = strdup(name)))
        r = -ENOMEM;
    if (r < 0) {
        nines_tree_free(tree);
        return r;
    }
    *out = tree;
    return 0;
}

/* The root of a child spec: a mapping, loaded as a tree file's child. */
static int child_root(struct schema_loader *l, void *child) {
    yaml_node_t *root = yaml_document_get_root_node(&l->doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        return schema_fail(l, root, "expected a mapping for a child, got %s", root ? schema_node_kind(root) : "nothing");
    return tree_load_child(l, root, child);
}

/* One child, for `ninesctl start SUPERVISOR SPEC`: the same keys and checks
 * as in a tree file, positions counted in `text`. */
int nines_child_load_string(const char *name, const char *base_dir, const char *text, size_t len,
                            struct nines_child_spec **out, struct nines_error *err) {
    struct schema_loader l = {.base_dir = base_dir, .err = err};
    schema_reset_error(err, name);
    *out = NULL;
    struct nines_child_spec *c = calloc(1, sizeof *c);
    int r = c ? schema_load_text(&l, text, len, "a child spec", child_root, c) : -ENOMEM;
    if (r < 0) {
        nines_child_spec_free(c);
        return r;
    }
    *out = c;
    return 0;
}
