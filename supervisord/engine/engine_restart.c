/*
 * engine_restart.c — what an idle supervisor does with its mailbox: the
 * exit of a running child (OTP's restart_child/do_restart), and its own
 * try-again requests (OTP's try_again_restart).
 */
#include <stdint.h>
#include <stdlib.h>

#include "engine_internal.h"

/* OTP's add_restart: keep the restarts within the period, add this one;
 * false when there are now more than `intensity`. */
static bool add_restart(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    const struct engine_sup_flags *spec = &sp->flags;
    size_t keep = 0;
    while (keep < sp->n_restarts && sp->restarts[keep] + spec->period_ms < e->now)
        keep++;
    sp->n_restarts -= keep;
    for (size_t i = 0; i < sp->n_restarts; i++)
        sp->restarts[i] = sp->restarts[i + keep];
    if (sp->n_restarts == sp->cap_restarts) {
        size_t cap = sp->cap_restarts ? sp->cap_restarts * 2 : 4;
        uint64_t *v = realloc(sp->restarts, cap * sizeof *v);
        if (!v) {
            e->oom = true;
            return false;
        }
        sp->restarts = v, sp->cap_restarts = cap;
    }
    sp->restarts[sp->n_restarts++] = e->now;
    return sp->n_restarts <= spec->intensity;
}

/* Reached the intensity: report, terminate every child, then exit with
 * MAX_INTENSITY (OTP's `shutdown` exit after reached_max_restart_intensity). */
static void give_up(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    struct nines_reason why =
        nines_reason_make(NINES_REASON_MAX_INTENSITY, 0, "reached_max_restart_intensity");
    eng_report(e, ENGINE_REPORT_SHUTDOWN, s, s, &why, ENGINE_FOLLOWUP_NONE);
    sp->exit_reason = why;
    node_of(e, s)->state = ENGINE_NODE_STOPPING;
    eng_sup_plan(e, s, OP_GIVE_UP, 0, sp->n_kids, SIZE_MAX, 0, 0);
    eng_sup_step(e, s);
}

/* The strategy's restart of child c (which is not running). */
static void begin_restart(struct engine *e, engine_node s, engine_node c) {
    struct sup *sp = sup_of(e, s);
    size_t i = eng_sup_index_of(e, s, c), n = sp->n_kids;
    switch (sp->flags.strategy) {
    case NINES_ONE_FOR_ALL:
        eng_sup_plan(e, s, OP_RESTART, 0, n, i, 0, n);
        break;
    case NINES_REST_FOR_ONE:
        eng_sup_plan(e, s, OP_RESTART, i + 1, n, SIZE_MAX, i, n);
        break;
    case NINES_ONE_FOR_ONE:
    case NINES_DYNAMIC:
        eng_sup_plan(e, s, OP_RESTART, 0, 0, SIZE_MAX, i, i + 1);
        break;
    }
    eng_sup_step(e, s);
}

/* Restart child c of s. `counted` is false for restarts that must not use
 * up the intensity (an upgrade's rollback). */
void eng_restart_child(struct engine *e, engine_node s, engine_node c, bool counted) {
    if (counted && !add_restart(e, s)) {
        give_up(e, s);
        return;
    }
    begin_restart(e, s, c);
}

static enum engine_followup restart_followup(enum nines_strategy st) {
    switch (st) {
    case NINES_ONE_FOR_ALL:
        return ENGINE_FOLLOWUP_RESTART_ALL;
    case NINES_REST_FOR_ONE:
        return ENGINE_FOLLOWUP_RESTART_REST;
    default:
        return ENGINE_FOLLOWUP_RESTART;
    }
}

/* OTP's do_restart: a running child has ended on its own. */
static void child_exited(struct engine *e, engine_node s, engine_node c, const struct nines_reason *why) {
    struct node *k = node_of(e, c);
    k->state = ENGINE_NODE_IDLE;
    k->timer_armed = false;
    if (k->spec->restart == NINES_TEMPORARY) {
        eng_node_set_removed(e, c);
        eng_report(e, ENGINE_REPORT_CHILD_TERMINATED, s, c, why, ENGINE_FOLLOWUP_REMOVE);
        return;
    }
    if (k->spec->restart == NINES_TRANSIENT && !nines_reason_is_abnormal(why)) {
        /* OTP's del_child: a static transient keeps its place; a dynamic
         * one is forgotten. */
        bool dynamic = node_is_dynamic(e, c);
        if (dynamic)
            eng_node_set_removed(e, c);
        eng_report(e, ENGINE_REPORT_CHILD_TERMINATED, s, c, why,
               dynamic ? ENGINE_FOLLOWUP_REMOVE : ENGINE_FOLLOWUP_NONE);
        return;
    }
    bool within = add_restart(e, s);
    enum engine_followup f = within ? restart_followup(sup_of(e, s)->flags.strategy)
                                    : ENGINE_FOLLOWUP_GIVE_UP;
    uint64_t wait = within ? eng_backoff_next(e, c) : 0;
    eng_report(e, ENGINE_REPORT_CHILD_TERMINATED, s, c, why, f);
    eng_report_set_delay(e, wait);
    if (!within)
        give_up(e, s);
    else if (wait)
        eng_backoff_defer(e, c, wait, true); /* counted above */
    else
        begin_restart(e, s, c);
}

void eng_sup_handle_mail(struct engine *e, engine_node s, const struct msg *m) {
    struct node *k = node_of(e, m->child);
    switch (m->kind) {
    case MSG_EXIT:
        /* An exit of an incarnation already dealt with is ignored. */
        if (k->inc == m->inc && node_is_live(k))
            child_exited(e, s, m->child, &m->reason);
        break;
    case MSG_RETRY:
        /* Only if nothing has started the child since (OTP: pid still
         * {restarting, _}). */
        if (k->restarting && k->inc == m->inc && k->state == ENGINE_NODE_IDLE)
            eng_restart_child(e, s, m->child, !k->retry_free);
        break;
    case MSG_REQUEST:
        eng_sup_handle_request(e, s, m->req);
        break;
    default:
        break;
    }
}
