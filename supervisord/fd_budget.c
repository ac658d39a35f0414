/*
 * fd_budget.c — see fd_budget.h.
 */
#include "fd_budget.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* The sockets children name, once per child naming them (a template's
 * once), to be counted once each (fd_budget_distinct). */
struct sockets {
    const struct nines_socket **v;
    size_t n, cap;
    size_t lost; /* not kept (no memory): counted as distinct, the safe side */
};

static void add_sockets(struct sockets *l, const struct nines_child_spec *c, fd_budget_skip_fn skip,
                        const void *ctx) {
    for (size_t i = 0; i < c->n_sockets; i++) {
        const struct nines_socket *s = &c->sockets[i];
        if (skip && skip(s, ctx))
            continue;
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 16;
            const struct nines_socket **v = realloc(l->v, cap * sizeof *v);
            if (!v) {
                l->lost++;
                continue;
            }
            l->v = v, l->cap = cap;
        }
        l->v[l->n++] = s;
    }
}

static void count_child(const struct nines_child_spec *c, uint64_t times, struct fd_budget *b, struct sockets *l);

static void count_sup(const struct nines_sup_spec *s, uint64_t times, struct fd_budget *b, struct sockets *l) {
    for (size_t i = 0; i < s->n_children; i++)
        count_child(&s->children[i], times, b, l);
    if (s->child_template && s->max_children)
        count_child(s->child_template, times * s->max_children, b, l);
    else if (s->child_template)
        add_sockets(l, s->child_template, NULL, NULL); /* opened at start, whatever the count */
}

static void count_child(const struct nines_child_spec *c, uint64_t times, struct fd_budget *b, struct sockets *l) {
    add_sockets(l, c, NULL, NULL); /* once: a template's children share them */
    if (c->kind == NINES_CHILD_MODULE)
        b->module_workers += times;
    else if (c->kind == NINES_CHILD_EXEC)
        b->exec_children += times;
    else if (c->kind == NINES_CHILD_SUPERVISOR && c->supervisor)
        count_sup(c->supervisor, times, b, l);
}

/* Which socket is which, as listeners_find tells them apart: a handed-over
 * one by its name, a declared one by its kind and address. */
static int socket_cmp(const void *pa, const void *pb) {
    const struct nines_socket *a = *(const struct nines_socket *const *)pa, *b = *(const struct nines_socket *const *)pb;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    const char *x = a->kind == NINES_SOCKET_PASSED ? a->name : a->address;
    const char *y = b->kind == NINES_SOCKET_PASSED ? b->name : b->address;
    return strcmp(x ? x : "", y ? y : "");
}

static uint64_t distinct(struct sockets *l) {
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, socket_cmp); /* l->v is NULL when none: not qsort's to take */
    uint64_t n = l->lost;
    for (size_t i = 0; i < l->n; i++)
        n += i == 0 || socket_cmp(&l->v[i - 1], &l->v[i]) != 0;
    free(l->v);
    *l = (struct sockets){0};
    return n;
}

static void walk_sockets(const struct nines_sup_spec *s, struct sockets *l, fd_budget_skip_fn skip, const void *ctx) {
    for (size_t i = 0; i < s->n_children; i++) {
        const struct nines_child_spec *c = &s->children[i];
        add_sockets(l, c, skip, ctx);
        if (c->kind == NINES_CHILD_SUPERVISOR && c->supervisor)
            walk_sockets(c->supervisor, l, skip, ctx);
    }
    if (s->child_template) {
        add_sockets(l, s->child_template, skip, ctx);
        if (s->child_template->kind == NINES_CHILD_SUPERVISOR && s->child_template->supervisor)
            walk_sockets(s->child_template->supervisor, l, skip, ctx);
    }
}

uint64_t fd_budget_distinct_sockets(const struct nines_tree *tree, fd_budget_skip_fn skip, const void *ctx) {
    struct sockets l = {0};
    walk_sockets(&tree->root, &l, skip, ctx);
    return distinct(&l);
}

void fd_budget_count(const struct nines_tree *tree, uint64_t connections, struct fd_budget *out) {
    *out = (struct fd_budget){.connections = connections};
    struct sockets l = {0};
    count_sup(&tree->root, 1, out, &l);
    out->listeners = distinct(&l);
    out->need = out->module_workers * FD_BUDGET_PER_MODULE + out->exec_children * FD_BUDGET_PER_EXEC +
                out->listeners + FD_BUDGET_RESERVE + connections;
}

int fd_budget_check(const struct nines_tree *tree, const struct fd_budget *b, uint64_t limit, struct nines_error *err) {
    if (b->need <= limit)
        return 0;
    *err = (struct nines_error){0};
    snprintf(err->file, sizeof err->file, "%s", tree->path ? tree->path : "tree");
    snprintf(err->message, sizeof err->message,
             "the tree needs %llu descriptors (%llu module workers x %d, %llu exec children x %d, %llu sockets, "
             "%d for ninesd, %llu control connections) "
             "but the descriptor limit (RLIMIT_NOFILE) is %llu: raise it with LimitNOFILE= in ninesd's unit "
             "or ulimit -n before starting ninesd",
             (unsigned long long)b->need, (unsigned long long)b->module_workers, FD_BUDGET_PER_MODULE,
             (unsigned long long)b->exec_children, FD_BUDGET_PER_EXEC, (unsigned long long)b->listeners,
             FD_BUDGET_RESERVE,
             (unsigned long long)b->connections,
             (unsigned long long)limit);
    return -EMFILE;
}

uint64_t fd_budget_children_need(const struct nines_tree *tree) {
    struct fd_budget b;
    fd_budget_count(tree, 0, &b);
    return b.need - FD_BUDGET_RESERVE - b.listeners;
}

uint64_t fd_budget_of_kind(enum nines_child_kind kind) {
    return kind == NINES_CHILD_MODULE ? FD_BUDGET_PER_MODULE : kind == NINES_CHILD_EXEC ? FD_BUDGET_PER_EXEC : 0;
}

int fd_budget_check_start(enum nines_child_kind kind, uint64_t held, uint64_t tree_need, uint64_t sockets,
                          uint64_t connections, uint64_t limit, char *why, size_t size) {
    uint64_t base = held > tree_need ? held : tree_need, more = fd_budget_of_kind(kind);
    uint64_t need = base + sockets + more + FD_BUDGET_RESERVE + connections;
    if (need <= limit)
        return 0;
    snprintf(why, size,
             "no room for its descriptors: ninesd would need %llu (%llu for the children now, %llu sockets held, "
             "%llu more for this one, %d for ninesd, %llu control connections) but the descriptor limit "
             "(RLIMIT_NOFILE) is %llu: raise it with LimitNOFILE= in ninesd's unit or ulimit -n before starting ninesd",
             (unsigned long long)need, (unsigned long long)base, (unsigned long long)sockets,
             (unsigned long long)more, FD_BUDGET_RESERVE, (unsigned long long)connections,
             (unsigned long long)limit);
    return -EMFILE;
}

uint64_t fd_budget_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
        return UINT64_MAX;
    return rl.rlim_cur;
}

int fd_budget_raise(uint64_t *limit, uint64_t *orig_soft) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -errno;
    *orig_soft = rl.rlim_cur;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit raised = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl.rlim_cur = rl.rlim_max;
    }
    *limit = rl.rlim_cur;
    return 0;
}
