/*
 * client.h — ninesctl's side of the socket: choose the path, connect,
 * send one REQUEST and hand the answer to the output until the END.
 */
#ifndef NINES_CTL_CLIENT_H
#define NINES_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "output.h"

/* The socket path: --socket, else $NINES_SOCKET (non-empty), else the
 * default of ctl_path.h. 0 or -ENAMETOOLONG. `option` and `env` are
 * passed in so the choice can be tested. */
int ctl_choose_socket(char *buf, size_t size, const char *option, const char *env);

/* A connected socket, or -errno (-ENAMETOOLONG for a path a unix
 * socket address cannot hold). */
int ctl_client_connect(const char *path);

/* Report a failed connect through the output; returns the exit code
 * (4 for a permission problem, 5 otherwise). */
int ctl_client_connect_failed(struct ctl_output *o, const char *path, int err);

/* Who may answer ninesctl: root or the user running it, nobody else
 * (doc/control-protocol.md, "The socket"). Pure. */
bool ctl_server_trusted(uid_t server, uid_t me);

/* Report a server that is not trusted; returns the exit code (5). */
int ctl_client_untrusted(struct ctl_output *o, const char *path, uid_t server, pid_t pid, uid_t me);

/* Ask the kernel who listens on fd's other end (SO_PEERCRED, recorded at
 * its listen()): -1 when it is trusted, else the failure is reported
 * through o and the exit code returned. Nothing is sent before this. */
int ctl_client_check_server(int fd, struct ctl_output *o, const char *path);

/* Send argv as one REQUEST on fd and print the answer through o.
 * Returns the exit code. */
int ctl_client_exchange(int fd, int argc, const char *const *argv, struct ctl_output *o);

#endif /* NINES_CTL_CLIENT_H */
