/*
 * engine_internal.h — what the engine's files share: the node table, the
 * supervisors' running state, their mailboxes.
 *
 * Model. Every supervisor of the tree behaves like an OTP supervisor
 * process. It has
 *   - a *procedure* (`op`): what it is busy with — its own start (INIT), a
 *     restart, or one of the three ways it ends (its start failed, it gave
 *     up, it was asked to stop). Every procedure has the same shape: first
 *     a terminate walk over a range of children in reverse start order,
 *     then a start walk over a range in start order, then a completion that
 *     depends on the procedure. A walk handles one child at a time and
 *     waits (`pending`) until that child is started or has ended.
 *   - a *mailbox*: exits of its children that arrive while it is busy, and
 *     its own try-again requests. It reads the mailbox only when idle
 *     (OP_IDLE), one message at a time, as a gen_server does.
 * Messages between "processes" (a worker's end, a nested supervisor's
 * start result or exit) go through one engine-wide FIFO, the inbox, so no
 * supervisor ever runs inside another's step: the engine drains the inbox,
 * then the idle supervisors' mailboxes, until nothing moves.
 */
#ifndef NINES_ENGINE_INTERNAL_H
#define NINES_ENGINE_INTERNAL_H

#include "engine.h"

/* What a supervisor is busy with. */
enum sup_op {
    OP_IDLE,       /* nothing: reads its mailbox */
    OP_INIT,       /* starting its children, at its own start */
    OP_RESTART,    /* a strategy's terminate-then-start after a child's exit */
    OP_INIT_ABORT, /* a child failed to start during INIT: stopping the started ones */
    OP_GIVE_UP,    /* reached the intensity: stopping every child, then exiting */
    OP_SHUTDOWN,   /* asked to stop (by its parent, or ENGINE_EV_STOP at the root) */
    OP_FROZEN,     /* an ancestor is stopping: start nothing, wait to be asked */
    OP_EXITED,     /* ended; its last message to the parent is on its way */
};

enum sup_phase {
    PH_TERMINATE, /* walking [term_lo, cursor) downwards */
    PH_START,     /* walking [cursor, start_hi) upwards */
};

/* Messages. Worker events from the shell become READY/EXIT/TIMEOUT; a
 * nested supervisor tells its parent STARTED, START_FAILED or EXIT; RETRY
 * is OTP's try_again_restart cast to oneself. New requests (operator
 * commands, rollback restarts) are meant to be added as kinds here. */
enum msg_kind {
    MSG_READY,
    MSG_EXIT,
    MSG_TIMEOUT,
    MSG_STARTED,
    MSG_START_FAILED,
    MSG_RETRY,
};

struct msg {
    enum msg_kind kind;
    engine_node to;    /* the supervisor it is for */
    engine_node child; /* the child it is about */
    uint32_t inc;      /* the child's incarnation it is about */
    struct nines_reason reason;
};

/* A FIFO that also allows taking a message out of the middle (a queued
 * exit found when the supervisor is about to stop that child). */
struct msgq {
    struct msg *v;
    size_t n, cap;
};

struct sup {
    engine_node *kids; /* children in start order */
    size_t n_kids, cap_kids;

    enum sup_op op;
    enum sup_phase phase;
    size_t cursor;    /* PH_TERMINATE: one past the next child; PH_START: the next child */
    size_t term_lo;   /* lowest index of the terminate walk */
    size_t term_skip; /* index the terminate walk leaves alone (SIZE_MAX: none) */
    size_t start_lo, start_hi;
    engine_node pending; /* the child being started or stopped, ENGINE_NO_NODE */
    uint32_t pending_inc;
    struct nines_reason exit_reason; /* why it ends (INIT_ABORT, GIVE_UP, SHUTDOWN) */

    struct msgq mailbox;
    uint64_t *restarts; /* OTP's #state.restarts: times within the period, oldest first */
    size_t n_restarts, cap_restarts;
};

