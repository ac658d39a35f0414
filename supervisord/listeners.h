/*
 * listeners.h — the listening sockets ninesd holds for its children
 * (a child's `sockets:`, README "Sockets"), both ways of socket
 * activation:
 *
 *   - handed to ninesd (LISTEN_FDS/LISTEN_FDNAMES, as systemd or
 *     systemd-socket-activate pass them): taken at start, marked
 *     O_CLOEXEC so that no child inherits one it did not name;
 *   - declared in the tree (`tcp:`, `unix:`): opened by ninesd before
 *     anything starts and kept until it ends, so a child's crash and
 *     restart never close them and its clients wait in the backlog.
 *     Children naming the same address share one socket.
 *
 * A child gets exactly the sockets it names, at descriptors 3, 4, ... in
 * its order, with LISTEN_FDS and LISTEN_FDNAMES (the worker host sets
 * LISTEN_PID before it runs the program), as sd_listen_fds() expects.
 */
#ifndef NINES_LISTENERS_H
#define NINES_LISTENERS_H

#include <stdbool.h>
#include <stddef.h>

#include "tree.h"

struct listener {
    enum nines_socket_kind kind;
    char *name;    /* PASSED: its name in LISTEN_FDNAMES ("unknown" without names) */
    char *address; /* TCP, UNIX: as the tree says it */
    int fd;
    bool made_file; /* UNIX: ninesd made the file; removed when ninesd ends */
    bool named;     /* a child of the tree names it (listeners_open_tree) */
};

struct listeners {
    struct listener *v;
    size_t n, cap;
};

/* Take the sockets handed to ninesd (sd_listen_fds_with_names, which
 * also unsets LISTEN_*). 0 (none is fine) or -errno. */
int listeners_take_passed(struct listeners *ls);

/* Open every socket the tree declares and check that every socket it
 * names as handed over was. 0, or -errno with `why` saying where
 * ("tree.yaml:7:9: child 'web': cannot listen on tcp 127.0.0.1:80:
 * Address already in use"). */
int listeners_open_tree(struct listeners *ls, const struct nines_tree *tree, char *why, size_t size);

/* The descriptors of child spec c's sockets, in its order, into fds
 * (c->n_sockets of them); a declared one not open yet (a child added by a
 * reload) is opened now. 0 or -errno with `why`. */
int listeners_for_child(struct listeners *ls, const struct nines_child_spec *c, int *fds, char *why, size_t size);

/* The one that matches `s`, or NULL. Pure. */
struct listener *listeners_find(const struct listeners *ls, const struct nines_socket *s);

/* The sockets ninesd would hold with `tree` (a reload's) too: every one
 * it holds now (none is closed before ninesd ends) and each that `tree`
 * declares and none of them is (once, however many children name it, as
 * fd_budget_count counts). Pure. */
size_t listeners_count_with(const struct listeners *ls, const struct nines_tree *tree);

/* Close them all; the unix socket files ninesd made are removed. */
void listeners_free(struct listeners *ls);

#endif
