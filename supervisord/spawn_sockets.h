/*
 * spawn_sockets.h — a child's listening sockets (listeners.h) on their
 * way into its process: ninesd's descriptors copied above the range they
 * go to (base, base+1, ...), so that no copy onto base+i overwrites one
 * still to be copied, and what LISTEN_FDS/LISTEN_FDNAMES say (a program's;
 * a module worker's host is told by --socket instead).
 */
#ifndef NINES_SPAWN_SOCKETS_H
#define NINES_SPAWN_SOCKETS_H

#include <spawn.h>
#include <stdbool.h>

#include "child_proc.h"
#include "tree.h"

struct spawn_sockets {
    int tmp[NINES_SOCKETS_MAX];
    size_t n;
    int base;
    bool env;
    char names_var[NINES_SOCKETS_MAX * 257 + 32]; /* "LISTEN_FDNAMES=a:b" */
    char count_var[32];                           /* "LISTEN_FDS=2" */
};

/* The copies (close-on-exec) and the variables. 0 or -errno. */
int spawn_sockets_prepare(struct spawn_sockets *ss, const struct spawn_listen *sl);
/* The dup2 of each copy onto its place, for posix_spawn. */
void spawn_sockets_add_actions(posix_spawn_file_actions_t *fa, const struct spawn_sockets *ss);
void spawn_sockets_close(struct spawn_sockets *ss); /* accepts NULL */

/* The descriptors of `spec`'s sockets (a declared one not open yet is
 * opened now), placed for a program (3, ...) or a module worker (after
 * its channel). 0, or -errno after logging socket_error. */
int spawn_sockets_of_child(struct daemon *d, bool is_exec, const struct nines_child_spec *spec, const char *path,
                           struct spawn_listen *sl);

#endif
