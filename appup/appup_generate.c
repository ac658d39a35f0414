/*
 * appup_generate.c — the generator's driver (rules in appup_generate.h):
 * which applications change, which appup each difference of the trees goes
 * in, and each appup's `up` entry and the `down` entry that undoes it,
 * with the comments that tell the reviewer why.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appup_generate_internal.h"

struct gen {
    const struct nines_appup_gen_release *from, *to;
    struct gen_diff diff;
    const struct nines_manifest_app *carrier; /* the first application of `to` that changes, or NULL */
    struct nines_appup_gen *out;
    FILE *notes; /* writes out->notes */
};

/* One step of an application's `up` entry: a difference of the trees, or
 * (change == NULL) the code step. */
struct item {
    const struct gen_change *change;
    char *why; /* the step's comment, or NULL */
};

static int fail(struct nines_error *err, const char *file, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct nines_error *err, const char *file, const char *fmt, ...) {
    va_list ap;
    snprintf(err->file, sizeof err->file, "%s", file);
    err->line = err->column = 0;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* `a` of `to` is in `from` at another version (*old set to it). */
static bool changes(const struct gen *g, const struct nines_manifest_app *a, const struct nines_manifest_app **old) {
    const struct nines_manifest_app *o = nines_manifest_find_app(g->from->manifest, a->name);
    if (old)
        *old = o;
    return o && strcmp(o->version, a->version) != 0;
}

static const struct nines_appup_gen_module *module_of(const struct nines_appup_gen_release *r,
                                                      const struct nines_manifest_app *a) {
    return &r->modules[a - r->manifest->apps];
}

/* --- who carries a difference ------------------------------------------- */

/* The application the child of a difference runs (its new spec's, else
 * its old spec's), if that application changes; NULL otherwise. */
static const struct nines_manifest_app *own_app(const struct gen *g, const struct gen_change *c) {
    const struct nines_manifest_app *a = c->to ? gen_child_app(g->to, c->to) : NULL;
    if (a && changes(g, a, NULL))
        return a;
    a = c->from ? gen_child_app(g->from, c->from) : NULL;
    a = a ? nines_manifest_find_app(g->to->manifest, a->name) : NULL;
    return a && changes(g, a, NULL) ? a : NULL;
}

/* What the child of a carried difference is or runs: why no appup of its
 * own holds it. */
static int child_reason(const struct gen *g, const struct gen_change *c, char **out) {
    const struct nines_appup_gen_release *r = c->to ? g->to : g->from;
    const struct nines_child_spec *s = c->to ? c->to : c->from;
    const struct nines_manifest_app *a = gen_child_app(r, s);
    bool root = strcmp(c->supervisor, "/") == 0;
    const char *sup = root ? "" : c->supervisor, *sep = root ? "" : "/";
    if (s->kind != NINES_CHILD_MODULE)
        return asprintf(out, "%s%s%s is %s", sup, sep, s->id,
                        s->kind == NINES_CHILD_EXEC ? "a program, not an application" : "a supervisor");
    if (!a)
        return asprintf(out, "%s%s%s runs %s, none of the release's applications", sup, sep, s->id, s->module);
    const char *how = !nines_manifest_find_app(g->to->manifest, a->name)     ? "an application the new release does not have"
                      : !nines_manifest_find_app(g->from->manifest, a->name) ? "an application new in this release"
                                                                  : "whose version does not change";
    return asprintf(out, "%s%s%s runs %s %s, %s", sup, sep, s->id, a->name, a->version, how);
}

/* The comment of a carried difference: what it is about. */
static int carried_why(const struct gen *g, const struct gen_change *c, char **out) {
    char *what = NULL;
    int r = c->kind == NINES_STEP_SUPERVISOR_FLAGS
                ? asprintf(&what, "the flags of supervisor %s belong to no application", c->supervisor)
                : child_reason(g, c, &what);
    if (r < 0)
        return -ENOMEM;
    r = asprintf(out, "Carried here: %s.", what);
    free(what);
    return r < 0 ? (*out = NULL, -ENOMEM) : 0;
}

/* --- one application's appup ---------------------------------------------- */

/* The steps of application `a`'s `up` entry, in order: children added,
 * flags, the code step (if `code`), children changed, children removed. */
static int collect(const struct gen *g, const struct nines_manifest_app *a, bool code, struct item *v, size_t *n) {
    /* RESTART stands for the code step, whichever it is. */
    static const enum nines_appup_step_kind order[] = {NINES_STEP_ADD_CHILD, NINES_STEP_SUPERVISOR_FLAGS,
                                                        NINES_STEP_RESTART, NINES_STEP_CHANGE_CHILD,
                                                        NINES_STEP_REMOVE_CHILD};
    *n = 0;
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        if (order[k] == NINES_STEP_RESTART && code)
            v[(*n)++] = (struct item){NULL, NULL};
        for (size_t i = 0; i < g->diff.n; i++) {
            const struct gen_change *c = &g->diff.v[i];
            const struct nines_manifest_app *o = own_app(g, c);
            if (c->kind != order[k] || (o ? o : g->carrier) != a)
                continue;
            v[*n] = (struct item){c, NULL};
            if (!o && carried_why(g, c, &v[*n].why) < 0)
                return -ENOMEM;
            (*n)++;
        }
    }
    return 0;
}

