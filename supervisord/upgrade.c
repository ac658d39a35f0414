/*
 * upgrade.c — see upgrade.h.
 */
#include "upgrade.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "child_proc.h"
#include "log.h"

struct upgrade_req {
    struct upgrade_req *next;
    engine_node node;
    uint64_t gen;     /* the incarnation asked to swap, once sent */
    uint64_t conn_id; /* who asked */
    char *module, *extra;
    char from[64];
    bool sent;
};

/* What a worker handed over before its code_change: enough to bring it
 * back on the old code with its state and its connections. */
struct handoff {
    struct handoff *next;
    engine_node node;
    uint64_t gen;
    struct nines_handoff_fd *table;
    int *fds;
    size_t n, cap;
    bool complete; /* HANDOFF_STATE arrived */
    struct nines_handoff_state state;
    struct nines_handoff_timer *timers;
    int memfd;
    char *old_module;    /* the module to come back on */
    uint64_t expires_ms; /* 0 while the upgrade is in flight */
    char cause[400];
};

struct upgrades {
    struct handoff *handoffs;
    sd_event_source *expiry;
    struct upgrade_req *head, *tail; /* all requests, in order */
    char **modules;                  /* by node: the module upgraded to, or NULL */
    size_t n_modules;
};

static struct upgrades *state_of(struct daemon *d) {
    if (!d->upgrades)
        d->upgrades = calloc(1, sizeof *d->upgrades);
    return d->upgrades;
}

const char *daemon_module_of(struct daemon *d, engine_node node) {
    struct upgrades *u = d->upgrades;
    if (u && node < u->n_modules && u->modules[node])
        return u->modules[node];
    const struct nines_child_spec *spec = engine_node_spec(d->engine, node);
    return spec ? spec->module : NULL;
}

static int remember_module(struct daemon *d, engine_node node, const char *module) {
    struct upgrades *u = d->upgrades;
    if (node >= u->n_modules) {
        size_t n = engine_node_count(d->engine);
        char **v = realloc(u->modules, n * sizeof *v);
        if (!v)
            return -ENOMEM;
        memset(v + u->n_modules, 0, (n - u->n_modules) * sizeof *v);
        u->modules = v, u->n_modules = n;
    }
    char *copy = strdup(module);
    if (!copy)
        return -ENOMEM;
    free(u->modules[node]);
    u->modules[node] = copy;
    return 0;
}

static void log_upgrade(int prio, const char *event, struct daemon *d, const struct upgrade_req *r,
                        const char *to, const char *why, const char *msg, const char *pause,
                        const char *bytes, const char *steps) {
    char pid[16] = "";
    if (r->node < d->n_nodes && d->nodes[r->node].pid)
        snprintf(pid, sizeof pid, "%d", (int)d->nodes[r->node].pid);
    struct nines_field f[] = {
        {"child", engine_node_path(d->engine, r->node)}, {"pid", pid[0] ? pid : NULL},
        {"from", r->from},                                 {"to", to},
        {"module", r->module},                             {"pause_us", pause},
        {"snapshot_bytes", bytes},                         {"steps_us", steps},
        {"reason", why},
    };
    nines_log_event(prio, event, msg, f, sizeof f / sizeof f[0]);
}

static void free_req(struct upgrade_req *r) {
    free(r->module);
    free(r->extra);
    free(r);
}

/* Unlink `r` from the queue (it is done). */
static void unlink_req(struct upgrades *u, struct upgrade_req *r) {
    struct upgrade_req **link = &u->head, *prev = NULL;
    while (*link && *link != r)
        prev = *link, link = &(*link)->next;
    if (!*link)
        return;
    *link = r->next;
    if (u->tail == r)
        u->tail = prev;
}

static struct upgrade_req *in_flight(struct upgrades *u, engine_node node) {
    for (struct upgrade_req *r = u ? u->head : NULL; r; r = r->next)
        if (r->node == node && r->sent)
            return r;
    return NULL;
}

