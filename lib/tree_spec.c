/*
 * tree_spec.c — clearing, copying and comparing child specs (tree_spec.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree_spec.h"

/* --- freeing ------------------------------------------------------------ */

void nines_args_free(struct nines_arg *args, size_t n) {
    for (size_t i = 0; args && i < n; i++)
        free(args[i].key), free(args[i].value);
    free(args);
}

void nines_sockets_free(struct nines_socket *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        free(v[i].name), free(v[i].address);
    free(v);
}

void nines_child_spec_clear(struct nines_child_spec *c) {
    free(c->id);
    free(c->module);
    for (char **a = c->exec_argv; a && *a; a++)
        free(*a);
    free(c->exec_argv);
    nines_args_free(c->args, c->n_args);
    nines_args_free(c->exec.env, c->exec.n_env);
    free(c->exec.cwd);
    free(c->exec.user);
    free(c->exec.group);
    nines_sockets_free(c->sockets, c->n_sockets);
    if (c->supervisor) {
        nines_sup_spec_clear(c->supervisor);
        free(c->supervisor);
    }
    memset(c, 0, sizeof *c);
}

void nines_sup_spec_clear(struct nines_sup_spec *s) {
    for (size_t i = 0; s->children && i < s->n_children; i++)
        nines_child_spec_clear(&s->children[i]);
    free(s->children);
    if (s->child_template) {
        nines_child_spec_clear(s->child_template);
        free(s->child_template);
    }
    memset(s, 0, sizeof *s);
}

void nines_child_spec_free(struct nines_child_spec *c) {
    if (!c)
        return;
    nines_child_spec_clear(c);
    free(c);
}

/* --- copying ------------------------------------------------------------ */

static int copy_text(const char *s, char **out) {
    if (!s)
        return *out = NULL, 0;
    return (*out = strdup(s)) ? 0 : -ENOMEM;
}

struct nines_arg *nines_args_copy(const struct nines_arg *args, size_t n, bool *ok) {
    if (n == 0 || !args)
        return NULL;
    struct nines_arg *v = calloc(n, sizeof *v);
    if (!v) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (copy_text(args[i].key, &v[i].key) < 0 || copy_text(args[i].value, &v[i].value) < 0)
            *ok = false;
    return v;
}

