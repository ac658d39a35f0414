/*
 * reload.c — see reload.h. The difference between the running file and
 * the new one is the pure planner's (engine_tree_diff.h); this file loads
 * and checks the new file, asks the engine for each op in turn and, when
 * one fails, for the undo of each op done, latest first.
 */
#include "reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "control.h"
#include "engine_tree_diff.h"
#include "fd_budget.h"
#include "fd_room.h"
#include "log.h"
#include "preflight.h"

struct reload {
    uint64_t conn_id;
    struct nines_tree *tree; /* the new file */
    struct engine_diff diff;
    size_t next;    /* the op to ask next (going up) */
    size_t done;    /* ops carried out */
    bool undoing;   /* going down: undoing ops [0, done) */
    bool restart_pending; /* the last op done is a change that did not start */
    bool restart_after;   /* the undo awaited is that change's: restart the child after */
    uint64_t req_id; /* the engine request awaited, 0 when none */
    char failure[1200];
    char summary[1000]; /* "add web/n, change web/y" */
};

static void answer(struct daemon *d, uint64_t conn_id, enum ctl_status st, const char *msg) {
    struct control_conn *c = conn_id ? control_conn_find(d, conn_id) : NULL;
    if (c)
        control_send_end(c, st, "%s", msg);
}

static void refuse(struct daemon *d, uint64_t conn_id, enum ctl_status st, const char *msg) {
    struct nines_field f[] = {{"file", d->tree->path}};
    nines_log_event(LOG_ERR, "reload_refused", msg, f, 1);
    answer(d, conn_id, st, msg);
}

/* The ops done (and the undo) are asked of the engine with the child's
 * or supervisor's node as it is now, and its uid: asked from an engine
 * reply, the request waits behind events queued before it, after which
 * the number may name another node (engine_reclaim.c). */
static bool build_request(struct daemon *d, const struct engine_diff_op *op, struct engine_request *req,
                          bool *skip) {
    char path[1024];
    engine_diff_path(op, path, sizeof path);
    bool on_sup = op->kind == ENGINE_DIFF_ADD || op->kind == ENGINE_DIFF_FLAGS;
    engine_node n = engine_find(d->engine, on_sup ? op->supervisor : path);
    *skip = false;
    *req = (struct engine_request){.node = n, .uid = engine_node_uid(d->engine, n)};
    switch (op->kind) {
    case ENGINE_DIFF_REMOVE: req->kind = ENGINE_REQ_RETIRE_CHILD; break;
    case ENGINE_DIFF_CHANGE: req->kind = ENGINE_REQ_CHANGE_CHILD, req->spec = op->to; break;
    case ENGINE_DIFF_ADD: req->kind = ENGINE_REQ_START_CHILD, req->spec = op->to, req->in_init = true; break;
    case ENGINE_DIFF_FLAGS: req->kind = ENGINE_REQ_SET_FLAGS, req->flags = op->flags; break;
    }
    /* A child gone already (deleted by the operator) needs no removal,
     * nor a change: its supervisor's next start reads the file no more. */
    if (n == ENGINE_NO_NODE && (op->kind == ENGINE_DIFF_REMOVE || op->kind == ENGINE_DIFF_CHANGE))
        *skip = true;
    return n != ENGINE_NO_NODE || *skip;
}

static void log_op(const char *event, const struct engine_diff_op *op, const char *result, const char *why) {
    char path[1024];
    engine_diff_path(op, path, sizeof path);
    struct nines_field f[] = {{"kind", engine_diff_kind_name(op->kind)}, {"child", path}, {"result", result},
                              {"reason", why}};
    char msg[1200];
    snprintf(msg, sizeof msg, "%s %s: %s", engine_diff_kind_name(op->kind), path, why ? why : result);
    nines_log_event(why ? LOG_ERR : LOG_NOTICE, event, msg, f, why ? 4 : 3);
}

static void step(struct daemon *d);

static const char *op_path(const struct engine_diff_op *op, char *buf, size_t size) {
    engine_diff_path(op, buf, size);
    return buf;
}

