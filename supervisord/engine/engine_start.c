/*
 * engine_start.c — starting children: OTP's synchronous start_link. A
 * worker is started when its init has returned (ENGINE_EV_READY); a nested
 * supervisor when all its own children are. A child that fails to start
 * fails its supervisor's start (INIT), or makes it try again later from
 * its own mailbox (RESTART, OTP's try_again_restart).
 */
#include <stdint.h>
#include <stdio.h>

#include "engine_internal.h"

/* Every start, worker or supervisor, is a new incarnation. */
void eng_node_new_incarnation(struct engine *e, engine_node n) {
    struct node *k = node_of(e, n);
    k->inc++;
    if (k->started_before)
        k->restarts++;
    k->started_before = true;
    k->restarting = false;
    k->timer_armed = false;
    k->ran = k->retry_free = false;
    k->backoff_until = 0;
    k->state = ENGINE_NODE_STARTING;
}

/* A supervisor's init: a fresh process in OTP terms, so an empty restart
 * history and mailbox, and exactly the children its spec lists (init/1's
 * answer): static ones back, temporaries removed and children deleted by
 * the previous incarnation included; children added at run time
 * (start_child, dynamic ones) gone; a release's changes (change_child,
 * retire_child, start_child in_init) kept. A dynamic supervisor thus starts with
 * no children: it is started at once. */
void eng_sup_init(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    eng_msgq_flush(e, &sp->mailbox);
    sp->n_restarts = 0;
    sp->pending = ENGINE_NO_NODE;
    for (size_t i = 0; i < sp->n_kids; i++) {
        struct node *k = node_of(e, sp->kids[i]);
        if (k->runtime || k->retired)
            eng_node_remove(e, sp->kids[i]);
        else if (k->state == ENGINE_NODE_REMOVED)
            k->state = ENGINE_NODE_IDLE;
        k->restarting = false;
    }
    eng_sup_plan(e, s, OP_INIT, 0, 0, SIZE_MAX, 0, sp->n_kids);
    eng_sup_step(e, s);
}

void eng_start_child(struct engine *e, engine_node s, engine_node c) {
    struct sup *sp = sup_of(e, s);
    struct node *k = node_of(e, c);
    eng_node_new_incarnation(e, c);
    sp->pending = c;
    sp->pending_inc = k->inc;
    if (k->sup) {
        eng_sup_init(e, c);
        return;
    }
    k->gen = ++e->gen;
    eng_emit(e, ENGINE_ACT_SPAWN, c, k->gen);
}

/* The pending child is started: report it and go on with the walk. */
void eng_child_started(struct engine *e, engine_node s, engine_node c) {
    sup_of(e, s)->pending = ENGINE_NO_NODE;
    node_of(e, c)->state = ENGINE_NODE_RUNNING;
    eng_report(e, ENGINE_REPORT_CHILD_STARTED, s, c, NULL, ENGINE_FOLLOWUP_NONE);
    eng_sup_step(e, s);
}

static struct nines_reason start_failed_reason(struct engine *e, engine_node c,
                                               const struct nines_reason *why) {
    /* Sized so that the message always fits: ids longer than 64 are cut. */
    char text[160], msg[sizeof why->message];
    nines_reason_format(why, text, sizeof text);
    snprintf(msg, sizeof msg, "failed to start child '%.64s': %s", node_of(e, c)->spec->id, text);
    return nines_reason_make(NINES_REASON_START_FAILED, 0, msg);
}

void eng_child_start_failed(struct engine *e, engine_node s, engine_node c, const struct nines_reason *why) {
    struct sup *sp = sup_of(e, s);
    struct node *k = node_of(e, c);
    sp->pending = ENGINE_NO_NODE;
    k->state = ENGINE_NODE_IDLE;
    eng_report(e, ENGINE_REPORT_START_ERROR, s, c, why, ENGINE_FOLLOWUP_NONE);
    if (sp->op == OP_INIT) {
        /* OTP's init_children: stop what was started, then fail. */
        sp->exit_reason = start_failed_reason(e, c, why);
        eng_sup_plan(e, s, OP_INIT_ABORT, 0, sp->n_kids, SIZE_MAX, 0, 0);
        eng_sup_step(e, s);
    } else if (sp->op == OP_RESTART) {
        /* OTP's try_again_restart: leave the rest for later, behind
         * whatever is already in the mailbox. */
        struct msg retry = {.kind = MSG_RETRY, .to = s, .child = c, .uid = k->uid, .inc = k->inc};
        uint64_t wait = eng_backoff_next(e, c);
        eng_report_set_delay(e, wait);
        k->restarting = true;
        if (wait)
            eng_backoff_defer(e, c, wait, false); /* the retry is counted, as OTP's */
        else
            eng_mail(e, s, &retry);
        sp->op = OP_IDLE;
    } else if (sp->op == OP_REQUEST) {
        /* restart_child/start_child: the caller gets the error; nothing is
         * retried and nothing counts against the intensity. */
        sp->req_failed = true;
        sp->req_why = *why;
        eng_sup_step(e, s);
    }
}
