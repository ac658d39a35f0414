/*
 * control_status.c — `status`: one logfmt record per node of a subtree,
 * depth first in start order (doc/control-protocol.md lists the keys):
 * what each node is, its health (health.h), its last end, and on request
 * its process's CPU time and memory (proc_usage.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <time.h>

#include "child_proc.h"
#include "control_internal.h"
#include "health.h"
#include "log.h"
#include "proc_usage.h"
#include "release_handler.h"
#include "upgrade.h"

/* v in decimal into buf (room for its digits and a NUL): a status of 10,000 nodes
 * writes 130,000 numbers, and snprintf was a third of its cost. */
static void num_text(char *buf, uint64_t v) {
    char tmp[24];
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
}

/* The record straight into the chunk (a record is at most 4 KiB: cut
 * there, as before), the chunk sent when the next might not fit. */
void control_status_chunk_send(struct status_chunk *o) {
    if (o->used)
        control_send_data(o->c, o->buf, o->used);
    o->used = 0;
}

static void emit(struct status_chunk *o, const struct nines_field *f, size_t n) {
    if (o->size - o->used < RECORD_MAX)
        control_status_chunk_send(o);
    size_t len = nines_logfmt_record(o->buf + o->used, RECORD_MAX, f, n);
    o->used += len < RECORD_MAX ? len : RECORD_MAX - 1;
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
    char queued[24], dropped[24], refused[24], sends[24], answers_dropped[24], answers_lost[24];
    char cpu[24], rss[24], pss[24], window[16], exit_at[40], backoff_ms[24], backoff_count[16];
};

/* A worker's casts (casts.h): waiting in ninesd, dropped, refused. */
static void cast_fields(struct child_proc *p, const struct node_info *info, struct numbers *num,
                        struct nines_field *f) {
    num_text(num->queued, p ? p->queue.casts : 0);
    num_text(num->dropped, info ? info->casts_dropped : 0);
    num_text(num->refused, info ? info->casts_refused : 0);
    f[0] = (struct nines_field){"casts_queued", num->queued};
    f[1] = (struct nines_field){"casts_dropped", num->dropped};
    f[2] = (struct nines_field){"casts_refused", num->refused};
}

/* Answers to a worker's calls that ninesd dropped or lost (drops.h). */
static void answer_fields(const struct node_info *info, struct numbers *num, struct nines_field *f) {
    num_text(num->answers_dropped, info ? info->answers_dropped : 0);
    num_text(num->answers_lost, info ? info->answers_lost : 0);
    f[0] = (struct nines_field){"answers_dropped", num->answers_dropped};
    f[1] = (struct nines_field){"answers_lost", num->answers_lost};
}

