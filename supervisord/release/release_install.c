/*
 * release_install.c — running a release upgrade (or downgrade) on the
 * live tree: the relup plan (doc/relup.md), one step after the other,
 * and, when a step fails, the undo of that step and of every step before
 * it, latest first, so that the tree is back on the release it ran.
 *
 * Each step is carried out with the daemon's own means:
 *   swap            a live upgrade of every running worker of the
 *                   application (upgrade.h), a few at a time (swap_more):
 *                   each worker pauses only for its own swap;
 *   restart         each worker of the application in turn: terminate,
 *                   then restart on the new module (a rolling restart);
 *   add / remove / change child, supervisor flags
 *                   one engine request (start_child in_init, retire_child,
 *                   change_child, set_flags), whose change survives the
 *                   supervisor's restarts.
 * Swaps and restarts pick the workers whose module is not already the
 * step's: the undo of a step that failed half-way thus only goes back on
 * the workers that moved. Children started later get the step's module
 * (upgrade_remap_module).
 *
 * Which step or undo runs next, and what the outcome says, is decided by
 * the pure runner (appup/relup_run.h); this file carries each operation
 * out and feeds its result back.
 *
 * Nothing here blocks: a step waits for the workers' results and the
 * engine's replies, which come back through upgrade_done_fn and
 * release_install_on_reply. One install runs at a time.
 * Numbers kept across turns of the loop go with the node's uid: a worker
 * gone for good meanwhile may have its number taken by a new child
 * (engine_reclaim.c), which is not swapped, restarted nor blamed then.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "release_internal.h"
#include "relup_run.h"
#include "upgrade.h"

/* An engine request the install waits for. */
struct pending_req {
    uint64_t id;
    engine_node node;
    uint64_t uid;      /* the node's (engine_node_uid), asked with the restart */
    bool then_restart; /* a restart step's terminate: restart_child follows */
};

struct install {
    struct daemon *d;
    uint64_t conn_id;
    bool down;
    struct release_set target;
    struct nines_relup *plan;
    uint64_t started_ms;

    struct relup_run run; /* the sequencing: which step or undo is next */
    bool undoing;         /* the operation under way is an undo */
    size_t step;          /* the step running, or whose undo runs */
    char failure[2400];   /* "step K of N (...) failed: REASON" */
    char undo_reason[1024]; /* why the first undo that failed did, or "" */

    /* The operation under way. */
    const struct nines_relup_op *op;
    const char *op_from_module; /* swap/restart: what the workers ran */
    uint64_t op_started_ms;
    engine_node *nodes; /* swap/restart: its workers */
    uint64_t *uids;     /* ... and which nodes they were (engine_node_uid) */
    size_t n_nodes, next_node;
    unsigned outstanding;
    bool dispatching;
    bool op_failed;
    char op_reason[700];
    uint64_t max_pause_us;
    unsigned swap_window; /* swaps at once */
    struct pending_req *reqs;
    size_t n_reqs, cap_reqs;
    struct moved { engine_node node; uint64_t uid; } *moved; /* workers this install swapped, all steps */
    size_t n_moved;
};

static void carry_out(struct install *in, struct relup_run_next next);
static void op_done(struct install *in);
static void restart_next_worker(struct install *in);

/* --- progress ------------------------------------------------------------------ */

static const struct nines_relup_step *cur_step(const struct install *in) {
    return &in->plan->steps[in->step];
}

static void send_record(struct install *in, const char *phase, const char *result, const char *reason) {
    struct control_conn *c = in->conn_id ? control_conn_find(in->d, in->conn_id) : NULL;
    const struct nines_relup_step *s = cur_step(in);
    char n[16], of[16], ms[24], what[1024], line[2400];
    snprintf(n, sizeof n, "%zu", in->step + 1);
    snprintf(of, sizeof of, "%zu", in->plan->n_steps);
    snprintf(ms, sizeof ms, "%" PRIu64, daemon_now_ms() - in->op_started_ms);
    nines_relup_op_format(in->op, what, sizeof what);
    struct nines_field f[] = {
        {"phase", phase}, {"n", n}, {"of", of}, {"kind", nines_relup_kind_name(in->op->kind)},
        {"application", s->application}, {"what", what}, {"result", result}, {"reason", reason}, {"ms", ms},
    };
    size_t nf = sizeof f / sizeof f[0];
    nines_log_event(reason ? LOG_ERR : LOG_NOTICE, in->undoing ? "release_step_undone" : "release_step",
                    what, f + 1, nf - 1);
    size_t len = c ? nines_logfmt_record(line, sizeof line, f, nf) : 0;
    if (c)
        control_send_data(c, line, len < sizeof line ? len : sizeof line - 1);
}

