/*
 * engine_fixture.h — helpers shared by the engine's unit tests: trees
 * built in memory, events fed by path, and the actions each event yields
 * rendered as one line that a test compares whole, so that every kind,
 * node, gen and order is checked at once:
 *
 *   spawn a#1            stop a#1          kill a#1
 *   arm a#1 5000         cancel a#1        tree_up
 *   tree_down 1 (REASON)
 *   started a            stopped a (REASON)
 *   terminated a (REASON) FOLLOWUP
 *   start_error a (REASON)     shutdown_error a (REASON)
 *   shutdown sub (REASON)      (a supervisor gives up; "/" is the root)
 *   reply 7 ok a               (the answer to request 7, about child a;
 *   reply 8 start_failed - (REASON)   "-" when it names no child)
 *   added sub/x                (a node created at run time)
 *   backoff a#1 400            (a's restart waits 400 ms: ENGINE_ACT_BACKOFF)
 *   terminated a (REASON) restart +400ms   (a report whose restart waits)
 *
 * ENGINE_ACT_NODE_FREED is not rendered (it comes at the start of the
 * call after a removal, in every test that removes a run-time child): it
 * is counted in `freed`, and engine_reclaim's tests check it.
 *
 * Items are separated by "; ". Rendering also checks that every report
 * names the right supervisor (the child's parent, or itself for shutdown)
 * and the child's current gen.
 */
#ifndef NINES_ENGINE_FIXTURE_H
#define NINES_ENGINE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

/* ---- specs in memory ---------------------------------------------------- */

static inline struct nines_child_spec wk(const char *id, enum nines_restart restart,
                                         struct nines_shutdown shutdown) {
    return (struct nines_child_spec){.id = (char *)id, .kind = NINES_CHILD_MODULE,
                                     .restart = restart, .shutdown = shutdown,
                                     .module = (char *)"/apps/x.so"};
}

/* The common case: permanent, 5 s grace. */
static inline struct nines_child_spec w(const char *id) {
    return wk(id, NINES_PERMANENT, (struct nines_shutdown){NINES_SHUTDOWN_TIMEOUT, 5000});
}

static inline struct nines_child_spec wr(const char *id, enum nines_restart restart) {
    return wk(id, restart, (struct nines_shutdown){NINES_SHUTDOWN_TIMEOUT, 5000});
}

static inline struct nines_child_spec sv(const char *id, enum nines_restart restart,
                                         struct nines_sup_spec *sup) {
    return (struct nines_child_spec){.id = (char *)id, .kind = NINES_CHILD_SUPERVISOR,
                                     .restart = restart,
                                     .shutdown = {NINES_SHUTDOWN_INFINITY, 0}, .supervisor = sup};
}

static inline struct nines_sup_spec sup(enum nines_strategy st, unsigned intensity,
                                        uint64_t period_ms, struct nines_child_spec *kids, size_t n) {
    return (struct nines_sup_spec){.strategy = st, .intensity = intensity, .period_ms = period_ms,
                                   .children = kids, .n_children = n};
}

#define NKIDS(a) (sizeof(a) / sizeof((a)[0]))

static const struct nines_shutdown BRUTAL = {NINES_SHUTDOWN_BRUTAL_KILL, 0};
static const struct nines_shutdown INFINITE = {NINES_SHUTDOWN_INFINITY, 0};

static inline struct nines_shutdown grace(uint64_t ms) {
    return (struct nines_shutdown){NINES_SHUTDOWN_TIMEOUT, ms};
}

/* ---- reasons ------------------------------------------------------------ */

static inline struct nines_reason R_NORMAL(void) {
    return nines_reason_make(NINES_REASON_NORMAL, 0, NULL);
}
static inline struct nines_reason R_SHUTDOWN(void) {
    return nines_reason_make(NINES_REASON_SHUTDOWN, 0, NULL);
}
static inline struct nines_reason R_SEGV(void) {
    return nines_reason_make(NINES_REASON_SIGNAL, SIGSEGV, NULL);
}
static inline struct nines_reason R_KILLED(void) {
    return nines_reason_make(NINES_REASON_SIGNAL, SIGKILL, NULL);
}
static inline struct nines_reason R_INIT(const char *why) {
    return nines_reason_make(NINES_REASON_INIT_FAILED, 0, why);
}

/* ---- driving the engine ------------------------------------------------- */

struct fx {
    struct engine *e;
    struct engine_actions acts;
    uint64_t now;
    char line[8192];
    uint64_t gens[64]; /* each node's gen as the actions rendered so far leave it */
    unsigned freed;    /* ENGINE_ACT_NODE_FREED seen: counted, not rendered */
};

static inline void fx_init(struct fx *f, const struct nines_sup_spec *root) {
    memset(f, 0, sizeof *f);
    f->e = engine_new(root);
    assert_non_null(f->e);
}

static inline void fx_done(struct fx *f) {
    engine_actions_free(&f->acts);
    engine_free(f->e);
}

/* The node a path names; engine_find leaves removed nodes out, so for
 * those (to check their state, or ask about them) the newest node that
 * had the path. */