/* The comment of a step whose spec keeps an absolute module path. */
static int foreign_why(char **why, const char *module) {
    char *more = NULL;
    if (asprintf(&more, "%s%sThe spec names the module %s as it is now: no application of the new release has it, "
                        "so point the path at where it will be when the step runs.",
                 *why ? *why : "", *why ? " " : "", module) < 0)
        return -ENOMEM;
    free(*why);
    *why = more;
    return 0;
}

/* The step that makes difference `c` going up, or undoes it going down. */
static int change_step(const struct gen *g, const struct gen_change *c, bool up, struct nines_appup_step *s) {
    const struct nines_child_spec *after = up ? c->to : c->from, *before = up ? c->from : c->to;
    const char *foreign = NULL;
    s->kind = c->kind;
    if (c->kind == NINES_STEP_ADD_CHILD || c->kind == NINES_STEP_REMOVE_CHILD)
        s->kind = after ? NINES_STEP_ADD_CHILD : NINES_STEP_REMOVE_CHILD;
    s->flags = up ? c->up : c->down;
    if (c->kind != NINES_STEP_SUPERVISOR_FLAGS)
        s->flags = (struct nines_appup_flags){0};
    if (!(s->supervisor = strdup(c->supervisor)))
        return -ENOMEM;
    if (s->kind == NINES_STEP_REMOVE_CHILD || s->kind == NINES_STEP_CHANGE_CHILD)
        if (!(s->id = strdup(before->id)))
            return -ENOMEM;
    if (s->kind == NINES_STEP_ADD_CHILD || s->kind == NINES_STEP_CHANGE_CHILD)
        if (!(s->child = gen_child_copy(up ? g->to : g->from, g->to, after, &foreign)))
            return -ENOMEM;
    return foreign ? foreign_why(&s->comment, foreign) : 0;
}

/* `code_change` when the module the workers go to has the callback. */
static void code_step(const struct gen *g, const struct nines_manifest_app *a, const struct nines_manifest_app *old,
                      bool up, struct nines_appup_step *s) {
    const struct nines_appup_gen_module *m = up ? module_of(g->to, a) : module_of(g->from, old);
    s->kind = m->code_change ? NINES_STEP_CODE_CHANGE : NINES_STEP_RESTART;
}

static int fill_step(const struct gen *g, const struct nines_manifest_app *a, const struct nines_manifest_app *old,
                     const struct item *it, bool up, struct nines_appup_step *s) {
    if (it->why && !(s->comment = strdup(it->why)))
        return -ENOMEM;
    if (!it->change) {
        code_step(g, a, old, up, s);
        return 0;
    }
    return change_step(g, it->change, up, s);
}