static void answer(struct install *in, enum ctl_status st, const char *msg) {
    struct control_conn *c = in->conn_id ? control_conn_find(in->d, in->conn_id) : NULL;
    if (c)
        control_send_end(c, st, "%s", msg);
}

/* --- engine requests ------------------------------------------------------------- */

/* The operation failed: the first reason is the one kept ("A: B", or A). */
static void fail_op(struct install *in, const char *a, const char *b) {
    if (in->op_failed)
        return;
    in->op_failed = true;
    snprintf(in->op_reason, sizeof in->op_reason, "%s%s%s", a, b ? ": " : "", b ? b : "");
}

static void ask(struct install *in, struct engine_request req, bool then_restart) {
    struct daemon *d = in->d;
    if (in->n_reqs == in->cap_reqs) {
        size_t cap = in->cap_reqs ? in->cap_reqs * 2 : 8;
        struct pending_req *v = realloc(in->reqs, cap * sizeof *v);
        if (!v) {
            fail_op(in, "out of memory", NULL);
            if (--in->outstanding == 0 && !in->dispatching)
                op_done(in);
            return;
        }
        in->reqs = v, in->cap_reqs = cap;
    }
    req.id = ++d->next_request_id;
    in->reqs[in->n_reqs++] = (struct pending_req){req.id, req.node, req.uid, then_restart};
    struct engine_event ev = {.kind = ENGINE_EV_REQUEST, .request = req, .now_ms = daemon_now_ms()};
    daemon_feed(d, &ev);
}

static bool take_req(struct install *in, uint64_t id, struct pending_req *out) {
    size_t i = 0;
    while (i < in->n_reqs && in->reqs[i].id != id)
        i++;
    bool found = i < in->n_reqs;
    if (found)
        *out = in->reqs[i], in->reqs[i] = in->reqs[--in->n_reqs];
    return found;
}

/* What an undo may find already done: not a failure. */
static bool already_so(const struct install *in, enum engine_request_result r) {
    if (in->op->kind == NINES_RELUP_REMOVE_CHILD)
        return r == ENGINE_REQ_NOT_FOUND;
    if (in->op->kind == NINES_RELUP_ADD_CHILD)
        return in->undoing && (r == ENGINE_REQ_ALREADY_STARTED || r == ENGINE_REQ_ALREADY_PRESENT);
    return false;
}

bool release_install_on_reply(struct daemon *d, const struct engine_reply *r) {
    struct install *in = d->releases ? d->releases->install : NULL;
    struct pending_req p;
    if (!in || !take_req(in, r->id, &p))
        return false;
    if (r->result == ENGINE_REQ_OK && p.then_restart) {
        ask(in, (struct engine_request){.kind = ENGINE_REQ_RESTART_CHILD, .node = p.node, .uid = p.uid}, false);
        return true;
    }
    if (r->result != ENGINE_REQ_OK && !already_so(in, r->result)) {
        char why[400] = "";
        if (r->result == ENGINE_REQ_START_FAILED)
            nines_reason_format(&r->reason, why, sizeof why);
        fail_op(in, engine_request_result_name(r->result), why[0] ? why : NULL);
    }
    if (in->op->kind == NINES_RELUP_RESTART && !in->op_failed) {
        restart_next_worker(in);
        return true;
    }
    if (--in->outstanding == 0 && !in->dispatching)
        op_done(in);
    return true;
}

/* --- the workers of an application ------------------------------------------------- */

static int collect_workers(struct install *in) {
    free(in->nodes), free(in->uids);
    in->nodes = NULL, in->uids = NULL;
    in->n_nodes = in->next_node = 0;
    return release_workers_to_move(in->d, cur_step(in)->application, in->op->module,
                                   in->op->kind == NINES_RELUP_RESTART, &in->nodes, &in->uids, &in->n_nodes);
}

static bool still_there(const struct install *in, size_t i) {
    return release_worker_there(in->d, in->nodes[i], in->uids[i]);
}

