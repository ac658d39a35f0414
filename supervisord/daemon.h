/*
 * daemon.h — ninesd's imperative shell: the sd-event loop, the processes,
 * the signals. It feeds events to the engine (engine.h) and carries out
 * the actions the engine returns; it decides nothing about supervision.
 */
#ifndef NINES_DAEMON_H
#define NINES_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "counters.h"
#include "cgroup_rule.h"
#include "drop_burst.h"
#include "engine.h"
#include "listeners.h"
#include "tree.h"

struct child_proc;

/* What the daemon remembers of a node's latest process, for the log. */
struct node_info {
    pid_t pid;
    uint64_t gen;
    /* The incarnation before: the report of its end is carried out after
     * its replacement's spawn (engine_actions_spawn_first). */
    pid_t prev_pid;
    uint64_t prev_gen;
    uint64_t started_ms; /* monotonic: when it was last reported started */
    char name[64];       /* the module's name and version, from its READY */
    char version[64];
    bool preloaded;      /* its module was loaded by a spare before its START (spare.h) */
    uint64_t casts_dropped; /* over the child's life, not this process's (casts.h) */
    uint64_t casts_refused;
    uint64_t answers_dropped; /* answers to its calls that came after their caller ended (drops.h) */
    uint64_t answers_lost;    /* answered -ECONNABORTED after a rollback: no copy was kept (calls_kept.h) */
    uint64_t kept_bytes;      /* the copies kept of answers to it (calls_kept.h) */
    struct drop_burst drops[DROP_KINDS]; /* the drops not yet logged (drops.h) */
    /* The last end, for status (health.h): why, when (monotonic for its
     * age, wall clock to show), and whether it was trouble. */
    char last_exit[96];
    uint64_t last_exit_ms;
    int64_t last_exit_unix_ms;
    bool last_exit_troubled;
    uint64_t last_trouble_ms, prev_trouble_ms; /* monotonic: its last two ends in trouble (status_line.h) */
    uint32_t exits_normal, exits_shutdown, exits_abnormal; /* since ninesd started (metrics) */
    struct node_counters counters; /* calls, casts, upgrades (metrics, counters.h) */
};

struct daemon {
    sd_event *loop;
    struct nines_tree *tree;
    struct engine *engine;
    struct engine_actions actions;
    struct child_proc **procs;  /* by node: the live process, or NULL */
    struct node_info *nodes;    /* by node */
    size_t n_nodes;
    const char *worker_path;    /* the nines-worker program */
    struct engine_event *pending; /* events raised while actions run */
    size_t n_pending, cap_pending;
    bool feeding;
    int notify_fd;                /* sd_notify socket for exec children */
    sd_event_source *notify_src;
    struct reaper *reaper;        /* every process end, orphans too (reaper.h) */
    struct output_sock *output;   /* module workers' stdout and stderr (output_sock.h) */
    char notify_path[64];         /* "@NAME": its autobound abstract address (notify.h) */
    struct spare_pool *spares;    /* the warm worker hosts (spare.h), or NULL */
    struct launcher *launcher;    /* the fork server every child is spawned by (launcher.h), or NULL */
    sd_event_source *log_io_src, *log_post_src; /* the log's slow reader (log_pump.h) */
    bool no_spare;
    bool no_launcher;
    bool exec_hosts;              /* exec every worker host instead of forking the launcher (launcher.h) */
    struct control *control;      /* the control socket (control.h), or NULL */
    struct calls *calls;          /* calls in flight between children (calls.h) */
    struct call_latency call_latency; /* answered calls, for metrics (counters.h) */
    struct calls_kept *kept;      /* answers to workers that may be rolled back (calls_kept.h) */
    sd_event_source *drop_timer;  /* the end of the next burst of drops (drops.h) */
    struct upgrades *upgrades;    /* live upgrades asked and done (upgrade.h) */
    struct module_name *module_names; /* the application each module path is (module_names.h) */
    struct releases *releases;    /* the release handler (release_handler.h), or NULL for a tree file */
    uint64_t max_snapshot;        /* the largest state an upgrade may carry, bytes */
    uint64_t next_request_id;
    struct reload *reload;        /* the reload under way (reload.h), or NULL */
    struct nines_tree **old_trees; /* files run before a reload: nodes still point into them */
    size_t n_old_trees;
    struct cgroups *cgroups;      /* a cgroup per child (cgroup.h), or NULL */
    struct warden *warden;        /* kills what children leave if ninesd dies (warden.h), or NULL */
    struct status_notify *status; /* STATUS= kept true (status_notify.h), or NULL */
    struct listeners listeners;   /* listening sockets for the children (listeners.h) */
    bool stopping;
    bool tree_up;                 /* tree_started was logged (spare.c waits with refills after it) */
    int exit_code;
    /* The descriptor budget at run time (fd_budget.h, fd_room.h). */
    uint64_t budget_connections;  /* control connections counted */
    uint64_t budget_tree_need;    /* the tree file's children's descriptors */
    uint64_t child_fds;           /* descriptors held for children now */
};

/* The default limit on a live upgrade's state snapshot. */
#define DAEMON_MAX_SNAPSHOT (256ull * 1024 * 1024)

struct daemon_options {
    const char *worker_path;
    const char *socket_path;   /* the control socket; NULL: the default */
    const char *control_group; /* may read status and events; NULL: none */
    bool no_control;           /* no control socket at all */
    size_t max_connections;    /* control connections; 0: the default */
    int64_t idle_timeout_ms;   /* an idle control connection's life; 0: the default, < 0: never */
    uint64_t max_snapshot;     /* 0: the default */
    bool no_spare; /* never keep a warm worker host (spare.h) */
    bool no_launcher; /* spawn from ninesd itself (launcher.h) */
    bool exec_hosts;  /* worker hosts exec'd, not forks of the launcher (launcher.h) */
    enum nines_cgroup_mode cgroups; /* a cgroup per child: auto, on, off (cgroup.h) */
    uint64_t budget_connections; /* control connections the descriptor budget counts */
};

/* Before the tree is read: the loop, its signals, the reaper, the
 * workers' output socket, and (unless opt->no_launcher) the launcher
 * with the first spare, which start while ninesd reads and checks the
 * tree. Then daemon_init for the tree, or daemon_free. 0 or -errno. */
int daemon_prestart(struct daemon *d, const struct daemon_options *opt);
/* The rest for `tree` (taken over: freed by daemon_free): its engine,
 * listening sockets, cgroups, warden, notify and control sockets; after
 * daemon_prestart with the same options. 0 or -errno. */
int daemon_init(struct daemon *d, struct nines_tree *tree, const struct daemon_options *opt);
/* Start the tree and run until it is down; returns the exit code. */
int daemon_run(struct daemon *d);
void daemon_free(struct daemon *d);

/* Hand one event to the engine and carry out what it decides. Safe to call
 * from an action (the event then waits until the current batch is done). */
void daemon_feed(struct daemon *d, const struct engine_event *ev);

uint64_t daemon_now_ms(void);

/* An orderly shutdown of the tree (SIGTERM, ninesctl stop); `why` is logged. */
void daemon_request_stop(struct daemon *d, const char *why);

/* Grow the per-node tables to the engine's node count (after
 * ENGINE_ACT_NODE_ADDED). 0 or -ENOMEM. */
int daemon_grow_nodes(struct daemon *d);

/* Log a supervisor report with the daemon's view (pids). */
void daemon_log_report(struct daemon *d, const struct engine_report *r);

#endif /* NINES_DAEMON_H */
