/*
 * engine.c — the engine's entry points: engine_new and engine_free, and
 * engine_handle, which turns one event into messages and runs every
 * supervisor until nothing moves.
 */
#include <errno.h>
#include <stdlib.h>

#include "engine_internal.h"

struct engine *engine_new(const struct nines_sup_spec *root) {
    struct engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    engine_node top;
    if (eng_node_build(e, ENGINE_NO_NODE, NULL, root, &top) < 0) {
        engine_free(e);
        return NULL;
    }
    return e;
}

void engine_free(struct engine *e) {
    if (!e)
        return;
    e->out = NULL; /* nobody to answer any more: requests are only freed */
    eng_msgq_flush(e, &e->inbox);
    eng_node_table_free(e);
    free(e->inbox.v);
    free(e);
}

/* A message about the child a supervisor is waiting for is the answer it
 * waits for (the selective receive of a synchronous start or stop):
 *
 *   child state   READY/STARTED    EXIT/START_FAILED     TIMEOUT
 *   STARTING      started          start failed          -
 *   STOPPING      -                stopped               grace expired
 */
static void handle_pending(struct engine *e, const struct msg *m) {
    enum engine_node_state st = node_of(e, m->child)->state;
    switch (m->kind) {
    case MSG_READY:
    case MSG_STARTED:
        if (st == ENGINE_NODE_STARTING)
            eng_child_started(e, m->to, m->child);
        break;
    case MSG_EXIT:
    case MSG_START_FAILED:
        if (st == ENGINE_NODE_STARTING)
            eng_child_start_failed(e, m->to, m->child, &m->reason);
        else
            eng_child_stopped(e, m->to, m->child, &m->reason);
        break;
    case MSG_TIMEOUT:
        if (st == ENGINE_NODE_STOPPING)
            eng_child_grace_expired(e, m->child);
        break;
    case MSG_RETRY:
    case MSG_REQUEST:
        break;
    }
}

/* Any other message waits in the mailbox (exits, retries) or only updates
 * what is known of a child nobody waits for any more (after a freeze). */
static void deliver(struct engine *e, struct msg *m) {
    if (eng_msg_stale(e, m)) {
        if (m->kind == MSG_REQUEST)
            eng_request_stale(e, m->req);
        return;
    }
    struct sup *sp = sup_of(e, m->to);
    struct node *k = node_of(e, m->child);
    if (m->kind == MSG_REQUEST) { /* never the answer to a start or stop */
        eng_mail(e, m->to, m);
        return;
    }
    if (k->sup && k->sup->op == OP_EXITED && (m->kind == MSG_EXIT || m->kind == MSG_START_FAILED))
        k->sup->op = OP_IDLE; /* its last word has arrived */
    if (sp->pending == m->child && sp->pending_inc == m->inc) {
        handle_pending(e, m);
        return;
    }
    if (eng_together_answer(e, m))
        return;
    switch (m->kind) {
    case MSG_READY:
    case MSG_STARTED:
        if (k->inc == m->inc && k->state == ENGINE_NODE_STARTING)
            k->state = ENGINE_NODE_RUNNING;
        break;
    case MSG_START_FAILED:
        m->kind = MSG_EXIT;
        eng_mail(e, m->to, m);
        break;
    case MSG_EXIT:
    case MSG_RETRY:
        eng_mail(e, m->to, m);
        break;
    case MSG_TIMEOUT:
    case MSG_REQUEST:
        break;
    }
}

/* The next node from `from` on whose mailbox may hold mail, or n_nodes. */
static size_t next_mail(const struct engine *e, size_t from) {
    for (size_t w = from / 64; w * 64 < e->n_nodes; w++) {
        uint64_t bits = e->mail_bits[w] & (w == from / 64 ? ~0ull << (from % 64) : ~0ull);
        if (bits)
            return w * 64 + (size_t)__builtin_ctzll(bits);
    }
    return e->n_nodes;
}

/* One message from the first idle supervisor's mailbox (in node order).
 * After ENGINE_EV_STOP nothing is restarted: mailboxes are only read by
 * the shutdown walks. */
static bool run_one_mailbox(struct engine *e) {
    if (e->stopping)
        return false;
    for (size_t i = next_mail(e, 0); i < e->n_nodes; i = next_mail(e, i + 1)) {
        struct sup *sp = e->nodes[i].sup;
        struct msg m;
        if (!sp || !sp->mailbox.n) {
            e->mail_bits[i / 64] &= ~(1ull << (i % 64));
            continue;
        }
        if (sp->op != OP_IDLE || !eng_msgq_pop(&sp->mailbox, &m))
            continue;
        if (!eng_msg_stale(e, &m))
            eng_sup_handle_mail(e, (engine_node)i, &m);
        else if (m.kind == MSG_REQUEST)
            eng_request_stale(e, m.req);
        return true;
    }
    return false;
}

static void drain(struct engine *e) {
    struct msg m;
    while (!e->oom && !e->down) {
        if (eng_msgq_pop(&e->inbox, &m))
            deliver(e, &m);
        else if (!run_one_mailbox(e))
            break;
    }
    if (e->down)
        eng_msgq_flush(e, &e->inbox);
}

static void on_start(struct engine *e) {
    if (e->started || e->down)
        return;
    e->started = true;
    eng_node_new_incarnation(e, ENGINE_ROOT);
    eng_sup_init(e, ENGINE_ROOT);
}

static void on_stop(struct engine *e) {
    if (e->stopping || e->down)
        return;
    e->stopping = true;
    eng_requests_stop(e);
    if (!e->started) {
        struct nines_reason why = nines_reason_make(NINES_REASON_SHUTDOWN, 0, NULL);
        eng_emit_tree_down(e, 0, &why);
        return;
    }
    eng_sup_shutdown(e, ENGINE_ROOT);
}

/* A worker's event becomes a message to its supervisor, if it is about the
 * worker's current incarnation. */
static void on_worker_event(struct engine *e, const struct engine_event *ev) {
    if (e->down || ev->node >= e->n_nodes)
        return;
    struct node *k = node_of(e, ev->node);
    if (k->sup || ev->gen == 0 || ev->gen != k->gen || !node_is_live(k))
        return;
    if (ev->kind == ENGINE_EV_READY && k->state == ENGINE_NODE_STARTING)
        k->ran = true, k->ready_ms = ev->now_ms; /* a run's length counts from here (backoff's reset) */
    enum msg_kind kind = ev->kind == ENGINE_EV_READY  ? MSG_READY
                         : ev->kind == ENGINE_EV_EXIT ? MSG_EXIT
                                                      : MSG_TIMEOUT;
    eng_post(e, kind, k->parent, ev->node, ev->kind == ENGINE_EV_EXIT ? &ev->reason : NULL);
}

int engine_handle(struct engine *e, const struct engine_event *ev, struct engine_actions *out) {
    e->out = out;
    e->now = ev->now_ms;
    e->oom = false;
    eng_reclaim(e);
    switch (ev->kind) {
    case ENGINE_EV_START:
        on_start(e);
        break;
    case ENGINE_EV_STOP:
        on_stop(e);
        break;
    case ENGINE_EV_READY:
    case ENGINE_EV_EXIT:
    case ENGINE_EV_TIMEOUT:
        on_worker_event(e, ev);
        break;
    case ENGINE_EV_REQUEST:
        eng_request_arrive(e, &ev->request);
        break;
    case ENGINE_EV_BACKOFF:
        eng_backoff_event(e, ev);
        break;
    }
    drain(e);
    e->out = NULL;
    return e->oom ? -ENOMEM : 0;
}
