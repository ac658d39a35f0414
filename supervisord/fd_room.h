/*
 * fd_room.h — the descriptor budget (fd_budget.h) after the start: a
 * reloaded tree file is counted like the first, and a child started at
 * run time (`ninesctl start`, `start-child`) must fit beside the
 * descriptors ninesd holds for its children now. A refusal says what is
 * needed, the limit and how to raise it, and changes nothing.
 */
#ifndef NINES_FD_ROOM_H
#define NINES_FD_ROOM_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"
#include "nines_error.h"

/* 0 if `tree` (a reload's new file) fits the limit now in force, with
 * the sockets ninesd holds now (kept open until it ends) and those the
 * file adds; else -EMFILE with *err naming the need and the limit. */
int fd_room_for_tree(const struct daemon *d, const struct nines_tree *tree, struct nines_error *err);

/* 0 if one more child of `kind` fits; else -EMFILE with the reason in why. */
int fd_room_for_child(const struct daemon *d, enum nines_child_kind kind, char *why, size_t size);

/* What a start-child under supervisor node `sup` would start: its
 * template's kind (a module when the node has none). */
enum nines_child_kind fd_room_template_kind(const struct daemon *d, engine_node sup);

/* Count a child process's descriptors in (+) or out (-) of d->child_fds. */
void fd_room_hold(struct daemon *d, int channel, int out_fd, int err_fd, bool add);

#endif
