/*
 * appup_generate_spec.c — child specs of two releases side by side: which
 * application a child runs, whether two specs say the same, and the copy
 * an appup step holds. A module path names a file of one release; what a
 * child runs across releases is the application, so that is what the
 * comparison looks at and what the copy's path is rebuilt from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appup_generate_internal.h"

const struct nines_manifest_app *gen_child_app(const struct nines_appup_gen_release *r,
                                               const struct nines_child_spec *c) {
    for (size_t i = 0; c->kind == NINES_CHILD_MODULE && i < r->manifest->n_apps; i++)
        if (strcmp(r->modules[i].path, c->module) == 0)
            return &r->manifest->apps[i];
    return NULL;
}

/* --- comparing ------------------------------------------------------------ */

static bool same_argv(char *const *a, char *const *b) {
    for (; *a && *b; a++, b++)
        if (strcmp(*a, *b) != 0)
            return false;
    return !*a && !*b;
}

/* Arguments are a mapping: their order does not matter. */
static bool same_args(const struct nines_child_spec *a, const struct nines_child_spec *b) {
    if (a->n_args != b->n_args)
        return false;
    for (size_t i = 0; i < a->n_args; i++) {
        size_t j = 0;
        while (j < b->n_args && strcmp(a->args[i].key, b->args[j].key) != 0)
            j++;
        if (j == b->n_args || strcmp(a->args[i].value, b->args[j].value) != 0)
            return false;
    }
    return true;
}

static bool same_module(const struct nines_appup_gen_release *ra, const struct nines_child_spec *a,
                        const struct nines_appup_gen_release *rb, const struct nines_child_spec *b) {
    const struct nines_manifest_app *x = gen_child_app(ra, a), *y = gen_child_app(rb, b);
    if (x || y)
        return x && y && strcmp(x->name, y->name) == 0;
    return strcmp(a->module, b->module) == 0;
}

static bool same_sup(const struct nines_appup_gen_release *ra, const struct nines_sup_spec *a,
                     const struct nines_appup_gen_release *rb, const struct nines_sup_spec *b) {
    if (a->strategy != b->strategy || a->intensity != b->intensity || a->period_ms != b->period_ms ||
        a->n_children != b->n_children || !gen_sup_same_kind(ra, a, rb, b))
        return false;
    for (size_t i = 0; i < a->n_children; i++)
        if (!gen_child_equal(ra, &a->children[i], rb, &b->children[i]))
            return false;
    return true;
}

bool gen_sup_same_kind(const struct nines_appup_gen_release *ra, const struct nines_sup_spec *a,
                       const struct nines_appup_gen_release *rb, const struct nines_sup_spec *b) {
    bool dynamic = a->strategy == NINES_DYNAMIC;
    if (dynamic != (b->strategy == NINES_DYNAMIC))
        return false;
    return !dynamic ||
           (a->max_children == b->max_children && gen_child_equal(ra, a->child_template, rb, b->child_template));
}

bool gen_child_equal(const struct nines_appup_gen_release *ra, const struct nines_child_spec *a,
                     const struct nines_appup_gen_release *rb, const struct nines_child_spec *b) {
    if (strcmp(a->id, b->id) != 0 || a->kind != b->kind || a->restart != b->restart ||
        a->shutdown.kind != b->shutdown.kind || a->notify != b->notify || !same_args(a, b))
        return false;
    if (a->shutdown.kind == NINES_SHUTDOWN_TIMEOUT && a->shutdown.ms != b->shutdown.ms)
        return false;
    switch (a->kind) {
    case NINES_CHILD_MODULE: return same_module(ra, a, rb, b);
    case NINES_CHILD_EXEC: return same_argv(a->exec_argv, b->exec_argv);
    default: return same_sup(ra, a->supervisor, rb, b->supervisor);
    }
}

/* --- copying -------------------------------------------------------------- */

struct copy {
    const struct nines_appup_gen_release *side, *to;
    const char **foreign;
};

