/*
 * engine_proc.c — a supervisor's procedures: one terminate walk in reverse
 * start order, one start walk in start order, then a completion.
 *
 *   procedure     terminate walk               start walk        completion
 *   INIT          -                            all children      started (TREE_UP at the root)
 *   RESTART       one_for_all: all but failed  all children      idle again
 *                 rest_for_one: those after    failed and after
 *                 one_for_one: -               the failed one
 *   INIT_ABORT    all                          -                 start failed
 *   GIVE_UP       all                          -                 exit MAX_INTENSITY
 *   SHUTDOWN      all                          -                 exit shutdown
 *   REQUEST       terminate_child: the child   -                 reply
 *                 -                            restart_child,    reply
 *                                              start_child: it
 *
 * Children are handled strictly one at a time: the walk stops while a
 * child is `pending` and resumes when its start or end is known.
 */
#include <stdint.h>

#include "engine_internal.h"

void eng_sup_plan(struct engine *e, engine_node s, enum sup_op op, size_t term_lo, size_t term_hi,
              size_t term_skip, size_t start_lo, size_t start_hi) {
    struct sup *sp = sup_of(e, s);
    sp->op = op;
    sp->phase = PH_TERMINATE;
    sp->term_lo = term_lo;
    sp->cursor = term_hi > term_lo ? term_hi : term_lo;
    sp->term_skip = term_skip;
    sp->start_lo = start_lo;
    sp->start_hi = start_hi;
}

size_t eng_sup_index_of(struct engine *e, engine_node s, engine_node child) {
    struct sup *sp = sup_of(e, s);
    for (size_t i = 0; i < sp->n_kids; i++)
        if (sp->kids[i] == child)
            return i;
    return SIZE_MAX;
}

static bool op_walks(enum sup_op op) {
    switch (op) {
    case OP_INIT:
    case OP_RESTART:
    case OP_INIT_ABORT:
    case OP_GIVE_UP:
    case OP_SHUTDOWN:
    case OP_REQUEST:
        return true;
    default:
        return false;
    }
}

/* The three ways a supervisor ends. A nested one tells its parent, which
 * then owns its state; the root ends the tree. */
static void sup_end(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    struct node *n = node_of(e, s);
    enum sup_op op = sp->op;
    eng_msgq_flush(e, &sp->mailbox); /* calls to a process that ends get their answer */
    if (s == ENGINE_ROOT) {
        sp->op = OP_IDLE;
        n->state = ENGINE_NODE_IDLE;
        eng_emit_tree_down(e, op == OP_SHUTDOWN ? 0 : 1, &sp->exit_reason);
        return;
    }
    sp->op = OP_EXITED;
    eng_post(e, op == OP_INIT_ABORT ? MSG_START_FAILED : MSG_EXIT, n->parent, s, &sp->exit_reason);
}

static void sup_complete(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    struct node *n = node_of(e, s);
    switch (sp->op) {
    case OP_INIT:
        sp->op = OP_IDLE;
        if (s != ENGINE_ROOT) {
            eng_post(e, MSG_STARTED, n->parent, s, NULL); /* the parent marks it running */
            break;
        }
        n->state = ENGINE_NODE_RUNNING;
        if (!e->tree_up) {
            e->tree_up = true;
            eng_emit(e, ENGINE_ACT_TREE_UP, ENGINE_ROOT, 0);
        }
        break;
    case OP_RESTART:
        sp->op = OP_IDLE;
        break;
    case OP_REQUEST:
        eng_request_done(e, s);
        break;
    default:
        sup_end(e, s);
    }
}

void eng_sup_step(struct engine *e, engine_node s) {
    struct sup *sp = sup_of(e, s);
    while (!e->oom && sp->pending == ENGINE_NO_NODE && op_walks(sp->op)) {
        if (sp->phase == PH_TERMINATE) {
            if (sp->cursor > sp->term_lo && eng_stops_together(e, s))
                eng_terminate_together(e, s);
            if (sp->n_stopping)
                return; /* eng_together_answer steps on when the last has ended */
            if (sp->cursor <= sp->term_lo) {
                sp->phase = PH_START;
                sp->cursor = sp->start_lo;
                continue;
            }
            size_t i = --sp->cursor;
            if (i != sp->term_skip)
                eng_terminate_child(e, s, sp->kids[i]);
            continue;
        }
        if (sp->cursor >= sp->start_hi) {
            sup_complete(e, s);
            return;
        }
        engine_node c = sp->kids[sp->cursor++];
        if (node_of(e, c)->state == ENGINE_NODE_IDLE)
            eng_start_child(e, s, c);
    }
}
