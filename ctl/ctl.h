/*
 * ctl.h — what every part of ninesctl shares: its exit codes, the
 * mapping from the daemon's END statuses to them, and the one-line error
 * format. The codes are a contract (doc/control-protocol.md, README,
 * `ninesctl --help`): scripts branch on them.
 */
#ifndef NINES_CTL_CTL_H
#define NINES_CTL_CTL_H

#include <stdio.h>

#include "ctl_proto.h"

enum ctl_exit {
    CTL_EXIT_OK = 0,
    CTL_EXIT_FAILED = 1,      /* failed, refused, not found, timeout, too big, shutting down, internal */
    CTL_EXIT_USAGE = 2,       /* bad arguments, ours or as the daemon judged them */
    CTL_EXIT_UNHEALTHY = 3,   /* status: a permanent child is not running */
    CTL_EXIT_DENIED = 4,      /* the daemon said denied, or connect() was refused by the file mode */
    CTL_EXIT_UNREACHABLE = 5, /* no socket, nobody listening on it, or a server neither root nor us */
    CTL_EXIT_PROTOCOL = 6,    /* the daemon's answer made no sense */
};

/* Statuses ninesctl reports for what happens on its side of the socket
 * (the daemon's own are ctl_status_name()'s). Stable: used in --json. */
#define CTL_CLIENT_USAGE "usage"
#define CTL_CLIENT_UNREACHABLE "unreachable"
#define CTL_CLIENT_PROTOCOL "protocol"
#define CTL_CLIENT_UNTRUSTED "untrusted" /* the socket's server is neither root nor us */

/* The exit code for an END status. Pure. A status this client does not
 * know (a newer daemon's) still means the command did not succeed: 1. */
int ctl_exit_for_status(enum ctl_status s);

/* The exit code for connect()'s -errno: 4 for a permission problem (the
 * socket's mode keeps us out), 5 for everything else (no daemon). Pure. */
int ctl_exit_for_connect_error(int err);

/*
 * One line: "ninesctl: WHAT: STATUS: MESSAGE\n", where WHAT is the
 * command and its first argument ("restart web/listener") and STATUS a
 * status name with '_' shown as ' ' ("not found"). An empty WHAT or
 * MESSAGE is left out with its separator.
 */
void ctl_print_error(FILE *f, const char *what, const char *status, const char *message);

/* The same for a message that may list problems, one a line (a release
 * that does not verify): the first line as ctl_print_error's, then each
 * further non-empty line on its own, indented by two spaces. */
void ctl_print_error_lines(FILE *f, const char *what, const char *status, const char *message);

/* strerror(-err) starting in lower case, as the rest of our messages;
 * written into buf. */
const char *ctl_strerror(int err, char buf[static 64]);

#endif /* NINES_CTL_CTL_H */
