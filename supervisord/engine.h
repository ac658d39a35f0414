/*
 * engine.h — the supervision engine: OTP's supervisor semantics as a pure
 * state machine.
 *
 * The engine holds the running state of every supervisor in the tree and
 * decides what to do; it never touches the system. The daemon (the shell)
 * feeds it events — a worker became ready, a worker exited, a grace timer
 * expired, the operator asked to stop — and carries out the actions it
 * returns: spawn, ask to stop, kill, arm or cancel a timer, log a report,
 * tell systemd the tree is up, exit. Time is an input (now_ms), so every
 * rule can be unit-tested without processes or clocks.
 *
 * Each supervisor behaves like an OTP supervisor process: it does one thing
 * at a time (a synchronous child start, a sequential shutdown) and events
 * that arrive for it meanwhile wait in its mailbox, in order. Workers are
 * identified by (node, gen): every spawn gets a new gen, so an event about
 * an earlier incarnation is recognised and dropped, as OTP drops an EXIT
 * from a pid it no longer knows.
 */
#ifndef NINES_ENGINE_H
#define NINES_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "tree.h"

/* Every supervisor and child of the tree is a node; the root supervisor is
 * node 0. Node numbers are stable for the engine's lifetime. */
typedef uint32_t engine_node;
#define ENGINE_ROOT ((engine_node)0)
#define ENGINE_NO_NODE ((engine_node)UINT32_MAX)

enum engine_event_kind {
    ENGINE_EV_START,   /* start the whole tree (once, first) */
    ENGINE_EV_STOP,    /* orderly shutdown of the whole tree (SIGTERM) */
    ENGINE_EV_READY,   /* worker node/gen is started (init returned success) */
    ENGINE_EV_EXIT,    /* worker node/gen ended, or could not be spawned, with `reason` */
    ENGINE_EV_TIMEOUT, /* the shutdown grace of worker node/gen expired */
};

struct engine_event {
    enum engine_event_kind kind;
    engine_node node;
    uint64_t gen;
    struct nines_reason reason; /* ENGINE_EV_EXIT */
    uint64_t now_ms;            /* monotonic time of the event */
};

/* Supervisor reports, named as OTP names them. */
enum engine_report_kind {
    ENGINE_REPORT_CHILD_STARTED,    /* a child (worker or supervisor) is started */
    ENGINE_REPORT_CHILD_TERMINATED, /* a child ended on its own; `action` says what follows */
    ENGINE_REPORT_START_ERROR,      /* a child failed to start */
    ENGINE_REPORT_SHUTDOWN_ERROR,   /* a child did not end cleanly when asked to stop */
    ENGINE_REPORT_SHUTDOWN,         /* a supervisor reached its intensity and gives up */
    ENGINE_REPORT_CHILD_STOPPED,    /* a child ended cleanly when its supervisor stopped it */
};

/* What a supervisor does after a child terminated (ENGINE_REPORT_CHILD_TERMINATED). */
enum engine_followup {
    ENGINE_FOLLOWUP_NONE,         /* not restarted (transient or temporary after a clean exit) */
    ENGINE_FOLLOWUP_REMOVE,       /* temporary child: removed */
    ENGINE_FOLLOWUP_RESTART,      /* one_for_one (or dynamic): restart the child */
    ENGINE_FOLLOWUP_RESTART_ALL,  /* one_for_all: stop the others, restart all */
    ENGINE_FOLLOWUP_RESTART_REST, /* rest_for_one: stop the later ones, restart from the child */
    ENGINE_FOLLOWUP_GIVE_UP,      /* the restart would exceed the intensity */
    ENGINE_FOLLOWUP_IGNORED,      /* the supervisor is shutting down: nothing to do */
};

