/*
 * engine_nodes.c — the node table: built from the tree by engine_new,
 * grown at run time by start_child and dynamic supervisors.
 *
 * A node's number is its index: the shell indexes its own tables (pids,
 * uptimes) by it. A child that leaves its supervisor keeps its slot with
 * state REMOVED until it is freed (engine_reclaim.c: only children added
 * at run time are, a static one comes back at its supervisor's init); its
 * id may meanwhile be taken by a new child, which gets another slot with
 * the same path. So a path names the one node that is *reachable*:
 * neither it nor any of its ancestors is REMOVED. A freed number is given
 * to the next node added, after ENGINE_ACT_NODE_FREED told the shell.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

/* Room for one more node, and the same room in the scratch array that
 * engine_node_children answers with (it can list at most every node). */
static int grow_nodes(struct engine *e) {
    if (e->n_nodes < e->cap_nodes)
        return 0;
    size_t cap = e->cap_nodes ? e->cap_nodes * 2 : 16;
    struct node *v = realloc(e->nodes, cap * sizeof *v);
    if (!v)
        return -ENOMEM;
    e->nodes = v;
    engine_node *sc = realloc(e->scratch, cap * sizeof *sc);
    if (!sc)
        return -ENOMEM;
    e->scratch = sc;
    size_t words = (cap + 63) / 64, had = (e->cap_nodes + 63) / 64;
    uint64_t *bits = realloc(e->mail_bits, words * sizeof *bits);
    if (!bits)
        return -ENOMEM;
    memset(bits + had, 0, (words - had) * sizeof *bits);
    e->mail_bits = bits;
    e->cap_nodes = cap;
    return 0;
}

