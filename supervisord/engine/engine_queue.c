/*
 * engine_queue.c — the engine's outputs (actions and reports) and its
 * message queues (the inbox and the supervisors' mailboxes).
 *
 * An allocation failure sets e->oom; engine_handle then returns -ENOMEM.
 * The daemon treats that as fatal, so the half-done step is never resumed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

void engine_actions_clear(struct engine_actions *a) {
    a->n = 0;
}

void engine_actions_free(struct engine_actions *a) {
    free(a->v);
    *a = (struct engine_actions){0};
}

static bool reports_end_of(const struct engine_action *a, engine_node node) {
    return a->kind == ENGINE_ACT_REPORT && a->report.child == node &&
           (a->report.kind == ENGINE_REPORT_CHILD_TERMINATED || a->report.kind == ENGINE_REPORT_CHILD_STOPPED);
}

void engine_actions_spawn_first(struct engine_actions *a) {
    for (size_t i = 1; i < a->n; i++) {
        struct engine_action *spawn = &a->v[i], *report = &a->v[i - 1];
        if (spawn->kind != ENGINE_ACT_SPAWN || !reports_end_of(report, spawn->node))
            continue;
        struct engine_action t = *spawn;
        *spawn = *report;
        *report = t;
        i++; /* the report just moved is past */
    }
}

static struct engine_action *push_action(struct engine *e, enum engine_action_kind kind) {
    struct engine_actions *a = e->out;
    if (!a)
        return NULL; /* engine_free: nobody is listening */
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        struct engine_action *v = realloc(a->v, cap * sizeof *v);
        if (!v) {
            e->oom = true;
            return NULL;
        }
        a->v = v, a->cap = cap;
    }
    struct engine_action *act = &a->v[a->n++];
    memset(act, 0, sizeof *act);
    act->kind = kind;
    act->node = ENGINE_NO_NODE;
    return act;
}

void eng_emit(struct engine *e, enum engine_action_kind kind, engine_node node, uint64_t gen) {
    struct engine_action *a = push_action(e, kind);
    if (a)
        a->node = node, a->gen = gen;
}

void eng_emit_ms(struct engine *e, enum engine_action_kind kind, engine_node node, uint64_t gen, uint64_t ms) {
    struct engine_action *a = push_action(e, kind);
    if (a)
        a->node = node, a->gen = gen, a->ms = ms;
}

void eng_emit_timer(struct engine *e, engine_node node, uint64_t gen, uint64_t ms) {
    eng_emit_ms(e, ENGINE_ACT_TIMER_ARM, node, gen, ms);
}

void eng_report_set_delay(struct engine *e, uint64_t ms) {
    struct engine_actions *a = e->out;
    if (a && a->n && a->v[a->n - 1].kind == ENGINE_ACT_REPORT)
        a->v[a->n - 1].report.delay_ms = ms;
}

/* The root has ended: after this the engine does nothing more. */
void eng_emit_tree_down(struct engine *e, int exit_code, const struct nines_reason *why) {
    struct engine_action *a = push_action(e, ENGINE_ACT_TREE_DOWN);
    e->down = true;
    if (a) {
        a->node = ENGINE_ROOT;
        a->exit_code = exit_code;
        a->reason = *why;
    }
}

void eng_emit_reply(struct engine *e, uint64_t id, enum engine_request_result result, engine_node node,
                const struct nines_reason *why) {
    struct engine_action *a = push_action(e, ENGINE_ACT_REPLY);
    if (!a)
        return;
    a->node = node;
    a->reply = (struct engine_reply){.id = id, .result = result, .node = node};
    if (why)
        a->reply.reason = *why;
}

void eng_report(struct engine *e, enum engine_report_kind kind, engine_node sup, engine_node child,
            const struct nines_reason *why, enum engine_followup followup) {
    struct engine_action *a = push_action(e, ENGINE_ACT_REPORT);
    if (!a)
        return;
    a->node = child;
    a->gen = node_of(e, child)->gen;
    a->report = (struct engine_report){
        .kind = kind,
        .supervisor = sup,
        .child = child,
        .gen = node_of(e, child)->gen,
        .followup = followup,
    };
    if (why)
        a->report.reason = *why;
}

void eng_msgq_push(struct engine *e, struct msgq *q, const struct msg *m) {
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        struct msg *v = realloc(q->v, cap * sizeof *v);
        if (!v) {
            e->oom = true;
            return;
        }
        q->v = v, q->cap = cap;
    }
    q->v[q->n++] = *m;
}

void eng_mail(struct engine *e, engine_node s, const struct msg *m) {
    eng_msgq_push(e, &sup_of(e, s)->mailbox, m);
    e->mail_bits[s / 64] |= 1ull << (s % 64);
}

static void msgq_remove(struct msgq *q, size_t i) {
    memmove(&q->v[i], &q->v[i + 1], (q->n - i - 1) * sizeof q->v[0]);
    q->n--;
}

bool eng_msgq_pop(struct msgq *q, struct msg *out) {
    if (q->n == 0)
        return false;
    *out = q->v[0];
    msgq_remove(q, 0);
    return true;
}

/* OTP's monitor_child/unlink_flush: when a supervisor is about to stop a
 * child whose exit is already in its mailbox, that exit is the answer. */
bool eng_msgq_take_exit(struct msgq *q, engine_node child, uint32_t inc, struct nines_reason *out) {
    for (size_t i = 0; i < q->n; i++) {
        const struct msg *m = &q->v[i];
        if (m->kind == MSG_EXIT && m->child == child && m->inc == inc) {
            *out = m->reason;
            msgq_remove(q, i);
            return true;
        }
    }
    return false;
}

void eng_msgq_clear(struct msgq *q) {
    q->n = 0;
}

/* The queue's owner is gone (a supervisor that ends, the tree that is
 * down): every request still waiting gets its one answer. */
void eng_msgq_flush(struct engine *e, struct msgq *q) {
    eng_msgq_drop_requests(e, q);
    eng_msgq_clear(q);
}

/* Send a message about `child` (its current incarnation) to supervisor `to`. */
void eng_post(struct engine *e, enum msg_kind kind, engine_node to, engine_node child,
          const struct nines_reason *why) {
    struct msg m = {.kind = kind, .to = to, .child = child, .uid = node_of(e, child)->uid,
                    .inc = node_of(e, child)->inc};
    if (why)
        m.reason = *why;
    eng_msgq_push(e, &e->inbox, &m);
}