static void finish(struct daemon *d, struct upgrade_req *r, enum ctl_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void start_next(struct daemon *d, engine_node node);

/* Answer the operator, drop the request, go on with the next for that child. */
static void finish(struct daemon *d, struct upgrade_req *r, enum ctl_status st, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct control_conn *c = control_conn_find(d, r->conn_id);
    if (c)
        control_send_end(c, st, "%s", msg);
    engine_node node = r->node;
    unlink_req(d->upgrades, r);
    free_req(r);
    start_next(d, node);
}

/* Send the first waiting request of `node`, if the worker runs. */
static void start_next(struct daemon *d, engine_node node) {
    struct upgrades *u = d->upgrades;
    struct upgrade_req *r = u->head;
    while (r && r->node != node)
        r = r->next;
    if (!r || r->sent)
        return;
    struct child_proc *p = node < d->n_nodes ? d->procs[node] : NULL;
    if (!p || p->channel < 0 || engine_node_state(d->engine, node) != ENGINE_NODE_RUNNING) {
        finish(d, r, CTL_ST_FAILED, "%s is not running", engine_node_path(d->engine, node));
        return;
    }
    static uint8_t buf[NINES_PROTO_MAX_PAYLOAD];
    uint64_t max = d->max_snapshot;
    int n = snprintf((char *)buf + sizeof max, sizeof buf - sizeof max, "%s%c%s", r->module, '\0', r->extra);
    memcpy(buf, &max, sizeof max);
    snprintf(r->from, sizeof r->from, "%s", d->nodes[node].version);
    r->gen = p->gen;
    r->sent = true;
    if (n < 0 || (size_t)n + 1 > sizeof buf - sizeof max ||
        nines_proto_send(p->channel, NINES_MSG_UPGRADE, 0, buf, sizeof max + (size_t)n + 1) < 0) {
        finish(d, r, CTL_ST_FAILED, "cannot reach %s", engine_node_path(d->engine, node));
        return;
    }
    log_upgrade(LOG_NOTICE, "upgrade_started", d, r, NULL, NULL, "upgrade asked", NULL, NULL, NULL);
    struct control_conn *c = control_conn_find(d, r->conn_id);
    if (c) {
        char line[1200];
        struct nines_field f[] = {{"phase", "sent"}, {"from", r->from}, {"module", r->module}};
        size_t len = nines_logfmt_record(line, sizeof line, f, 3);
        control_send_data(c, line, len < sizeof line ? len : sizeof line - 1);
    }
}

void upgrade_request(struct daemon *d, struct control_conn *c, engine_node node, const char *module,
                     const char *extra) {
    struct upgrades *u = state_of(d);
    struct upgrade_req *r = u ? calloc(1, sizeof *r) : NULL;
    if (r) {
        r->module = strdup(module);
        r->extra = strdup(extra ? extra : "");
    }
    if (!r || !r->module || !r->extra) {
        if (r)
            free_req(r);
        control_send_end(c, CTL_ST_INTERNAL, "out of memory");
        return;
    }
    r->node = node;
    r->conn_id = control_conn_id(c);
    if (u->tail)
        u->tail->next = r;
    else
        u->head = r;
    u->tail = r;
    if (!in_flight(u, node))
        start_next(d, node);
}

static void keep_for_window(struct daemon *d, engine_node node);
static void drop_handoff(struct daemon *d, engine_node node);
static void handoff_free(struct handoff *h);

static const char *stage_name(uint32_t stage) {
    switch (stage) {
    case NINES_UPGRADE_LOAD: return "load";
    case NINES_UPGRADE_CHECK: return "check";
    case NINES_UPGRADE_EXPORT: return "export_state";
    case NINES_UPGRADE_CODE_CHANGE: return "code_change";
    default: return "done";
    }
}

void upgrade_on_result(struct daemon *d, engine_node node, uint64_t gen, const struct nines_msg *m) {
    struct upgrade_req *r = in_flight(d->upgrades, node);
    struct nines_upgrade_result res;
    if (!r || r->gen != gen || m->length < sizeof res)
        return;
    memcpy(&res, m->payload, sizeof res);
    /* "FROM\0TO\0MESSAGE", each cut to what arrived. */
    const char *text = (const char *)m->payload + sizeof res, *end = (const char *)m->payload + m->length;
    char parts[3][512] = {"", "", ""};
    for (int i = 0; i < 3 && text < end; i++) {
        size_t len = strnlen(text, (size_t)(end - text));
        snprintf(parts[i], sizeof parts[i], "%.*s", (int)len, text);
        text += len + 1;
    }
    char pause[24], bytes[24], steps[128];
    snprintf(pause, sizeof pause, "%" PRIu64, res.pause_us);
    /* load/export_state/hand-off/code_change: where the pause went */
    snprintf(steps, sizeof steps, "%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64, res.load_us, res.export_us,
             res.handoff_us, res.change_us);
    snprintf(bytes, sizeof bytes, "%" PRIu64, res.snapshot_bytes);
    const char *path = engine_node_path(d->engine, node);
    if (res.status == 0) {
        snprintf(d->nodes[node].version, sizeof d->nodes[node].version, "%.63s", parts[1]);
        if (remember_module(d, node, r->module) < 0)
            log_upgrade(LOG_ERR, "upgrade_done", d, r, parts[1], "out of memory: a restart will run the tree's module",
                        "upgraded", pause, bytes, steps);
        else
            log_upgrade(LOG_NOTICE, "upgrade_done", d, r, parts[1], NULL, "upgraded", pause, bytes, steps);
        keep_for_window(d, node);
        finish(d, r, CTL_ST_OK, "upgraded %s from %s to %s (paused %s us, state %s bytes)", path, parts[0],
               parts[1], pause, bytes);
        return;
    }
    drop_handoff(d, node); /* the old code goes on: nothing to come back to */
    char why[700];
    snprintf(why, sizeof why, "%s: %s", stage_name(res.stage), parts[2]);
    log_upgrade(LOG_ERR, "upgrade_failed", d, r, parts[1][0] ? parts[1] : NULL, why,
                "upgrade failed; the running version goes on", pause, NULL, NULL);
    finish(d, r, CTL_ST_FAILED, "%s stays on %s: %s", path, parts[0], why);
}

void upgrade_free(struct daemon *d) {
    struct upgrades *u = d->upgrades;
    if (!u)
        return;
    while (u->head) {
        struct upgrade_req *r = u->head;
        u->head = r->next;
        free_req(r);
    }
    while (u->handoffs) {
        struct handoff *h = u->handoffs;
        u->handoffs = h->next;
        handoff_free(h);
    }
    sd_event_source_disable_unref(u->expiry);
    for (size_t i = 0; i < u->n_modules; i++)
        free(u->modules[i]);
    free(u->modules);
    free(u);
    d->upgrades = NULL;
}

/* --- hand-offs and rollback -------------------------------------------------- */

static void handoff_free(struct handoff *h) {
    for (size_t i = 0; i < h->n; i++)
        close(h->fds[i]);
    if (h->memfd >= 0)
        close(h->memfd);
    free(h->table);
    free(h->fds);
    free(h->timers);
    free(h->old_module);
    free(h);
}

static struct handoff **find_handoff(struct upgrades *u, engine_node node) {
    struct handoff **link = &u->handoffs;
    while (*link && (*link)->node != node)
        link = &(*link)->next;
    return link;
}

static void drop_handoff(struct daemon *d, engine_node node) {
    struct upgrades *u = d->upgrades;
    struct handoff **link = u ? find_handoff(u, node) : NULL;
    if (link && *link) {
        struct handoff *h = *link;
        *link = h->next;
        handoff_free(h);
    }
}

/* The hand-off of node/gen being received (a new one replaces an older). */
static struct handoff *receiving(struct daemon *d, engine_node node, uint64_t gen) {
    struct upgrades *u = state_of(d);
    struct handoff **link = find_handoff(u, node);
    if (*link && ((*link)->gen != gen || (*link)->complete))
        drop_handoff(d, node), link = find_handoff(u, node);
    if (!*link) {
        struct handoff *h = calloc(1, sizeof *h);
        const char *module = daemon_module_of(d, node);
        if (!h || !(h->old_module = strdup(module ? module : ""))) {
            free(h);
            return NULL;
        }
        h->node = node, h->gen = gen, h->memfd = -1;
        *link = h;
    }
    return *link;
}

static int add_fds(struct handoff *h, const struct nines_handoff_fd *table, const int *fds, size_t n) {
    if (n == 0)
        return 0;
    if (h->n + n > h->cap) {
        size_t cap = (h->n + n) * 2;
        struct nines_handoff_fd *t = realloc(h->table, cap * sizeof *t);
        if (t)
            h->table = t;
        int *f = realloc(h->fds, cap * sizeof *f);
        if (f)
            h->fds = f;
        if (!t || !f)
            return -ENOMEM;
        h->cap = cap;
    }
    memcpy(h->table + h->n, table, n * sizeof *table);
    memcpy(h->fds + h->n, fds, n * sizeof *fds);
    h->n += n;
    return 0;
}

static int set_state(struct handoff *h, const struct nines_msg *m, int *fds, size_t n_fds) {
    if (m->length < sizeof h->state)
        return -EBADMSG;
    memcpy(&h->state, m->payload, sizeof h->state);
    size_t timers = (m->length - sizeof h->state) / sizeof(struct nines_handoff_timer);
    if (timers != h->state.n_timers || h->state.n_fds != h->n || n_fds != (h->state.snapshot_len ? 1u : 0u))
        return -EBADMSG;
    if (timers && !(h->timers = malloc(timers * sizeof *h->timers)))
        return -ENOMEM;
    if (timers)
        memcpy(h->timers, m->payload + sizeof h->state, timers * sizeof *h->timers);
    h->memfd = n_fds ? fds[0] : -1;
    h->complete = true;
    return 0;
}

void upgrade_on_handoff(struct daemon *d, engine_node node, uint64_t gen, const struct nines_msg *m, int *fds,
                        size_t n_fds) {
    struct handoff *h = receiving(d, node, gen);
    int r = -ENOMEM;
    if (h && m->type == NINES_MSG_HANDOFF_FDS)
        r = m->length == n_fds * sizeof(struct nines_handoff_fd)
                ? add_fds(h, (const struct nines_handoff_fd *)(const void *)m->payload, fds, n_fds)
                : -EBADMSG;
    else if (h)
        r = set_state(h, m, fds, n_fds);
    if (r == 0)
        return;
    for (size_t i = 0; i < n_fds; i++)
        close(fds[i]);
    drop_handoff(d, node); /* a broken hand-off is no safety net */
}

/* Hand-offs whose window has passed are let go: the new code has run its
 * first moments; a later crash is an ordinary one. */
static int on_expiry(sd_event_source *s, uint64_t usec, void *userdata) {
    struct daemon *d = userdata;
    struct upgrades *u = d->upgrades;
    uint64_t now = daemon_now_ms(), next = 0;
    for (struct handoff **link = &u->handoffs; *link;) {
        struct handoff *h = *link;
        if (h->expires_ms && h->expires_ms <= now) {
            *link = h->next;
            handoff_free(h);
            continue;
        }
        if (h->expires_ms && (!next || h->expires_ms < next))
            next = h->expires_ms;
        link = &h->next;
    }
    if (next) {
        sd_event_source_set_time(s, next * 1000);
        sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
    }
    return 0;
}

static void keep_for_window(struct daemon *d, engine_node node) {
    struct upgrades *u = d->upgrades;
    struct handoff *h = *find_handoff(u, node);
    if (!h)
        return;
    h->expires_ms = daemon_now_ms() + UPGRADE_ROLLBACK_WINDOW_MS;
    uint64_t at = h->expires_ms * 1000;
    if (!u->expiry && sd_event_add_time(d->loop, &u->expiry, CLOCK_MONOTONIC, at, 1000, on_expiry, d) < 0) {
        drop_handoff(d, node);
        return;
    }
    uint64_t armed = 0;
    int enabled = 0;
    sd_event_source_get_enabled(u->expiry, &enabled);
    sd_event_source_get_time(u->expiry, &armed);
    if (!enabled || armed > at) {
        sd_event_source_set_time(u->expiry, at);
        sd_event_source_set_enabled(u->expiry, SD_EVENT_ONESHOT);
    }
}

/* Send the hand-off to the restored worker, in the order it came. Our
 * descriptors go with it (closed here once sent). */
static int send_handoff(struct child_proc *p, struct handoff *h) {
    int r = 0;
    for (size_t at = 0; at < h->n && r == 0; at += NINES_HANDOFF_FDS_MAX) {
        size_t n = h->n - at < NINES_HANDOFF_FDS_MAX ? h->n - at : NINES_HANDOFF_FDS_MAX;
        r = nines_proto_send_fds(p->channel, NINES_MSG_HANDOFF_FDS, 0, h->table + at, n * sizeof *h->table,
                                 h->fds + at, n);
    }
    static uint8_t buf[NINES_PROTO_MAX_PAYLOAD];
    size_t len = sizeof h->state + h->state.n_timers * sizeof *h->timers;
    if (r == 0 && len > sizeof buf)
        r = -E2BIG;
    if (r == 0) {
        memcpy(buf, &h->state, sizeof h->state);
        if (h->state.n_timers)
            memcpy(buf + sizeof h->state, h->timers, h->state.n_timers * sizeof *h->timers);
        r = nines_proto_send_fds(p->channel, NINES_MSG_HANDOFF_STATE, 0, buf, len, &h->memfd,
                                 h->memfd >= 0 ? 1 : 0);
    }
    return r;
}

static void log_rollback(struct daemon *d, engine_node node, const struct handoff *h, const char *cause,
                         const char *msg, int prio) {
    char pid[16] = "";
    if (d->nodes[node].pid)
        snprintf(pid, sizeof pid, "%d", (int)d->nodes[node].pid);
    struct nines_field f[] = {
        {"child", engine_node_path(d->engine, node)}, {"pid", pid[0] ? pid : NULL},
        {"to", h->state.version},                      {"module", h->old_module},
        {"reason", cause},
    };
    nines_log_event(prio, "upgrade_rolled_back", msg, f, sizeof f / sizeof f[0]);
}

/* Start the worker again on the old code, from the hand-off. */
static bool roll_back(struct daemon *d, engine_node node, uint64_t gen, struct handoff *h, const char *cause) {
    if (remember_module(d, node, h->old_module) < 0)
        return false;
    struct child_proc *p = NULL;
    if (child_proc_spawn(d, node, gen, true, &p) < 0)
        return false;
    if (send_handoff(p, h) < 0) {
        child_proc_kill(p); /* its exit is then an ordinary failure */
        d->procs[node] = p;
        return true;
    }
    d->procs[node] = p;
    d->nodes[node].pid = p->pid;
    snprintf(h->cause, sizeof h->cause, "%s", cause);
    log_rollback(d, node, h, cause, "the new code failed: back on the old code with its state", LOG_ERR);
    return true;
}

bool upgrade_on_exit(struct daemon *d, engine_node node, uint64_t gen, const struct nines_reason *why,
                     bool may_roll_back) {
    struct upgrades *u = d->upgrades;
    struct upgrade_req *r = in_flight(u, node);
    struct handoff *h = u ? *find_handoff(u, node) : NULL;
    char text[300], cause[400];
    nines_reason_format(why, text, sizeof text);
    bool usable = h && h->gen == gen && h->complete && may_roll_back &&
                  (!h->expires_ms || h->expires_ms > daemon_now_ms());
    snprintf(cause, sizeof cause, "%s %s: %s", r && r->gen == gen ? "during" : "just after",
             "the upgrade, the worker ended", text);
    bool rolled = usable && roll_back(d, node, gen, h, cause);
    if (!rolled && h && h->gen == gen)
        drop_handoff(d, node);
    if (r && r->gen == gen) {
        log_upgrade(LOG_ERR, "upgrade_failed", d, r, NULL, cause,
                    rolled ? "upgrade failed; rolled back to the old code with its state"
                           : "upgrade failed; the supervisor restarts the worker", NULL, NULL, NULL);
        finish(d, r, CTL_ST_FAILED, "%s: %s%s", engine_node_path(d->engine, node), cause,
               rolled ? "; rolled back to the previous version with its state" : "");
    }
    return rolled;
}

void upgrade_on_restored(struct daemon *d, engine_node node) {
    struct upgrades *u = d->upgrades;
    struct handoff *h = u ? *find_handoff(u, node) : NULL;
    struct child_proc *p = node < d->n_nodes ? d->procs[node] : NULL;
    if (p)
        snprintf(d->nodes[node].version, sizeof d->nodes[node].version, "%s", p->version);
    if (h) {
        log_rollback(d, node, h, h->cause, "restored on the old code", LOG_NOTICE);
        drop_handoff(d, node);
    }
}
