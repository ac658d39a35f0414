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
 * node 0. A node's number is stable for the node's life; the number of a
 * child added at run time is reused once the child is gone for good
 * (ENGINE_ACT_NODE_FREED). engine_node_count is the table's size: the
 * most nodes there were at once, not every node ever created. */
typedef uint32_t engine_node;
#define ENGINE_ROOT ((engine_node)0)
#define ENGINE_NO_NODE ((engine_node)UINT32_MAX)

enum engine_event_kind {
    ENGINE_EV_START,   /* start the whole tree (once, first) */
    ENGINE_EV_STOP,    /* orderly shutdown of the whole tree (SIGTERM) */
    ENGINE_EV_READY,   /* worker node/gen is started (init returned success) */
    ENGINE_EV_EXIT,    /* worker node/gen ended, or could not be spawned, with `reason` */
    ENGINE_EV_TIMEOUT, /* the shutdown grace of worker node/gen expired */
    ENGINE_EV_REQUEST, /* an operator request (`request`), answered by ENGINE_ACT_REPLY */
    ENGINE_EV_BACKOFF, /* the backoff wait armed by ENGINE_ACT_BACKOFF for worker node/gen is over */
};

/*
 * Operator requests: OTP's supervisor API, asked of the supervisor that
 * owns the child. Like OTP's calls they are handled by that supervisor
 * when it is idle, in order with its other messages, and always answered
 * exactly once by an ENGINE_ACT_REPLY carrying the request's id: at once
 * for a refusal that needs no waiting, otherwise when the work is done —
 * or with ENGINE_REQ_SHUTTING_DOWN when the supervisor ends first or
 * ENGINE_EV_STOP arrives (then every pending request is answered at once).
 * The reply may come from a later engine_handle call than the request's.
 */
enum engine_request_kind {
    /* restart_child: start a child that is not running (terminated or
     * ended), synchronously: the reply waits for its READY or EXIT. Not
     * counted against the intensity; counted in engine_node_restarts. A
     * failed start leaves it IDLE (no retry). */
    ENGINE_REQ_RESTART_CHILD,
    /* terminate_child: stop a running child with its shutdown spec; the
     * supervisor does not restart it. A temporary or dynamic child is then
     * removed, others keep their place (IDLE) until restarted or deleted. */
    ENGINE_REQ_TERMINATE_CHILD,
    /* delete_child: forget a child that is not running (REMOVED); its id
     * can then be taken by start_child. */
    ENGINE_REQ_DELETE_CHILD,
    /* start_child on a static supervisor: add `spec` (deep-copied: the
     * caller's may go once engine_handle returns) as its last child and
     * start it; on a failed start the child is not added (its node is
     * REMOVED). New nodes are announced by ENGINE_ACT_NODE_ADDED, the
     * subtree's parents first, before any of them is spawned. A child
     * added at run time is forgotten if its supervisor is restarted (a
     * restarted OTP supervisor only knows its init's specs). */
    ENGINE_REQ_START_CHILD,
    /* start_child on a dynamic supervisor: a new child from the template,
     * with `args` (copied) in place of the template's, id `child_id` (a
     * sibling's id is refused: ALREADY_STARTED or ALREADY_PRESENT) or
     * "TEMPLATE-N" (N counts up from 1 per supervisor and is never
     * reused). */
    ENGINE_REQ_START_DYNAMIC,
    /* Release upgrades (doc/relup.md) change what a supervisor's init
     * returns, as a new release's supervisor module would: unlike the
     * calls above, these changes survive the supervisor's restarts.
     * change_child: replace child `node`'s spec with `spec` (copied; same
     * id; workers only): a running child is stopped with its old shutdown
     * spec and started again with the new spec, synchronously; one that
     * is not running just gets the new spec. */
    ENGINE_REQ_CHANGE_CHILD,
    /* retire_child: stop child `node` if it runs and remove it for good:
     * it does not come back when its supervisor restarts. */
    ENGINE_REQ_RETIRE_CHILD,
    /* set_flags: change supervisor `node`'s strategy, intensity or period
     * (those `flags` has), from its next decision on. A dynamic
     * supervisor's intensity and period only: no strategy turns dynamic
     * or static. */
    ENGINE_REQ_SET_FLAGS,
};

