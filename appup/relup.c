/*
 * relup.c — the planner's driver: which applications change between two
 * releases, which appup entry covers each change, and the code steps
 * (swap, restart) with their concrete modules. Steps about children and
 * flags are relup_tree.c's; printing is relup_format.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relup_internal.h"

/* One application whose version differs, seen from the plan's direction:
 * `cur` runs now, `tgt` is what the plan moves it to. */
struct app_change {
    const struct nines_manifest_app *cur, *tgt;
    char *cur_module, *tgt_module; /* absolute */
    const struct nines_appup *appup;
    const struct nines_appup_entry *entry;   /* the way from cur to tgt */
    const struct nines_appup_entry *reverse; /* the way back, for the undo's extra; may be NULL */
};

static int fail(struct nines_error *err, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct nines_error *err, const char *file, const char *fmt, ...) {
    va_list ap;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = err->column = 0;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static const struct nines_appup *find_appup(const struct nines_relup_input *in, const char *name) {
    for (size_t i = 0; i < in->n_appups; i++)
        if (strcmp(in->appups[i]->application, name) == 0)
            return in->appups[i];
    return NULL;
}

/* Manifest paths are relative to the release folder; workers need paths
 * that do not depend on the daemon's working directory. */
static char *join_path(const char *dir, const char *rel) {
    char *out = NULL;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (asprintf(&out, "%.*s/%s", (int)n, dir, rel) < 0)
        return NULL;
    return out;
}

struct nines_relup_step *relup_push_step(struct nines_relup *p) {
    struct nines_relup_step *steps = realloc(p->steps, (p->n_steps + 1) * sizeof *steps);
    if (!steps)
        return NULL;
    p->steps = steps;
    memset(&steps[p->n_steps], 0, sizeof *steps);
    return &steps[p->n_steps++];
}

static int add_note(struct nines_relup *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_note(struct nines_relup *p, const char *fmt, ...) {
    char **notes = realloc(p->notes, (p->n_notes + 1) * sizeof *notes);
    if (!notes)
        return -ENOMEM;
    p->notes = notes;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&notes[p->n_notes], fmt, ap);
    va_end(ap);
    if (r < 0)
        return -ENOMEM;
    p->n_notes++;
    return 0;
}

/* The `extra` the way back gives its code_change: the undo of a swap runs
 * the older version's code_change as a downgrade would. */
static const char *reverse_extra(const struct nines_appup_entry *reverse) {
    for (size_t i = 0; reverse && i < reverse->n_steps; i++)
        if (reverse->steps[i].kind == NINES_STEP_CODE_CHANGE && reverse->steps[i].extra)
            return reverse->steps[i].extra;
    return "";
}

static int code_step(const struct app_change *c, const struct nines_appup_step *s, struct nines_relup_step *out) {
    bool swap = s->kind == NINES_STEP_CODE_CHANGE;
    out->op.kind = out->undo.kind = swap ? NINES_RELUP_SWAP : NINES_RELUP_RESTART;
    out->op.module = strdup(c->tgt_module);
    out->undo.module = strdup(c->cur_module);
    if (!out->op.module || !out->undo.module)
        return -ENOMEM;
    out->op.from_version = out->undo.to_version = c->cur->version;
    out->op.to_version = out->undo.from_version = c->tgt->version;
    if (swap) {
        out->op.extra = s->extra ? s->extra : "";
        out->undo.extra = reverse_extra(c->reverse);
    }
    out->has_undo = true;
    return 0;
}

static int plan_steps(struct nines_relup *p, const struct nines_relup_input *in, const struct app_change *c) {
    for (size_t i = 0; i < c->entry->n_steps; i++) {
        const struct nines_appup_step *s = &c->entry->steps[i];
        struct nines_relup_step *out = relup_push_step(p);
        if (!out)
            return -ENOMEM;
        out->application = c->tgt->name;
        out->appup = c->appup->path;
        out->mark = s->mark;
        if (s->kind == NINES_STEP_CODE_CHANGE || s->kind == NINES_STEP_RESTART) {
            int r = code_step(c, s, out);
            if (r < 0)
                return r;
        } else {
            relup_tree_step(p, in->current_tree, s, out);
        }
    }
    return 0;
}

/* Find the appup and its entry for one changed application: going up the
 * target's appup (of version tgt) has an `up` entry from cur; going down
 * the current one's (of version cur) a `down` entry to tgt. */
static int find_entry(const struct nines_relup_input *in, struct app_change *c, struct nines_error *err) {
    const char *name = c->tgt->name, *cv = c->cur->version, *tv = c->tgt->version;
    const char *own = in->down ? cv : tv, *other = in->down ? tv : cv;
    c->appup = find_appup(in, name);
    if (!c->appup)
        return fail(err, in->down ? in->current->path : in->target->path,
                    "cannot plan %s %s -> %s: the %s release has no appup for '%s'", name, cv, tv,
                    in->down ? "current" : "target", name);
    if (strcmp(c->appup->version, own) != 0)
        return fail(err, c->appup->path, "cannot plan %s %s -> %s: this appup is for version %s, not %s", name, cv,
                    tv, c->appup->version, own);
    c->entry = nines_appup_find(c->appup, !in->down, other);
    if (!c->entry)
        return fail(err, c->appup->path, "cannot plan %s %s -> %s: the appup has no '%s' entry %s %s", name, cv, tv,
                    in->down ? "down" : "up", in->down ? "to" : "from", other);
    c->reverse = nines_appup_find(c->appup, in->down, other);
    return 0;
}

static int plan_app(struct nines_relup *p, const struct nines_relup_input *in, struct app_change *c,
                    struct nines_error *err) {
    int r = find_entry(in, c, err);
    if (r < 0)
        return r;
    c->cur_module = join_path(in->current_dir, c->cur->module.path);
    c->tgt_module = join_path(in->target_dir, c->tgt->module.path);
    r = c->cur_module && c->tgt_module ? plan_steps(p, in, c) : -ENOMEM;
    free(c->cur_module);
    free(c->tgt_module);
    return r;
}

/* Applications that come or go have no version on one side, so no appup
 * entry can name the way: their workers start and stop through the child
 * steps of the appups, which the notes remind the operator of. */
static int note_added_removed(struct nines_relup *p, const struct nines_relup_input *in) {
    int r = 0;
    for (size_t i = 0; r == 0 && i < in->target->n_apps; i++) {
        const struct nines_manifest_app *a = &in->target->apps[i];
        if (!nines_manifest_find_app(in->current, a->name))
            r = add_note(p, "application %s %s is new: no step of its own, its workers start with add_child steps",
                         a->name, a->version);
    }
    for (size_t i = 0; r == 0 && i < in->current->n_apps; i++) {
        const struct nines_manifest_app *a = &in->current->apps[i];
        if (!nines_manifest_find_app(in->target, a->name))
            r = add_note(p, "application %s %s is gone: no step of its own, its workers stop with remove_child steps",
                         a->name, a->version);
    }
    return r;
}

int nines_relup_plan(const struct nines_relup_input *in, struct nines_relup **out, struct nines_error *err) {
    *out = NULL;
    struct nines_relup *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->down = in->down;
    p->release = in->target->release;
    p->from_version = in->current->version;
    p->to_version = in->target->version;
    int r = 0;
    for (size_t i = 0; r == 0 && i < in->target->n_apps; i++) {
        struct app_change c = {.tgt = &in->target->apps[i]};
        c.cur = nines_manifest_find_app(in->current, c.tgt->name);
        if (c.cur && strcmp(c.cur->version, c.tgt->version) != 0)
            r = plan_app(p, in, &c, err);
    }
    if (r == 0)
        r = note_added_removed(p, in);
    if (r < 0) {
        if (r == -ENOMEM)
            fail(err, NULL, "cannot plan the upgrade: out of memory");
        nines_relup_free(p);
        return r;
    }
    *out = p;
    return 0;
}

void nines_relup_free(struct nines_relup *p) {
    if (!p)
        return;
    for (size_t i = 0; i < p->n_steps; i++) {
        free(p->steps[i].op.module);
        free(p->steps[i].undo.module);
    }
    free(p->steps);
    for (size_t i = 0; i < p->n_notes; i++)
        free(p->notes[i]);
    free(p->notes);
    free(p);
}

const char *nines_relup_kind_name(enum nines_relup_kind kind) {
    static const char *const names[] = {"swap", "restart", "add_child", "remove_child", "change_child",
                                        "supervisor_flags"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}
