/*
 * engine_request.c — operator requests: OTP's start_child/2,
 * restart_child/2, terminate_child/2 and delete_child/2, as the
 * handle_call clauses of lib/stdlib/src/supervisor.erl answer them.
 *
 * A request arrives (request_arrive). What would be refused whatever the
 * messages ahead of it is answered at once: no such node, the root, the
 * wrong kind of supervisor, a supervisor that is not running or is on its
 * way out. Anything else is a message to the supervisor that owns the
 * child (or, for START_*, the supervisor itself): it waits in the mailbox
 * behind what came first, so a terminate queued behind a crash sees the
 * restarted child, as a gen_server call would.
 *
 * Its turn come (sup_handle_request), the child's state decides. A start
 * or a stop becomes the supervisor's procedure, OP_REQUEST: the same
 * one-child walks as a restart (engine_proc.c), with the same reports,
 * and request_done answers when the walk completes. If the supervisor is
 * stopped meanwhile, the request is answered SHUTTING_DOWN instead
 * (request_abandon).
 *
 * Choices where OTP has nothing to say, because it has no node numbers,
 * no separate status counter and no `max_children`:
 *   - restart_child is not counted against the intensity (OTP does not
 *     call add_restart for it) but is counted in engine_node_restarts,
 *     which tells the operator how often a child was started again,
 *     whoever asked;
 *   - a failed operator start is logged as start_error (OTP only returns
 *     the error to the caller) so that the log says why, like any start;
 *   - max_children (Elixir's DynamicSupervisor) counts every child not
 *     REMOVED, restarting ones included, as Elixir counts its children map.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

void eng_req_free(struct req *r) {
    if (!r)
        return;
    nines_child_spec_free(r->spec);
    nines_args_free(r->args, r->n_args);
    free(r->child_id);
    free(r);
}

static bool is_start(enum engine_request_kind k) {
    return k == ENGINE_REQ_START_CHILD || k == ENGINE_REQ_START_DYNAMIC;
}

/* The request is about a supervisor itself rather than one of its children. */
static bool names_supervisor(enum engine_request_kind k) {
    return is_start(k) || k == ENGINE_REQ_SET_FLAGS;
}

/* A refusal names the child asked about; START_* name none. */
static void req_answer(struct engine *e, struct req *r, enum engine_request_result res,
                       engine_node node, const struct nines_reason *why) {
    eng_emit_reply(e, r->id, res, node, why);
    eng_req_free(r);
}

static void req_refuse(struct engine *e, struct req *r, enum engine_request_result res) {
    req_answer(e, r, res, is_start(r->kind) ? ENGINE_NO_NODE : r->node, NULL);
}

/* ---- arrival ------------------------------------------------------------- */

/* A supervisor takes calls while it runs: starting (calls wait for its
 * init, as OTP's wait for init/1), idle or busy; not while it stops, is
 * frozen by a stopping ancestor, gives up, or is not running at all. */
static bool sup_takes_calls(struct engine *e, engine_node s) {
    struct node *n = node_of(e, s);
    if (!node_is_live(n) || n->state == ENGINE_NODE_STOPPING)
        return false;
    switch (n->sup->op) {
    case OP_IDLE:
    case OP_INIT:
    case OP_RESTART:
    case OP_REQUEST:
        return true;
    default:
        return false;
    }
}

/* What is known without waiting; *sup is the supervisor that answers. */
static enum engine_request_result arrival_check(struct engine *e, const struct engine_request *r,
                                                engine_node *sup) {
    if (e->down || e->stopping)
        return ENGINE_REQ_SHUTTING_DOWN;
    if (r->node >= e->n_nodes || (r->uid && node_of(e, r->node)->uid != r->uid))
        return ENGINE_REQ_NOT_FOUND; /* or no longer the node it was asked of */
    bool own = names_supervisor(r->kind);
    if (!own && r->node == ENGINE_ROOT)
        return ENGINE_REQ_ROOT;
    engine_node s = own ? r->node : node_of(e, r->node)->parent;
    if (!eng_node_reachable(e, s))
        return ENGINE_REQ_NOT_FOUND;
    if (own && !node_of(e, s)->sup)
        return ENGINE_REQ_NOT_A_SUPERVISOR;
    /* OTP checks ?is_simple(State) before looking for the child. */
    bool dynamic = sup_is_dynamic(e, s);
    if (dynamic && r->kind == ENGINE_REQ_SET_FLAGS && r->flags.has_strategy && r->flags.strategy != NINES_DYNAMIC)
        return ENGINE_REQ_UNSUPPORTED;
    if (dynamic && r->kind != ENGINE_REQ_TERMINATE_CHILD && r->kind != ENGINE_REQ_START_DYNAMIC &&
        r->kind != ENGINE_REQ_SET_FLAGS)
        return ENGINE_REQ_DYNAMIC;
    if (!dynamic && r->kind == ENGINE_REQ_START_DYNAMIC)
        return ENGINE_REQ_NOT_DYNAMIC;
    if (r->kind == ENGINE_REQ_SET_FLAGS && r->flags.has_strategy && r->flags.strategy == NINES_DYNAMIC)
        return ENGINE_REQ_UNSUPPORTED;
    if (!own && node_of(e, r->node)->state == ENGINE_NODE_REMOVED)
        return ENGINE_REQ_NOT_FOUND;
    *sup = s;
    return sup_takes_calls(e, s) ? ENGINE_REQ_OK : ENGINE_REQ_SHUTTING_DOWN;
}

