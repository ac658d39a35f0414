/*
 * upgrade_all.c — `ninesctl upgrade SUPERVISOR --module PATH` on a
 * dynamic supervisor: every running child of its template swapped to PATH
 * one after the other, as OTP's release handler upgrades the children of
 * a simple_one_for_one supervisor; if one fails, those already swapped go
 * back to the module each ran, latest first, so that the supervisor's
 * children all run one version. Children started later run PATH
 * (upgrade_set_template). The order is the pure upgrade_all_run.h; this
 * file carries the swaps out (each is an ordinary live upgrade,
 * upgrade_request_for) and tells the operator about each child as it
 * ends: `phase=child` (a swap) and `phase=undo` (a swap back) records with
 * n, of, child, from, to, result, pause_us and reason.
 *
 * The job runs over many turns of the loop, and the number of a child
 * that is gone for good (terminated: a dynamic child is) names the next
 * child started (engine_reclaim.c): each child and the supervisor are
 * kept with their uid (engine_node_uid), and one whose number names
 * another node by now is gone: nothing to swap, nor to send back, and
 * the new node in its number is a child like any other.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "upgrade_all_run.h"
#include "upgrade_internal.h"

/* A child to swap, as it was when listed. */
struct swap_child {
    engine_node node;
    uint64_t uid;      /* gone once its number names another (engine_node_is) */
    char *path;        /* for the records, gone or not */
    char *old_module;  /* what it ran before its swap */
    char old_version[64];
};

struct upgrade_all {
    struct upgrade_all *next;
    struct daemon *d;
    engine_node sup;
    uint64_t sup_uid;
    char *sup_path;
    uint64_t conn_id, started_ms, max_pause_us;
    char *module, *extra;
    struct swap_child *kids; /* in the order swapped */
    size_t n, cap;
    struct upgrade_all_run run;
    size_t current;         /* the child whose swap (or swap back) runs */
    bool busy, has_result, result_ok;
    const char *note;       /* said of a successful swap back, or NULL */
    char crashed[400];      /* a swapped child's crash, or "" */
    char failure[1200];     /* why the child that failed did */
    char to_version[64];    /* the new version, from the first swap */
};

static struct upgrade_all **jobs_of(struct daemon *d) {
    struct upgrades *u = state_of(d);
    return u ? &u->alls : NULL;
}

static void job_free(struct upgrade_all *j) {
    for (size_t i = 0; i < j->n; i++)
        free(j->kids[i].old_module), free(j->kids[i].path);
    free(j->kids);
    free(j->sup_path);
    free(j->module);
    free(j->extra);
    free(j);
}

static void job_unlink(struct upgrade_all *j) {
    struct upgrade_all **link = jobs_of(j->d);
    while (link && *link && *link != j)
        link = &(*link)->next;
    if (link && *link)
        *link = j->next;
}

/* Child i is still the node it was listed as, and not removed (a
 * dynamic child that is never comes back; its number is freed next). */
static bool still_there(const struct upgrade_all *j, size_t i) {
    const struct engine *e = j->d->engine;
    return engine_node_is(e, j->kids[i].node, j->kids[i].uid) &&
           engine_node_state(e, j->kids[i].node) != ENGINE_NODE_REMOVED;
}

static bool sup_still_there(const struct upgrade_all *j) {
    return engine_node_is(j->d->engine, j->sup, j->sup_uid);
}

static bool listed(const struct upgrade_all *j, engine_node n) {
    for (size_t i = 0; i < j->n; i++)
        if (j->kids[i].node == n && still_there(j, i))
            return true;
    return false;
}

