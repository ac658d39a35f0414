/*
 * appup_step.c — the instructions of an appup entry. A step is a mapping
 * with one key, its kind; each kind has its own table of keys (the tree
 * loader's rules), the first of which are required. Child specs and
 * supervisor flags go through the tree loader's own setters, so an appup
 * accepts exactly what a tree file accepts, with the same messages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "appup_internal.h"

static int copy_string(const char *s, char **out) { return (*out = strdup(s)) ? 0 : -ENOMEM; }

static int set_extra(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    if (!s)
        return schema_fail(l, v, "'extra' must be a string, got %s", schema_node_kind(v));
    /* It reaches code_change as a C string: a NUL would cut it silently. */
    if (strlen(s) != v->data.scalar.length)
        return schema_fail(l, v, "'extra' must not contain a NUL character");
    if (v->data.scalar.length > APPUP_MAX_EXTRA)
        return schema_fail(l, v, "'extra' is %zu bytes long, at most %d", v->data.scalar.length, APPUP_MAX_EXTRA);
    return copy_string(s, &((struct nines_appup_step *)t)->extra);
}

/* Ids joined by '/', none empty: "web", "web/pool". */
static bool path_valid(const char *path) {
    char *copy = strdup(path), *rest = copy, *part;
    bool ok = copy != NULL;
    while (ok && (part = strsep(&rest, "/")))
        ok = tree_id_valid(part);
    free(copy);
    return ok;
}

/* "/" is the root. Below it, a path of ids as `ninesctl` takes them, with
 * or without a leading '/'; stored without it, as the daemon names nodes. */
static int set_supervisor(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    const char *path = s && s[0] == '/' && s[1] ? s + 1 : s;
    if (!s || (strcmp(s, "/") != 0 && !path_valid(path)))
        return schema_fail(l, v, "invalid supervisor path '%s' (/ for the root, else ids joined by '/', such as web/pool)",
                         s ? s : schema_node_kind(v));
    return copy_string(path, &((struct nines_appup_step *)t)->supervisor);
}

static int set_id(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    if (!s || !tree_id_valid(s))
        return schema_fail(l, v, "invalid id '%s' (letters, digits, '_', '.' and '-' only)", s ? s : schema_node_kind(v));
    return copy_string(s, &((struct nines_appup_step *)t)->id);
}

static int set_child(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_appup_step *s = t;
    if (!(s->child = calloc(1, sizeof *s->child)))
        return -ENOMEM;
    return tree_load_child(l, v, s->child);
}

/* The flags are read into a scratch supervisor by the tree's setters. */
static int set_strategy(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_appup_flags *f = &((struct nines_appup_step *)t)->flags;
    struct nines_sup_spec sup = {0};
    int r = tree_set_strategy(l, v, &sup);
    if (r < 0)
        return r;
    if (sup.strategy == NINES_DYNAMIC)
        return schema_fail(l, v, "strategy dynamic cannot be set on a supervisor that exists: "
                               "replace the supervisor with change_child");
    f->strategy = sup.strategy, f->has_strategy = true;
    return 0;
}

static int set_intensity(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_appup_flags *f = &((struct nines_appup_step *)t)->flags;
    struct nines_sup_spec sup = {0};
    f->has_intensity = true;
    int r = tree_set_intensity(l, v, &sup);
    return f->intensity = sup.intensity, r;
}

static int set_period(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_appup_flags *f = &((struct nines_appup_step *)t)->flags;
    struct nines_sup_spec sup = {0};
    f->has_period = true;
    int r = tree_set_period(l, v, &sup);
    return f->period_ms = sup.period_ms, r;
}

static const struct schema_key code_change_rules[] = {{"extra", set_extra}};
static const struct schema_key add_child_rules[] = {{"supervisor", set_supervisor}, {"child", set_child}};
static const struct schema_key remove_child_rules[] = {{"supervisor", set_supervisor}, {"id", set_id}};
static const struct schema_key change_child_rules[] = {
    {"supervisor", set_supervisor}, {"id", set_id}, {"child", set_child}};
static const struct schema_key flags_rules[] = {
    {"supervisor", set_supervisor}, {"strategy", set_strategy}, {"intensity", set_intensity}, {"period", set_period}};
#define MAX_RULES 4

/* A kind: its key in the file, its keys (the first n_required required),
 * and how it is written, for the message about a value that is no mapping. */
static const struct step_kind {
    const char *name;
    const struct schema_key *rules;
    size_t n_rules, n_required;
    const char *example;
} kinds[] = {
    [NINES_STEP_CODE_CHANGE] = {"code_change", code_change_rules, 1, 0, "code_change: {extra: TEXT} or code_change: {}"},
    [NINES_STEP_RESTART] = {"restart", NULL, 0, 0, "restart: {}"},
    [NINES_STEP_ADD_CHILD] = {"add_child", add_child_rules, 2, 2, "add_child: {supervisor: PATH, child: {id: ID, ...}}"},
    [NINES_STEP_REMOVE_CHILD] = {"remove_child", remove_child_rules, 2, 2, "remove_child: {supervisor: PATH, id: ID}"},
    [NINES_STEP_CHANGE_CHILD] = {"change_child", change_child_rules, 3, 3,
                                 "change_child: {supervisor: PATH, id: ID, child: {id: ID, ...}}"},
    [NINES_STEP_SUPERVISOR_FLAGS] = {"supervisor_flags", flags_rules, 4, 1,
                                     "supervisor_flags: {supervisor: PATH, strategy: ..., intensity: ..., period: ...}"},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])