/* The engine's own copy of what the request carries; NULL when the spec
 * is unusable (*why says why) or on allocation failure (e->oom). */
static struct req *req_new(struct engine *e, const struct engine_request *r, struct nines_reason *why) {
    char text[sizeof why->message];
    bool ok = true;
    bool has_spec = r->kind == ENGINE_REQ_START_CHILD || r->kind == ENGINE_REQ_CHANGE_CHILD;
    if (has_spec && !eng_spec_valid(r->spec, text, sizeof text)) {
        *why = nines_reason_make(NINES_REASON_START_FAILED, 0, text);
        return NULL;
    }
    if (r->kind == ENGINE_REQ_START_DYNAMIC && r->n_args && !r->args) {
        *why = nines_reason_make(NINES_REASON_START_FAILED, 0, "invalid args: none given");
        return NULL;
    }
    if (r->kind == ENGINE_REQ_START_DYNAMIC && r->child_id && !eng_spec_id_valid(r->child_id)) {
        *why = nines_reason_make(NINES_REASON_START_FAILED, 0, "invalid child id: it must be [A-Za-z0-9_.-]+");
        return NULL;
    }
    struct req *q = calloc(1, sizeof *q);
    if (!q) {
        e->oom = true;
        return NULL;
    }
    *q = (struct req){.kind = r->kind, .id = r->id, .node = r->node, .in_init = r->in_init, .flags = r->flags};
    if (has_spec)
        ok = (q->spec = nines_child_spec_copy(r->spec)) != NULL;
    else if (r->kind == ENGINE_REQ_START_DYNAMIC && r->n_args) {
        q->args = nines_args_copy(r->args, r->n_args, &ok);
        q->n_args = q->args ? r->n_args : 0;
    }
    if (ok && r->kind == ENGINE_REQ_START_DYNAMIC && r->child_id)
        ok = (q->child_id = strdup(r->child_id)) != NULL;
    if (!ok) {
        eng_req_free(q);
        e->oom = true;
        return NULL;
    }
    return q;
}

void eng_request_arrive(struct engine *e, const struct engine_request *r) {
    engine_node s = ENGINE_NO_NODE;
    bool named = !names_supervisor(r->kind) && r->node < e->n_nodes &&
                 (!r->uid || node_of(e, r->node)->uid == r->uid);
    engine_node subject = named ? r->node : ENGINE_NO_NODE;
    enum engine_request_result res = arrival_check(e, r, &s);
    if (res != ENGINE_REQ_OK) {
        eng_emit_reply(e, r->id, res, subject, NULL);
        return;
    }
    struct nines_reason why = {0};
    struct req *q = req_new(e, r, &why);
    if (!q) {
        if (!e->oom)
            eng_emit_reply(e, r->id, ENGINE_REQ_START_FAILED, ENGINE_NO_NODE, &why);
        return;
    }
    struct msg m = {.kind = MSG_REQUEST, .to = s, .child = r->node, .uid = node_of(e, r->node)->uid,
                    .inc = node_of(e, r->node)->inc, .req = q};
    eng_msgq_push(e, &e->inbox, &m);
    if (e->oom)
        eng_req_free(q);
}

/* ---- its turn ------------------------------------------------------------ */

/* The one-child procedure: stop c (terminate walk over it alone) or start
 * it (start walk over it alone); request_done answers at the end. */
static void begin(struct engine *e, engine_node s, struct req *r, engine_node c, bool stop) {
    struct sup *sp = sup_of(e, s);
    size_t i = eng_sup_index_of(e, s, c);
    sp->req = r;
    sp->req_child = c;
    sp->req_failed = false;
    if (stop)
        eng_sup_plan(e, s, OP_REQUEST, i, i + 1, SIZE_MAX, 0, 0);
    else
        eng_sup_plan(e, s, OP_REQUEST, 0, 0, SIZE_MAX, i, i + 1);
    eng_sup_step(e, s);
}

