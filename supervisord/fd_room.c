/*
 * fd_room.c — see fd_room.h.
 */
#include "fd_room.h"

#include "fd_budget.h"
#include "listeners.h"

int fd_room_for_tree(const struct daemon *d, const struct nines_tree *tree, struct nines_error *err) {
    struct fd_budget b;
    fd_budget_count(tree, d->budget_connections, &b);
    /* The sockets held now stay open beside those the file adds. */
    uint64_t held = listeners_count_with(&d->listeners, tree);
    b.need += held - b.listeners;
    b.listeners = held;
    return fd_budget_check(tree, &b, fd_budget_limit(), err);
}

int fd_room_for_child(const struct daemon *d, enum nines_child_kind kind, char *why, size_t size) {
    return fd_budget_check_start(kind, d->child_fds, d->budget_tree_need, d->listeners.n, d->budget_connections,
                                 fd_budget_limit(), why, size);
}

enum nines_child_kind fd_room_template_kind(const struct daemon *d, engine_node sup) {
    const struct nines_child_spec *spec = engine_node_spec(d->engine, sup);
    const struct nines_child_spec *t = spec && spec->supervisor ? spec->supervisor->child_template : NULL;
    return t ? t->kind : NINES_CHILD_MODULE;
}

void fd_room_hold(struct daemon *d, int channel, int out_fd, int err_fd, bool add) {
    uint64_t n = (uint64_t)(channel >= 0) + (uint64_t)(out_fd >= 0) + (uint64_t)(err_fd >= 0);
    if (add)
        d->child_fds += n;
    else
        d->child_fds -= n <= d->child_fds ? n : d->child_fds;
}
