/*
 * release_handler.h — the release handler in ninesd: Erlang's release_handler for
 * a tree of shared objects (doc/design.md §4, doc/releases.md "The release
 * handler").
 *
 * With `--releases DIR`, ninesd runs a release rather than a tree file.
 * DIR holds the handler's state file (state.yaml: every release and its
 * status: unpacked, current, permanent, old), the unpacked releases side
 * by side (DIR/NAME/VERSION/, so two versions of a .so never share a
 * path), and whatever arrives at its top level (NAME-VERSION.tar.gz, or a
 * NAME-VERSION/ folder), which the handler notices (release_watch.h),
 * verifies and unpacks.
 *
 * At boot ninesd runs the permanent release (release_boot). Then the
 * operator unpacks, installs (runs the relup plan: doc/relup.md), makes
 * permanent, downgrades and removes releases through the control socket;
 * an install that fails at step k undoes steps k-1 .. 1 and leaves the
 * tree where it was. The state file changes only at the end of an
 * operation, atomically: a ninesd killed in the middle of an upgrade comes
 * back on the permanent release with the state it had before.
 */
#ifndef NINES_RELEASE_HANDLER_H
#define NINES_RELEASE_HANDLER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "control.h"
#include "daemon.h"


/* What ninesd boots. */
struct release_boot {
    char name[65];
    char version[65];
    char dir[PATH_MAX];  /* DIR/NAME/VERSION */
    char tree[PATH_MAX]; /* its tree file */
};

struct release_options {
    const char *dir;    /* the releases folder */
    const char *tool;   /* the nines-release program */
    const char *worker; /* the nines-worker program (module checks) */
    bool auto_upgrade;  /* install a release as soon as it is unpacked */
};

/* Before the loop: the state says which release is permanent; a current
 * one goes back to unpacked (it was never made permanent). With no
 * permanent release yet, the only release in DIR (unpacked, or arrived
 * and then unpacked now) becomes the permanent one: the first boot. 0, or
 * -errno with `why` saying what is wrong and what to do. */
int release_boot(const struct release_options *opt, struct release_boot *out, char *why, size_t size);

/* After daemon_init: take over the running release (its tree is
 * d->tree), watch the folder. 0 or -errno with `why`. */
int releases_start(struct daemon *d, const struct release_options *opt, const struct release_boot *boot,
                   char *why, size_t size);
void releases_free(struct daemon *d);
/* "NAME VERSION" of the release the tree runs, into buf; NULL for a tree file. */
const char *releases_running(struct daemon *d, char *buf, size_t size);

/* An engine reply: true if it answers a request of the release handler. */
bool releases_on_reply(struct daemon *d, const struct engine_reply *r);

/* Worker `node` ended abnormally (not rolled back). If a release install
 * is under way and swapped it, the install fails and is undone, for the
 * other workers too: the new release crashed (README's rollback rule). */
void release_install_on_crash(struct daemon *d, engine_node node, const char *why);

/* Control commands (doc/control-protocol.md "Releases"). */
void release_cmd_list(struct daemon *d, struct control_conn *c, int argc, const char **argv);
void release_cmd_unpack(struct daemon *d, struct control_conn *c, int argc, const char **argv);
void release_cmd_make_permanent(struct daemon *d, struct control_conn *c, int argc, const char **argv);
void release_cmd_remove(struct daemon *d, struct control_conn *c, int argc, const char **argv);
void release_cmd_install(struct daemon *d, struct control_conn *c, int argc, const char **argv);

#endif /* NINES_RELEASE_HANDLER_H */