static int copy_argv(char *const *argv, char ***out) {
    *out = NULL;
    if (!argv)
        return 0;
    size_t n = 0;
    while (argv[n])
        n++;
    if (!(*out = calloc(n + 1, sizeof **out)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (copy_text(argv[i], &(*out)[i]) < 0)
            return -ENOMEM;
    return 0;
}

struct copy {
    nines_spec_module_fn module_fn;
    void *ctx;
};

static int copy_child(const struct copy *k, struct nines_child_spec *d, const struct nines_child_spec *s);

/* What fails is left in `d` for nines_sup_spec_clear. */
static int copy_sup(const struct copy *k, struct nines_sup_spec *d, const struct nines_sup_spec *s) {
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

static int copy_module(const struct copy *k, const struct nines_child_spec *s, char **out) {
    if (!s->module || !k->module_fn)
        return copy_text(s->module, out);
    return k->module_fn(k->ctx, s, out);
}

static int copy_exec(struct nines_exec_opts *d, const struct nines_exec_opts *s) {
    *d = (struct nines_exec_opts){.uid = s->uid, .gid = s->gid, .stop_signal = s->stop_signal};
    bool ok = true;
    d->env = nines_args_copy(s->env, s->n_env, &ok);
    d->n_env = d->env ? s->n_env : 0;
    if (!ok || copy_text(s->cwd, &d->cwd) < 0 || copy_text(s->user, &d->user) < 0 ||
        copy_text(s->group, &d->group) < 0)
        return -ENOMEM;
    return 0;
}

static int copy_sockets(struct nines_child_spec *d, const struct nines_child_spec *s) {
    if (!s->n_sockets)
        return 0;
    if (!(d->sockets = calloc(s->n_sockets, sizeof *d->sockets)))
        return -ENOMEM;
    d->n_sockets = s->n_sockets;
    for (size_t i = 0; i < s->n_sockets; i++) {
        d->sockets[i] = (struct nines_socket){.kind = s->sockets[i].kind, .backlog = s->sockets[i].backlog,
                                              .mode = s->sockets[i].mode};
        if (copy_text(s->sockets[i].name, &d->sockets[i].name) < 0 ||
            copy_text(s->sockets[i].address, &d->sockets[i].address) < 0)
            return -ENOMEM;
    }
    return 0;
}

static int copy_child(const struct copy *k, struct nines_child_spec *d, const struct nines_child_spec *s) {
    *d = (struct nines_child_spec){.kind = s->kind, .restart = s->restart, .shutdown = s->shutdown,
                                   .notify = s->notify, .max_queued_casts = s->max_queued_casts,
                                   .start_timeout_ms = s->start_timeout_ms, .swap_timeout_ms = s->swap_timeout_ms,
                                   .mark = s->mark, .backoff = s->backoff};
    int r = copy_text(s->id, &d->id);
    if (r == 0)
        r = copy_exec(&d->exec, &s->exec);
    if (r == 0)
        r = copy_sockets(d, s);
    if (r == 0)
        r = copy_module(k, s, &d->module);
    if (r == 0)
        r = copy_argv(s->exec_argv, &d->exec_argv);
    if (r == 0) {
        bool ok = true;
        d->args = nines_args_copy(s->args, s->n_args, &ok);
        d->n_args = d->args ? s->n_args : 0;
        r = ok ? 0 : -ENOMEM;
    }
    if (r == 0 && s->supervisor)
        r = (d->supervisor = calloc(1, sizeof *d->supervisor)) ? copy_sup(k, d->supervisor, s->supervisor) : -ENOMEM;
    return r;
}

int nines_child_spec_copy_into(struct nines_child_spec *d, const struct nines_child_spec *s,
                               nines_spec_module_fn module_fn, void *ctx) {
    struct copy k = {.module_fn = module_fn, .ctx = ctx};
    return copy_child(&k, d, s);
}

struct nines_child_spec *nines_child_spec_copy(const struct nines_child_spec *s) {
    struct nines_child_spec *d = calloc(1, sizeof *d);
    if (d && nines_child_spec_copy_into(d, s, NULL, NULL) < 0) {
        nines_child_spec_free(d);
        d = NULL;
    }
    return d;
}

/* --- comparing ---------------------------------------------------------- */

static bool same_text(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

static bool same_argv(char *const *a, char *const *b) {
    if (!a || !b)
        return a == b;
    for (; *a && *b; a++, b++)
        if (strcmp(*a, *b) != 0)
            return false;
    return !*a && !*b;
}

/* Arguments (and env) are a mapping: their order does not matter. */
static bool same_map(const struct nines_arg *a, size_t na, const struct nines_arg *b, size_t nb) {
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        size_t j = 0;
        while (j < nb && strcmp(a[i].key, b[j].key) != 0)
            j++;
        if (j == nb || !same_text(a[i].value, b[j].value))
            return false;
    }
    return true;
}

static bool same_args(const struct nines_child_spec *a, const struct nines_child_spec *b) {
    return same_map(a->args, a->n_args, b->args, b->n_args);
}

/* Names count as written (the file says what to resolve), ids as resolved. */
static bool same_exec(const struct nines_exec_opts *a, const struct nines_exec_opts *b) {
    return same_map(a->env, a->n_env, b->env, b->n_env) && same_text(a->cwd, b->cwd) && same_text(a->user, b->user) &&
           same_text(a->group, b->group) && a->uid == b->uid && a->gid == b->gid && a->stop_signal == b->stop_signal;
}

/* Sockets in order: the order is the descriptors' (3, 4, ...). */
static bool same_sockets(const struct nines_child_spec *a, const struct nines_child_spec *b) {
    if (a->n_sockets != b->n_sockets)
        return false;
    for (size_t i = 0; i < a->n_sockets; i++) {
        const struct nines_socket *x = &a->sockets[i], *y = &b->sockets[i];
        if (!same_text(x->name, y->name) || x->kind != y->kind || !same_text(x->address, y->address) ||
            x->backlog != y->backlog || x->mode != y->mode)
            return false;
    }
    return true;
}

static bool same_sup(const struct nines_sup_spec *a, const struct nines_sup_spec *b, nines_spec_module_eq_fn eq,
                     void *ctx) {
    if (a->strategy != b->strategy || a->intensity != b->intensity || a->period_ms != b->period_ms ||
        a->n_children != b->n_children || !nines_sup_spec_same_kind(a, b, eq, ctx))
        return false;
    for (size_t i = 0; i < a->n_children; i++)
        if (!nines_child_spec_equal(&a->children[i], &b->children[i], eq, ctx))
            return false;
    return true;
}

bool nines_sup_spec_same_kind(const struct nines_sup_spec *a, const struct nines_sup_spec *b,
                              nines_spec_module_eq_fn eq, void *ctx) {
    bool dynamic = a->strategy == NINES_DYNAMIC;
    if (dynamic != (b->strategy == NINES_DYNAMIC))
        return false;
    return !dynamic ||
           (a->max_children == b->max_children && nines_child_spec_equal(a->child_template, b->child_template, eq, ctx));
}

bool nines_child_spec_equal(const struct nines_child_spec *a, const struct nines_child_spec *b,
                            nines_spec_module_eq_fn eq, void *ctx) {
    if (!same_text(a->id, b->id) || a->kind != b->kind || a->restart != b->restart ||
        a->shutdown.kind != b->shutdown.kind || a->notify != b->notify || a->max_queued_casts != b->max_queued_casts ||
        a->start_timeout_ms != b->start_timeout_ms || a->swap_timeout_ms != b->swap_timeout_ms ||
        !same_args(a, b) || !same_exec(&a->exec, &b->exec) || a->backoff.initial_ms != b->backoff.initial_ms ||
        a->backoff.max_ms != b->backoff.max_ms || a->backoff.reset_ms != b->backoff.reset_ms || !same_sockets(a, b))
        return false;
    if (a->shutdown.kind == NINES_SHUTDOWN_TIMEOUT && a->shutdown.ms != b->shutdown.ms)
        return false;
    switch (a->kind) {
    case NINES_CHILD_MODULE: return eq ? eq(ctx, a, b) : same_text(a->module, b->module);
    case NINES_CHILD_EXEC: return same_argv(a->exec_argv, b->exec_argv);
    default: return same_sup(a->supervisor, b->supervisor, eq, ctx);
    }
}
