/*
 * engine_backoff.c — restart backoff, beyond OTP (a worker's `backoff:`,
 * README "Restart backoff"). A child that ends and is to be restarted,
 * or whose restart fails, waits before the restart: initial x 2^(k-1)
 * after the k-th restart in a row, at most max; a run of at least `reset`
 * (from its READY to its end) starts the count again. While it waits the
 * child is not running and its supervisor is free (other children's ends,
 * requests): the wait ends in a retry in the supervisor's mailbox, as
 * OTP's try_again_restart, so the strategy is carried out then. The
 * intensity counts the restart when it is decided (the child's end), as
 * without backoff; the wait only spreads the restarts out.
 */
#include <stdint.h>

#include "engine_internal.h"

uint64_t engine_backoff_delay(const struct nines_backoff *b, unsigned k) {
    if (!b || b->initial_ms == 0 || k == 0)
        return 0;
    uint64_t cap = b->max_ms < b->initial_ms ? b->initial_ms : b->max_ms;
    unsigned shift = k - 1;
    if (shift >= 64 || b->initial_ms > (cap >> shift))
        return cap;
    uint64_t d = b->initial_ms << shift;
    return d < cap ? d : cap;
}

uint64_t eng_backoff_next(struct engine *e, engine_node c) {
    struct node *k = node_of(e, c);
    const struct nines_backoff *b = k->spec ? &k->spec->backoff : NULL;
    if (!b || b->initial_ms == 0 || k->sup)
        return 0;
    if (k->ran && e->now >= k->ready_ms && e->now - k->ready_ms >= b->reset_ms)
        k->backoff_k = 0;
    k->ran = false;
    if (k->backoff_k < UINT32_MAX)
        k->backoff_k++;
    return engine_backoff_delay(b, k->backoff_k);
}

void eng_backoff_defer(struct engine *e, engine_node c, uint64_t ms, bool already_counted) {
    struct node *k = node_of(e, c);
    k->restarting = true;
    k->retry_free = already_counted;
    k->backoff_until = e->now + ms;
    eng_emit_ms(e, ENGINE_ACT_BACKOFF, c, k->gen, ms);
}

/* The wait is over: a retry for the supervisor, if the child still waits
 * (nothing has started or stopped it since). */
void eng_backoff_event(struct engine *e, const struct engine_event *ev) {
    if (e->down || e->stopping || ev->node >= e->n_nodes)
        return;
    struct node *k = node_of(e, ev->node);
    if (k->sup || ev->gen != k->gen || !k->restarting || k->state != ENGINE_NODE_IDLE || !k->backoff_until)
        return;
    eng_post(e, MSG_RETRY, k->parent, ev->node, NULL);
}

bool engine_node_backoff(const struct engine *e, engine_node n, uint64_t *until_ms, unsigned *count) {
    if (n >= e->n_nodes)
        return false;
    const struct node *k = &e->nodes[n];
    if (!k->restarting || k->state != ENGINE_NODE_IDLE || !k->backoff_until)
        return false;
    if (until_ms)
        *until_ms = k->backoff_until;
    if (count)
        *count = k->backoff_k;
    return true;
}