struct engine_report {
    enum engine_report_kind kind;
    engine_node supervisor; /* the supervisor that acts */
    engine_node child;      /* the child concerned (== supervisor for SHUTDOWN) */
    uint64_t gen;           /* the child's incarnation, 0 for supervisors */
    struct nines_reason reason;
    enum engine_followup followup; /* CHILD_TERMINATED only */
};

enum engine_action_kind {
    ENGINE_ACT_SPAWN,        /* start a process for worker node, incarnation gen */
    ENGINE_ACT_STOP,         /* ask worker node/gen to stop (shutdown request) */
    ENGINE_ACT_KILL,         /* SIGKILL worker node/gen */
    ENGINE_ACT_TIMER_ARM,    /* after `ms`, deliver ENGINE_EV_TIMEOUT for node/gen */
    ENGINE_ACT_TIMER_CANCEL, /* forget node/gen's timer */
    ENGINE_ACT_REPORT,       /* log `report` */
    ENGINE_ACT_TREE_UP,      /* the whole tree has started (READY=1) */
    ENGINE_ACT_TREE_DOWN,    /* the root has ended: exit with `exit_code`; `reason` says why */
};

struct engine_action {
    enum engine_action_kind kind;
    engine_node node;
    uint64_t gen;
    uint64_t ms;                 /* TIMER_ARM */
    struct engine_report report; /* REPORT */
    int exit_code;               /* TREE_DOWN: 0 after ENGINE_EV_STOP, 1 when the root failed */
    struct nines_reason reason;  /* TREE_DOWN */
};

/* A growable list of actions, in the order they must be carried out. */
struct engine_actions {
    struct engine_action *v;
    size_t n;
    size_t cap;
};

void engine_actions_clear(struct engine_actions *a); /* n = 0, keeps memory */
void engine_actions_free(struct engine_actions *a);

/* The node's life, as `ninesctl status` shows it. */
enum engine_node_state {
    ENGINE_NODE_IDLE,     /* not running, not scheduled (before start, after a clean exit) */
    ENGINE_NODE_STARTING, /* spawned, init not yet done (supervisor: starting its children) */
    ENGINE_NODE_RUNNING,
    ENGINE_NODE_STOPPING, /* asked to stop, not yet gone */
    ENGINE_NODE_REMOVED,  /* temporary child that ended: gone from its supervisor */
};

struct engine;

/* Build the engine for a validated tree; `root` must outlive the engine.
 * NULL on allocation failure. Nothing happens until ENGINE_EV_START. */
struct engine *engine_new(const struct nines_sup_spec *root);
void engine_free(struct engine *e); /* accepts NULL */

/* Feed one event; append the resulting actions to `out`. Returns 0 or
 * -ENOMEM. Events for unknown nodes or stale gens are ignored (0). */
int engine_handle(struct engine *e, const struct engine_event *ev, struct engine_actions *out);

/* Queries, for logs and status. */
size_t engine_node_count(const struct engine *e);
engine_node engine_node_parent(const struct engine *e, engine_node n); /* ENGINE_NO_NODE for root */
const char *engine_node_path(const struct engine *e, engine_node n);   /* "web/listener"; "/" for root */
/* The child's spec; NULL for the root (its spec is the tree's root). */
const struct nines_child_spec *engine_node_spec(const struct engine *e, engine_node n);
bool engine_node_is_supervisor(const struct engine *e, engine_node n);
enum engine_node_state engine_node_state(const struct engine *e, engine_node n);
uint64_t engine_node_gen(const struct engine *e, engine_node n); /* current incarnation, 0 if none */
unsigned engine_node_restarts(const struct engine *e, engine_node n); /* restarts since boot */
engine_node engine_find(const struct engine *e, const char *path); /* ENGINE_NO_NODE if absent */

const char *engine_report_name(enum engine_report_kind k);  /* "child_started", ... */
const char *engine_followup_name(enum engine_followup f);   /* "restart", "remove", ... */
const char *engine_node_state_name(enum engine_node_state s); /* "running", ... */

#endif /* NINES_ENGINE_H */
