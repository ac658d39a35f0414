/*
 * engine_stop.c — terminating children (OTP's do_terminate and shutdown/1)
 * and stopping supervisors.
 *
 * A worker is asked to stop according to its `shutdown`: brutal_kill is a
 * KILL; a timeout is a STOP and a timer, and a KILL when the timer fires;
 * infinity is a STOP and a wait. A nested supervisor stops its own
 * children first, recursively, then counts as ended with `shutdown`.
 * When the supervisor already holds the child's exit in its mailbox (it
 * died by itself meanwhile), that exit is the answer, as OTP's
 * unlink_flush makes it.
 */
#include <signal.h>
#include <stdint.h>

#include "engine_internal.h"

/* OTP's shutdown/1 verdict: which ends count as a clean stop. A supervisor
 * that gave up exits with `shutdown` in OTP; MAX_INTENSITY is ours for it. */
static bool shutdown_ok(const struct node *k, const struct nines_reason *r) {
    bool permanent = k->spec->restart == NINES_PERMANENT;
    bool shutdown = r->kind == NINES_REASON_SHUTDOWN || r->kind == NINES_REASON_MAX_INTENSITY;
    if (k->spec->shutdown.kind == NINES_SHUTDOWN_BRUTAL_KILL) {
        if (r->kind == NINES_REASON_SIGNAL && r->value == SIGKILL)
            return true;
        return !permanent && (shutdown || r->kind == NINES_REASON_NORMAL);
    }
    return shutdown || (!permanent && r->kind == NINES_REASON_NORMAL);
}

/* A stopped child is not restarted. Temporaries leave the supervisor, as
 * OTP's terminate_children and del_child remove them; so do dynamic
 * children (del_child forgets a simple_one_for_one child's pid). */
static void settle_stopped(struct engine *e, engine_node c) {
    bool gone = node_of(e, c)->spec->restart == NINES_TEMPORARY || node_is_dynamic(e, c);
    if (gone)
        eng_node_set_removed(e, c);
    else
        node_of(e, c)->state = ENGINE_NODE_IDLE;
}

/* The child has ended while being stopped: report it. */
static void terminated(struct engine *e, engine_node s, engine_node c, const struct nines_reason *why) {
    struct node *k = node_of(e, c);
    bool ok = shutdown_ok(k, why);
    eng_report(e, ok ? ENGINE_REPORT_CHILD_STOPPED : ENGINE_REPORT_SHUTDOWN_ERROR, s, c, why,
           ENGINE_FOLLOWUP_NONE);
    settle_stopped(e, c);
    k->timer_armed = false;
}

void eng_terminate_child(struct engine *e, engine_node s, engine_node c) {
    struct sup *sp = sup_of(e, s);
    struct node *k = node_of(e, c);
    struct nines_reason why;
    k->restarting = false;
    if (!node_is_live(k)) {
        if (k->state == ENGINE_NODE_IDLE)
            settle_stopped(e, c);
        return;
    }
    k->state = ENGINE_NODE_STOPPING;
    if (eng_msgq_take_exit(&sp->mailbox, c, k->inc, &why)) {
        terminated(e, s, c, &why);
        return;
    }
    sp->pending = c;
    sp->pending_inc = k->inc;
    if (k->sup) {
        eng_sup_shutdown(e, c);
        return;
    }
    switch (k->spec->shutdown.kind) {
    case NINES_SHUTDOWN_BRUTAL_KILL:
        eng_emit(e, ENGINE_ACT_KILL, c, k->gen);
        break;
    case NINES_SHUTDOWN_TIMEOUT:
        eng_emit(e, ENGINE_ACT_STOP, c, k->gen);
        eng_emit_timer(e, c, k->gen, k->spec->shutdown.ms);
        k->timer_armed = true;
        break;
    case NINES_SHUTDOWN_INFINITY:
        eng_emit(e, ENGINE_ACT_STOP, c, k->gen);
        break;
    }
}

/* The pending child, asked to stop, has ended. */
void eng_child_stopped(struct engine *e, engine_node s, engine_node c, const struct nines_reason *why) {
    struct node *k = node_of(e, c);
    sup_of(e, s)->pending = ENGINE_NO_NODE;
    if (k->timer_armed)
        eng_emit(e, ENGINE_ACT_TIMER_CANCEL, c, k->gen);
    terminated(e, s, c, why);
    eng_sup_step(e, s);
}