static void finish(struct daemon *d) {
    struct reload *r = d->reload;
    d->reload = NULL;
    struct nines_field f[] = {{"file", d->tree->path}};
    if (!r->failure[0]) {
        struct nines_tree **v = realloc(d->old_trees, (d->n_old_trees + 1) * sizeof *v);
        if (v) { /* the running nodes still point into the old file's specs */
            d->old_trees = v;
            v[d->n_old_trees++] = d->tree;
            d->tree = r->tree;
            r->tree = NULL;
            d->budget_tree_need = fd_budget_children_need(d->tree);
        }
        char msg[1200];
        snprintf(msg, sizeof msg, "reloaded %s: %s", d->tree->path, r->summary);
        nines_log_event(LOG_NOTICE, "reloaded", msg, f, 1);
        answer(d, r->conn_id, CTL_ST_OK, msg);
    } else {
        char msg[1400];
        snprintf(msg, sizeof msg, "reload of %s failed, every change undone: %s", d->tree->path, r->failure);
        nines_log_event(LOG_ERR, "reload_failed", msg, f, 1);
        answer(d, r->conn_id, CTL_ST_FAILED, msg);
    }
    nines_tree_free(r->tree);
    engine_diff_free(&r->diff);
    free(r);
}

static void fail(struct reload *r, const struct engine_diff_op *op, const char *why) {
    char path[1024];
    engine_diff_path(op, path, sizeof path);
    int n = snprintf(r->failure, sizeof r->failure, "%s %s: %s", engine_diff_kind_name(op->kind), path, why);
    (void)n; /* cut if longer: the log line has it whole */
    r->undoing = true;
}

/* Ask for the next op, or the next undo; finish when none is left. The
 * reply comes back through reload_on_reply, maybe before ask returns. */
static void step(struct daemon *d) {
    struct reload *r = d->reload;
    while (r->req_id == 0) {
        if (!r->undoing && r->next == r->diff.n) {
            finish(d);
            return;
        }
        if (r->undoing && r->done == 0) {
            finish(d);
            return;
        }
        struct engine_diff_op op = r->undoing ? engine_diff_undo(&r->diff.v[r->done - 1]) : r->diff.v[r->next];
        struct engine_request req;
        bool skip;
        if (!build_request(d, &op, &req, &skip)) {
            const char *why = "no such supervisor in the running tree";
            log_op(r->undoing ? "reload_undone" : "reload_step", &op, "failed", why);
            if (r->undoing)
                r->done--;
            else
                fail(r, &op, why);
            continue;
        }
        if (skip) {
            log_op(r->undoing ? "reload_undone" : "reload_step", &op, "skipped", NULL);
            if (r->undoing)
                r->done--;
            else
                r->next++, r->done++;
            continue;
        }
        if (r->undoing && r->restart_pending) {
            r->restart_pending = false;
            r->restart_after = true;
        }
        req.id = r->req_id = ++d->next_request_id;
        struct engine_event ev = {.kind = ENGINE_EV_REQUEST, .request = req, .now_ms = daemon_now_ms()};
        daemon_feed(d, &ev);
        return; /* if the reply came already, reload_on_reply stepped on */
    }
}

static void add_summary(struct reload *r, const struct engine_diff_op *op) {
    char path[1024];
    engine_diff_path(op, path, sizeof path);
    size_t len = strlen(r->summary);
    int n = len + 8 < sizeof r->summary ? snprintf(r->summary + len, sizeof r->summary - len, "%s%s %s",
                                                    len ? ", " : "", engine_diff_kind_name(op->kind), path)
                                        : 0;
    if (n < 0 || len + (size_t)n >= sizeof r->summary - 1)
        memcpy(r->summary + sizeof r->summary - 5, "...", 4); /* too many to list */
}

