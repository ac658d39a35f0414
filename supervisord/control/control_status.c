/*
 * control_status.c — `status`: one logfmt record per node of a subtree,
 * depth first in start order (doc/control-protocol.md lists the keys).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child_proc.h"
#include "control_internal.h"
#include "log.h"
#include "upgrade.h"

#define CHUNK (64 * 1024)

struct status_out {
    struct control_conn *c;
    char buf[CHUNK];
    size_t used;
};

static void emit(struct status_out *o, const struct nines_field *f, size_t n) {
    char line[4096];
    size_t len = nines_logfmt_record(line, sizeof line, f, n);
    if (len >= sizeof line)
        len = sizeof line - 1;
    if (o->used + len > sizeof o->buf) {
        control_send_data(o->c, o->buf, o->used);
        o->used = 0;
    }
    memcpy(o->buf + o->used, line, len);
    o->used += len;
}

static const char *kind_of(struct daemon *d, engine_node n, const struct nines_child_spec *spec) {
    if (engine_node_is_supervisor(d->engine, n))
        return "supervisor";
    return spec && spec->kind == NINES_CHILD_EXEC ? "exec" : "worker";
}

static const struct nines_sup_spec *sup_spec_of(struct daemon *d, engine_node n,
                                                const struct nines_child_spec *spec) {
    if (n == ENGINE_ROOT)
        return &d->tree->root;
    return spec ? spec->supervisor : NULL;
}

/* Numbers as text for the record; each its own buffer. */
struct numbers {
    char depth[16], restarts[16], pid[16], uptime[24], intensity[16], period[24], children[16], max[16];
    char queued[24], dropped[24], refused[24];
};

/* A worker's casts (casts.h): waiting in ninesd, dropped, refused. */
static void cast_fields(struct child_proc *p, const struct node_info *info, struct numbers *num,
                        struct nines_field *f) {
    snprintf(num->queued, sizeof num->queued, "%zu", p ? p->queue.casts : 0);
    snprintf(num->dropped, sizeof num->dropped, "%" PRIu64, info ? info->casts_dropped : 0);
    snprintf(num->refused, sizeof num->refused, "%" PRIu64, info ? info->casts_refused : 0);
    f[0] = (struct nines_field){"casts_queued", num->queued};
    f[1] = (struct nines_field){"casts_dropped", num->dropped};
    f[2] = (struct nines_field){"casts_refused", num->refused};
}

static void supervisor_fields(struct daemon *d, engine_node n, const struct nines_sup_spec *sup,
                              struct numbers *num, struct nines_field *f) {
    size_t kids = 0;
    engine_node_children(d->engine, n, &kids);
    struct engine_sup_flags now; /* the spec's, or what a release upgrade set */
    engine_sup_flags(d->engine, n, &now);
    snprintf(num->intensity, sizeof num->intensity, "%u", now.intensity);
    snprintf(num->period, sizeof num->period, "%" PRIu64, now.period_ms);
    snprintf(num->children, sizeof num->children, "%zu", kids);
    snprintf(num->max, sizeof num->max, "%u", sup->max_children);
    f[0] = (struct nines_field){"strategy", nines_strategy_name(now.strategy)};
    f[1] = (struct nines_field){"intensity", num->intensity};
    f[2] = (struct nines_field){"period_ms", num->period};
    f[3] = (struct nines_field){"children", num->children};
    f[4] = (struct nines_field){"max_children", sup->strategy == NINES_DYNAMIC ? num->max : NULL};
}

/* A dynamic child's args, "KEY=VALUE KEY=VALUE" (what start-child gave
 * it), into buf; NULL for any other node, or none. */
static const char *dynamic_args(struct daemon *d, engine_node n, const struct nines_child_spec *spec, char *buf,
                                size_t size) {
    engine_node parent = n == ENGINE_ROOT ? ENGINE_NO_NODE : engine_node_parent(d->engine, n);
    const struct nines_sup_spec *ps =
        parent == ENGINE_NO_NODE ? NULL : sup_spec_of(d, parent, engine_node_spec(d->engine, parent));
    if (!spec || !ps || ps->strategy != NINES_DYNAMIC || spec->n_args == 0)
        return NULL;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < spec->n_args && used < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%s=%s", i ? " " : "", spec->args[i].key, spec->args[i].value);
        used += k < 0 ? 0 : (size_t)k;
    }
    return buf;
}

static void node_record(struct status_out *o, struct daemon *d, engine_node n, unsigned depth) {
    const struct nines_child_spec *spec = engine_node_spec(d->engine, n);
    enum engine_node_state st = engine_node_state(d->engine, n);
    const struct node_info *info = n < d->n_nodes ? &d->nodes[n] : NULL;
    struct child_proc *p = n < d->n_nodes ? d->procs[n] : NULL;
    bool running = st == ENGINE_NODE_RUNNING;
    struct numbers num;
    snprintf(num.depth, sizeof num.depth, "%u", depth);
    snprintf(num.restarts, sizeof num.restarts, "%u", engine_node_restarts(d->engine, n));
    snprintf(num.pid, sizeof num.pid, "%d", p ? (int)p->pid : 0);
    snprintf(num.uptime, sizeof num.uptime, "%" PRIu64,
             info && running && info->started_ms ? daemon_now_ms() - info->started_ms : 0);
    bool worker = spec && spec->kind == NINES_CHILD_MODULE;
    char args[1024];
    struct nines_field f[21] = {
        {"path", engine_node_path(d->engine, n)},
        {"kind", kind_of(d, n, spec)},
        {"depth", num.depth},
        {"state", engine_node_state_name(st)},
        {"restart", spec ? nines_restart_name(spec->restart) : NULL},
        {"restarts", spec ? num.restarts : NULL},
        {"pid", p && !engine_node_is_supervisor(d->engine, n) ? num.pid : NULL},
        {"uptime_ms", running ? num.uptime : NULL},
        {"module", worker ? daemon_module_of(d, n) : NULL},
        {"name", worker && running && info && info->name[0] ? info->name : NULL},
        {"version", worker && running && info && info->version[0] ? info->version : NULL},
    };
    const struct nines_sup_spec *sup = sup_spec_of(d, n, spec);
    if (sup)
        supervisor_fields(d, n, sup, &num, &f[11]);
    if (worker)
        cast_fields(p, info, &num, &f[16]);
    f[19] = (struct nines_field){"args", dynamic_args(d, n, spec, args, sizeof args)};
    emit(o, f, 20);
}

static void walk(struct status_out *o, struct daemon *d, engine_node n, unsigned depth) {
    node_record(o, d, n, depth);
    size_t count = 0;
    const engine_node *kids = engine_node_children(d->engine, n, &count);
    if (!count)
        return;
    /* The engine's list lives until its next call, and walking the
     * children calls it again: keep a copy. */
    engine_node *copy = malloc(count * sizeof *copy);
    if (!copy)
        return;
    memcpy(copy, kids, count * sizeof *copy);
    for (size_t i = 0; i < count; i++)
        walk(o, d, copy[i], depth + 1);
    free(copy);
}

void control_status_send(struct daemon *d, struct control_conn *c, engine_node node) {
    static struct status_out o;
    o.c = c;
    o.used = 0;
    walk(&o, d, node, 0);
    if (o.used)
        control_send_data(c, o.buf, o.used);
}
