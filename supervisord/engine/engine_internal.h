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
 *
 * Operator requests (OTP's start_child, restart_child, terminate_child,
 * delete_child) are messages too: they wait in the owning supervisor's
 * mailbox behind whatever came first, and one being carried out is the
 * supervisor's procedure (OP_REQUEST), as a gen_server call is. Every
 * request is answered exactly once: when done, when refused, or with
 * SHUTTING_DOWN when its supervisor ends or the tree stops first.
 *
 * Reclaim (engine_reclaim.c). A removed child that can never come back —
 * one added at run time (start_child, a dynamic supervisor's child) — is
 * freed with its subtree at the start of the next engine_handle (so the
 * actions that named it, carried out after the call that removed it, still
 * see its path), announced by ENGINE_ACT_NODE_FREED, and its number is
 * reused for the next node added. Static children keep their slot while
 * removed: their supervisor's next init brings them back. Every message
 * carries the `uid` of the node it is about, which no other node ever has,
 * so one about a freed node is recognised and dropped (a request answered
 * NOT_FOUND) even after its number was reused.
 */
#ifndef NINES_ENGINE_INTERNAL_H
#define NINES_ENGINE_INTERNAL_H

#include "engine.h"
#include "tree_spec.h"

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
    OP_REQUEST,    /* carrying out an operator request (`req`): one child's start or stop */
};

enum sup_phase {
    PH_TERMINATE, /* walking [term_lo, cursor) downwards */
    PH_START,     /* walking [cursor, start_hi) upwards */
};

/* Messages. Worker events from the shell become READY/EXIT/TIMEOUT; a
 * nested supervisor tells its parent STARTED, START_FAILED or EXIT; RETRY
 * is OTP's try_again_restart cast to oneself; REQUEST is an operator's
 * call (`req`, owned by the message until handled or answered). */
enum msg_kind {
    MSG_READY,
    MSG_EXIT,
    MSG_TIMEOUT,
    MSG_STARTED,
    MSG_START_FAILED,
    MSG_RETRY,
    MSG_REQUEST,
};

/* An operator request, from its arrival until its reply. The spec and args
 * are the engine's own copies: the caller's are only valid during the
 * engine_handle call that brought them. */
struct req {
    enum engine_request_kind kind;
    uint64_t id;
    engine_node node;              /* the child (RESTART/TERMINATE/DELETE) or the supervisor */
    struct nines_child_spec *spec; /* START_CHILD; handed to the new node */
    struct nines_arg *args;        /* START_DYNAMIC */
    size_t n_args;
    char *child_id;                /* START_DYNAMIC: the id asked for, or NULL */
    bool in_init;                  /* START_CHILD */
    struct engine_sup_flags flags; /* SET_FLAGS */
};

struct msg {
    enum msg_kind kind;
    engine_node to;    /* the supervisor it is for */
    engine_node child; /* the child it is about */
    uint64_t uid;      /* the child's uid: a message about a freed node is stale */
    uint32_t inc;      /* the child's incarnation it is about */
    struct nines_reason reason;
    struct req *req;   /* MSG_REQUEST */
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
    size_t n_stopping; /* a dynamic supervisor's children asked to stop together, not yet ended */

    struct msgq mailbox;
    uint64_t *restarts; /* OTP's #state.restarts: times within the period, oldest first */
    size_t n_restarts, cap_restarts;

    /* OP_REQUEST: the request being carried out and how its start went. */
    struct req *req;
    engine_node req_child;
    bool req_failed;
    struct nines_reason req_why;
    unsigned next_dynamic; /* the N of the last "TEMPLATE-N"; never reused */
    struct engine_sup_flags flags; /* the spec's, until a set_flags request */
    bool compact; /* engine_reclaim.c: children freed, the array to compact */
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
    /* engine_backoff.c: restarts in a row (the k of the rule), when the
     * current incarnation became ready (`ran`), and the wait under way
     * (backoff_until != 0 while restarting). retry_free: the restart
     * that follows the wait was counted already (at the exit). */
    unsigned backoff_k;
    bool ran, retry_free;
    uint64_t ready_ms, backoff_until;
    /* A child added at run time (start_child, dynamic): the engine owns its
     * spec (freed by engine_free), and it is gone when its supervisor
     * starts afresh, as a restarted OTP supervisor only knows init's specs. */
    struct nines_child_spec *own;
    bool runtime; /* added by start_child or a dynamic supervisor: gone at its supervisor's init */
    bool retired; /* removed by retire_child: stays removed at its supervisor's init */
    engine_node next_same_hash; /* engine_index.c: the next node in its path's bucket */
    uint64_t uid; /* unique over the engine's life (0: a free slot); messages name it */
    bool dead;    /* removed for good, on the dead list: freed at the next engine_handle */
};