static void swap_more(struct install *in);

void release_install_on_crash(struct daemon *d, engine_node node, const char *why) {
    struct install *in = d->releases ? d->releases->install : NULL;
    for (size_t i = 0; in && !in->undoing && i < in->n_moved; i++)
        if (in->moved[i].node == node && engine_node_is(d->engine, node, in->moved[i].uid)) {
            char what[600];
            snprintf(what, sizeof what, "%s crashed after its swap", engine_node_path(d->engine, node));
            fail_op(in, what, why); /* the step under way ends failed: all is undone */
            return;
        }
}

static void on_swapped(struct daemon *d, void *cookie, engine_node node, bool ok, uint64_t pause_us,
                       const char *message) {
    struct install *in = cookie;
    if (pause_us > in->max_pause_us)
        in->max_pause_us = pause_us;
    struct moved *v = ok && !in->undoing ? realloc(in->moved, (in->n_moved + 1) * sizeof *v) : NULL;
    if (v) /* its result comes before its end: the number is still its own */
        in->moved = v, in->moved[in->n_moved++] = (struct moved){node, engine_node_uid(d->engine, node)};
    if (!ok)
        fail_op(in, message, NULL); /* it names the child */
    in->outstanding--;
    swap_more(in);
}

/* Keep swap_window workers swapping — twice the CPUs: one at a time
 * leaves the CPUs idle while ninesd passes results on (the total more
 * than doubles), all at once makes every pause wait for a CPU (it
 * doubles each pause) — until all have swapped or one failed; then the
 * step is done. A result that comes back while dispatching (a worker
 * that is not running) is counted there. */
static void swap_more(struct install *in) {
    if (in->dispatching)
        return;
    in->dispatching = true;
    const char *extra = in->op->extra ? in->op->extra : "";
    while (!in->op_failed && in->next_node < in->n_nodes && in->outstanding < in->swap_window) {
        size_t i = in->next_node++;
        if (!still_there(in, i))
            continue; /* gone for good: nothing runs its code, its number may be another's */
        in->outstanding++;
        upgrade_request_for(in->d, in->nodes[i], in->op->module, extra, on_swapped, in);
    }
    in->dispatching = false;
    if (in->outstanding == 0)
        op_done(in);
}

static void run_swap(struct install *in) {
    in->outstanding = 0;
    swap_more(in);
}

/* One worker at a time: the others keep serving meanwhile. */
static void restart_next_worker(struct install *in) {
    while (in->next_node < in->n_nodes && !still_there(in, in->next_node))
        in->next_node++; /* gone for good: nothing to restart */
    if (in->next_node == in->n_nodes) {
        in->outstanding = 0;
        op_done(in);
        return;
    }
    uint64_t uid = in->uids[in->next_node];
    engine_node n = in->nodes[in->next_node++];
    if (upgrade_set_module(in->d, n, in->op->module) < 0) {
        fail_op(in, "out of memory", NULL);
        op_done(in);
        return;
    }
    in->outstanding = 1;
    ask(in, (struct engine_request){.kind = ENGINE_REQ_TERMINATE_CHILD, .node = n, .uid = uid}, true);
}

/* --- one operation ------------------------------------------------------------------ */

static void run_engine_op(struct install *in) {
    const struct nines_relup_op *op = in->op;
    bool on_sup = op->kind == NINES_RELUP_ADD_CHILD || op->kind == NINES_RELUP_SUPERVISOR_FLAGS;
    engine_node n = release_find_child(in->d, op->supervisor, on_sup ? NULL : op->id);
    if (n == ENGINE_NO_NODE) {
        if (op->kind != NINES_RELUP_REMOVE_CHILD)
            fail_op(in, on_sup ? "no such supervisor in the running tree" : "no such child in the running tree",
                    on_sup ? op->supervisor : op->id);
        op_done(in);
        return;
    }
    struct engine_request req = {.node = n, .uid = engine_node_uid(in->d->engine, n), .spec = op->child}; /* queued */
    switch (op->kind) {
    case NINES_RELUP_ADD_CHILD: req.kind = ENGINE_REQ_START_CHILD, req.in_init = true; break;
    case NINES_RELUP_REMOVE_CHILD: req.kind = ENGINE_REQ_RETIRE_CHILD; break;
    case NINES_RELUP_CHANGE_CHILD: req.kind = ENGINE_REQ_CHANGE_CHILD; break;
    default:
        req.kind = ENGINE_REQ_SET_FLAGS;
        req.flags = (struct engine_sup_flags){.has_strategy = op->flags.has_strategy,
                                              .has_intensity = op->flags.has_intensity,
                                              .has_period = op->flags.has_period,
                                              .strategy = op->flags.strategy,
                                              .intensity = op->flags.intensity,
                                              .period_ms = op->flags.period_ms};
    }
    in->outstanding = 1;
    ask(in, req, false);
}

