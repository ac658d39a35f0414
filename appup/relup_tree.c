/*
 * relup_tree.c — the plan's steps about children and supervisor flags, and
 * their undo. An undo runs after the later steps have been undone, so it
 * must restore the tree as it was just before its own step: the current
 * tree as changed by the plan's earlier steps. So the old spec of a child
 * or the old value of a flag is looked for first in the earlier steps,
 * latest first, and only then in the current tree.
 */
#include <string.h>

#include "relup_internal.h"

const struct nines_sup_spec *relup_find_supervisor(const struct nines_tree *tree, const char *path) {
    if (!tree)
        return NULL;
    const struct nines_sup_spec *sup = &tree->root;
    const char *part = path;
    while (*part == '/')
        part++;
    while (*part) {
        size_t len = strcspn(part, "/");
        const struct nines_sup_spec *next = NULL;
        for (size_t i = 0; i < sup->n_children && !next; i++) {
            const struct nines_child_spec *c = &sup->children[i];
            if (c->kind == NINES_CHILD_SUPERVISOR && strlen(c->id) == len && strncmp(c->id, part, len) == 0)
                next = c->supervisor;
        }
        if (!next)
            return NULL;
        sup = next;
        part += len;
        while (*part == '/')
            part++;
    }
    return sup;
}

static bool same_child(const struct nines_relup_op *op, const char *sup, const char *id) {
    return op->supervisor && strcmp(op->supervisor, sup) == 0 && op->id && strcmp(op->id, id) == 0;
}

/* The spec of child `id` of `sup` just before step `n` of the plan: NULL
 * when it does not exist then (or is not known: a supervisor the plan
 * added has no spec in the current tree to look in). */
static const struct nines_child_spec *child_before(const struct nines_relup *p, size_t n,
                                                   const struct nines_tree *tree, const char *sup, const char *id) {
    for (size_t i = n; i-- > 0;) {
        const struct nines_relup_op *op = &p->steps[i].op;
        if (!same_child(op, sup, id))
            continue;
        return op->kind == NINES_RELUP_REMOVE_CHILD ? NULL : op->child;
    }
    const struct nines_sup_spec *s = relup_find_supervisor(tree, sup);
    for (size_t i = 0; s && i < s->n_children; i++)
        if (strcmp(s->children[i].id, id) == 0)
            return &s->children[i];
    return NULL;
}

/* The flags `want` names, as they are just before step `n`; false when
 * the supervisor is not in the current tree and no earlier step set them. */
static bool flags_before(const struct nines_relup *p, size_t n, const struct nines_tree *tree, const char *sup,
                         const struct nines_appup_flags *want, struct nines_appup_flags *old) {
    *old = (struct nines_appup_flags){.has_strategy = want->has_strategy,
                                      .has_intensity = want->has_intensity,
                                      .has_period = want->has_period};
    bool got_strategy = false, got_intensity = false, got_period = false;
    for (size_t i = n; i-- > 0;) {
        const struct nines_relup_op *op = &p->steps[i].op;
        if (op->kind != NINES_RELUP_SUPERVISOR_FLAGS || strcmp(op->supervisor, sup) != 0)
            continue;
        if (op->flags.has_strategy && !got_strategy)
            got_strategy = true, old->strategy = op->flags.strategy;
        if (op->flags.has_intensity && !got_intensity)
            got_intensity = true, old->intensity = op->flags.intensity;
        if (op->flags.has_period && !got_period)
            got_period = true, old->period_ms = op->flags.period_ms;
    }
    const struct nines_sup_spec *s = relup_find_supervisor(tree, sup);
    if (!s)
        return (!want->has_strategy || got_strategy) && (!want->has_intensity || got_intensity) &&
               (!want->has_period || got_period);
    if (!got_strategy)
        old->strategy = s->strategy;
    if (!got_intensity)
        old->intensity = s->intensity;
    if (!got_period)
        old->period_ms = s->period_ms;
    return true;
}

/* The undo of a child step: whatever puts back the spec the child had
 * (or its absence). An add_child puts a child back at the end of its
 * supervisor's children: its place among them is not restored. */
static void child_undo(const struct nines_relup *p, size_t n, const struct nines_tree *tree,
                       struct nines_relup_step *out) {
    const struct nines_child_spec *old = child_before(p, n, tree, out->op.supervisor, out->op.id);
    out->undo.supervisor = out->op.supervisor;
    out->undo.id = out->op.id;
    out->has_undo = true;
    switch (out->op.kind) {
    case NINES_RELUP_ADD_CHILD:
        out->undo.kind = NINES_RELUP_REMOVE_CHILD;
        break;
    case NINES_RELUP_REMOVE_CHILD:
        out->undo.kind = NINES_RELUP_ADD_CHILD;
        out->undo.child = old;
        out->has_undo = old != NULL;
        break;
    default: /* CHANGE_CHILD */
        out->undo.kind = NINES_RELUP_CHANGE_CHILD;
        out->undo.child = old;
        out->has_undo = old != NULL;
        break;
    }
    if (!out->has_undo)
        out->undo = (struct nines_relup_op){0};
}

void relup_tree_step(const struct nines_relup *p, const struct nines_tree *tree, const struct nines_appup_step *s,
                     struct nines_relup_step *out) {
    /* `out` is the plan's last step: the ones before it are p->n_steps - 1. */
    size_t n = p->n_steps - 1;
    out->op.supervisor = s->supervisor;
    switch (s->kind) {
    case NINES_STEP_ADD_CHILD:
        out->op.kind = NINES_RELUP_ADD_CHILD;
        out->op.child = s->child;
        out->op.id = s->child->id;
        break;
    case NINES_STEP_REMOVE_CHILD:
        out->op.kind = NINES_RELUP_REMOVE_CHILD;
        out->op.id = s->id;
        break;
    case NINES_STEP_CHANGE_CHILD:
        out->op.kind = NINES_RELUP_CHANGE_CHILD;
        out->op.id = s->id;
        out->op.child = s->child;
        break;
    default: /* SUPERVISOR_FLAGS: code steps never come here */
        out->op.kind = out->undo.kind = NINES_RELUP_SUPERVISOR_FLAGS;
        out->op.flags = s->flags;
        out->undo.supervisor = s->supervisor;
        out->has_undo = flags_before(p, n, tree, s->supervisor, &s->flags, &out->undo.flags);
        if (!out->has_undo)
            out->undo = (struct nines_relup_op){0};
        return;
    }
    child_undo(p, n, tree, out);
}
