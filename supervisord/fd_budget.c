/*
 * fd_budget.c — see fd_budget.h.
 */
#include "fd_budget.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static void count_child(const struct nines_child_spec *c, uint64_t times, struct fd_budget *b);

static void count_sup(const struct nines_sup_spec *s, uint64_t times, struct fd_budget *b) {
    for (size_t i = 0; i < s->n_children; i++)
        count_child(&s->children[i], times, b);
    if (s->child_template && s->max_children)
        count_child(s->child_template, times * s->max_children, b);
}

static void count_child(const struct nines_child_spec *c, uint64_t times, struct fd_budget *b) {
    b->listeners += c->n_sockets; /* once: a template's children share them */
    if (c->kind == NINES_CHILD_MODULE)
        b->module_workers += times;
    else if (c->kind == NINES_CHILD_EXEC)
        b->exec_children += times;
    else if (c->kind == NINES_CHILD_SUPERVISOR && c->supervisor)
        count_sup(c->supervisor, times, b);
}

void fd_budget_count(const struct nines_tree *tree, uint64_t connections, struct fd_budget *out) {
    *out = (struct fd_budget){.connections = connections};
    count_sup(&tree->root, 1, out);
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
    return b.need - FD_BUDGET_RESERVE;
}

uint64_t fd_budget_of_kind(enum nines_child_kind kind) {
    return kind == NINES_CHILD_MODULE ? FD_BUDGET_PER_MODULE : kind == NINES_CHILD_EXEC ? FD_BUDGET_PER_EXEC : 0;
}

int fd_budget_check_start(enum nines_child_kind kind, uint64_t held, uint64_t tree_need, uint64_t connections,
                          uint64_t limit, char *why, size_t size) {
    uint64_t base = held > tree_need ? held : tree_need, more = fd_budget_of_kind(kind);
    uint64_t need = base + more + FD_BUDGET_RESERVE + connections;
    if (need <= limit)
        return 0;
    snprintf(why, size,
             "no room for its descriptors: ninesd would need %llu (%llu for the children now, %llu more for this "
             "one, %d for ninesd, %llu control connections) but the descriptor limit (RLIMIT_NOFILE) is %llu: "
             "raise it with LimitNOFILE= in ninesd's unit or ulimit -n before starting ninesd",
             (unsigned long long)need, (unsigned long long)base, (unsigned long long)more, FD_BUDGET_RESERVE,
             (unsigned long long)connections, (unsigned long long)limit);
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
