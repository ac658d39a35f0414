/*
 * tree_load.c — the tree file's schema as tables of keys (nginx's command
 * table, redis's config table): each key has one setter that checks its
 * value's type and range. Unknown keys, duplicates and wrong types are
 * errors at the node's position, with what was expected.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_internal.h"

static int parse_enum(struct schema_loader *l, yaml_node_t *v, const char *what, const char *const *names,
                      size_t n, int *out) {
    const char *s = schema_scalar(v);
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    char allowed[256];
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(allowed + used, sizeof allowed - used, "%s%s", i ? ", " : "", names[i]);
    if (!s)
        return schema_fail(l, v, "%s must be one of %s, got %s", what, allowed, schema_node_kind(v));
    return schema_fail(l, v, "invalid %s '%s' (allowed: %s)", what, s, allowed);
}

static int parse_count(struct schema_loader *l, yaml_node_t *v, const char *what, unsigned *out) {
    const char *s = schema_scalar(v);
    char *end;
    errno = 0;
    unsigned long value = s && *s >= '0' && *s <= '9' ? strtoul(s, &end, 10) : 0;
    if (!s || *s < '0' || *s > '9' || *end || errno || value > 1000000)
        return schema_fail(l, v, "%s must be an integer from 0 to 1000000, got '%s'", what, s ? s : schema_node_kind(v));
    *out = (unsigned)value;
    return 0;
}

/* --- supervisor keys ---------------------------------------------------- */

int tree_set_strategy(struct schema_loader *l, yaml_node_t *v, void *t) {
    static const char *const names[] = {"one_for_one", "one_for_all", "rest_for_one", "dynamic"};
    int s;
    int r = parse_enum(l, v, "strategy", names, 4, &s);
    ((struct nines_sup_spec *)t)->strategy = (enum nines_strategy)s;
    return r;
}

int tree_set_intensity(struct schema_loader *l, yaml_node_t *v, void *t) {
    return parse_count(l, v, "intensity", &((struct nines_sup_spec *)t)->intensity);
}

static int set_max_children(struct schema_loader *l, yaml_node_t *v, void *t) {
    return parse_count(l, v, "max_children", &((struct nines_sup_spec *)t)->max_children);
}

int tree_set_period(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    uint64_t ms;
    if (!s || nines_duration_parse(s, &ms) < 0 || ms == 0)
        return schema_fail(l, v, "period must be a positive duration such as 500ms, 5s or 1m, got '%s'",
                         s ? s : schema_node_kind(v));
    ((struct nines_sup_spec *)t)->period_ms = ms;
    return 0;
}


static int set_children(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_sup_spec *sup = t;
    if (v->type != YAML_SEQUENCE_NODE)
        return schema_fail(l, v, "'children' must be a sequence of children, got %s", schema_node_kind(v));
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if ((l->n_children += n) > TREE_MAX_CHILDREN)
        return schema_fail(l, v, "too many children in the tree (at most %d)", TREE_MAX_CHILDREN);
    if (n && !(sup->children = calloc(n, sizeof *sup->children)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        sup->n_children = i + 1; /* so that a partial child is freed too */
        int r = tree_load_child(l, schema_node(l, v->data.sequence.items.start[i]), &sup->children[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

static int set_template(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_sup_spec *sup = t;
    if (!(sup->child_template = calloc(1, sizeof *sup->child_template)))
        return -ENOMEM;
    return tree_load_child(l, v, sup->child_template);
}

static const struct schema_key supervisor_rules[] = {
    {"strategy", tree_set_strategy}, {"intensity", tree_set_intensity}, {"period", tree_set_period},
    {"children", set_children}, {"child", set_template},      {"max_children", set_max_children},
};
enum { SUP_STRATEGY, SUP_INTENSITY, SUP_PERIOD, SUP_CHILDREN, SUP_CHILD, SUP_MAX_CHILDREN, SUP_NKEYS };

static int compare_ids(const void *a, const void *b) {
    const struct nines_child_spec *x = *(struct nines_child_spec *const *)a, *y = *(struct nines_child_spec *const *)b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x < y ? -1 : x > y);
}

/* Sorting by (id, position) puts a duplicate right after its first use. */
static int check_unique_ids(struct schema_loader *l, struct nines_sup_spec *sup, yaml_node_t *children) {
    if (sup->n_children < 2)
        return 0;
    struct nines_child_spec **v = malloc(sup->n_children * sizeof *v);
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < sup->n_children; i++)
        v[i] = &sup->children[i];
    qsort(v, sup->n_children, sizeof *v, compare_ids);
    int r = 0;
    for (size_t i = 1; i < sup->n_children && r == 0; i++)
        if (strcmp(v[i - 1]->id, v[i]->id) == 0) {
            size_t at = (size_t)(v[i] - sup->children);
            r = schema_fail(l, schema_node(l, children->data.sequence.items.start[at]),
                          "duplicate id '%s' (first declared at line %u)", v[i]->id, v[i - 1]->mark.line);
        }
    free(v);
    return r;
}

int tree_load_supervisor(struct schema_loader *l, yaml_node_t *node, struct nines_sup_spec *sup) {
    yaml_node_t *seen[SUP_NKEYS] = {0};
    *sup = (struct nines_sup_spec){.strategy = NINES_ONE_FOR_ONE, .intensity = 1, .period_ms = 5000};
    if (++l->depth > TREE_MAX_DEPTH)
        return schema_fail(l, node, "supervisors nested deeper than %d levels", TREE_MAX_DEPTH);
    int r = schema_apply_keys(l, node, supervisor_rules, SUP_NKEYS, sup, "a supervisor", seen);
    l->depth--;
    if (r < 0)
        return r;
    bool dynamic = sup->strategy == NINES_DYNAMIC;
    if (dynamic && seen[SUP_CHILDREN])
        return schema_fail(l, seen[SUP_CHILDREN], "a dynamic supervisor has one template 'child:', not 'children:'");
    if (dynamic && !seen[SUP_CHILD])
        return schema_fail(l, node, "a dynamic supervisor needs a template 'child:'");
    if (!dynamic && seen[SUP_CHILD])
        return schema_fail(l, seen[SUP_CHILD], "'child:' (a template) is only for strategy: dynamic; use 'children:'");
    if (!dynamic && seen[SUP_MAX_CHILDREN])
        return schema_fail(l, seen[SUP_MAX_CHILDREN], "'max_children' is only for strategy: dynamic");
    if (!dynamic && !seen[SUP_CHILDREN])
        return schema_fail(l, node, "a supervisor needs 'children:' (a sequence, possibly empty)");
    if (dynamic && sup->child_template->kind == NINES_CHILD_SUPERVISOR)
        return schema_fail(l, seen[SUP_CHILD], "a dynamic supervisor's template must be a worker (module or exec)");
    return seen[SUP_CHILDREN] ? check_unique_ids(l, sup, seen[SUP_CHILDREN]) : 0;
}
