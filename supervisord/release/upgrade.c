/*
 * upgrade.c — upgrade requests, one child at a time, and their results
 * (see upgrade.h); the hand-off and the rollback are in rollback.c.
 */
#include "upgrade.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "child_proc.h"
#include "log.h"
#include "module_names.h"
#include "upgrade_internal.h"

struct upgrades *state_of(struct daemon *d) {
    if (!d->upgrades)
        d->upgrades = calloc(1, sizeof *d->upgrades);
    return d->upgrades;
}

const char *daemon_module_of(struct daemon *d, engine_node node) {
    struct upgrades *u = d->upgrades;
    if (u && node < u->n_modules && u->modules[node])
        return u->modules[node];
    engine_node sup = u ? engine_node_parent(d->engine, node) : ENGINE_NO_NODE;
    if (sup != ENGINE_NO_NODE && sup < u->n_templates && u->templates[sup])
        return u->templates[sup];
    const struct nines_child_spec *spec = engine_node_spec(d->engine, node);
    if (!spec || !spec->module)
        return NULL;
    for (size_t i = 0; u && i < u->n_remaps; i++)
        if (strcmp(u->remaps[i].from, spec->module) == 0)
            return u->remaps[i].to;
    return spec->module;
}

int upgrade_set_module(struct daemon *d, engine_node node, const char *module) {
    return state_of(d) ? remember_module(d, node, module) : -ENOMEM;
}

int upgrade_set_template(struct daemon *d, engine_node sup, const char *module) {
    struct upgrades *u = state_of(d);
    if (!u)
        return -ENOMEM;
    if (sup >= u->n_templates) {
        size_t n = engine_node_count(d->engine);
        char **v = realloc(u->templates, n * sizeof *v);
        if (!v)
            return -ENOMEM;
        memset(v + u->n_templates, 0, (n - u->n_templates) * sizeof *v);
        u->templates = v, u->n_templates = n;
    }
    char *copy = strdup(module);
    if (!copy)
        return -ENOMEM;
    free(u->templates[sup]);
    u->templates[sup] = copy;
    return 0;
}

/* The module a dynamic supervisor's template names. */
static const char *template_module(struct daemon *d, engine_node sup) {
    const struct nines_child_spec *spec = engine_node_spec(d->engine, sup);
    const struct nines_sup_spec *s = spec ? spec->supervisor : sup == ENGINE_ROOT ? &d->tree->root : NULL;
    return s && s->child_template ? s->child_template->module : NULL;
}

/* A release swaps every worker of an application and remaps its module:
 * a dynamic supervisor whose template (or whose children's module, after
 * `ninesctl upgrade SUPERVISOR`) is the one replaced follows. */