/* An entry from (or to) `version` with n empty steps. */
static int new_entry(struct nines_appup_entry **out, size_t *n_out, const char *version, size_t n) {
    struct nines_appup_entry *e = calloc(1, sizeof *e);
    if (!e)
        return -ENOMEM;
    *out = e, *n_out = 1;
    if (!(e->versions = calloc(1, sizeof *e->versions)))
        return -ENOMEM;
    e->n_versions = 1;
    if (!(e->versions[0] = strdup(version)) || (n && !(e->steps = calloc(n, sizeof *e->steps))))
        return -ENOMEM;
    e->n_steps = n;
    return 0;
}

/* Where the appup comes from, that it must be reviewed, what its code
 * step does, and why it carries steps that are not its application's. */
static int header(const struct gen *g, const struct nines_manifest_app *a, const struct nines_manifest_app *old,
                  bool code, bool carries, char **out) {
    bool up_cc = module_of(g->to, a)->code_change, down_cc = module_of(g->from, old)->code_change;
    char code_note[256];
    if (!code)
        snprintf(code_note, sizeof code_note, "Its module is the same file in both releases: no code step.");
    else
        snprintf(code_note, sizeof code_note, "The new module %s code_change: its workers %s; going down, the old "
                 "one %s.", up_cc ? "has" : "has no", up_cc ? "swap to it live" : "restart on it",
                 down_cc ? "has code_change: they swap back live" : "has none: they restart on it");
    const struct nines_manifest *from = g->from->manifest, *to = g->to->manifest;
    int r = asprintf(out, "%s %s -> %s: generated by nines-appup generate from %s %s -> %s. Review it before "
                          "it goes into the release: the steps and their order, the code_change extra, the child "
                          "specs (module paths are relative to the release's appups/ folder).\n%s%s%s%s",
                     a->name, old->version, a->version, from->release, from->version, to->version, code_note,
                     carries ? "\nThe steps 'carried here' are about supervisors, programs, or applications that "
                               "come, go or keep their version: "
                             : "",
                     carries ? a->name : "",
                     carries ? " carries them as the first application of the new release that changes (the "
                               "planner reads only the appups of applications whose version changes)."
                             : "");
    return r < 0 ? (*out = NULL, -ENOMEM) : 0;
}

static int fill_appup(const struct gen *g, const struct nines_manifest_app *a, const struct nines_manifest_app *old,
                      bool code, const struct item *items, size_t n, struct nines_appup *ap) {
    bool carries = false;
    for (size_t k = 0; k < n; k++)
        carries = carries || items[k].why;
    int r = (ap->application = strdup(a->name)) && (ap->version = strdup(a->version)) ? 0 : -ENOMEM;
    if (r == 0)
        r = header(g, a, old, code, carries, &ap->comment);
    if (r == 0)
        r = new_entry(&ap->up, &ap->n_up, old->version, n);
    if (r == 0)
        r = new_entry(&ap->down, &ap->n_down, old->version, n);
    for (size_t k = 0; r == 0 && k < n; k++) {
        r = fill_step(g, a, old, &items[k], true, &ap->up->steps[k]);
        if (r == 0)
            r = fill_step(g, a, old, &items[k], false, &ap->down->steps[n - 1 - k]);
    }
    return r;
}