/* Why a request was refused or failed, as OTP names the errors. */
enum engine_request_result {
    ENGINE_REQ_OK = 0,
    ENGINE_REQ_NOT_FOUND,       /* no such child (a temporary child is gone once ended) */
    ENGINE_REQ_RUNNING,         /* restart/delete of a running child */
    ENGINE_REQ_RESTARTING,      /* the child awaits a restart retry */
    ENGINE_REQ_ALREADY_PRESENT, /* start_child: the id exists, not running */
    ENGINE_REQ_ALREADY_STARTED, /* start_child: the id exists and runs */
    ENGINE_REQ_NOT_A_SUPERVISOR,/* start_child on a worker */
    ENGINE_REQ_DYNAMIC,         /* restart/delete on a dynamic child, or static start_child on a dynamic supervisor (OTP: simple_one_for_one) */
    ENGINE_REQ_NOT_DYNAMIC,     /* start_dynamic on a static supervisor */
    ENGINE_REQ_MAX_CHILDREN,    /* a dynamic supervisor at max_children */
    ENGINE_REQ_START_FAILED,    /* the child was tried and did not start: see `reason` */
    ENGINE_REQ_SHUTTING_DOWN,   /* the supervisor is stopping, giving up or not running, or the tree is stopping */
    ENGINE_REQ_ROOT,            /* the root supervisor is not a child */
    ENGINE_REQ_UNSUPPORTED,     /* change_child of a supervisor or to another id; set_flags to or from dynamic */
};

/* A supervisor's flags as they are now (ENGINE_REQ_SET_FLAGS changes them). */
struct engine_sup_flags {
    bool has_strategy, has_intensity, has_period; /* set_flags: which ones change */
    enum nines_strategy strategy;
    unsigned intensity;
    uint64_t period_ms;
};

struct engine_request {
    enum engine_request_kind kind;
    uint64_t id;       /* echoed in the reply */
    engine_node node;  /* the child (RESTART/TERMINATE/DELETE/CHANGE/RETIRE) or the supervisor (START_*, SET_FLAGS) */
    /* Non-zero: `node` must still name the node of this uid
     * (engine_node_uid), else the answer is NOT_FOUND: a number kept
     * since an earlier engine call may name another node by now. */
    uint64_t uid;
    const struct nines_child_spec *spec; /* START_CHILD, CHANGE_CHILD: the new spec, copied */
    /* START_CHILD: the child joins the supervisor's init specs (a release
     * upgrade adds it) instead of being forgotten at its restart. */
    bool in_init;
    struct engine_sup_flags flags;       /* SET_FLAGS */
    const struct nines_arg *args;        /* START_DYNAMIC: copied */
    size_t n_args;
    const char *child_id; /* START_DYNAMIC: the new child's id (copied); NULL: TEMPLATE-N */
};

struct engine_event {
    enum engine_event_kind kind;
    engine_node node;
    uint64_t gen;
    struct nines_reason reason;   /* ENGINE_EV_EXIT */
    struct engine_request request; /* ENGINE_EV_REQUEST */
    uint64_t now_ms;              /* monotonic time of the event */
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
    /* CHILD_TERMINATED with a restart, START_ERROR during a restart: the
     * child's `backoff:` makes the restart wait this long (0: at once). */
    uint64_t delay_ms;
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
    ENGINE_ACT_REPLY,        /* the answer to request `reply.id` */
    ENGINE_ACT_NODE_ADDED,   /* `node` is new (start_child): the shell may grow its tables */
    /* `node` is freed (a child added at run time, removed: see
     * ENGINE_NODE_REMOVED): the shell forgets what it kept of it. Its
     * number may name a new node from the next engine_handle call on;
     * what the shell still holds of it past this must carry a gen, which
     * a new node never shares. */
    ENGINE_ACT_NODE_FREED,
    ENGINE_ACT_BACKOFF,      /* after `ms`, deliver ENGINE_EV_BACKOFF for node/gen (no process runs) */
};

struct engine_reply {
    uint64_t id;
    enum engine_request_result result;
    /* RESTART/TERMINATE/DELETE: the child asked about (ENGINE_NO_NODE if
     * the number was out of range or no longer the request's uid). START_*: the new child on OK, the
     * existing one on ALREADY_*, else ENGINE_NO_NODE. */
    engine_node node;
    struct nines_reason reason; /* START_FAILED: why it did not start */
};

struct engine_action {
    enum engine_action_kind kind;
    engine_node node;
    uint64_t gen;
    uint64_t ms;                 /* TIMER_ARM, BACKOFF */
    struct engine_report report; /* REPORT */
    int exit_code;               /* TREE_DOWN: 0 after ENGINE_EV_STOP, 1 when the root failed */
    struct nines_reason reason;  /* TREE_DOWN */
    struct engine_reply reply;   /* REPLY */
};

/* A growable list of actions, in the order they must be carried out. */
struct engine_actions {
    struct engine_action *v;
    size_t n;
    size_t cap;
};