#define KIND_NAMES "code_change, restart, add_child, remove_child, change_child, supervisor_flags"

const char *nines_appup_step_name(enum nines_appup_step_kind kind) {
    return (unsigned)kind < N_KINDS ? kinds[kind].name : "?";
}

/* The rules between a kind's keys, once all are read. */
static int check_fields(struct schema_loader *l, yaml_node_t *value, struct nines_appup_step *s, yaml_node_t **seen) {
    const struct step_kind *k = &kinds[s->kind];
    for (size_t i = 0; i < k->n_required; i++)
        if (!seen[i])
            return schema_fail(l, value, "%s needs '%s' (%s)", k->name, k->rules[i].name, k->example);
    if (s->kind == NINES_STEP_SUPERVISOR_FLAGS && !seen[1] && !seen[2] && !seen[3])
        return schema_fail(l, value, "supervisor_flags changes nothing: give strategy, intensity or period");
    if (s->kind == NINES_STEP_CHANGE_CHILD && strcmp(s->child->id, s->id) != 0)
        return schema_fail(l, seen[2], "change_child of '%s' with a spec whose id is '%s': a change keeps the id "
                                     "(to rename, remove_child then add_child)", s->id, s->child->id);
    return 0;
}

static int load_fields(struct schema_loader *l, yaml_node_t *value, struct nines_appup_step *s) {
    const struct step_kind *k = &kinds[s->kind];
    yaml_node_t *seen[MAX_RULES] = {0};
    if (value->type != YAML_MAPPING_NODE)
        return schema_fail(l, value, "%s takes a mapping, such as %s; got %s", k->name, k->example, schema_node_kind(value));
    if (k->n_rules == 0 && value->data.mapping.pairs.top != value->data.mapping.pairs.start)
        return schema_fail(l, schema_node(l, value->data.mapping.pairs.start->key), "%s takes no keys: write %s", k->name,
                         k->example);
    int r = schema_apply_keys(l, value, k->rules, k->n_rules, s, k->name, seen);
    return r < 0 ? r : check_fields(l, value, s, seen);
}

static int load_step(struct schema_loader *l, yaml_node_t *node, struct nines_appup_step *s) {
    s->mark = (struct nines_mark){(unsigned)node->start_mark.line + 1, (unsigned)node->start_mark.column + 1};
    if (node->type != YAML_MAPPING_NODE || node->data.mapping.pairs.top == node->data.mapping.pairs.start)
        return schema_fail(l, node, "a step is a mapping with one instruction, such as 'restart: {}' (one of " KIND_NAMES
                                  "), got %s", node->type == YAML_MAPPING_NODE ? "an empty mapping" : schema_node_kind(node));
    yaml_node_pair_t *pair = node->data.mapping.pairs.start;
    if (pair + 1 < node->data.mapping.pairs.top) {
        const char *second = schema_scalar(schema_node(l, pair[1].key));
        return schema_fail(l, schema_node(l, pair[1].key), "a step holds one instruction: put '%s' in a step of its own",
                         second ? second : "?");
    }
    yaml_node_t *key = schema_node(l, pair->key);
    const char *name = schema_scalar(key);
    size_t k = 0;
    while (name && k < N_KINDS && strcmp(name, kinds[k].name) != 0)
        k++;
    if (!name || k == N_KINDS)
        return schema_fail(l, key, "unknown step '%s' (allowed: " KIND_NAMES ")", name ? name : "?");
    s->kind = (enum nines_appup_step_kind)k;
    return load_fields(l, schema_node(l, pair->value), s);
}

static bool is_swap(const struct nines_appup_step *s) {
    return s->kind == NINES_STEP_CODE_CHANGE || s->kind == NINES_STEP_RESTART;
}

int appup_load_steps(struct schema_loader *l, yaml_node_t *seq, struct nines_appup_entry *e) {
    struct appup_loader *al = (struct appup_loader *)l;
    if (seq->type != YAML_SEQUENCE_NODE)
        return schema_fail(l, seq, "'steps' must be a sequence of steps (possibly empty), got %s", schema_node_kind(seq));
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if ((al->n_steps += n) > APPUP_MAX_STEPS)
        return schema_fail(l, seq, "too many steps in the file (at most %d)", APPUP_MAX_STEPS);
    if (n && !(e->steps = calloc(n, sizeof *e->steps)))
        return -ENOMEM;
    const struct nines_appup_step *swap = NULL;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *node = schema_node(l, seq->data.sequence.items.start[i]);
        e->n_steps = i + 1; /* so that a half-built step is freed too */
        int r = load_step(l, node, &e->steps[i]);
        if (r < 0)
            return r;
        /* One version of the application runs after the entry: its workers
         * are swapped to it or restarted on it, once. */
        if (is_swap(&e->steps[i]) && swap)
            return schema_fail(l, node, "'%s' here and '%s' at line %u: an entry swaps the application's code "
                                      "or restarts its workers, once", nines_appup_step_name(e->steps[i].kind),
                             nines_appup_step_name(swap->kind), swap->mark.line);
        if (is_swap(&e->steps[i]))
            swap = &e->steps[i];
    }
    return 0;
}