static int make_appup(struct gen *g, const struct nines_manifest_app *a, const struct nines_manifest_app *old) {
    struct nines_appup_gen *out = g->out;
    struct nines_appup **v = realloc(out->appups, (out->n_appups + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    out->appups = v;
    if (!(v[out->n_appups] = calloc(1, sizeof **v)))
        return -ENOMEM;
    struct nines_appup *ap = v[out->n_appups++];
    bool code = strcmp(module_of(g->to, a)->sha256, module_of(g->from, old)->sha256) != 0;
    struct item *items = calloc(g->diff.n + 1, sizeof *items);
    size_t n = 0;
    int r = items ? collect(g, a, code, items, &n) : -ENOMEM;
    if (r == 0)
        r = fill_appup(g, a, old, code, items, n, ap);
    for (size_t k = 0; items && k <= g->diff.n; k++)
        free(items[k].why);
    free(items);
    return r;
}

/* --- the whole ------------------------------------------------------------ */

/* What no appup says: applications that come or go, and a module that
 * changes under an unchanged version. */
static int make_notes(struct gen *g) {
    const struct nines_manifest *from = g->from->manifest, *to = g->to->manifest;
    for (size_t i = 0; i < to->n_apps; i++) {
        const struct nines_manifest_app *a = &to->apps[i], *old = nines_manifest_find_app(from, a->name);
        if (!old)
            fprintf(g->notes, "%s %s is new in %s %s: it has no appup (no old version to go up from); its "
                    "children start with the add_child steps of the appups\n", a->name, a->version, to->release,
                    to->version);
        else if (strcmp(old->version, a->version) == 0 &&
                 strcmp(module_of(g->to, a)->sha256, module_of(g->from, old)->sha256) != 0)
            fprintf(g->notes, "%s %s: its module differs between the releases but its version does not: no "
                    "appup can swap it (give it a new version)\n", a->name, a->version);
    }
    for (size_t i = 0; i < from->n_apps; i++)
        if (!nines_manifest_find_app(to, from->apps[i].name))
            fprintf(g->notes, "%s %s is not in %s %s: it has no appup; its children stop with the remove_child "
                    "steps of the appups\n", from->apps[i].name, from->apps[i].version, to->release, to->version);
    return ferror(g->notes) ? -ENOMEM : 0;
}

static int check_releases(const struct gen *g, struct nines_error *err) {
    const struct nines_manifest *from = g->from->manifest, *to = g->to->manifest;
    if (strcmp(from->release, to->release) != 0)
        return fail(err, to->path, "%s %s and %s %s are not versions of one release: an appup goes between "
                    "versions of one release", from->release, from->version, to->release, to->version);
    if (strcmp(from->version, to->version) == 0)
        return fail(err, to->path, "both releases are %s %s: an appup goes between two versions", to->release,
                    to->version);
    return 0;
}

static int generate(struct gen *g, struct nines_error *err) {
    int r = check_releases(g, err);
    for (size_t i = 0; i < g->to->manifest->n_apps && !g->carrier; i++)
        if (changes(g, &g->to->manifest->apps[i], NULL))
            g->carrier = &g->to->manifest->apps[i];
    if (r == 0)
        r = gen_diff_trees(&g->diff, err);
    if (r == 0 && g->diff.n && !g->carrier)
        r = fail(err, g->to->tree->path, "the trees differ in %zu step%s but no application changes version: an "
                 "appup belongs to an application whose version changes, so none can carry them (give one a new "
                 "version)", g->diff.n, g->diff.n == 1 ? "" : "s");
    if (r == 0)
        r = make_notes(g);
    for (size_t i = 0; r == 0 && i < g->to->manifest->n_apps; i++) {
        const struct nines_manifest_app *a = &g->to->manifest->apps[i], *old;
        if (changes(g, a, &old))
            r = make_appup(g, a, old);
    }
    return r;
}

int nines_appup_generate(const struct nines_appup_gen_release *from, const struct nines_appup_gen_release *to,
                         struct nines_appup_gen **out, struct nines_error *err) {
    struct gen g = {.from = from, .to = to, .diff = {.from = from, .to = to}};
    size_t len;
    memset(err, 0, sizeof *err);
    *out = NULL;
    if (!(g.out = calloc(1, sizeof *g.out)))
        return -ENOMEM;
    g.notes = open_memstream(&g.out->notes, &len);
    int r = g.notes ? generate(&g, err) : -ENOMEM;
    if (g.notes && fclose(g.notes) != 0 && r == 0)
        r = -ENOMEM;
    gen_diff_clear(&g.diff);
    if (r < 0) {
        if (r == -ENOMEM)
            fail(err, to->manifest->path, "cannot generate the appups: out of memory");
        nines_appup_gen_free(g.out);
        return r;
    }
    *out = g.out;
    return 0;
}

void nines_appup_gen_free(struct nines_appup_gen *g) {
    if (!g)
        return;
    for (size_t i = 0; i < g->n_appups; i++)
        nines_appup_free(g->appups[i]);
    free(g->appups);
    free(g->notes);
    free(g);
}
