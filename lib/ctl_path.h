/*
 * ctl_path.h — where the control socket lives when nobody says
 * (doc/control-protocol.md, "The socket"). Shared by ninesd, which binds
 * it, and ninesctl, which connects to it: both must reach the same
 * answer from the same environment, so the rules are written once.
 */
#ifndef NINES_CTL_PATH_H
#define NINES_CTL_PATH_H

#include <stddef.h>
#include <sys/types.h>

/* The file name inside whichever folder the rules choose. */
#define CTL_SOCKET_NAME "control.sock"

/*
 * The default socket path, from the environment and our uid:
 *   $RUNTIME_DIRECTORY/control.sock   (systemd's RuntimeDirectory=)
 *   /run/nines/control.sock           when uid is 0
 *   $XDG_RUNTIME_DIR/nines/control.sock
 *   /tmp/nines-UID/control.sock
 * Unset and empty variables count as absent. 0, or -ENAMETOOLONG when the
 * path does not fit in `size` bytes with its NUL (buf is then "").
 */
int ctl_default_socket_path(char *buf, size_t size);

/* The same rules with the environment passed in (NULL: unset). Pure. */
int ctl_socket_path_from(char *buf, size_t size, const char *runtime_directory,
                         const char *xdg_runtime_dir, uid_t uid);

#endif /* NINES_CTL_PATH_H */