static int add_child(struct upgrade_all *j, engine_node n) {
    if (j->n == j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 16;
        struct swap_child *v = realloc(j->kids, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        j->kids = v, j->cap = cap;
    }
    const char *now = daemon_module_of(j->d, n);
    struct swap_child *k = &j->kids[j->n];
    *k = (struct swap_child){.node = n, .uid = engine_node_uid(j->d->engine, n),
                             .path = strdup(engine_node_path(j->d->engine, n)), .old_module = strdup(now ? now : "")};
    if (!k->path || !k->old_module) {
        free(k->path), free(k->old_module);
        return -ENOMEM;
    }
    snprintf(k->old_version, sizeof k->old_version, "%s", j->d->nodes[n].version);
    j->n++;
    return 0;
}

/* The running children not yet on the module nor listed: appended. The
 * number added, or -ENOMEM. */
static long collect(struct upgrade_all *j) {
    struct daemon *d = j->d;
    size_t count = 0, before = j->n;
    const engine_node *kids = sup_still_there(j) ? engine_node_children(d->engine, j->sup, &count) : NULL;
    engine_node *copy = malloc((count ? count : 1) * sizeof *copy);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, kids, count * sizeof *copy);
    for (size_t i = 0; i < count; i++) {
        engine_node n = copy[i];
        const struct nines_child_spec *spec = engine_node_spec(d->engine, n);
        const char *now = daemon_module_of(d, n);
        if (!spec || spec->kind != NINES_CHILD_MODULE || engine_node_state(d->engine, n) != ENGINE_NODE_RUNNING ||
            n >= d->n_nodes || listed(j, n) || (now && strcmp(now, j->module) == 0))
            continue;
        if (add_child(j, n) < 0) {
            free(copy);
            return -ENOMEM;
        }
    }
    free(copy);
    return (long)(j->n - before);
}

/* One record per child as its swap (or swap back) ends. */
static void send_child(struct upgrade_all *j, bool back, bool ok, uint64_t pause_us, const char *why) {
    struct control_conn *c = control_conn_find(j->d, j->conn_id);
    if (!c)
        return;
    size_t i = j->current;
    engine_node node = j->kids[i].node;
    bool there = still_there(j, i);
    char n[16], of[16], pause[24], line[2400];
    snprintf(n, sizeof n, "%zu", i + 1);
    snprintf(of, sizeof of, "%zu", j->n);
    snprintf(pause, sizeof pause, "%" PRIu64, pause_us);
    const char *now = there && node < j->d->n_nodes ? j->d->nodes[node].version : "";
    const char *from = back ? (ok ? j->to_version : now) : j->kids[i].old_version;
    const char *to = back ? j->kids[i].old_version : (ok ? now : j->to_version);
    struct nines_field f[] = {
        {"phase", back ? "undo" : "child"}, {"n", n}, {"of", of},
        {"child", j->kids[i].path}, {"from", from}, {"to", to[0] ? to : NULL},
        {"result", ok ? "ok" : "failed"}, {"pause_us", pause}, {"reason", why},
    };
    size_t len = nines_logfmt_record(line, sizeof line, f, sizeof f / sizeof f[0]);
    control_send_data(c, line, len < sizeof line ? len : sizeof line - 1);
}

static void log_end(struct upgrade_all *j, int prio, const char *event, const char *msg, const char *why) {
    char kids[16], ms[24], pause[24];
    snprintf(kids, sizeof kids, "%zu", j->n);
    snprintf(ms, sizeof ms, "%" PRIu64, daemon_now_ms() - j->started_ms);
    snprintf(pause, sizeof pause, "%" PRIu64, j->max_pause_us);
    struct nines_field f[] = {{"supervisor", j->sup_path}, {"module", j->module},
                              {"children", kids}, {"ms", ms}, {"max_pause_us", pause}, {"reason", why}};
    nines_log_event(prio, event, msg, f, sizeof f / sizeof f[0]);
}

/* Every child of the supervisor that is not running starts on the module. */
static int settle_the_rest(struct upgrade_all *j) {
    struct daemon *d = j->d;
    size_t count;
    if (!sup_still_there(j))
        return 0; /* gone, with its children: its number may be another's */
    const engine_node *kids = engine_node_children(d->engine, j->sup, &count);
    for (size_t i = 0; i < count; i++)
        if (engine_node_state(d->engine, kids[i]) != ENGINE_NODE_RUNNING && upgrade_set_module(d, kids[i], j->module) < 0)
            return -ENOMEM;
    return upgrade_set_template(d, j->sup, j->module);
}

