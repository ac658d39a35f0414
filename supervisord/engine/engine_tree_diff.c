/*
 * engine_tree_diff.c — the difference between two trees as engine
 * requests (engine_tree_diff.h). Two walks over the same pair of trees:
 * the removals, then the flags, changes and additions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_tree_diff.h"
#include "tree_spec.h"

struct walk {
    struct engine_diff *d;
    size_t cap;
    int err;
};

static struct engine_diff_op *push(struct walk *w, enum engine_diff_kind kind, const char *sup, const char *id,
                                   const struct nines_child_spec *from, const struct nines_child_spec *to) {
    if (w->err)
        return NULL;
    if (w->d->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        struct engine_diff_op *v = realloc(w->d->v, cap * sizeof *v);
        if (!v) {
            w->err = -ENOMEM;
            return NULL;
        }
        w->d->v = v, w->cap = cap;
    }
    struct engine_diff_op *op = &w->d->v[w->d->n];
    *op = (struct engine_diff_op){.kind = kind, .id = id, .from = from, .to = to, .supervisor = strdup(sup)};
    if (!op->supervisor) {
        w->err = -ENOMEM;
        return NULL;
    }
    w->d->n++;
    return op;
}

static const struct nines_child_spec *find_child(const struct nines_sup_spec *s, const char *id) {
    for (size_t i = 0; i < s->n_children; i++)
        if (strcmp(s->children[i].id, id) == 0)
            return &s->children[i];
    return NULL;
}

/* Both are supervisors that can be walked as the same one. */
static bool walkable(const struct nines_child_spec *a, const struct nines_child_spec *b) {
    return a->kind == NINES_CHILD_SUPERVISOR && b->kind == NINES_CHILD_SUPERVISOR && a->restart == b->restart &&
           nines_sup_spec_same_kind(a->supervisor, b->supervisor, NULL, NULL);
}

/* change_child only takes a worker to a worker. */
static bool changeable(const struct nines_child_spec *a, const struct nines_child_spec *b) {
    return a->kind != NINES_CHILD_SUPERVISOR && b->kind != NINES_CHILD_SUPERVISOR;
}

static char *join(const char *path, const char *id) {
    char *out = NULL;
    bool root = strcmp(path, "/") == 0;
    if (asprintf(&out, "%s%s%s", root ? "" : path, root ? "" : "/", id) < 0)
        return NULL;
    return out;
}

/* First walk: what leaves, in reverse start order, deepest first inside a
 * supervisor that stays. */
static void removals(struct walk *w, const char *path, const struct nines_sup_spec *a,
                     const struct nines_sup_spec *b) {
    for (size_t i = a->n_children; !w->err && i-- > 0;) {
        const struct nines_child_spec *old = &a->children[i], *now = find_child(b, old->id);
        bool same = now && nines_child_spec_equal(old, now, NULL, NULL);
        if (now && !same && walkable(old, now)) {
            char *below = join(path, old->id);
            if (!below)
                w->err = -ENOMEM;
            else
                removals(w, below, old->supervisor, now->supervisor);
            free(below);
        } else if (!now || (!same && !changeable(old, now)))
            push(w, ENGINE_DIFF_REMOVE, path, old->id, old, NULL);
    }
}

static void flags(struct walk *w, const char *path, const struct nines_sup_spec *a,
                  const struct nines_sup_spec *b) {
    struct engine_sup_flags up = {.has_strategy = a->strategy != b->strategy,
                                  .has_intensity = a->intensity != b->intensity,
                                  .has_period = a->period_ms != b->period_ms,
                                  .strategy = b->strategy, .intensity = b->intensity, .period_ms = b->period_ms};
    if (!up.has_strategy && !up.has_intensity && !up.has_period)
        return;
    struct engine_diff_op *op = push(w, ENGINE_DIFF_FLAGS, path, NULL, NULL, NULL);
    if (op) {
        op->flags = up;
        op->old_flags = up;
        op->old_flags.strategy = a->strategy, op->old_flags.intensity = a->intensity;
        op->old_flags.period_ms = a->period_ms;
    }
}

/* Second walk: flags, then each child of the new file in its order. */
static void changes(struct walk *w, const char *path, const struct nines_sup_spec *a,
                    const struct nines_sup_spec *b) {
    flags(w, path, a, b);
    for (size_t i = 0; !w->err && i < b->n_children; i++) {
        const struct nines_child_spec *now = &b->children[i], *old = find_child(a, now->id);
        if (old && nines_child_spec_equal(old, now, NULL, NULL))
            continue;
        if (old && walkable(old, now)) {
            char *below = join(path, now->id);
            if (!below)
                w->err = -ENOMEM;
            else
                changes(w, below, old->supervisor, now->supervisor);
            free(below);
        } else if (old && changeable(old, now))
            push(w, ENGINE_DIFF_CHANGE, path, now->id, old, now);
        else
            push(w, ENGINE_DIFF_ADD, path, now->id, NULL, now);
    }
}

int engine_tree_diff(const struct nines_sup_spec *from, const struct nines_sup_spec *to, struct engine_diff *out,
                     char *why, size_t size) {
    *out = (struct engine_diff){0};
    if (!nines_sup_spec_same_kind(from, to, NULL, NULL)) {
        bool dyn = from->strategy == NINES_DYNAMIC, now = to->strategy == NINES_DYNAMIC;
        snprintf(why, size, "the root supervisor %s: a reload changes the root's children and flags, not its "
                 "kind (restart ninesd for that)",
                 dyn == now ? "changes its template or max_children" : now ? "turns dynamic" : "turns static");
        return -EINVAL;
    }
    struct walk w = {.d = out};
    removals(&w, "/", from, to);
    changes(&w, "/", from, to);
    if (w.err) {
        engine_diff_free(out);
        snprintf(why, size, "out of memory");
    }
    return w.err;
}

struct engine_diff_op engine_diff_undo(const struct engine_diff_op *op) {
    struct engine_diff_op u = *op;
    u.from = op->to, u.to = op->from;
    switch (op->kind) {
    case ENGINE_DIFF_REMOVE: u.kind = ENGINE_DIFF_ADD; break;
    case ENGINE_DIFF_ADD: u.kind = ENGINE_DIFF_REMOVE; break;
    case ENGINE_DIFF_CHANGE: break;
    case ENGINE_DIFF_FLAGS: u.flags = op->old_flags, u.old_flags = op->flags; break;
    }
    return u;
}

void engine_diff_path(const struct engine_diff_op *op, char *buf, size_t size) {
    bool root = strcmp(op->supervisor, "/") == 0;
    if (op->kind == ENGINE_DIFF_FLAGS)
        snprintf(buf, size, "%s", op->supervisor);
    else
        snprintf(buf, size, "%s%s%s", root ? "" : op->supervisor, root ? "" : "/", op->id);
}

const char *engine_diff_kind_name(enum engine_diff_kind k) {
    switch (k) {
    case ENGINE_DIFF_REMOVE: return "remove";
    case ENGINE_DIFF_CHANGE: return "change";
    case ENGINE_DIFF_ADD: return "add";
    case ENGINE_DIFF_FLAGS: return "flags";
    }
    return "?";
}

void engine_diff_free(struct engine_diff *d) {
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].supervisor);
    free(d->v);
    *d = (struct engine_diff){0};
}