void engine_actions_clear(struct engine_actions *a); /* n = 0, keeps memory */
void engine_actions_free(struct engine_actions *a);
/* A restart's spawn ahead of the report of the end it follows: a REPORT
 * of a child's end (CHILD_TERMINATED, CHILD_STOPPED) directly followed by
 * the SPAWN of that same child trade places, so that the shell sends the
 * new process on its way before it carries out (formats, logs) the report,
 * which decides nothing. Every other action keeps its place; the log
 * still reads the end before the start (CHILD_STARTED comes from a later
 * event). Pure. */
void engine_actions_spawn_first(struct engine_actions *a);

/* The node's life, as `ninesctl status` shows it. */
enum engine_node_state {
    ENGINE_NODE_IDLE,     /* not running, not scheduled (before start, after a clean exit) */
    ENGINE_NODE_STARTING, /* spawned, init not yet done (supervisor: starting its children) */
    ENGINE_NODE_RUNNING,
    ENGINE_NODE_STOPPING, /* asked to stop, not yet gone */
    ENGINE_NODE_REMOVED,  /* gone from its supervisor: a temporary that ended, a deleted child, a
                           * dynamic child that ended or was terminated, a failed start_child.
                           * engine_find skips it. A static child keeps its number (its
                           * supervisor's next init brings it back); one added at run time is
                           * freed at the next engine_handle (ENGINE_ACT_NODE_FREED) and its
                           * number reused. A free number reads as REMOVED, with no spec. */
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
/* A supervisor's flags now; false for a worker. */
bool engine_sup_flags(const struct engine *e, engine_node sup, struct engine_sup_flags *out);
enum engine_node_state engine_node_state(const struct engine *e, engine_node n);
uint64_t engine_node_gen(const struct engine *e, engine_node n); /* current incarnation, 0 if none */
/* Which node a number names now: unique over the engine's life, never
 * shared by the node a reused number names next; 0 for a free number.
 * What the shell keeps of a node past the engine call it learnt the
 * number in (a list of workers to swap, a request to make later) keeps
 * this beside it and drops the number once it differs (engine_node_is). */
uint64_t engine_node_uid(const struct engine *e, engine_node n);
static inline bool engine_node_is(const struct engine *e, engine_node n, uint64_t uid) {
    return uid != 0 && engine_node_uid(e, n) == uid;
}
unsigned engine_node_restarts(const struct engine *e, engine_node n); /* starts after the first, restart_child included */
/* The restarts a supervisor counts against its intensity at now_ms (those
 * within its period, as the next restart would see them); 0 for a worker. */
unsigned engine_sup_window_restarts(const struct engine *e, engine_node sup, uint64_t now_ms);
/* Restart backoff (a worker's `backoff:`, README "Restart backoff"). The
 * wait before the k-th restart in a row: 0 for k == 0 or no backoff, else
 * initial x 2^(k-1), at most max. Pure; any k. */
uint64_t engine_backoff_delay(const struct nines_backoff *b, unsigned k);
/* Whether worker n waits for its restart: then *until_ms (monotonic, as
 * the events' now_ms) is when it is due and *k how many restarts in a row
 * this is. Either pointer may be NULL. */
bool engine_node_backoff(const struct engine *e, engine_node n, uint64_t *until_ms, unsigned *k);
/* ENGINE_NO_NODE if absent, removed, or under a removed supervisor. */
engine_node engine_find(const struct engine *e, const char *path);
/* A supervisor's children in start order (removed ones left out); *n is
 * set. NULL with *n = 0 for a worker. Valid until the next engine call. */
const engine_node *engine_node_children(const struct engine *e, engine_node sup, size_t *n);
/* A supervisor's children as the engine holds them, for a walk that goes
 * on across turns of the loop (a status being streamed): in the order
 * they were added, which is their uids' too (children are only ever
 * appended, with a new uid each; those freed leave the array at once),
 * removed ones not yet freed left in. NULL with *n = 0 for a worker.
 * Valid until the next engine_handle; copies nothing. */
const engine_node *engine_node_kids(const struct engine *e, engine_node sup, size_t *n);
/* The highest uid given so far: every node added later has a higher one. */
uint64_t engine_max_uid(const struct engine *e);
const char *engine_request_result_name(enum engine_request_result r); /* "running", "not_found", ... */

const char *engine_report_name(enum engine_report_kind k);  /* "child_started", ... */
const char *engine_followup_name(enum engine_followup f);   /* "restart", "remove", ... */
const char *engine_node_state_name(enum engine_node_state s); /* "running", ... */

#endif /* NINES_ENGINE_H */