static void run_op(struct install *in, const struct nines_relup_op *op, const char *from_module) {
    in->op = op;
    in->op_from_module = from_module;
    in->op_failed = false;
    in->op_reason[0] = '\0';
    in->op_started_ms = daemon_now_ms();
    in->outstanding = 0;
    in->n_nodes = in->next_node = 0;
    if (op->kind != NINES_RELUP_SWAP && op->kind != NINES_RELUP_RESTART) {
        run_engine_op(in);
        return;
    }
    if (collect_workers(in) < 0) {
        fail_op(in, "out of memory", NULL);
        op_done(in);
        return;
    }
    if (op->kind == NINES_RELUP_SWAP)
        run_swap(in);
    else
        restart_next_worker(in);
}

/* Children started from now on run the new module, like those swapped. */
static void remap_if_code(struct install *in) {
    const struct nines_relup_op *op = in->op;
    bool code = op->kind == NINES_RELUP_SWAP || op->kind == NINES_RELUP_RESTART;
    if (code && in->op_from_module && upgrade_remap_module(in->d, in->op_from_module, op->module) < 0)
        fail_op(in, "out of memory", NULL);
}

/* --- the whole plan ----------------------------------------------------------------- */

static void install_end(struct install *in, bool succeeded);

static void note_failure(struct install *in) {
    if (in->undoing) {
        if (!in->undo_reason[0])
            snprintf(in->undo_reason, sizeof in->undo_reason, "%s", in->op_reason);
        return;
    }
    const struct nines_relup_step *s = cur_step(in);
    char what[1024];
    nines_relup_op_format(&s->op, what, sizeof what);
    snprintf(in->failure, sizeof in->failure, "step %zu of %zu (%s: %s) failed: %s", in->step + 1,
             in->plan->n_steps, s->application, what, in->op_reason);
}

static void op_done(struct install *in) {
    if (!in->op_failed)
        remap_if_code(in);
    send_record(in, in->undoing ? "undo" : "step", in->op_failed ? "failed" : "ok",
                in->op_failed ? in->op_reason : NULL);
    if (in->op_failed)
        note_failure(in);
    /* What a failed step had moved (whatever each worker's own result said),
     * or what an undo sent back. */
    size_t moved = release_workers_on(in->d, in->nodes, in->uids, in->n_nodes, in->op ? in->op->module : NULL);
    carry_out(in, relup_run_done(&in->run, !in->op_failed, moved));
}

static void carry_out(struct install *in, struct relup_run_next next) {
    if (next.action == RELUP_RUN_SUCCEEDED || next.action == RELUP_RUN_FAILED) {
        install_end(in, next.action == RELUP_RUN_SUCCEEDED);
        return;
    }
    in->step = next.step;
    in->undoing = next.action == RELUP_RUN_UNDO;
    const struct nines_relup_step *s = cur_step(in);
    if (in->undoing)
        run_op(in, &s->undo, s->op.module);
    else
        run_op(in, &s->op, s->has_undo ? s->undo.module : NULL);
}

static void log_end(struct install *in, int prio, const char *event, const char *msg, const char *reason) {
    char ms[24], pause[24];
    snprintf(ms, sizeof ms, "%" PRIu64, daemon_now_ms() - in->started_ms);
    snprintf(pause, sizeof pause, "%" PRIu64, in->max_pause_us);
    struct nines_field f[] = {{"release", in->plan->release},  {"from", in->plan->from_version},
                              {"to", in->plan->to_version},     {"ms", ms},
                              {"max_pause_us", pause},          {"reason", reason}};
    nines_log_event(prio, event, msg, f, sizeof f / sizeof f[0]);
}