static void supervisor_fields(struct daemon *d, engine_node n, const struct nines_sup_spec *sup,
                              struct numbers *num, struct nines_field *f, uint64_t now_ms) {
    size_t kids = 0;
    engine_node_children(d->engine, n, &kids);
    struct engine_sup_flags now; /* the spec's, or what a release upgrade set */
    engine_sup_flags(d->engine, n, &now);
    num_text(num->intensity, now.intensity);
    num_text(num->period, now.period_ms);
    num_text(num->children, kids);
    num_text(num->max, sup->max_children);
    f[0] = (struct nines_field){"strategy", nines_strategy_name(now.strategy)};
    f[1] = (struct nines_field){"intensity", num->intensity};
    f[2] = (struct nines_field){"period_ms", num->period};
    f[3] = (struct nines_field){"children", num->children};
    f[4] = (struct nines_field){"max_children", sup->strategy == NINES_DYNAMIC ? num->max : NULL};
    num_text(num->window, engine_sup_window_restarts(d->engine, n, now_ms));
    f[5] = (struct nines_field){"window_restarts", num->window};
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

/* A process's CPU and memory, when the request asked for them. */
static void resource_fields(const struct child_proc *p, struct numbers *num, struct nines_field *f) {
    struct proc_usage u;
    if (!p || p->pid <= 0 || !proc_usage_read(p->pid, &u))
        return;
    snprintf(num->cpu, sizeof num->cpu, "%" PRIu64, u.cpu_ms);
    snprintf(num->rss, sizeof num->rss, "%" PRIu64, u.rss_kib);
    snprintf(num->pss, sizeof num->pss, "%" PRIu64, u.pss_kib);
    f[0] = (struct nines_field){"cpu_ms", num->cpu};
    f[1] = (struct nines_field){"rss_kib", num->rss};
    f[2] = (struct nines_field){"pss_kib", u.pss_kib ? num->pss : NULL};
}

/* The last end: why and when (UTC, milliseconds). */
static void exit_fields(const struct node_info *info, struct numbers *num, struct nines_field *f) {
    if (!info || !info->last_exit_ms)
        return;
    time_t sec = (time_t)(info->last_exit_unix_ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t k = strftime(num->exit_at, sizeof num->exit_at, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(num->exit_at + k, sizeof num->exit_at - k, ".%03dZ", (int)(info->last_exit_unix_ms % 1000));
    f[0] = (struct nines_field){"last_exit", info->last_exit};
    f[1] = (struct nines_field){"last_exit_at", num->exit_at};
}

/* A restart that waits (backoff:): state `backoff`, how long until it is
 * due and how many restarts in a row it is. */
static void backoff_fields(struct daemon *d, engine_node n, struct numbers *num, struct nines_field *state,
                           struct nines_field *f, uint64_t now) {
    uint64_t until;
    unsigned k;
    if (!engine_node_backoff(d->engine, n, &until, &k))
        return;
    snprintf(num->backoff_ms, sizeof num->backoff_ms, "%" PRIu64, until > now ? until - now : 0);
    snprintf(num->backoff_count, sizeof num->backoff_count, "%u", k);
    *state = (struct nines_field){"state", "backoff"};
    f[0] = (struct nines_field){"backoff_ms", num->backoff_ms};
    f[1] = (struct nines_field){"backoff_count", num->backoff_count};
}

static void record(struct status_chunk *o, struct daemon *d, engine_node n, unsigned depth, enum nines_health health) {
    const struct nines_child_spec *spec = engine_node_spec(d->engine, n);
    enum engine_node_state st = engine_node_state(d->engine, n);
    const struct node_info *info = n < d->n_nodes ? &d->nodes[n] : NULL;
    struct child_proc *p = n < d->n_nodes ? d->procs[n] : NULL;
    bool running = st == ENGINE_NODE_RUNNING, sup_node = engine_node_is_supervisor(d->engine, n);
    struct numbers num;
    num_text(num.depth, depth);
    num_text(num.restarts, engine_node_restarts(d->engine, n));
    num_text(num.pid, p && p->pid > 0 ? (uint64_t)p->pid : 0);
    num_text(num.uptime, info && running && info->started_ms ? o->now_ms - info->started_ms : 0);
    num_text(num.sends, p ? p->queue.n : 0);
    bool worker = spec && spec->kind == NINES_CHILD_MODULE;
    char args[1024], release[200];
    struct nines_field f[36] = {
        {"path", engine_node_path(d->engine, n)},
        {"kind", kind_of(d, n, spec)},
        {"depth", num.depth},
        {"state", engine_node_state_name(st)},
        {"health", nines_health_name(health)},
        {"restart", spec ? nines_restart_name(spec->restart) : NULL},
        {"restarts", spec ? num.restarts : NULL},
        {"pid", p && !sup_node ? num.pid : NULL},
        {"uptime_ms", running ? num.uptime : NULL},
        {"module", worker ? daemon_module_of(d, n) : NULL},
        {"name", worker && running && info && info->name[0] ? info->name : NULL},
        {"version", worker && running && info && info->version[0] ? info->version : NULL},
        {"release", n == ENGINE_ROOT ? releases_running(d, release, sizeof release) : NULL},
        {"queued", p && !sup_node ? num.sends : NULL},
    };
    const struct nines_sup_spec *sup = sup_spec_of(d, n, spec);
    if (sup)
        supervisor_fields(d, n, sup, &num, &f[14], o->now_ms);
    if (worker)
        cast_fields(p, info, &num, &f[20]);
    exit_fields(info, &num, &f[23]);
    if (o->resources && !sup_node)
        resource_fields(p, &num, &f[25]);
    f[28] = (struct nines_field){"args", dynamic_args(d, n, spec, args, sizeof args)};
    const char *from = NULL;
    f[29] = (struct nines_field){"upgrading", worker ? upgrade_under_way(d, n, &from) : NULL};
    f[30] = (struct nines_field){"upgrading_from", f[29].value ? from : NULL};
    backoff_fields(d, n, &num, &f[3], &f[31], o->now_ms);
    if (worker)
        answer_fields(info, &num, &f[33]);
    emit(o, f, 35);
}

/* Health is decided bottom-up (a supervisor is as troubled as what is
 * below it) and the records go out top-down: one pass for each. */
static enum nines_health health_walk(struct daemon *d, engine_node n, enum nines_health *out, uint64_t now,
                                     size_t *seen) {
    enum nines_health below = NINES_HEALTH_OK;
    size_t count = 0;
    /* The engine's own array: the walk only reads (no copy of every
     * supervisor's children, as engine_node_children's answer would need,
     * being overwritten by the next call). */
    const engine_node *kids = engine_node_kids(d->engine, n, &count);
    (*seen)++;
    for (size_t i = 0; i < count; i++)
        if (engine_node_state(d->engine, kids[i]) != ENGINE_NODE_REMOVED)
            below = nines_health_worse(below, health_walk(d, kids[i], out, now, seen));
    enum engine_node_state st = engine_node_state(d->engine, n);
    const struct node_info *info = n < d->n_nodes ? &d->nodes[n] : NULL;
    engine_node parent = engine_node_parent(d->engine, n);
    struct engine_sup_flags flags = {0};
    engine_sup_flags(d->engine, parent == ENGINE_NO_NODE ? n : parent, &flags);
    struct health_input in = {
        .running = st != ENGINE_NODE_IDLE || engine_node_backoff(d->engine, n, NULL, NULL), /* due to start */
        .has_exit = info && info->last_exit_ms,
        .exit_troubled = info && info->last_exit_troubled,
        .exit_age_ms = info && info->last_exit_ms ? now - info->last_exit_ms : 0,
        .period_ms = flags.period_ms,
        .window_restarts = engine_sup_window_restarts(d->engine, n, now),
        .worst_below = below,
    };
    enum nines_health h = nines_health_of(&in);
    if (n < d->n_nodes)
        out[n] = h;
    return h;
}

enum nines_health control_health_walk_count(struct daemon *d, engine_node n, enum nines_health *out, size_t *count) {
    *count = 0;
    return health_walk(d, n, out, daemon_now_ms(), count); /* one clock for the whole tree */
}

enum nines_health control_health_walk(struct daemon *d, engine_node n, enum nines_health *out) {
    size_t count;
    return control_health_walk_count(d, n, out, &count);
}

void control_status_record(struct daemon *d, struct status_chunk *o, engine_node n, unsigned depth) {
    record(o, d, n, depth, status_health_of(o->health, o->n_health, n));
}