struct node {
    engine_node parent;                   /* ENGINE_NO_NODE for the root */
    const struct nines_child_spec *spec;  /* NULL for the root */
    const struct nines_sup_spec *sup_spec; /* supervisors only */
    struct sup *sup;                      /* supervisors only */
    char *path;
    enum engine_node_state state;
    uint64_t gen;      /* workers: the current spawn's gen */
    uint32_t inc;      /* incarnation: +1 at every start, workers and supervisors */
    unsigned restarts; /* starts after the first */
    bool started_before;
    bool restarting; /* OTP's {restarting, Pid}: a failed restart awaits its retry */
    bool timer_armed;
};

struct engine {
    struct node *nodes;
    size_t n_nodes, cap_nodes;
    struct msgq inbox;
    struct engine_actions *out; /* where the current engine_handle appends */
    uint64_t gen;               /* last spawn's gen */
    uint64_t now;               /* now_ms of the current event */
    bool started;               /* ENGINE_EV_START seen */
    bool stopping;              /* ENGINE_EV_STOP seen */
    bool down;                  /* TREE_DOWN emitted: nothing more happens */
    bool tree_up;               /* TREE_UP emitted */
    bool oom;                   /* an allocation failed during this call */
};

static inline struct node *node_of(struct engine *e, engine_node n) {
    return &e->nodes[n];
}

static inline struct sup *sup_of(struct engine *e, engine_node n) {
    return e->nodes[n].sup;
}

static inline bool node_is_live(const struct node *n) {
    return n->state != ENGINE_NODE_IDLE && n->state != ENGINE_NODE_REMOVED;
}

/* engine_queue.c: actions, messages, reports. */
void emit(struct engine *e, enum engine_action_kind kind, engine_node node, uint64_t gen);
void emit_timer(struct engine *e, engine_node node, uint64_t gen, uint64_t ms);
void emit_tree_down(struct engine *e, int exit_code, const struct nines_reason *why);
void report(struct engine *e, enum engine_report_kind kind, engine_node sup, engine_node child,
            const struct nines_reason *why, enum engine_followup followup);
void msgq_push(struct engine *e, struct msgq *q, const struct msg *m);
bool msgq_pop(struct msgq *q, struct msg *out);
bool msgq_take_exit(struct msgq *q, engine_node child, uint32_t inc, struct nines_reason *out);
void msgq_clear(struct msgq *q);
void post(struct engine *e, enum msg_kind kind, engine_node to, engine_node child,
          const struct nines_reason *why);

/* engine_proc.c: procedures and their walks. */
void sup_plan(struct engine *e, engine_node s, enum sup_op op, size_t term_lo, size_t term_hi,
              size_t term_skip, size_t start_lo, size_t start_hi);
void sup_step(struct engine *e, engine_node s);
size_t sup_index_of(struct engine *e, engine_node s, engine_node child);

/* engine_start.c: starting children and supervisors. */
void node_new_incarnation(struct engine *e, engine_node n);
void sup_init(struct engine *e, engine_node s);
void start_child(struct engine *e, engine_node s, engine_node c);
void child_started(struct engine *e, engine_node s, engine_node c);
void child_start_failed(struct engine *e, engine_node s, engine_node c, const struct nines_reason *why);

/* engine_stop.c: terminating children, stopping supervisors. */
void terminate_child(struct engine *e, engine_node s, engine_node c);
void child_stopped(struct engine *e, engine_node s, engine_node c, const struct nines_reason *why);
void child_grace_expired(struct engine *e, engine_node c);
void sup_shutdown(struct engine *e, engine_node s);

/* engine_restart.c: the mailbox: exits of running children, retries. */
void sup_handle_mail(struct engine *e, engine_node s, const struct msg *m);
void restart_child(struct engine *e, engine_node s, engine_node c, bool counted);

#endif /* NINES_ENGINE_INTERNAL_H */