static void succeed(struct install *in) {
    struct daemon *d = in->d;
    struct releases *r = d->releases;
    char why[300], msg[600];
    if (nines_rel_state_installed(&r->state, in->plan->to_version, why, sizeof why) < 0 ||
        release_save_state(d) < 0)
        log_end(in, LOG_ERR, "release_state_error", "the state file could not be updated", why);
    snprintf(msg, sizeof msg, "%s %s %s -> %s: %zu step%s in %" PRIu64 " ms (longest worker pause %" PRIu64 " us)",
             in->down ? "downgraded" : "upgraded", in->plan->release, in->plan->from_version, in->plan->to_version,
             in->plan->n_steps, in->plan->n_steps == 1 ? "" : "s", daemon_now_ms() - in->started_ms,
             in->max_pause_us);
    log_end(in, LOG_NOTICE, in->down ? "release_downgrade_done" : "release_upgrade_done", msg, NULL);
    answer(in, CTL_ST_OK, msg);
    /* The plan borrows from the running release: it goes first. */
    nines_relup_free(in->plan);
    in->plan = NULL;
    release_set_free(&r->running);
    r->running = in->target;
    memset(&in->target, 0, sizeof in->target);
}

static void fail(struct install *in) {
    char outcome[1600], msg[4100];
    relup_run_outcome(&in->run, in->undo_reason, outcome, sizeof outcome);
    snprintf(msg, sizeof msg, "%s; %s", in->failure, outcome);
    log_end(in, in->run.undo_failed ? LOG_CRIT : LOG_ERR,
            in->down ? "release_downgrade_failed" : "release_upgrade_failed", msg, in->failure);
    answer(in, CTL_ST_FAILED, msg);
}

static void install_free(struct install *in) {
    if (!in)
        return;
    nines_relup_free(in->plan); /* before the sets it borrows from */
    release_set_free(&in->target);
    free(in->nodes);
    free(in->uids);
    free(in->reqs);
    free(in->moved);
    free(in);
}

static void install_end(struct install *in, bool succeeded) {
    struct releases *r = in->d->releases;
    if (succeeded)
        succeed(in);
    else
        fail(in);
    r->install = NULL;
    install_free(in);
}

void release_install_free(struct releases *r) {
    install_free(r->install);
    r->install = NULL;
}

/* --- asking --------------------------------------------------------------------------- */

void release_install_begin(struct daemon *d, uint64_t conn_id, const char *version, bool down) {
    struct releases *r = d->releases;
    struct control_conn *c = conn_id ? control_conn_find(d, conn_id) : NULL;
    char why[2048];
    if (r->install) {
        snprintf(why, sizeof why, "an %s to %s is under way", r->install->down ? "downgrade" : "upgrade",
                 r->install->plan->to_version);
        if (c)
            control_send_end(c, CTL_ST_REFUSED, "%s", why);
        return;
    }
    struct install *in = calloc(1, sizeof *in);
    if (!in) {
        if (c)
            control_send_end(c, CTL_ST_INTERNAL, "out of memory");
        return;
    }
    *in = (struct install){.d = d, .conn_id = conn_id, .down = down, .started_ms = daemon_now_ms()};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    in->swap_window = cpus > 0 ? 2 * (unsigned)cpus : 2;
    int e = release_make_plan(d, version, down, &in->target, &in->plan, why, sizeof why);
    if (e < 0) {
        free(in);
        release_log(LOG_ERR, down ? "release_downgrade_failed" : "release_upgrade_failed", why, version, why);
        if (c)
            control_send_end(c, e == -ENOENT ? CTL_ST_NOT_FOUND : CTL_ST_REFUSED, "%s", why);
        return;
    }
    r->install = in;
    if (c) {
        char line[512], steps[16];
        snprintf(steps, sizeof steps, "%zu", in->plan->n_steps);
        struct nines_field f[] = {{"phase", "begin"}, {"release", in->plan->release},
                                  {"from", in->plan->from_version}, {"to", in->plan->to_version}, {"steps", steps}};
        size_t len = nines_logfmt_record(line, sizeof line, f, 5);
        control_send_data(c, line, len < sizeof line ? len : sizeof line - 1);
    }
    log_end(in, LOG_NOTICE, down ? "release_downgrade_started" : "release_upgrade_started",
            down ? "release downgrade started" : "release upgrade started", NULL);
    carry_out(in, relup_run_begin(&in->run, in->plan));
}