/* restart_child and delete_child: only a child that is not running and
 * not awaiting a retry ({restarting, _} in OTP). */
static void restart_or_delete(struct engine *e, engine_node s, struct req *r) {
    struct node *k = node_of(e, r->node);
    if (k->state == ENGINE_NODE_REMOVED)
        req_refuse(e, r, ENGINE_REQ_NOT_FOUND);
    else if (node_is_live(k))
        req_refuse(e, r, ENGINE_REQ_RUNNING);
    else if (k->restarting)
        req_refuse(e, r, ENGINE_REQ_RESTARTING);
    else if (r->kind == ENGINE_REQ_RESTART_CHILD)
        begin(e, s, r, r->node, false);
    else {
        eng_node_remove(e, r->node);
        req_answer(e, r, ENGINE_REQ_OK, r->node, NULL);
    }
}

/* terminate_child: stopped if running; in every case not restarted (a
 * pending retry is dropped) and, if temporary or dynamic, removed. OTP
 * answers ok for a child that was not running. */
static void terminate(struct engine *e, engine_node s, struct req *r) {
    if (node_of(e, r->node)->state == ENGINE_NODE_REMOVED)
        req_refuse(e, r, ENGINE_REQ_NOT_FOUND);
    else
        begin(e, s, r, r->node, true);
}

/* OTP's handle_start_child: an id already there is refused, running or
 * not; otherwise the child is added last and started. */
static void start_static(struct engine *e, engine_node s, struct req *r) {
    engine_node old = eng_sup_find_kid(e, s, r->spec->id);
    if (old != ENGINE_NO_NODE) {
        bool live = node_is_live(node_of(e, old));
        req_answer(e, r, live ? ENGINE_REQ_ALREADY_STARTED : ENGINE_REQ_ALREADY_PRESENT, old, NULL);
        return;
    }
    engine_node c = eng_node_graft(e, s, r->spec, !r->in_init);
    r->spec = NULL; /* the node owns it now */
    if (c == ENGINE_NO_NODE) {
        eng_req_free(r);
        return;
    }
    begin(e, s, r, c, false);
}

static void start_dynamic(struct engine *e, engine_node s, struct req *r) {
    const struct nines_sup_spec *ss = node_of(e, s)->sup_spec;
    struct sup *sp = sup_of(e, s);
    if (ss->max_children && eng_sup_live_kids(e, s) >= ss->max_children) {
        req_refuse(e, r, ENGINE_REQ_MAX_CHILDREN);
        return;
    }
    engine_node old = r->child_id ? eng_sup_find_kid(e, s, r->child_id) : ENGINE_NO_NODE;
    if (old != ENGINE_NO_NODE) {
        bool live = node_is_live(node_of(e, old));
        req_answer(e, r, live ? ENGINE_REQ_ALREADY_STARTED : ENGINE_REQ_ALREADY_PRESENT, old, NULL);
        return;
    }
    /* A child named by the operator takes no number; a numbered one
     * skips the numbers of children an operator named so. */
    char *id = r->child_id;
    while (!id) {
        if (asprintf(&id, "%s-%u", ss->child_template->id, ++sp->next_dynamic) < 0) {
            id = NULL;
            break;
        }
        if (eng_sup_find_kid(e, s, id) != ENGINE_NO_NODE) {
            free(id);
            id = NULL;
        }
    }
    struct nines_child_spec *spec = NULL;
    if (id) {
        spec = eng_spec_from_template(ss->child_template, id, r->args, r->n_args);
        r->args = NULL, r->n_args = 0; /* taken over by the spec */
    }
    if (id != r->child_id)
        free(id);
    engine_node c = spec ? eng_node_graft(e, s, spec, true) : ENGINE_NO_NODE;
    if (c == ENGINE_NO_NODE) {
        e->oom = true;
        eng_req_free(r);
        return;
    }
    begin(e, s, r, c, false);
}

/* change_child: the old spec's shutdown stops the child (terminate_child
 * reads it now), then the new spec is in place for the start that
 * follows; the old one, if the engine owned it, goes with the request. */
static void change(struct engine *e, engine_node s, struct req *r) {
    struct node *k = node_of(e, r->node);
    if (k->restarting) {
        req_refuse(e, r, ENGINE_REQ_RESTARTING);
        return;
    }
    if (k->sup || r->spec->kind == NINES_CHILD_SUPERVISOR || strcmp(r->spec->id, k->spec->id) != 0) {
        req_refuse(e, r, ENGINE_REQ_UNSUPPORTED);
        return;
    }
    struct nines_child_spec *old = k->own;
    bool live = node_is_live(k);
    if (live) {
        size_t i = eng_sup_index_of(e, s, r->node);
        struct sup *sp = sup_of(e, s);
        sp->req = r, sp->req_child = r->node, sp->req_failed = false;
        eng_sup_plan(e, s, OP_REQUEST, i, i + 1, SIZE_MAX, i, i + 1);
        eng_sup_step(e, s); /* the stop is under way: the child is pending */
    }
    k->own = r->spec, k->spec = r->spec;
    r->spec = old; /* freed with the request */
    if (!live)
        req_answer(e, r, ENGINE_REQ_OK, r->node, NULL);
}

