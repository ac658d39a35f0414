/*
 * fd_budget.h — does a tree fit ninesd's descriptor limit? (issue 11)
 *
 * ninesd holds one descriptor per module worker (its channel; output goes
 * through one shared socket, output_sock.h) and two per exec child (its
 * stdout and stderr pipes), one per listening socket a child names
 * (`sockets:`), plus a fixed reserve for itself (the loop, the
 * control socket, the spare, upgrades in flight) and one per control
 * connection it may keep (--max-connections). A tree
 * that cannot fit is refused before anything is spawned, with the count
 * and how to raise the limit, instead of failing at the N-th spawn with
 * "Too many open files". A dynamic supervisor counts max_children of its
 * template; one without max_children counts nothing (it grows at run
 * time). Pure: the shell reads and raises RLIMIT_NOFILE.
 */
#ifndef NINES_FD_BUDGET_H
#define NINES_FD_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nines_error.h"
#include "tree.h"

#define FD_BUDGET_PER_MODULE 1
#define FD_BUDGET_PER_EXEC 2
#define FD_BUDGET_RESERVE 64

struct fd_budget {
    uint64_t module_workers;
    uint64_t exec_children;
    uint64_t listeners; /* the sockets children name (listeners.h): one each, however many children share it */
    uint64_t connections;
    uint64_t need; /* descriptors, the reserve included */
};

/* Count what `tree` needs at most, with up to `connections` control
 * connections open. */
void fd_budget_count(const struct nines_tree *tree, uint64_t connections, struct fd_budget *out);

/* 0 if `b` fits `limit`; else -EMFILE with *err (the tree's file) naming
 * the need, the limit and how to raise it. */
int fd_budget_check(const struct nines_tree *tree, const struct fd_budget *b, uint64_t limit, struct nines_error *err);

/* A child started at run time (`ninesctl start`, `start-child`, or a
 * dynamic supervisor without max_children, which the tree's count leaves
 * out): 0 if `kind` fits beside the `held` descriptors ninesd holds for
 * its children now (or `tree_need`, the tree file's children, when more:
 * children restarting keep their room), the `sockets` it holds (none is
 * closed before it ends, not even those of children a reload removed),
 * the reserve and `connections`;
 * else -EMFILE with the count, the limit and how to raise it in `why`. Pure. */
int fd_budget_check_start(enum nines_child_kind kind, uint64_t held, uint64_t tree_need, uint64_t sockets,
                          uint64_t connections, uint64_t limit, char *why, size_t size);

/* The descriptors a child of `kind` costs ninesd: FD_BUDGET_PER_MODULE,
 * FD_BUDGET_PER_EXEC, 0 for a supervisor. */
uint64_t fd_budget_of_kind(enum nines_child_kind kind);

/* What `tree`'s children need, without their sockets (counted as held),
 * the reserve or connections. */
uint64_t fd_budget_children_need(const struct nines_tree *tree);

/* The distinct sockets `tree`'s children name (as listeners_find tells
 * them apart), leaving out those skip says (ctx is its own), or all
 * with skip NULL. Pure. */
struct nines_socket;
typedef bool (*fd_budget_skip_fn)(const struct nines_socket *s, const void *ctx);
uint64_t fd_budget_distinct_sockets(const struct nines_tree *tree, fd_budget_skip_fn skip, const void *ctx);

/* The soft RLIMIT_NOFILE now (after fd_budget_raise), UINT64_MAX when it
 * cannot be read or is unlimited. */
uint64_t fd_budget_limit(void);

/* The shell: raise the soft RLIMIT_NOFILE to the hard one (what systemd
 * advises a daemon that needs many descriptors to do) and give the limit
 * now in force; *orig_soft is the soft limit before, for the children
 * (select() breaks over 1024). 0 or -errno. */
int fd_budget_raise(uint64_t *limit, uint64_t *orig_soft);

#endif /* NINES_FD_BUDGET_H */
