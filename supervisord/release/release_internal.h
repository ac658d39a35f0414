/*
 * release_internal.h — what the release handler's files share:
 * release_handler.c (state, list, make-permanent, remove), release_unpack.c
 * (nines-release unpack as a child process, arrivals), release_install.c
 * (running a plan and undoing it), release_boot.c (what ninesd boots).
 */
#ifndef NINES_RELEASE_INTERNAL_H
#define NINES_RELEASE_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "appup.h"
#include "manifest.h"
#include "release_handler.h"
#include "release_state.h"
#include "relup.h"
#include "tree.h"

/* One release, loaded: what the planner needs of it. */
struct release_set {
    char dir[PATH_MAX];
    struct nines_manifest *manifest;
    struct nines_tree *tree;
    bool tree_borrowed; /* the boot release's tree is the daemon's (d->tree) */
    struct nines_appup **appups;
    size_t n_appups;
};

/* Load DIR/release.yaml, its tree (unless `tree` is given: borrowed) and
 * its appups. 0, or -errno with *err naming the file. */
int release_set_load(const char *dir, struct nines_tree *tree, struct release_set *out, struct nines_error *err);
void release_set_free(struct release_set *s);

/* An unpack asked for (by an operator, or by an arrival in the folder). */
struct unpack_job {
    struct unpack_job *next;
    char *path;
    uint64_t conn_id; /* 0: an arrival */
};

struct install;

struct releases {
    char dir[PATH_MAX];
    char state_path[PATH_MAX];
    char tool[PATH_MAX];
    char worker[PATH_MAX];
    bool auto_upgrade;
    struct nines_rel_state state;
    struct release_set running; /* the release the tree runs now */
    struct release_watch *watch;
    struct unpack_job *unpacks; /* the head runs (unpack_pid), the rest wait */
    pid_t unpack_pid;
    int unpack_out; /* memfd: the tool's stdout and stderr */
    struct reaper *reaper; /* the daemon's, while unpack_pid is watched */
    struct install *install; /* the upgrade or downgrade under way, or NULL */
};

/* DIR/NAME/VERSION of a release of this folder. */
int release_version_dir(const struct releases *r, const char *version, char out[PATH_MAX]);

/* Write the state file; logs and returns -errno on failure. */
int release_save_state(struct daemon *d);

/* Log a release event (logfmt / journal, like the supervisor reports). */
void release_log(int prio, const char *event, const char *msg, const char *version, const char *reason);

/* release_unpack.c. Run `TOOL unpack --worker WORKER PATH DIR` with its
 * stdout and stderr into out_fd: 0 or -errno. Then read what it said
 * (NUL-terminated, trailing newlines cut). */
int release_tool_spawn(const char *tool, const char *worker, const char *path, const char *dir, int out_fd,
                       pid_t *pid);
void release_tool_output(int fd, char *buf, size_t size);
void release_unpack_queue(struct daemon *d, const char *path, uint64_t conn_id);
void release_unpack_free(struct releases *r);
void release_on_arrival(void *userdata, const char *path); /* release_watch's callback */
void release_drop_arrival(const char *path); /* delete an arrival that was unpacked */

/* release_workers.c: the running workers of application `app` not yet on
 * `module` (restart: leaving out temporary and dynamic children), in a new
 * array *out of *n, with their uids (engine_node_uid) in *uids (free
 * both); 0 or -ENOMEM. */
int release_workers_to_move(struct daemon *d, const char *app, const char *module, bool restart,
                            engine_node **out, uint64_t **uids, size_t *n);
/* A worker listed so is still there: its number names the node of that
 * uid, not removed (a dynamic child that is never comes back). */
bool release_worker_there(struct daemon *d, engine_node node, uint64_t uid);
/* Child `id` of supervisor path `sup` ("/": the root), or `sup` itself
 * with id NULL; ENGINE_NO_NODE if there is none. */
engine_node release_find_child(struct daemon *d, const char *sup, const char *id);
/* How many of nodes[0..n) run `module` now, those whose number names
 * another node than uids[i] (engine_node_uid) left out. */
size_t release_workers_on(struct daemon *d, const engine_node *nodes, const uint64_t *uids, size_t n,
                          const char *module);

/* release_install.c: install `version` (down: a downgrade). conn_id 0: no
 * operator waits (an automatic upgrade). */
void release_install_begin(struct daemon *d, uint64_t conn_id, const char *version, bool down);
bool release_install_on_reply(struct daemon *d, const struct engine_reply *r);
void release_install_free(struct releases *r);
/* release_plan.c: load `version` into *target and plan the way there from
 * the running release (*plan borrows from both; free the plan first).
 * 0, or -ENOENT / -EALREADY / another -errno with `why`. */
int release_make_plan(struct daemon *d, const char *version, bool down, struct release_set *target,
                      struct nines_relup **plan, char *why, size_t size);
/* release_plan.c: the plan to `version`, as dry-run prints it; 0 or -errno with `why`. */
int release_plan_text(struct daemon *d, const char *version, bool down, bool json, char **text, char *why,
                      size_t size);

#endif /* NINES_RELEASE_INTERNAL_H */