static void end_job(struct upgrade_all *j, bool ok) {
    struct daemon *d = j->d;
    const char *sup = j->sup_path;
    const char *from = j->n ? j->kids[0].old_version : "";
    char msg[2600];
    enum ctl_status st = CTL_ST_OK;
    if (ok && settle_the_rest(j) < 0)
        ok = false, snprintf(j->failure, sizeof j->failure, "out of memory");
    if (ok) {
        snprintf(msg, sizeof msg,
                 "upgraded %zu child%s of %s%s%s%s%s in %" PRIu64 " ms (longest pause %" PRIu64
                 " us); children started from now on run %s",
                 j->n, j->n == 1 ? "" : "ren", sup, j->n ? " from " : "", from, j->n ? " to " : "", j->to_version,
                 daemon_now_ms() - j->started_ms, j->max_pause_us, j->module);
        log_end(j, LOG_NOTICE, "upgrade_children_done", msg, NULL);
    } else {
        char outcome[400];
        upgrade_all_outcome(&j->run, from, j->to_version[0] ? j->to_version : j->module, outcome, sizeof outcome);
        snprintf(msg, sizeof msg, "%s; %s", j->failure, outcome);
        log_end(j, j->run.back_failed ? LOG_CRIT : LOG_ERR, "upgrade_children_failed", msg, j->failure);
        st = CTL_ST_FAILED;
    }
    struct control_conn *c = control_conn_find(d, j->conn_id);
    if (c)
        control_send_end(c, st, "%s", msg);
    job_unlink(j);
    job_free(j);
}

static void on_result(struct daemon *d, void *cookie, engine_node node, bool ok, uint64_t pause_us,
                      const char *message);

/* Carry out `nx`; false when the job ended (and is freed). */
static bool carry_out(struct upgrade_all *j, struct upgrade_all_next nx) {
    if (nx.action == UPGRADE_ALL_SUCCEEDED) {
        long more = collect(j);
        if (more < 0) {
            snprintf(j->failure, sizeof j->failure, "out of memory");
            nx = upgrade_all_abort(&j->run);
        } else if (more > 0) {
            nx = upgrade_all_extend(&j->run, (size_t)more);
        }
    }
    if (nx.action == UPGRADE_ALL_SUCCEEDED || nx.action == UPGRADE_ALL_FAILED) {
        end_job(j, nx.action == UPGRADE_ALL_SUCCEEDED);
        return false;
    }
    j->current = nx.child;
    engine_node node = j->kids[nx.child].node;
    if (!still_there(j, nx.child)) {
        /* Gone for good: it runs no code, and its number may be a new
         * child's, which is not this one to swap. */
        j->note = "gone: nothing to swap";
        on_result(j->d, j, node, true, 0, j->note);
        j->note = NULL;
        return true;
    }
    if (nx.action == UPGRADE_ALL_SWAP_BACK && engine_node_state(j->d->engine, node) != ENGINE_NODE_RUNNING) {
        /* It crashed after its swap and is being restarted: it starts on
         * the old module (its state went with the crash). */
        bool ok = remember_module(j->d, node, j->kids[nx.child].old_module) == 0;
        j->note = "not running: it starts on its old module";
        on_result(j->d, j, node, ok, 0, ok ? j->note : "out of memory");
        j->note = NULL;
        return true;
    }
    if (nx.action == UPGRADE_ALL_SWAP)
        upgrade_request_for(j->d, node, j->module, j->extra, on_result, j);
    else
        upgrade_request_for(j->d, node, j->kids[nx.child].old_module, "", on_result, j);
    return true;
}

/* What follows the result kept: a crash of a swapped child turns the
 * run into a failure. */
static struct upgrade_all_next next_after(struct upgrade_all *j) {
    struct upgrade_all_next nx = upgrade_all_done(&j->run, j->result_ok);
    if (j->crashed[0] && !j->run.undoing) {
        snprintf(j->failure, sizeof j->failure, "%s", j->crashed);
        nx = upgrade_all_abort(&j->run);
    }
    return nx;
}

