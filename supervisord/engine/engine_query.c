/*
 * engine_query.c — what the engine tells the daemon about its nodes, for
 * logs and `ninesctl status`, and the names of its enums.
 */
#include <string.h>

#include "engine_internal.h"

static const struct node *cnode(const struct engine *e, engine_node n) {
    return n < e->n_nodes ? &e->nodes[n] : NULL;
}

size_t engine_node_count(const struct engine *e) {
    return e->n_nodes;
}

engine_node engine_node_parent(const struct engine *e, engine_node n) {
    const struct node *k = cnode(e, n);
    return k ? k->parent : ENGINE_NO_NODE;
}

const char *engine_node_path(const struct engine *e, engine_node n) {
    const struct node *k = cnode(e, n);
    return k && k->path ? k->path : "?";
}

const struct nines_child_spec *engine_node_spec(const struct engine *e, engine_node n) {
    const struct node *k = cnode(e, n);
    return k ? k->spec : NULL;
}

bool engine_node_is_supervisor(const struct engine *e, engine_node n) {
    const struct node *k = cnode(e, n);
    return k && k->sup;
}

bool engine_sup_flags(const struct engine *e, engine_node n, struct engine_sup_flags *out) {
    const struct node *k = cnode(e, n);
    if (!k || !k->sup)
        return false;
    *out = k->sup->flags;
    return true;
}

enum engine_node_state engine_node_state(const struct engine *e, engine_node n) {
    const struct node *k = cnode(e, n);
    return k ? k->state : ENGINE_NODE_IDLE;
}

uint64_t engine_node_gen(const struct engine *e, engine_node n) {
    const struct node *k = cnode(e, n);
    return k ? k->gen : 0;
}

uint64_t engine_node_uid(const struct engine *e, engine_node n) {
    const struct node *k = cnode(e, n);
    return k ? k->uid : 0;
}

unsigned engine_node_restarts(const struct engine *e, engine_node n) {
    const struct node *k = cnode(e, n);
    return k ? k->restarts : 0;
}

/* OTP's window as add_restart keeps it: restarts at or after now - period. */
unsigned engine_sup_window_restarts(const struct engine *e, engine_node n, uint64_t now_ms) {
    const struct node *k = cnode(e, n);
    if (!k || !k->sup)
        return 0;
    const struct sup *sp = k->sup;
    unsigned count = 0;
    for (size_t i = 0; i < sp->n_restarts; i++)
        count += sp->restarts[i] + sp->flags.period_ms >= now_ms;
    return count;
}

/* "web/listener" (a leading "/" is accepted); "/" or "" is the root. */
engine_node engine_find(const struct engine *e, const char *path) {
    if (!path)
        return ENGINE_NO_NODE;
    if (path[0] == '/' && path[1] != '\0')
        path++;
    if (path[0] == '\0')
        return ENGINE_ROOT;
    /* A removed node keeps its path; only a reachable one is the child
     * that path names now (its id may have been reused). */
    return eng_index_find(e, path);
}

/* Answered in e->scratch (as long as the node table): the struct is
 * const to callers, but the array it points to is the engine's to reuse. */
const engine_node *engine_node_children(const struct engine *e, engine_node sup, size_t *n) {
    const struct node *k = cnode(e, sup);
    *n = 0;
    if (!k || !k->sup)
        return NULL;
    for (size_t i = 0; i < k->sup->n_kids; i++) {
        engine_node c = k->sup->kids[i];
        if (e->nodes[c].state != ENGINE_NODE_REMOVED)
            e->scratch[(*n)++] = c;
    }
    return e->scratch;
}

const engine_node *engine_node_kids(const struct engine *e, engine_node sup, size_t *n) {
    const struct node *k = cnode(e, sup);
    *n = k && k->sup ? k->sup->n_kids : 0;
    return *n ? k->sup->kids : NULL;
}

uint64_t engine_max_uid(const struct engine *e) {
    return e->last_uid;
}

const char *engine_request_result_name(enum engine_request_result r) {
    switch (r) {
    case ENGINE_REQ_OK:
        return "ok";
    case ENGINE_REQ_NOT_FOUND:
        return "not_found";
    case ENGINE_REQ_RUNNING:
        return "running";
    case ENGINE_REQ_RESTARTING:
        return "restarting";
    case ENGINE_REQ_ALREADY_PRESENT:
        return "already_present";
    case ENGINE_REQ_ALREADY_STARTED:
        return "already_started";
    case ENGINE_REQ_NOT_A_SUPERVISOR:
        return "not_a_supervisor";
    case ENGINE_REQ_DYNAMIC:
        return "simple_one_for_one"; /* OTP's word for it */
    case ENGINE_REQ_NOT_DYNAMIC:
        return "not_dynamic";
    case ENGINE_REQ_MAX_CHILDREN:
        return "max_children";
    case ENGINE_REQ_START_FAILED:
        return "start_failed";
    case ENGINE_REQ_SHUTTING_DOWN:
        return "shutting_down";
    case ENGINE_REQ_ROOT:
        return "root";
    case ENGINE_REQ_UNSUPPORTED:
        return "unsupported";
    }
    return "unknown";
}

const char *engine_report_name(enum engine_report_kind k) {
    switch (k) {
    case ENGINE_REPORT_CHILD_STARTED:
        return "child_started";
    case ENGINE_REPORT_CHILD_TERMINATED:
        return "child_terminated";
    case ENGINE_REPORT_START_ERROR:
        return "start_error";
    case ENGINE_REPORT_SHUTDOWN_ERROR:
        return "shutdown_error";
    case ENGINE_REPORT_SHUTDOWN:
        return "shutdown";
    case ENGINE_REPORT_CHILD_STOPPED:
        return "child_stopped";
    }
    return "unknown";
}

const char *engine_followup_name(enum engine_followup f) {
    switch (f) {
    case ENGINE_FOLLOWUP_NONE:
        return "none";
    case ENGINE_FOLLOWUP_REMOVE:
        return "remove";
    case ENGINE_FOLLOWUP_RESTART:
        return "restart";
    case ENGINE_FOLLOWUP_RESTART_ALL:
        return "restart_all";
    case ENGINE_FOLLOWUP_RESTART_REST:
        return "restart_rest";
    case ENGINE_FOLLOWUP_GIVE_UP:
        return "give_up";
    case ENGINE_FOLLOWUP_IGNORED:
        return "ignored";
    }
    return "unknown";
}

const char *engine_node_state_name(enum engine_node_state s) {
    switch (s) {
    case ENGINE_NODE_IDLE:
        return "idle";
    case ENGINE_NODE_STARTING:
        return "starting";
    case ENGINE_NODE_RUNNING:
        return "running";
    case ENGINE_NODE_STOPPING:
        return "stopping";
    case ENGINE_NODE_REMOVED:
        return "removed";
    }
    return "unknown";
}