/* retire_child: stopped if running, then removed for good (request_done). */
static void retire(struct engine *e, engine_node s, struct req *r) {
    struct node *k = node_of(e, r->node);
    if (node_is_live(k)) {
        begin(e, s, r, r->node, true);
        return;
    }
    eng_node_remove(e, r->node);
    k->retired = true;
    req_answer(e, r, ENGINE_REQ_OK, r->node, NULL);
}

static void set_flags(struct engine *e, engine_node s, struct req *r) {
    struct engine_sup_flags *f = &sup_of(e, s)->flags;
    if (r->flags.has_strategy)
        f->strategy = r->flags.strategy;
    if (r->flags.has_intensity)
        f->intensity = r->flags.intensity;
    if (r->flags.has_period)
        f->period_ms = r->flags.period_ms;
    req_answer(e, r, ENGINE_REQ_OK, s, NULL);
}

void eng_sup_handle_request(struct engine *e, engine_node s, struct req *r) {
    switch (r->kind) {
    case ENGINE_REQ_RESTART_CHILD:
    case ENGINE_REQ_DELETE_CHILD:
        restart_or_delete(e, s, r);
        break;
    case ENGINE_REQ_TERMINATE_CHILD:
        terminate(e, s, r);
        break;
    case ENGINE_REQ_START_CHILD:
        start_static(e, s, r);
        break;
    case ENGINE_REQ_START_DYNAMIC:
        start_dynamic(e, s, r);
        break;
    case ENGINE_REQ_CHANGE_CHILD:
        change(e, s, r);
        break;
    case ENGINE_REQ_RETIRE_CHILD:
        retire(e, s, r);
        break;
    case ENGINE_REQ_SET_FLAGS:
        set_flags(e, s, r);
        break;
    default:
        req_refuse(e, r, ENGINE_REQ_NOT_FOUND);
    }
}

/* ---- the end of it ------------------------------------------------------- */

/* The walk is over: the child is started, or stopped, or its start failed
 * (then a restarted child stays IDLE, and a new one is removed again: OTP
 * saves a child only once it has started). */
void eng_request_done(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    struct req *r = sp->req;
    engine_node c = sp->req_child;
    sp->op = OP_IDLE;
    sp->req = NULL;
    if (!r)
        return; /* answered already (the tree is stopping) */
    if (r->kind == ENGINE_REQ_RETIRE_CHILD) {
        eng_node_remove(e, c);
        node_of(e, c)->retired = true;
    }
    if (!sp->req_failed) {
        req_answer(e, r, ENGINE_REQ_OK, c, NULL);
        return;
    }
    if (is_start(r->kind)) {
        eng_node_remove(e, c);
        c = ENGINE_NO_NODE;
    }
    req_answer(e, r, ENGINE_REQ_START_FAILED, c, &sp->req_why);
}

/* The supervisor is being stopped in the middle of a request: the caller
 * is told now; the child is dealt with by the stop, like its siblings. */
void eng_request_abandon(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    if (!sp->req)
        return;
    struct req *r = sp->req;
    sp->req = NULL;
    req_refuse(e, r, ENGINE_REQ_SHUTTING_DOWN);
}

/* ENGINE_EV_STOP: nothing will be started or handled any more, so every
 * request, under way or waiting, is answered now. */
void eng_requests_stop(struct engine *e) {
    for (size_t i = 0; i < e->n_nodes; i++) {
        if (!e->nodes[i].sup)
            continue;
        eng_request_abandon(e, (engine_node)i);
        eng_msgq_drop_requests(e, &e->nodes[i].sup->mailbox);
    }
}

/* A request about a node freed since it arrived: that child is gone. */
void eng_request_stale(struct engine *e, struct req *r) {
    eng_emit_reply(e, r->id, ENGINE_REQ_NOT_FOUND, ENGINE_NO_NODE, NULL);
    eng_req_free(r);
}

void eng_msgq_drop_requests(struct engine *e, struct msgq *q) {
    size_t keep = 0;
    for (size_t i = 0; i < q->n; i++) {
        if (q->v[i].kind == MSG_REQUEST)
            req_refuse(e, q->v[i].req, ENGINE_REQ_SHUTTING_DOWN);
        else
            q->v[keep++] = q->v[i];
    }
    q->n = keep;
}