/* The shutdown grace is over: SIGKILL, and keep waiting for the exit. */
void eng_child_grace_expired(struct engine *e, engine_node c) {
    struct node *k = node_of(e, c);
    if (!k->timer_armed)
        return;
    k->timer_armed = false;
    eng_emit(e, ENGINE_ACT_KILL, c, k->gen);
}

/* Dynamic children stop together, as OTP's simple_one_for_one does
 * (terminate_children sends every child its exit, then waits for them
 * all): N children that ignore the request cost one grace, not N. Only
 * when the supervisor ends (shutdown, give up); terminate_child still
 * stops its one child. Static children keep OTP's one-at-a-time reverse
 * order: a later child may depend on an earlier one. */
bool eng_stops_together(struct engine *e, engine_node s) {
    enum sup_op op = sup_of(e, s)->op;
    return sup_is_dynamic(e, s) && (op == OP_SHUTDOWN || op == OP_GIVE_UP || op == OP_INIT_ABORT);
}

/* Ask every child left in the terminate walk to stop, newest first, and
 * count those to wait for; one already stopping is counted already. */
void eng_terminate_together(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    for (size_t i = sp->cursor; i-- > sp->term_lo;) {
        engine_node c = sp->kids[i];
        if (i == sp->term_skip || node_of(e, c)->state == ENGINE_NODE_STOPPING)
            continue;
        eng_terminate_child(e, s, c);
        if (sp->pending == c) { /* asked and not ended yet */
            sp->pending = ENGINE_NO_NODE;
            sp->n_stopping++;
        }
    }
    sp->cursor = sp->term_lo;
}

/* An exit or a grace timeout of a child stopped together. */
bool eng_together_answer(struct engine *e, const struct msg *m) {
    struct sup *sp = sup_of(e, m->to);
    struct node *k = node_of(e, m->child);
    if (!sp->n_stopping || sp->pending == m->child || k->parent != m->to || k->inc != m->inc ||
        k->state != ENGINE_NODE_STOPPING)
        return false;
    if (m->kind == MSG_TIMEOUT) {
        eng_child_grace_expired(e, m->child);
        return true;
    }
    if (m->kind != MSG_EXIT && m->kind != MSG_START_FAILED)
        return false;
    sp->n_stopping--;
    if (k->timer_armed)
        eng_emit(e, ENGINE_ACT_TIMER_CANCEL, m->child, k->gen);
    terminated(e, m->to, m->child, &m->reason);
    if (sp->n_stopping == 0)
        eng_sup_step(e, m->to);
    return true;
}

/* Stop a supervisor's whole subtree from starting anything: a child that
 * is being started is no longer waited for (it is stopped in its turn like
 * a running one); one that is being stopped still is. Nested supervisors
 * wait, frozen, until their parent's walk asks them to stop. */
static void freeze(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    if (sp->pending != ENGINE_NO_NODE && node_of(e, sp->pending)->state == ENGINE_NODE_STARTING)
        sp->pending = ENGINE_NO_NODE;
    if (sp->op == OP_REQUEST)
        eng_request_abandon(e, s);
    sp->op = OP_FROZEN;
    for (size_t i = 0; i < sp->n_kids; i++) {
        struct node *k = node_of(e, sp->kids[i]);
        if (k->sup && node_is_live(k) && k->sup->op != OP_SHUTDOWN && k->sup->op != OP_EXITED)
            freeze(e, sp->kids[i]);
    }
}

/* Asked to stop (by the parent's walk, or ENGINE_EV_STOP at the root):
 * whatever the supervisor was doing is abandoned, and every child is
 * terminated in reverse start order. */
void eng_sup_shutdown(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    struct node *n = node_of(e, s);
    if (sp->op == OP_EXITED)
        return; /* it has ended already; its exit is on its way */
    freeze(e, s);
    sp->exit_reason = nines_reason_make(NINES_REASON_SHUTDOWN, 0, NULL);
    if (node_is_live(n))
        n->state = ENGINE_NODE_STOPPING;
    eng_sup_plan(e, s, OP_SHUTDOWN, 0, sp->n_kids, SIZE_MAX, 0, 0);
    eng_sup_step(e, s);
}