static inline engine_node fx_node(struct fx *f, const char *path) {
    engine_node n = engine_find(f->e, path);
    for (size_t i = engine_node_count(f->e); n == ENGINE_NO_NODE && i-- > 0;)
        if (strcmp(engine_node_path(f->e, (engine_node)i), path) == 0)
            n = (engine_node)i;
    if (n == ENGINE_NO_NODE)
        fail_msg("no node %s", path);
    return n;
}

static inline void fx_append(struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void fx_append(struct fx *f, const char *fmt, ...) {
    size_t len = strlen(f->line);
    if (len)
        len += (size_t)snprintf(f->line + len, sizeof f->line - len, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->line + len, sizeof f->line - len, fmt, ap);
    va_end(ap);
}

static inline const char *fx_report_word(enum engine_report_kind k) {
    switch (k) {
    case ENGINE_REPORT_CHILD_STARTED:
        return "started";
    case ENGINE_REPORT_CHILD_TERMINATED:
        return "terminated";
    case ENGINE_REPORT_CHILD_STOPPED:
        return "stopped";
    default:
        return engine_report_name(k);
    }
}

static inline void fx_render_report(struct fx *f, const struct engine_report *r) {
    const char *child = engine_node_path(f->e, r->child);
    char why[300];
    nines_reason_format(&r->reason, why, sizeof why);
    if (r->kind == ENGINE_REPORT_SHUTDOWN)
        assert_int_equal(r->supervisor, r->child);
    else
        assert_int_equal(r->supervisor, engine_node_parent(f->e, r->child));
    assert_int_equal(r->gen, f->gens[r->child]);
    char wait[32] = "";
    if (r->delay_ms)
        snprintf(wait, sizeof wait, " +%llums", (unsigned long long)r->delay_ms);
    if (r->kind == ENGINE_REPORT_CHILD_STARTED)
        fx_append(f, "started %s", child);
    else if (r->kind == ENGINE_REPORT_CHILD_TERMINATED)
        fx_append(f, "terminated %s (%s) %s%s", child, why, engine_followup_name(r->followup), wait);
    else
        fx_append(f, "%s %s (%s)%s", fx_report_word(r->kind), child, why, wait);
}

static inline void fx_render_reply(struct fx *f, const struct engine_reply *r) {
    const char *child = r->node == ENGINE_NO_NODE ? "-" : engine_node_path(f->e, r->node);
    const char *name = engine_request_result_name(r->result);
    char why[300];
    if (r->result == ENGINE_REQ_START_FAILED) {
        nines_reason_format(&r->reason, why, sizeof why);
        fx_append(f, "reply %llu %s %s (%s)", (unsigned long long)r->id, name, child, why);
    } else {
        fx_append(f, "reply %llu %s %s", (unsigned long long)r->id, name, child);
    }
}

static inline void fx_render(struct fx *f, const struct engine_action *a) {
    const char *p = a->node == ENGINE_NO_NODE ? "-" : engine_node_path(f->e, a->node);
    char why[300];
    switch (a->kind) {
    case ENGINE_ACT_SPAWN:
        f->gens[a->node] = a->gen;
        fx_append(f, "spawn %s#%llu", p, (unsigned long long)a->gen);
        break;
    case ENGINE_ACT_STOP:
        fx_append(f, "stop %s#%llu", p, (unsigned long long)a->gen);
        break;
    case ENGINE_ACT_KILL:
        fx_append(f, "kill %s#%llu", p, (unsigned long long)a->gen);
        break;
    case ENGINE_ACT_TIMER_ARM:
        fx_append(f, "arm %s#%llu %llu", p, (unsigned long long)a->gen, (unsigned long long)a->ms);
        break;
    case ENGINE_ACT_TIMER_CANCEL:
        fx_append(f, "cancel %s#%llu", p, (unsigned long long)a->gen);
        break;
    case ENGINE_ACT_REPORT:
        fx_render_report(f, &a->report);
        break;
    case ENGINE_ACT_TREE_UP:
        fx_append(f, "tree_up");
        break;
    case ENGINE_ACT_TREE_DOWN:
        nines_reason_format(&a->reason, why, sizeof why);
        fx_append(f, "tree_down %d (%s)", a->exit_code, why);
        break;
    case ENGINE_ACT_REPLY:
        fx_render_reply(f, &a->reply);
        break;
    case ENGINE_ACT_BACKOFF:
        fx_append(f, "backoff %s#%llu %llu", p, (unsigned long long)a->gen, (unsigned long long)a->ms);
        break;
    case ENGINE_ACT_NODE_ADDED:
        assert_true(a->node < 64);
        f->gens[a->node] = 0;
        fx_append(f, "added %s", p);
        break;
    case ENGINE_ACT_NODE_FREED:
        assert_true(a->node < 64);
        f->gens[a->node] = 0;
        f->freed++;
        break;
    }
}

/* Feed one event; return what it led to, as one line. */
static inline const char *fx_feed_event(struct fx *f, struct engine_event ev) {
    ev.now_ms = f->now;
    engine_actions_clear(&f->acts);
    assert_true(engine_node_count(f->e) <= 64);
    for (engine_node n = 0; n < engine_node_count(f->e); n++)
        f->gens[n] = engine_node_gen(f->e, n);
    assert_int_equal(engine_handle(f->e, &ev, &f->acts), 0);
    f->line[0] = '\0';
    for (size_t i = 0; i < f->acts.n; i++)
        fx_render(f, &f->acts.v[i]);
    return f->line;
}

static inline const char *fx_feed(struct fx *f, enum engine_event_kind kind, engine_node node,
                                  uint64_t gen, struct nines_reason reason) {
    struct engine_event ev = {.kind = kind, .node = node, .gen = gen, .reason = reason};
    return fx_feed_event(f, ev);
}

/* Operator requests, by node number (any, even removed or out of range). */
static inline const char *fx_request(struct fx *f, enum engine_request_kind kind, uint64_t id,
                                     engine_node node, const struct nines_child_spec *spec,
                                     const struct nines_arg *args, size_t n_args) {
    struct engine_event ev = {.kind = ENGINE_EV_REQUEST,
                              .node = ENGINE_NO_NODE,
                              .request = {.kind = kind, .id = id, .node = node, .spec = spec,
                                          .args = args, .n_args = n_args}};
    return fx_feed_event(f, ev);
}

/* The same by path: RESTART_CHILD, TERMINATE_CHILD, DELETE_CHILD name the
 * child; START_CHILD and START_DYNAMIC the supervisor. */
static inline const char *RESTART_CHILD(struct fx *f, uint64_t id, const char *path) {
    return fx_request(f, ENGINE_REQ_RESTART_CHILD, id, fx_node(f, path), NULL, NULL, 0);
}
static inline const char *TERMINATE_CHILD(struct fx *f, uint64_t id, const char *path) {
    return fx_request(f, ENGINE_REQ_TERMINATE_CHILD, id, fx_node(f, path), NULL, NULL, 0);
}
static inline const char *DELETE_CHILD(struct fx *f, uint64_t id, const char *path) {
    return fx_request(f, ENGINE_REQ_DELETE_CHILD, id, fx_node(f, path), NULL, NULL, 0);
}
static inline const char *START_CHILD(struct fx *f, uint64_t id, const char *sup,
                                      const struct nines_child_spec *spec) {
    return fx_request(f, ENGINE_REQ_START_CHILD, id, fx_node(f, sup), spec, NULL, 0);
}
static inline const char *START_DYNAMIC(struct fx *f, uint64_t id, const char *sup,
                                        const struct nines_arg *args, size_t n_args) {
    return fx_request(f, ENGINE_REQ_START_DYNAMIC, id, fx_node(f, sup), NULL, args, n_args);
}

/* START_DYNAMIC with the child's id named (ninesctl start-child --id). */
static inline const char *START_NAMED(struct fx *f, uint64_t id, const char *sup, const char *child_id) {
    struct engine_event ev = {.kind = ENGINE_EV_REQUEST,
                              .node = ENGINE_NO_NODE,
                              .request = {.kind = ENGINE_REQ_START_DYNAMIC, .id = id, .node = fx_node(f, sup),
                                          .child_id = child_id}};
    return fx_feed_event(f, ev);
}

static inline const char *START(struct fx *f) {
    return fx_feed(f, ENGINE_EV_START, ENGINE_NO_NODE, 0, R_NORMAL());
}
static inline const char *STOP(struct fx *f) {
    return fx_feed(f, ENGINE_EV_STOP, ENGINE_NO_NODE, 0, R_NORMAL());
}
/* Worker events for the worker's current incarnation. */
static inline const char *READY(struct fx *f, const char *path) {
    engine_node n = fx_node(f, path);
    return fx_feed(f, ENGINE_EV_READY, n, engine_node_gen(f->e, n), R_NORMAL());
}
static inline const char *EXIT(struct fx *f, const char *path, struct nines_reason r) {
    engine_node n = fx_node(f, path);
    return fx_feed(f, ENGINE_EV_EXIT, n, engine_node_gen(f->e, n), r);
}
static inline const char *TIMEOUT(struct fx *f, const char *path) {
    engine_node n = fx_node(f, path);
    return fx_feed(f, ENGINE_EV_TIMEOUT, n, engine_node_gen(f->e, n), R_NORMAL());
}

/* Start the tree and answer READY to every spawn until it is up. */
static inline void fx_boot(struct fx *f) {
    const char *out = START(f);
    for (;;) {
        if (strstr(out, "tree_up"))
            return;
        const char *sp = strstr(out, "spawn ");
        assert_non_null(sp);
        char path[256];
        assert_int_equal(sscanf(sp, "spawn %255[^#]", path), 1);
        out = READY(f, path);
    }
}

static inline enum engine_node_state fx_state(struct fx *f, const char *path) {
    return engine_node_state(f->e, fx_node(f, path));
}

static inline unsigned fx_restarts(struct fx *f, const char *path) {
    return engine_node_restarts(f->e, fx_node(f, path));
}

#endif /* NINES_ENGINE_FIXTURE_H */
