/*
 * appup_generate_tree.c — what differs between two trees, as the steps an
 * appup can say: children added, removed and changed, by supervisor path
 * and child id, and supervisors' flags. A supervisor in both trees is
 * walked child by child, so that a change deep inside it is one step and
 * not a restart of everything below it; a supervisor that cannot be
 * walked as the same one (it turns dynamic, its template changes, its own
 * restart type changes) is a changed child.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appup_generate_internal.h"

static int push(struct gen_diff *d, enum nines_appup_step_kind kind, const char *sup,
                const struct nines_child_spec *from, const struct nines_child_spec *to, struct gen_change **out) {
    struct gen_change *v = realloc(d->v, (d->n + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    d->v = v;
    v[d->n] = (struct gen_change){.kind = kind, .from = from, .to = to, .supervisor = strdup(sup)};
    if (!v[d->n].supervisor)
        return -ENOMEM;
    if (out)
        *out = &v[d->n];
    d->n++;
    return 0;
}

/* A supervisor_flags step with only the flags that differ, if any do. */
static int diff_flags(struct gen_diff *d, const char *path, const struct nines_sup_spec *a,
                      const struct nines_sup_spec *b) {
    struct nines_appup_flags up = {.strategy = b->strategy, .intensity = b->intensity, .period_ms = b->period_ms,
                                   .has_strategy = a->strategy != b->strategy,
                                   .has_intensity = a->intensity != b->intensity,
                                   .has_period = a->period_ms != b->period_ms};
    if (!up.has_strategy && !up.has_intensity && !up.has_period)
        return 0;
    struct gen_change *c;
    int r = push(d, NINES_STEP_SUPERVISOR_FLAGS, path, NULL, NULL, &c);
    if (r == 0) {
        c->up = up;
        c->down = up;
        c->down.strategy = a->strategy, c->down.intensity = a->intensity, c->down.period_ms = a->period_ms;
    }
    return r;
}

static const struct nines_child_spec *find_child(const struct nines_sup_spec *s, const char *id) {
    for (size_t i = 0; i < s->n_children; i++)
        if (strcmp(s->children[i].id, id) == 0)
            return &s->children[i];
    return NULL;
}

/* Both supervisors, walked as one: the same kind, the same restart type
 * (a supervisor's shutdown is always infinity). */
static bool walkable(const struct gen_diff *d, const struct nines_child_spec *a, const struct nines_child_spec *b) {
    return a->kind == NINES_CHILD_SUPERVISOR && b->kind == NINES_CHILD_SUPERVISOR && a->restart == b->restart &&
           gen_sup_same_kind(d->from, a->supervisor, d->to, b->supervisor);
}

static char *join(const char *path, const char *id) {
    char *out = NULL;
    if (asprintf(&out, "%s%s%s", strcmp(path, "/") == 0 ? "" : path, strcmp(path, "/") == 0 ? "" : "/", id) < 0)
        return NULL;
    return out;
}

static int diff_sup(struct gen_diff *d, const char *path, const struct nines_sup_spec *a,
                    const struct nines_sup_spec *b);

/* One child of the new tree against the old tree's child of that id. */
static int diff_child(struct gen_diff *d, const char *path, const struct nines_child_spec *old,
                      const struct nines_child_spec *now) {
    if (!old)
        return push(d, NINES_STEP_ADD_CHILD, path, NULL, now, NULL);
    if (!walkable(d, old, now))
        return gen_child_equal(d->from, old, d->to, now) ? 0 : push(d, NINES_STEP_CHANGE_CHILD, path, old, now, NULL);
    char *below = join(path, now->id);
    int r = below ? diff_sup(d, below, old->supervisor, now->supervisor) : -ENOMEM;
    free(below);
    return r;
}

static int diff_sup(struct gen_diff *d, const char *path, const struct nines_sup_spec *a,
                    const struct nines_sup_spec *b) {
    int r = diff_flags(d, path, a, b);
    for (size_t i = 0; r == 0 && i < b->n_children; i++)
        r = diff_child(d, path, find_child(a, b->children[i].id), &b->children[i]);
    for (size_t i = a->n_children; r == 0 && i-- > 0;)
        if (!find_child(b, a->children[i].id))
            r = push(d, NINES_STEP_REMOVE_CHILD, path, &a->children[i], NULL, NULL);
    return r;
}

int gen_diff_trees(struct gen_diff *d, struct nines_error *err) {
    const struct nines_sup_spec *a = &d->from->tree->root, *b = &d->to->tree->root;
    if (!gen_sup_same_kind(d->from, a, d->to, b)) {
        snprintf(err->file, sizeof err->file, "%s", d->to->tree->path);
        err->line = err->column = 0;
        snprintf(err->message, sizeof err->message,
                 "the root supervisor changes from %s to %s%s: no appup step can change the root's kind or its "
                 "template (only its children and flags)", nines_strategy_name(a->strategy),
                 nines_strategy_name(b->strategy), a->strategy == b->strategy ? " with another template" : "");
        return -EINVAL;
    }
    return diff_sup(d, "/", a, b);
}

void gen_diff_clear(struct gen_diff *d) {
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].supervisor);
    free(d->v);
    d->v = NULL, d->n = 0;
}