struct engine {
    struct node *nodes;
    size_t n_nodes, cap_nodes;
    struct msgq inbox;
    struct engine_actions *out; /* where the current engine_handle appends */
    engine_node *scratch;       /* engine_node_children's answer; cap_nodes long */
    uint64_t gen;               /* last spawn's gen */
    uint64_t now;               /* now_ms of the current event */
    bool started;               /* ENGINE_EV_START seen */
    bool stopping;              /* ENGINE_EV_STOP seen */
    bool down;                  /* TREE_DOWN emitted: nothing more happens */
    bool tree_up;               /* TREE_UP emitted */
    bool oom;                   /* an allocation failed during this call */
    engine_node *buckets;       /* engine_index.c: path hash -> newest node, chained */
    size_t n_buckets;           /* a power of two, or 0 */
    uint64_t last_uid;
    engine_node *dead;          /* engine_reclaim.c: removed for good, to free */
    size_t n_dead, cap_dead;
    engine_node *free_slots;    /* numbers to reuse, the most recently freed last */
    size_t n_free, cap_free;
    /* A bit per node: its mailbox may hold messages (set by eng_mail,
     * cleared when found empty), so that finding the next idle supervisor
     * with mail does not look at every node. cap_nodes bits. */
    uint64_t *mail_bits;
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

static inline bool sup_is_dynamic(const struct engine *e, engine_node s) {
    return e->nodes[s].sup_spec && e->nodes[s].sup_spec->strategy == NINES_DYNAMIC;
}

/* OTP deletes a temporary child when it ends, and a dynamic one (its
 * supervisor forgets the pid) whenever it is not restarted. */
static inline bool node_is_dynamic(const struct engine *e, engine_node n) {
    engine_node p = e->nodes[n].parent;
    return p != ENGINE_NO_NODE && sup_is_dynamic(e, p);
}

/* engine_queue.c: actions, messages, reports. */
void eng_emit(struct engine *e, enum engine_action_kind kind, engine_node node, uint64_t gen);
void eng_emit_timer(struct engine *e, engine_node node, uint64_t gen, uint64_t ms);
void eng_emit_ms(struct engine *e, enum engine_action_kind kind, engine_node node, uint64_t gen, uint64_t ms);
void eng_emit_tree_down(struct engine *e, int exit_code, const struct nines_reason *why);
void eng_report(struct engine *e, enum engine_report_kind kind, engine_node sup, engine_node child,
            const struct nines_reason *why, enum engine_followup followup);
void eng_msgq_push(struct engine *e, struct msgq *q, const struct msg *m);
void eng_mail(struct engine *e, engine_node s, const struct msg *m); /* into s's mailbox */
bool eng_msgq_pop(struct msgq *q, struct msg *out);
bool eng_msgq_take_exit(struct msgq *q, engine_node child, uint32_t inc, struct nines_reason *out);
void eng_msgq_clear(struct msgq *q);
void eng_msgq_flush(struct engine *e, struct msgq *q); /* answers its requests SHUTTING_DOWN, then clears */
void eng_emit_reply(struct engine *e, uint64_t id, enum engine_request_result result, engine_node node,
                const struct nines_reason *why);
void eng_post(struct engine *e, enum msg_kind kind, engine_node to, engine_node child,
          const struct nines_reason *why);

/* engine_proc.c: procedures and their walks. */
void eng_sup_plan(struct engine *e, engine_node s, enum sup_op op, size_t term_lo, size_t term_hi,
              size_t term_skip, size_t start_lo, size_t start_hi);
void eng_sup_step(struct engine *e, engine_node s);
size_t eng_sup_index_of(struct engine *e, engine_node s, engine_node child);

/* engine_start.c: starting children and supervisors. */
void eng_node_new_incarnation(struct engine *e, engine_node n);
void eng_sup_init(struct engine *e, engine_node s);
void eng_start_child(struct engine *e, engine_node s, engine_node c);
void eng_child_started(struct engine *e, engine_node s, engine_node c);
void eng_child_start_failed(struct engine *e, engine_node s, engine_node c, const struct nines_reason *why);

/* engine_stop.c: terminating children, stopping supervisors. */
void eng_terminate_child(struct engine *e, engine_node s, engine_node c);
void eng_child_stopped(struct engine *e, engine_node s, engine_node c, const struct nines_reason *why);
void eng_child_grace_expired(struct engine *e, engine_node c);
bool eng_stops_together(struct engine *e, engine_node s);
void eng_terminate_together(struct engine *e, engine_node s);
bool eng_together_answer(struct engine *e, const struct msg *m); /* a message about one of them: handled */
void eng_sup_shutdown(struct engine *e, engine_node s);

/* engine_restart.c: the mailbox: exits of running children, retries. */
void eng_sup_handle_mail(struct engine *e, engine_node s, const struct msg *m);
void eng_restart_child(struct engine *e, engine_node s, engine_node c, bool counted);

/* engine_backoff.c: restart backoff. eng_backoff_next: the wait before
 * child c's next restart (0: none), counting it; eng_backoff_defer: c
 * waits `ms`, then its supervisor (told by a retry) restarts it from its mailbox;
 * already_counted: the restart is not counted against the intensity again. */
uint64_t eng_backoff_next(struct engine *e, engine_node c);
void eng_backoff_defer(struct engine *e, engine_node c, uint64_t ms, bool already_counted);
void eng_backoff_event(struct engine *e, const struct engine_event *ev);
void eng_report_set_delay(struct engine *e, uint64_t ms); /* on the report just emitted */

/* engine_nodes.c: the node table: building, growing at run time, reaching. */
int eng_node_build(struct engine *e, engine_node parent, const struct nines_child_spec *spec,
               const struct nines_sup_spec *sup_spec, engine_node *out);
engine_node eng_node_graft(struct engine *e, engine_node s, struct nines_child_spec *own, bool runtime);
void eng_node_remove(struct engine *e, engine_node n);
bool eng_node_reachable(const struct engine *e, engine_node n);
engine_node eng_sup_find_kid(struct engine *e, engine_node s, const char *id);
size_t eng_sup_live_kids(struct engine *e, engine_node s);
void eng_node_table_free(struct engine *e);

/* engine_reclaim.c: removing children, freeing those gone for good. */
/* Child n leaves its supervisor (state REMOVED); one added at run time
 * is put on the dead list, to be freed with its subtree. */
void eng_node_set_removed(struct engine *e, engine_node n);
/* At the start of engine_handle: free the dead nodes (ENGINE_ACT_NODE_FREED
 * for each) and take them out of their supervisors' children. */
void eng_reclaim(struct engine *e);
/* A number for a new node: a freed one, or ENGINE_NO_NODE (grow the table). */
engine_node eng_reclaim_take_slot(struct engine *e);
/* The message is about a node that has been freed since it was sent. */
bool eng_msg_stale(const struct engine *e, const struct msg *m);
void eng_reclaim_free(struct engine *e);

/* engine_index.c: path -> node. */
int eng_index_add(struct engine *e, engine_node id);
void eng_index_remove(struct engine *e, engine_node id);
engine_node eng_index_find(const struct engine *e, const char *path);
void eng_index_free(struct engine *e);

/* engine_spec.c: the specs of children added at run time (copied with
 * lib/tree_spec.h). */
/* Whether `id` can be a child's id: [A-Za-z0-9_.-]+. */
bool eng_spec_id_valid(const char *id);
struct nines_child_spec *eng_spec_from_template(const struct nines_child_spec *tmpl, const char *id,
                                                struct nines_arg *args, size_t n_args);
bool eng_spec_valid(const struct nines_child_spec *c, char *why, size_t size);

/* engine_request.c: operator requests. */
void eng_request_arrive(struct engine *e, const struct engine_request *r);
void eng_sup_handle_request(struct engine *e, engine_node s, struct req *r);
void eng_request_done(struct engine *e, engine_node s);
void eng_request_abandon(struct engine *e, engine_node s);
void eng_requests_stop(struct engine *e);
void eng_msgq_drop_requests(struct engine *e, struct msgq *q); /* answered SHUTTING_DOWN */
void eng_req_free(struct req *r);
void eng_request_stale(struct engine *e, struct req *r); /* answered NOT_FOUND, freed */

#endif /* NINES_ENGINE_INTERNAL_H */