bool reload_on_reply(struct daemon *d, const struct engine_reply *rep) {
    struct reload *r = d->reload;
    if (!r || r->req_id == 0 || rep->id != r->req_id)
        return false;
    r->req_id = 0;
    struct engine_diff_op op = r->undoing ? engine_diff_undo(&r->diff.v[r->done - 1]) : r->diff.v[r->next];
    bool gone = op.kind == ENGINE_DIFF_REMOVE && rep->result == ENGINE_REQ_NOT_FOUND;
    char why[600] = "";
    if (rep->result != ENGINE_REQ_OK && !gone) {
        char reason[400] = "";
        if (rep->result == ENGINE_REQ_START_FAILED)
            nines_reason_format(&rep->reason, reason, sizeof reason);
        snprintf(why, sizeof why, "%s%s%s", engine_request_result_name(rep->result), reason[0] ? ": " : "", reason);
    }
    log_op(r->undoing ? "reload_undone" : "reload_step", &op, why[0] ? "failed" : "ok", why[0] ? why : NULL);
    if (r->undoing)
        r->done--; /* an undo that fails is logged; the others still run */
    else if (why[0]) {
        fail(r, &op, why);
        if (op.kind == ENGINE_DIFF_CHANGE && rep->result == ENGINE_REQ_START_FAILED) {
            r->done++; /* the child has the new spec and is stopped: undone too */
            r->next++;
            r->restart_pending = true;
        }
    }
    else {
        add_summary(r, &op);
        r->next++, r->done++;
    }
    if (r->restart_after) {
        /* the undo of a change whose start failed: the child runs its old
         * spec again, as it did before the reload */
        r->restart_after = false;
        engine_node n = engine_find(d->engine, op_path(&op, why, sizeof why));
        if (rep->result == ENGINE_REQ_OK && n != ENGINE_NO_NODE && engine_node_state(d->engine, n) == ENGINE_NODE_IDLE) {
            struct engine_request req = {.kind = ENGINE_REQ_RESTART_CHILD, .node = n,
                                         .uid = engine_node_uid(d->engine, n)};
            req.id = r->req_id = ++d->next_request_id;
            r->done++; /* this reply is the restart's, for the same op */
            struct engine_event ev = {.kind = ENGINE_EV_REQUEST, .request = req, .now_ms = daemon_now_ms()};
            daemon_feed(d, &ev); /* queued: we are inside the engine's actions */
            return true;
        }
    }
    step(d); /* daemon_feed queues what it asks: the engine is busy */
    return true;
}

/* Loaded, checked and compared, or refused with nothing changed. */
static int prepare(struct daemon *d, struct reload *r, char *why, size_t size) {
    struct nines_error err = {0};
    int e = nines_tree_load(d->tree->path, &r->tree, &err);
    if (e == 0)
        e = fd_room_for_tree(d, r->tree, &err);
    if (e == 0)
        e = preflight_check(r->tree, d->worker_path, &err);
    if (e < 0) {
        nines_error_format(&err, why, size);
        return e;
    }
    char text[600];
    if ((e = engine_tree_diff(&d->tree->root, &r->tree->root, &r->diff, text, sizeof text)) < 0)
        snprintf(why, size, "%s: %s", d->tree->path, text);
    return e;
}

void reload_request(struct daemon *d, uint64_t conn_id, const char *origin) {
    if (d->releases) {
        refuse(d, conn_id, CTL_ST_REFUSED,
               "ninesd runs releases: the tree changes with a release upgrade (ninesctl upgrade VERSION)");
        return;
    }
    if (d->reload) {
        refuse(d, conn_id, CTL_ST_REFUSED, "a reload is under way");
        return;
    }
    struct reload *r = calloc(1, sizeof *r);
    if (!r) {
        answer(d, conn_id, CTL_ST_INTERNAL, "out of memory");
        return;
    }
    r->conn_id = conn_id;
    char why[5000], msg[5100];
    int e = prepare(d, r, why, sizeof why);
    if (e < 0) {
        snprintf(msg, sizeof msg, "reload refused, nothing changed: %s", why);
        refuse(d, conn_id, e == -ENOMEM ? CTL_ST_INTERNAL : CTL_ST_REFUSED, msg);
        nines_tree_free(r->tree);
        free(r);
        return;
    }
    struct nines_field f[] = {{"file", d->tree->path}, {"origin", origin}};
    snprintf(msg, sizeof msg, "reloading %s (%zu changes)", d->tree->path, r->diff.n);
    nines_log_event(LOG_NOTICE, "reloading", msg, f, 2);
    if (r->diff.n == 0) {
        snprintf(msg, sizeof msg, "reloaded %s: nothing to change", d->tree->path);
        answer(d, conn_id, CTL_ST_OK, msg);
        nines_tree_free(r->tree);
        free(r);
        return;
    }
    d->reload = r;
    step(d);
}

void reload_free(struct daemon *d) {
    if (d->reload) {
        nines_tree_free(d->reload->tree);
        engine_diff_free(&d->reload->diff);
        free(d->reload);
        d->reload = NULL;
    }
    for (size_t i = 0; i < d->n_old_trees; i++)
        nines_tree_free(d->old_trees[i]);
    free(d->old_trees);
    d->old_trees = NULL, d->n_old_trees = 0;
}