static int add_kid(struct sup *p, engine_node id) {
    if (p->n_kids == p->cap_kids) {
        size_t cap = p->cap_kids ? p->cap_kids * 2 : 4;
        engine_node *v = realloc(p->kids, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        p->kids = v, p->cap_kids = cap;
    }
    p->kids[p->n_kids++] = id;
    return 0;
}

/* Root children have no leading slash: "web", "web/listener". */
static int add_node(struct engine *e, engine_node parent, const struct nines_child_spec *spec,
                    const struct nines_sup_spec *sup_spec, engine_node *out) {
    engine_node id = eng_reclaim_take_slot(e);
    uint32_t inc = 0;
    if (id != ENGINE_NO_NODE) {
        inc = e->nodes[id].inc; /* incarnations go on counting in a reused slot */
    } else {
        if (grow_nodes(e) < 0)
            return -ENOMEM;
        id = (engine_node)e->n_nodes++;
    }
    struct node *n = &e->nodes[id];
    *n = (struct node){.parent = parent, .spec = spec, .sup_spec = sup_spec, .inc = inc, .uid = ++e->last_uid};
    *out = id;
    eng_emit(e, ENGINE_ACT_NODE_ADDED, id, 0); /* nobody listens during engine_new */
    if (parent == ENGINE_NO_NODE)
        n->path = strdup("/");
    else if (parent == ENGINE_ROOT)
        n->path = strdup(spec->id);
    else if (asprintf(&n->path, "%s/%s", e->nodes[parent].path, spec->id) < 0)
        n->path = NULL;
    if (!n->path || eng_index_add(e, id) < 0)
        return -ENOMEM;
    if (sup_spec) {
        if (!(n->sup = calloc(1, sizeof *n->sup)))
            return -ENOMEM;
        n->sup->pending = ENGINE_NO_NODE;
        n->sup->term_skip = SIZE_MAX;
        n->sup->flags = (struct engine_sup_flags){.strategy = sup_spec->strategy,
                                                  .intensity = sup_spec->intensity,
                                                  .period_ms = sup_spec->period_ms};
    }
    return parent == ENGINE_NO_NODE ? 0 : add_kid(e->nodes[parent].sup, id);
}

/* One node per child spec, depth first: a supervisor, then each of its
 * children with its subtree, in start order (so parents come first).
 * *out is the subtree's top node as soon as it exists. A dynamic
 * supervisor's template is not a child: it has none until asked. */
int eng_node_build(struct engine *e, engine_node parent, const struct nines_child_spec *spec,
               const struct nines_sup_spec *sup_spec, engine_node *out) {
    engine_node me = ENGINE_NO_NODE, kid;
    int r = add_node(e, parent, spec, sup_spec, &me);
    *out = me;
    for (size_t i = 0; r == 0 && sup_spec && i < sup_spec->n_children; i++) {
        const struct nines_child_spec *c = &sup_spec->children[i];
        r = eng_node_build(e, me, c, c->kind == NINES_CHILD_SUPERVISOR ? c->supervisor : NULL, &kid);
    }
    return r;
}

static void remove_subtree(struct engine *e, engine_node n) {
    struct node *k = node_of(e, n);
    k->state = ENGINE_NODE_REMOVED;
    for (size_t i = 0; k->sup && i < k->sup->n_kids; i++)
        remove_subtree(e, k->sup->kids[i]);
}

/* Add `own` (the engine's copy, taken over) as the last child of s, with
 * its subtree; the shell hears of every new node, parents first
 * (add_node). */
engine_node eng_node_graft(struct engine *e, engine_node s, struct nines_child_spec *own, bool runtime) {
    engine_node top = ENGINE_NO_NODE;
    int r = eng_node_build(e, s, own, own->kind == NINES_CHILD_SUPERVISOR ? own->supervisor : NULL, &top);
    if (top == ENGINE_NO_NODE)
        nines_child_spec_free(own);
    else {
        node_of(e, top)->own = own;
        node_of(e, top)->runtime = runtime;
    }
    if (r < 0) {
        /* Half built: keep the slots (engine_free frees them), start none. */
        if (top != ENGINE_NO_NODE)
            remove_subtree(e, top);
        e->oom = true;
        return ENGINE_NO_NODE;
    }
    return top;
}

void eng_node_remove(struct engine *e, engine_node n) {
    struct node *k = node_of(e, n);
    eng_node_set_removed(e, n);
    k->restarting = false;
    k->timer_armed = false;
}

bool eng_node_reachable(const struct engine *e, engine_node n) {
    if (n >= e->n_nodes)
        return false;
    for (engine_node m = n; m != ENGINE_NO_NODE; m = e->nodes[m].parent)
        if (e->nodes[m].state == ENGINE_NODE_REMOVED)
            return false;
    return true;
}

/* The child of s with this id, removed ones aside (OTP's find_child). */
engine_node eng_sup_find_kid(struct engine *e, engine_node s, const char *id) {
    struct sup *sp = sup_of(e, s);
    for (size_t i = 0; i < sp->n_kids; i++) {
        struct node *k = node_of(e, sp->kids[i]);
        if (k->state != ENGINE_NODE_REMOVED && strcmp(k->spec->id, id) == 0)
            return sp->kids[i];
    }
    return ENGINE_NO_NODE;
}

size_t eng_sup_live_kids(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    size_t n = 0;
    for (size_t i = 0; i < sp->n_kids; i++)
        n += node_of(e, sp->kids[i])->state != ENGINE_NODE_REMOVED;
    return n;
}

/* Everything the table holds, requests still waiting included (their
 * replies can no longer be delivered: e->out is NULL here). */
void eng_node_table_free(struct engine *e) {
    for (size_t i = 0; i < e->n_nodes; i++) {
        struct node *n = &e->nodes[i];
        free(n->path);
        nines_child_spec_free(n->own);
        if (n->sup) {
            eng_msgq_flush(e, &n->sup->mailbox);
            eng_req_free(n->sup->req);
            free(n->sup->kids);
            free(n->sup->mailbox.v);
            free(n->sup->restarts);
            free(n->sup);
        }
    }
    free(e->nodes);
    free(e->scratch);
    free(e->mail_bits);
    eng_index_free(e);
    eng_reclaim_free(e);
}