/* A result may come back from inside upgrade_request_for (a child that is
 * not running): on_result keeps it, and this loop takes it, so that a long
 * run of such children does not recurse. */
static void pump(struct upgrade_all *j, struct upgrade_all_next nx) {
    j->busy = true;
    while (carry_out(j, nx)) {
        if (!j->has_result) {
            j->busy = false;
            return;
        }
        j->has_result = false;
        nx = next_after(j);
    }
}

static void on_result(struct daemon *d, void *cookie, engine_node node, bool ok, uint64_t pause_us,
                      const char *message) {
    struct upgrade_all *j = cookie;
    bool back = j->run.undoing;
    if (pause_us > j->max_pause_us)
        j->max_pause_us = pause_us;
    if (ok && !back && !j->to_version[0] && node < d->n_nodes && still_there(j, j->current))
        snprintf(j->to_version, sizeof j->to_version, "%s", d->nodes[node].version);
    if (!ok && !back)
        snprintf(j->failure, sizeof j->failure, "%s", message); /* it names the child */
    send_child(j, back, ok, pause_us, ok ? j->note : message);
    j->result_ok = ok;
    if (j->busy) {
        j->has_result = true;
        return;
    }
    pump(j, next_after(j));
}

void upgrade_all_on_crash(struct daemon *d, engine_node node, const char *why) {
    struct upgrades *u = d->upgrades;
    for (struct upgrade_all *j = u ? u->alls : NULL; j; j = j->next)
        for (size_t i = 0; !j->run.undoing && !j->crashed[0] && i < j->run.swapped; i++)
            if (j->kids[i].node == node && still_there(j, i)) /* not a new child in its number */
                snprintf(j->crashed, sizeof j->crashed, "%s crashed after its swap: %s",
                         engine_node_path(d->engine, node), why);
}

static struct upgrade_all *job_of(struct daemon *d, engine_node sup) {
    struct upgrades *u = d->upgrades;
    for (struct upgrade_all *j = u ? u->alls : NULL; j; j = j->next)
        if (j->sup == sup && sup_still_there(j))
            return j;
    return NULL;
}

void upgrade_all_request(struct daemon *d, struct control_conn *c, engine_node sup, const char *module,
                         const char *extra) {
    if (job_of(d, sup)) {
        control_send_end(c, CTL_ST_REFUSED, "an upgrade of the children of %s is under way",
                         engine_node_path(d->engine, sup));
        return;
    }
    struct upgrades *u = state_of(d);
    struct upgrade_all *j = u ? calloc(1, sizeof *j) : NULL;
    if (j)
        *j = (struct upgrade_all){.d = d, .sup = sup, .sup_uid = engine_node_uid(d->engine, sup),
                                  .sup_path = strdup(engine_node_path(d->engine, sup)),
                                  .conn_id = control_conn_id(c), .started_ms = daemon_now_ms(),
                                  .module = strdup(module), .extra = strdup(extra ? extra : "")};
    if (!j || !j->module || !j->extra || !j->sup_path || collect(j) < 0) {
        if (j)
            job_free(j);
        control_send_end(c, CTL_ST_INTERNAL, "out of memory");
        return;
    }
    j->next = u->alls, u->alls = j;
    char kids[16], line[1400];
    snprintf(kids, sizeof kids, "%zu", j->n);
    struct nines_field f[] = {{"phase", "begin"}, {"supervisor", engine_node_path(d->engine, sup)},
                              {"children", kids}, {"module", module}};
    size_t len = nines_logfmt_record(line, sizeof line, f, 4);
    control_send_data(c, line, len < sizeof line ? len : sizeof line - 1);
    log_end(j, LOG_NOTICE, "upgrade_children_started", "upgrade of a dynamic supervisor's children started", NULL);
    pump(j, upgrade_all_begin(&j->run, j->n));
}

void upgrade_all_free_all(struct daemon *d) {
    struct upgrades *u = d->upgrades;
    while (u && u->alls) {
        struct upgrade_all *j = u->alls;
        u->alls = j->next;
        job_free(j);
    }
}