static int copy_text(const char *s, char **out) { return (*out = strdup(s)) ? 0 : -ENOMEM; }

/* The path the appup names the module by (see gen_child_copy). */
static int module_text(struct copy *k, const struct nines_child_spec *c, char **out) {
    const struct nines_manifest_app *app = gen_child_app(k->side, c);
    app = app ? nines_manifest_find_app(k->to->manifest, app->name) : NULL;
    if (app)
        return asprintf(out, GEN_MODULE_PREFIX "%s", app->module.path) < 0 ? (*out = NULL, -ENOMEM) : 0;
    if (!*k->foreign)
        *k->foreign = c->module;
    return copy_text(c->module, out);
}

static int copy_argv(struct nines_child_spec *d, const struct nines_child_spec *s) {
    size_t n = 0;
    while (s->exec_argv[n])
        n++;
    if (!(d->exec_argv = calloc(n + 1, sizeof *d->exec_argv)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (copy_text(s->exec_argv[i], &d->exec_argv[i]) < 0)
            return -ENOMEM;
    return 0;
}

static int copy_args(struct nines_child_spec *d, const struct nines_child_spec *s) {
    if (s->n_args && !(d->args = calloc(s->n_args, sizeof *d->args)))
        return -ENOMEM;
    d->n_args = s->n_args;
    for (size_t i = 0; i < s->n_args; i++)
        if (copy_text(s->args[i].key, &d->args[i].key) < 0 || copy_text(s->args[i].value, &d->args[i].value) < 0)
            return -ENOMEM;
    return 0;
}

static int copy_child(struct copy *k, struct nines_child_spec *d, const struct nines_child_spec *s);

/* What fails is left in `d` for nines_child_spec_clear. */
static int copy_sup(struct copy *k, struct nines_sup_spec *d, const struct nines_sup_spec *s) {
    *d = (struct nines_sup_spec){.strategy = s->strategy, .intensity = s->intensity, .period_ms = s->period_ms,
                                 .max_children = s->max_children};
    if (s->n_children && !(d->children = calloc(s->n_children, sizeof *d->children)))
        return -ENOMEM;
    for (size_t i = 0; i < s->n_children; i++) {
        d->n_children = i + 1;
        int r = copy_child(k, &d->children[i], &s->children[i]);
        if (r < 0)
            return r;
    }
    if (!s->child_template)
        return 0;
    if (!(d->child_template = calloc(1, sizeof *d->child_template)))
        return -ENOMEM;
    return copy_child(k, d->child_template, s->child_template);
}

static int copy_child(struct copy *k, struct nines_child_spec *d, const struct nines_child_spec *s) {
    *d = (struct nines_child_spec){.kind = s->kind, .restart = s->restart, .shutdown = s->shutdown,
                                   .notify = s->notify, .mark = s->mark};
    int r = copy_text(s->id, &d->id);
    if (r == 0 && s->kind == NINES_CHILD_MODULE)
        r = module_text(k, s, &d->module);
    if (r == 0 && s->kind == NINES_CHILD_EXEC)
        r = copy_argv(d, s);
    if (r == 0)
        r = copy_args(d, s);
    if (r == 0 && s->kind == NINES_CHILD_SUPERVISOR)
        r = (d->supervisor = calloc(1, sizeof *d->supervisor)) ? copy_sup(k, d->supervisor, s->supervisor) : -ENOMEM;
    return r;
}

struct nines_child_spec *gen_child_copy(const struct nines_appup_gen_release *side,
                                        const struct nines_appup_gen_release *to, const struct nines_child_spec *c,
                                        const char **foreign) {
    struct copy k = {.side = side, .to = to, .foreign = foreign};
    struct nines_child_spec *d = calloc(1, sizeof *d);
    if (d && copy_child(&k, d, c) < 0) {
        nines_child_spec_free(d);
        d = NULL;
    }
    return d;
}
