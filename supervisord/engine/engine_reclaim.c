/*
 * engine_reclaim.c — freeing the nodes of children that are gone for good,
 * so that a tree whose dynamic supervisors start and end a million
 * children holds what its live children need, not what every child ever
 * started did (issue 11).
 *
 * Which nodes. A child added at run time (start_child, a dynamic
 * supervisor's child: `runtime`) never comes back once removed: its
 * supervisor's next init only knows the specs of its own init. So when it
 * is removed it goes on the dead list, and with it, later, its subtree.
 * A static child keeps its slot: a temporary that ended or a deleted
 * child is back at its supervisor's next init.
 *
 * When. At the start of the next engine_handle: the actions of the call
 * that removed a node (a report naming it, a reply) are carried out by the
 * shell after that call returns, and still read its path. A dead node its
 * supervisor still waits for (`pending`) waits one more call.
 *
 * How. Each freed node is announced (ENGINE_ACT_NODE_FREED) so the shell
 * clears its row; its path leaves the index, its spec and supervisor state
 * are freed (requests still in its mailbox answered SHUTTING_DOWN), and
 * its number goes on the free list. Its supervisor's children array is
 * compacted in one pass, and the walk positions into it (cursor, ranges)
 * move with it. A message about a freed node carries a uid no node has
 * any more (eng_msg_stale): it is dropped, a request answered NOT_FOUND.
 */
#include <stdint.h>
#include <stdlib.h>

#include "engine_internal.h"

static int push(struct engine *e, engine_node **v, size_t *n, size_t *cap, engine_node x) {
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        engine_node *nv = realloc(*v, c * sizeof *nv);
        if (!nv) {
            e->oom = true;
            return -1;
        }
        *v = nv, *cap = c;
    }
    (*v)[(*n)++] = x;
    return 0;
}

void eng_node_set_removed(struct engine *e, engine_node n) {
    struct node *k = node_of(e, n);
    k->state = ENGINE_NODE_REMOVED;
    if (k->runtime && !k->dead && push(e, &e->dead, &e->n_dead, &e->cap_dead, n) == 0)
        k->dead = true;
}

bool eng_msg_stale(const struct engine *e, const struct msg *m) {
    return m->child >= e->n_nodes || e->nodes[m->child].uid != m->uid;
}

engine_node eng_reclaim_take_slot(struct engine *e) {
    return e->n_free ? e->free_slots[--e->n_free] : ENGINE_NO_NODE;
}

/* Free node n and everything under it; the slots become free, their
 * numbers are told to the shell. The parent's children array is the
 * caller's to fix. */
static void free_subtree(struct engine *e, engine_node n) {
    struct node *k = node_of(e, n);
    if (k->sup) {
        for (size_t i = 0; i < k->sup->n_kids; i++)
            free_subtree(e, k->sup->kids[i]);
        eng_msgq_flush(e, &k->sup->mailbox);
        eng_req_free(k->sup->req);
        free(k->sup->kids);
        free(k->sup->mailbox.v);
        free(k->sup->restarts);
        free(k->sup);
    }
    eng_index_remove(e, n);
    free(k->path);
    nines_child_spec_free(k->own);
    uint32_t inc = k->inc;
    *k = (struct node){.parent = ENGINE_NO_NODE, .state = ENGINE_NODE_REMOVED, .inc = inc,
                       .next_same_hash = ENGINE_NO_NODE};
    eng_emit(e, ENGINE_ACT_NODE_FREED, n, 0);
    if (push(e, &e->free_slots, &e->n_free, &e->cap_free, n) < 0)
        return; /* the slot stays free but is not reused: a leak, not a fault */
}

/* A walk position into s's children after the entries marked freed
 * (uid 0) before it are gone: how many kept ones came before it. */
static size_t moved(size_t pos, const size_t *kept_before, size_t n) {
    if (pos == SIZE_MAX)
        return SIZE_MAX;
    return pos <= n ? kept_before[pos] : pos - (n - kept_before[n]);
}

/* Drop s's freed children (slots with uid 0) from its array, in order,
 * and move the walk's positions with them. */
static void compact_kids(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    size_t n = sp->n_kids, keep = 0;
    sp->compact = false;
    size_t *before = malloc((n + 1) * sizeof *before);
    if (!before) {
        e->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        before[i] = keep;
        if (e->nodes[sp->kids[i]].uid != 0)
            sp->kids[keep++] = sp->kids[i];
    }
    before[n] = keep;
    bool skip_freed = sp->term_skip < n && before[sp->term_skip + 1] == before[sp->term_skip];
    sp->cursor = moved(sp->cursor, before, n);
    sp->term_lo = moved(sp->term_lo, before, n);
    sp->start_lo = moved(sp->start_lo, before, n);
    sp->start_hi = moved(sp->start_hi, before, n);
    sp->term_skip = skip_freed ? SIZE_MAX : moved(sp->term_skip, before, n);
    sp->n_kids = keep;
    free(before);
}

void eng_reclaim(struct engine *e) {
    size_t keep = 0, n = e->n_dead;
    engine_node *parents = NULL;
    size_t n_parents = 0, cap_parents = 0;
    e->n_dead = 0;
    for (size_t i = 0; i < n; i++) {
        engine_node d = e->dead[i];
        struct node *k = node_of(e, d);
        if (!k->dead)
            continue; /* freed already, with a dead ancestor */
        engine_node p = k->parent;
        struct sup *ps = node_of(e, p)->sup;
        if (ps->pending == d || node_of(e, p)->dead) {
            e->dead[keep++] = d; /* still waited for, or goes with its parent */
            continue;
        }
        if (!ps->compact && push(e, &parents, &n_parents, &cap_parents, p) < 0)
            break;
        ps->compact = true;
        free_subtree(e, d);
    }
    e->n_dead = keep; /* freeing removes nothing: only the postponed are left */
    for (size_t i = 0; i < n_parents; i++)
        if (node_of(e, parents[i])->uid != 0) /* not freed since, with a dead ancestor */
            compact_kids(e, parents[i]);
    free(parents);
}

void eng_reclaim_free(struct engine *e) {
    free(e->dead);
    free(e->free_slots);
    e->dead = e->free_slots = NULL;
    e->n_dead = e->cap_dead = e->n_free = e->cap_free = 0;
}
