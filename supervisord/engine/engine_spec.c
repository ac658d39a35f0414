/*
 * engine_spec.c — the engine's own copies of child specs.
 *
 * A child added at run time (start_child, or a dynamic supervisor's new
 * child) must outlive the request that described it, so the engine copies
 * the spec whole — strings, args, argv, nested supervisors and templates —
 * and frees exactly what it copied. The copy has the layout lib/tree.c's
 * loader builds (every part malloc'd), but the engine keeps its own pair
 * of copy and free so that it never depends on who built the original.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "engine_internal.h"

static void sup_spec_free(struct nines_sup_spec *s);

void args_free(struct nines_arg *args, size_t n) {
    for (size_t i = 0; args && i < n; i++)
        free(args[i].key), free(args[i].value);
    free(args);
}

static void spec_clear(struct nines_child_spec *c) {
    free(c->id);
    free(c->module);
    for (char **a = c->exec_argv; a && *a; a++)
        free(*a);
    free(c->exec_argv);
    args_free(c->args, c->n_args);
    if (c->supervisor) {
        sup_spec_free(c->supervisor);
        free(c->supervisor);
    }
}

static void sup_spec_free(struct nines_sup_spec *s) {
    for (size_t i = 0; s->children && i < s->n_children; i++)
        spec_clear(&s->children[i]);
    free(s->children);
    if (s->child_template) {
        spec_clear(s->child_template);
        free(s->child_template);
    }
}

void spec_free(struct nines_child_spec *c) {
    if (!c)
        return;
    spec_clear(c);
    free(c);
}

/* strdup that keeps NULL as NULL; *ok turns false on allocation failure. */
static char *dup_or_null(const char *s, bool *ok) {
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

struct nines_arg *args_copy(const struct nines_arg *args, size_t n, bool *ok) {
    if (n == 0 || !args)
        return NULL;
    struct nines_arg *v = calloc(n, sizeof *v);
    if (!v) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        v[i].key = dup_or_null(args[i].key, ok);
        v[i].value = dup_or_null(args[i].value, ok);
    }
    return v;
}

static char **argv_copy(char *const *argv, bool *ok) {
    if (!argv)
        return NULL;
    size_t n = 0;
    while (argv[n])
        n++;
    char **v = calloc(n + 1, sizeof *v);
    if (!v) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = dup_or_null(argv[i], ok);
    return v;
}

static bool spec_copy_into(struct nines_child_spec *d, const struct nines_child_spec *s);

static struct nines_sup_spec *sup_spec_copy(const struct nines_sup_spec *s, bool *ok) {
    struct nines_sup_spec *d = calloc(1, sizeof *d);
    if (!d) {
        *ok = false;
        return NULL;
    }
    *d = *s;
    d->children = NULL, d->n_children = 0, d->child_template = NULL;
    if (s->n_children) {
        d->children = calloc(s->n_children, sizeof *d->children);
        if (!d->children)
            *ok = false;
        for (size_t i = 0; d->children && i < s->n_children; i++, d->n_children++)
            if (!spec_copy_into(&d->children[i], &s->children[i]))
                *ok = false;
    }
    if (s->child_template) {
        d->child_template = calloc(1, sizeof *d->child_template);
        if (!d->child_template || !spec_copy_into(d->child_template, s->child_template))
            *ok = false;
    }
    return d;
}

/* Copy s into d; on failure d holds what was copied (spec_clear frees it). */
static bool spec_copy_into(struct nines_child_spec *d, const struct nines_child_spec *s) {
    bool ok = true;
    *d = *s;
    d->id = dup_or_null(s->id, &ok);
    d->module = dup_or_null(s->module, &ok);
    d->exec_argv = argv_copy(s->exec_argv, &ok);
    d->args = args_copy(s->args, s->n_args, &ok);
    d->n_args = d->args ? s->n_args : 0;
    d->supervisor = s->supervisor ? sup_spec_copy(s->supervisor, &ok) : NULL;
    return ok;
}

struct nines_child_spec *spec_copy(const struct nines_child_spec *src) {
    struct nines_child_spec *c = calloc(1, sizeof *c);
    if (c && !spec_copy_into(c, src)) {
        spec_free(c);
        c = NULL;
    }
    return c;
}

/* A dynamic child: the template with id "TEMPLATE-N" and `args` (already
 * the engine's copy, taken over here, also on failure) in place of the
 * template's. */
struct nines_child_spec *spec_from_template(const struct nines_child_spec *tmpl, unsigned n,
                                            struct nines_arg *args, size_t n_args) {
    struct nines_child_spec *c = spec_copy(tmpl);
    char *id = NULL;
    if (!c || asprintf(&id, "%s-%u", tmpl->id, n) < 0) {
        spec_free(c);
        args_free(args, n_args);
        return NULL;
    }
    free(c->id);
    c->id = id;
    args_free(c->args, c->n_args);
    c->args = args;
    c->n_args = args ? n_args : 0;
    return c;
}

static bool id_valid(const char *id) {
    if (!id || !*id)
        return false;
    for (const char *p = id; *p; p++) {
        bool word = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (!word && *p != '_' && *p != '.' && *p != '-')
            return false;
    }
    return true;
}

/* The checks the engine needs to be safe with a spec from outside (the
 * control socket's parser validates the rest): an id that makes a path,
 * what the child runs, and the same for a nested supervisor's children. */
bool spec_valid(const struct nines_child_spec *c, char *why, size_t size) {
    if (!c || !id_valid(c->id)) {
        snprintf(why, size, "invalid child spec: id must be [A-Za-z0-9_.-]+");
        return false;
    }
    if ((c->kind == NINES_CHILD_MODULE && !c->module) ||
        (c->kind == NINES_CHILD_EXEC && (!c->exec_argv || !c->exec_argv[0])) ||
        (c->kind == NINES_CHILD_SUPERVISOR && !c->supervisor) || (c->n_args && !c->args)) {
        snprintf(why, size, "invalid child spec '%.64s': nothing to run", c->id);
        return false;
    }
    const struct nines_sup_spec *s = c->supervisor;
    if (c->kind != NINES_CHILD_SUPERVISOR || !s)
        return true;
    if (s->strategy == NINES_DYNAMIC && (s->n_children || !spec_valid(s->child_template, why, size))) {
        if (s->n_children)
            snprintf(why, size, "invalid child spec '%.64s': a dynamic supervisor has no static children",
                     c->id);
        return false;
    }
    for (size_t i = 0; i < s->n_children; i++) {
        if (!spec_valid(&s->children[i], why, size))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->children[j].id, s->children[i].id) == 0) {
                snprintf(why, size, "invalid child spec '%.64s': duplicate id '%.64s'", c->id,
                         s->children[i].id);
                return false;
            }
    }
    return true;
}
