/*
 * engine.c — the engine's entry points: building the node table from the
 * tree, and engine_handle, which turns one event into messages and runs
 * every supervisor until nothing moves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

static int add_node(struct engine *e, engine_node parent, const struct nines_child_spec *spec,
                    const struct nines_sup_spec *sup_spec, engine_node *out) {
    if (e->n_nodes == e->cap_nodes) {
        size_t cap = e->cap_nodes ? e->cap_nodes * 2 : 16;
        struct node *v = realloc(e->nodes, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        e->nodes = v, e->cap_nodes = cap;
    }
    engine_node id = (engine_node)e->n_nodes;
    struct node *n = &e->nodes[id];
    *n = (struct node){.parent = parent, .spec = spec, .sup_spec = sup_spec};
    e->n_nodes++;
    if (parent == ENGINE_NO_NODE)
        n->path = strdup("/");
    else if (parent == ENGINE_ROOT)
        n->path = strdup(spec->id);
    else if (asprintf(&n->path, "%s/%s", e->nodes[parent].path, spec->id) < 0)
        n->path = NULL;
    if (!n->path)
        return -ENOMEM;
    if (sup_spec) {
        if (!(n->sup = calloc(1, sizeof *n->sup)))
            return -ENOMEM;
        n->sup->pending = ENGINE_NO_NODE;
        n->sup->term_skip = SIZE_MAX;
    }
    if (parent != ENGINE_NO_NODE) {
        struct sup *p = e->nodes[parent].sup;
        if (p->n_kids == p->cap_kids) {
            size_t cap = p->cap_kids ? p->cap_kids * 2 : 4;
            engine_node *v = realloc(p->kids, cap * sizeof *v);
            if (!v)
                return -ENOMEM;
            p->kids = v, p->cap_kids = cap;
        }
        p->kids[p->n_kids++] = id;
    }
    *out = id;
    return 0;
}

/* One node per child spec, depth first: a supervisor, then each of its
 * children with its subtree, in start order. */
static int build(struct engine *e, engine_node parent, const struct nines_child_spec *spec,
                 const struct nines_sup_spec *sup_spec) {
    engine_node me;
    int r = add_node(e, parent, spec, sup_spec, &me);
    for (size_t i = 0; r == 0 && sup_spec && i < sup_spec->n_children; i++) {
        const struct nines_child_spec *c = &sup_spec->children[i];
        r = build(e, me, c, c->kind == NINES_CHILD_SUPERVISOR ? c->supervisor : NULL);
    }
    return r;
}

struct engine *engine_new(const struct nines_sup_spec *root) {
    struct engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    if (build(e, ENGINE_NO_NODE, NULL, root) < 0) {
        engine_free(e);
        return NULL;
    }
    return e;
}

void engine_free(struct engine *e) {
    if (!e)
        return;
    for (size_t i = 0; i < e->n_nodes; i++) {
        struct node *n = &e->nodes[i];
        free(n->path);
        if (n->sup) {
            free(n->sup->kids);
            free(n->sup->mailbox.v);
            free(n->sup->restarts);
            free(n->sup);
        }
    }
    free(e->nodes);
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
            child_started(e, m->to, m->child);
        break;
    case MSG_EXIT:
    case MSG_START_FAILED:
        if (st == ENGINE_NODE_STARTING)
            child_start_failed(e, m->to, m->child, &m->reason);
        else
            child_stopped(e, m->to, m->child, &m->reason);
        break;
    case MSG_TIMEOUT:
        if (st == ENGINE_NODE_STOPPING)
            child_grace_expired(e, m->child);
        break;
    case MSG_RETRY:
        break;
    }
}

/* Any other message waits in the mailbox (exits, retries) or only updates
 * what is known of a child nobody waits for any more (after a freeze). */
static void deliver(struct engine *e, struct msg *m) {
    struct sup *sp = sup_of(e, m->to);
    struct node *k = node_of(e, m->child);
    if (k->sup && k->sup->op == OP_EXITED && (m->kind == MSG_EXIT || m->kind == MSG_START_FAILED))
        k->sup->op = OP_IDLE; /* its last word has arrived */
    if (sp->pending == m->child && sp->pending_inc == m->inc) {
        handle_pending(e, m);
        return;
    }
    switch (m->kind) {
    case MSG_READY:
    case MSG_STARTED:
        if (k->inc == m->inc && k->state == ENGINE_NODE_STARTING)
            k->state = ENGINE_NODE_RUNNING;
        break;
    case MSG_START_FAILED:
        m->kind = MSG_EXIT;
        msgq_push(e, &sp->mailbox, m);
        break;
    case MSG_EXIT:
    case MSG_RETRY:
        msgq_push(e, &sp->mailbox, m);
        break;
    case MSG_TIMEOUT:
        break;
    }
}

/* One message from the first idle supervisor's mailbox. After ENGINE_EV_STOP
 * nothing is restarted: mailboxes are only read by the shutdown walks. */
static bool run_one_mailbox(struct engine *e) {
    if (e->stopping)
        return false;
    for (size_t i = 0; i < e->n_nodes; i++) {
        struct sup *sp = e->nodes[i].sup;
        struct msg m;
        if (!sp || sp->op != OP_IDLE || !msgq_pop(&sp->mailbox, &m))
            continue;
        sup_handle_mail(e, (engine_node)i, &m);
        return true;
    }
    return false;
}

static void drain(struct engine *e) {
    struct msg m;
    while (!e->oom && !e->down) {
        if (msgq_pop(&e->inbox, &m))
            deliver(e, &m);
        else if (!run_one_mailbox(e))
            break;
    }
    if (e->down)
        msgq_clear(&e->inbox);
}

static void on_start(struct engine *e) {
    if (e->started || e->down)
        return;
    e->started = true;
    node_new_incarnation(e, ENGINE_ROOT);
    sup_init(e, ENGINE_ROOT);
}

static void on_stop(struct engine *e) {
    if (e->stopping || e->down)
        return;
    e->stopping = true;
    if (!e->started) {
        struct nines_reason why = nines_reason_make(NINES_REASON_SHUTDOWN, 0, NULL);
        emit_tree_down(e, 0, &why);
        return;
    }
    sup_shutdown(e, ENGINE_ROOT);
}

/* A worker's event becomes a message to its supervisor, if it is about the
 * worker's current incarnation. */
static void on_worker_event(struct engine *e, const struct engine_event *ev) {
    if (e->down || ev->node >= e->n_nodes)
        return;
    struct node *k = node_of(e, ev->node);
    if (k->sup || ev->gen == 0 || ev->gen != k->gen || !node_is_live(k))
        return;
    enum msg_kind kind = ev->kind == ENGINE_EV_READY  ? MSG_READY
                         : ev->kind == ENGINE_EV_EXIT ? MSG_EXIT
                                                      : MSG_TIMEOUT;
    post(e, kind, k->parent, ev->node, ev->kind == ENGINE_EV_EXIT ? &ev->reason : NULL);
}

int engine_handle(struct engine *e, const struct engine_event *ev, struct engine_actions *out) {
    e->out = out;
    e->now = ev->now_ms;
    e->oom = false;
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
    }
    drain(e);
    e->out = NULL;
    return e->oom ? -ENOMEM : 0;
}