static int remap_templates(struct daemon *d, const char *from, const char *to) {
    struct upgrades *u = d->upgrades;
    for (engine_node sup = 0; sup < u->n_templates; sup++) {
        const char *tmpl = u->templates[sup] ? template_module(d, sup) : NULL;
        if (!u->templates[sup] || (strcmp(u->templates[sup], from) != 0 && (!tmpl || strcmp(tmpl, from) != 0)))
            continue;
        if (upgrade_set_template(d, sup, to) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Every path that led to `from` now leads to `to`, and `from` itself does. */
int upgrade_remap_module(struct daemon *d, const char *from, const char *to) {
    struct upgrades *u = state_of(d);
    if (!u || remap_templates(d, from, to) < 0)
        return -ENOMEM;
    bool known = false;
    for (size_t i = 0; i < u->n_remaps; i++) {
        struct module_remap *m = &u->remaps[i];
        known |= strcmp(m->from, from) == 0;
        if (strcmp(m->to, from) == 0 || strcmp(m->from, from) == 0) {
            char *copy = strdup(to);
            if (!copy)
                return -ENOMEM;
            free(m->to);
            m->to = copy;
        }
    }
    if (known)
        return 0;
    struct module_remap *v = realloc(u->remaps, (u->n_remaps + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    u->remaps = v;
    struct module_remap m = {strdup(from), strdup(to)};
    if (!m.from || !m.to) {
        free(m.from), free(m.to);
        return -ENOMEM;
    }
    u->remaps[u->n_remaps++] = m;
    return 0;
}

int remember_module(struct daemon *d, engine_node node, const char *module) {
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

void log_upgrade(int prio, const char *event, struct daemon *d, const struct upgrade_req *r,
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
    sd_event_source_disable_unref(r->timer);
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

struct upgrade_req *in_flight(struct upgrades *u, engine_node node) {
    for (struct upgrade_req *r = u ? u->head : NULL; r; r = r->next)
        if (r->node == node && r->sent)
            return r;
    return NULL;
}

static void start_next(struct daemon *d, engine_node node);

/* A worker that has not answered its upgrade within the child's
 * swap_timeout (a code_change that hangs, say) is killed: its end rolls
 * it back to the old code with its state, as a crash there does
 * (rollback.c), and the upgrade fails naming the limit. */
static int on_swap_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
    struct upgrade_req *r = userdata;
    struct daemon *d = r->d;
    r->timer = sd_event_source_unref(r->timer);
    struct child_proc *p = r->node < d->n_nodes ? d->procs[r->node] : NULL;
    if (!p || p->gen != r->gen)
        return 0;
    r->timed_out = true;
    char why[128];
    snprintf(why, sizeof why, "no answer within the child's swap_timeout (%" PRIu64 " ms)", r->timeout_ms);
    log_upgrade(LOG_ERR, "upgrade_timeout", d, r, NULL, why, "the upgrade took too long: the worker is killed", NULL,
                NULL, NULL);
    child_proc_kill(p);
    return 0;
}

static int arm_swap_timeout(struct daemon *d, struct upgrade_req *r) {
    const struct nines_child_spec *spec = engine_node_spec(d->engine, r->node);
    r->timeout_ms = spec ? spec->swap_timeout_ms : NINES_SWAP_TIMEOUT_MS;
    if (!r->timeout_ms)
        return 0;
    return sd_event_add_time_relative(d->loop, &r->timer, CLOCK_MONOTONIC, r->timeout_ms * 1000, 1000,
                                      on_swap_timeout, r);
}

const char *upgrade_under_way(struct daemon *d, engine_node node, const char **from) {
    struct upgrade_req *r = in_flight(d->upgrades, node);
    if (from)
        *from = r && r->from[0] ? r->from : NULL;
    return r ? r->module : NULL;
}

/* Answer the operator, drop the request, go on with the next for that child. */
void finish(struct daemon *d, struct upgrade_req *r, enum ctl_status st, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct control_conn *c = r->done ? NULL : control_conn_find(d, r->conn_id);
    if (c)
        control_send_end(c, st, "%s", msg);
    engine_node node = r->node;
    enum upgrade_outcome how = st == CTL_ST_OK ? UPGRADE_OK : r->outcome;
    if (node < d->n_nodes && how < UPGRADE_OUTCOMES)
        d->nodes[node].counters.upgrades[how]++;
    if (r->done)
        r->done(d, r->cookie, node, st == CTL_ST_OK, r->pause_us, msg);
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
    p->fds_expected = true; /* the hand-off comes with descriptors */
    if (n < 0 || (size_t)n + 1 > sizeof buf - sizeof max || arm_swap_timeout(d, r) < 0 ||
        /* Behind what waits for the worker: the answers queued for it
         * reach its old code, before the export lists its calls. */
        child_send(p, NINES_MSG_UPGRADE, 0, buf, sizeof max + (size_t)n + 1) < 0) {
        finish(d, r, CTL_ST_FAILED, "cannot reach %s", engine_node_path(d->engine, node));
        return;
    }
    log_upgrade(LOG_NOTICE, "upgrade_started", d, r, NULL, NULL, "upgrade asked", NULL, NULL, NULL);
    struct control_conn *c = r->done ? NULL : control_conn_find(d, r->conn_id);
    if (c) {
        char line[1200];
        struct nines_field f[] = {{"phase", "sent"}, {"from", r->from}, {"module", r->module}};
        size_t len = nines_logfmt_record(line, sizeof line, f, 3);
        control_send_data(c, line, len < sizeof line ? len : sizeof line - 1);
    }
}

static struct upgrade_req *new_req(struct daemon *d, engine_node node, const char *module, const char *extra) {
    struct upgrades *u = state_of(d);
    struct upgrade_req *r = u ? calloc(1, sizeof *r) : NULL;
    if (r) {
        r->module = strdup(module);
        r->extra = strdup(extra ? extra : "");
    }
    if (r && (!r->module || !r->extra)) {
        free_req(r);
        return NULL;
    }
    if (r)
        r->node = node, r->outcome = UPGRADE_FAILED, r->d = d;
    return r;
}

static void enqueue(struct daemon *d, struct upgrade_req *r) {
    struct upgrades *u = d->upgrades;
    if (u->tail)
        u->tail->next = r;
    else
        u->head = r;
    u->tail = r;
    if (!in_flight(u, r->node))
        start_next(d, r->node);
}

void upgrade_request(struct daemon *d, struct control_conn *c, engine_node node, const char *module,
                     const char *extra) {
    struct upgrade_req *r = new_req(d, node, module, extra);
    if (!r) {
        control_send_end(c, CTL_ST_INTERNAL, "out of memory");
        return;
    }
    r->conn_id = control_conn_id(c);
    enqueue(d, r);
}

void upgrade_request_for(struct daemon *d, engine_node node, const char *module, const char *extra,
                         upgrade_done_fn done, void *cookie) {
    struct upgrade_req *r = new_req(d, node, module, extra);
    if (!r) {
        done(d, cookie, node, false, 0, "out of memory");
        return;
    }
    r->done = done, r->cookie = cookie;
    enqueue(d, r);
}


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
    r->pause_us = res.pause_us;
    /* load/export_state/hand-off/code_change: where the pause went */
    snprintf(steps, sizeof steps, "%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64, res.load_us, res.export_us,
             res.handoff_us, res.change_us);
    snprintf(bytes, sizeof bytes, "%" PRIu64, res.snapshot_bytes);
    const char *path = engine_node_path(d->engine, node);
    if (res.status == 0) {
        module_names_learn(d, r->module, d->nodes[node].name); /* the host checked it is this application */
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
    r->outcome = UPGRADE_REFUSED;
    finish(d, r, CTL_ST_FAILED, "%s stays on %s: %s", path, parts[0], why);
}

void upgrade_forget_node(struct daemon *d, engine_node node) {
    struct upgrades *u = d->upgrades;
    if (u && node < u->n_modules) {
        free(u->modules[node]);
        u->modules[node] = NULL;
    }
    if (u && node < u->n_templates) {
        free(u->templates[node]);
        u->templates[node] = NULL;
    }
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
    upgrade_all_free_all(d);
    rollback_free_all(d);
    for (size_t i = 0; i < u->n_modules; i++)
        free(u->modules[i]);
    free(u->modules);
    for (size_t i = 0; i < u->n_templates; i++)
        free(u->templates[i]);
    free(u->templates);
    for (size_t i = 0; i < u->n_remaps; i++)
        free(u->remaps[i].from), free(u->remaps[i].to);
    free(u->remaps);
    free(u);
    d->upgrades = NULL;
}

