/*
 * control_metrics.c — `metrics`: the tree in the Prometheus text
 * exposition format (version 0.0.4), for the tools people already run:
 * per node restarts, exits by kind, health, messages queued and casts
 * lost or refused, calls by outcome, casts, live upgrades by outcome; the
 * daemon's call latency as a histogram; per supervisor its window against its intensity; per
 * process CPU time and memory, read from /proc now (a scrape is a
 * request: nothing is sampled on a timer).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child_proc.h"
#include "control_internal.h"
#include "proc_usage.h"

struct metrics_out {
    struct control_conn *c;
    char buf[64 * 1024];
    size_t used;
};

static void flush_out(struct metrics_out *o) {
    if (o->used)
        control_send_data(o->c, o->buf, o->used);
    o->used = 0;
}

__attribute__((format(printf, 2, 3))) static void put(struct metrics_out *o, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (o->used + len > sizeof o->buf)
        flush_out(o);
    memcpy(o->buf + o->used, line, len);
    o->used += len;
}

/* A label value: backslash, double quote and newline escaped. */
static const char *label(const char *v, char *buf, size_t size) {
    size_t k = 0;
    for (; v && *v && k + 2 < size; v++) {
        if (*v == '\\' || *v == '"' || *v == '\n')
            buf[k++] = '\\';
        buf[k++] = *v == '\n' ? 'n' : *v;
    }
    buf[k] = '\0';
    return buf;
}

static const struct {
    const char *name, *type, *help;
} families[] = {
    {"nines_node_up", "gauge", "1 while the node runs"},
    {"nines_node_restarts_total", "counter", "starts after the first"},
    {"nines_node_exits_total", "counter", "ends since ninesd started, by kind (normal, shutdown, abnormal)"},
    {"nines_node_degraded", "gauge", "1 while status says degraded or failed (health)"},
    {"nines_node_queued_messages", "gauge", "messages waiting in ninesd to be written to the process"},
    {"nines_node_casts_dropped_total", "counter", "casts accepted but never handed over"},
    {"nines_node_casts_refused_total", "counter", "casts refused to ninesctl because the worker was busy"},
    {"nines_supervisor_window_restarts", "gauge", "restarts within the period, counted against the intensity"},
    {"nines_supervisor_intensity", "gauge", "restarts allowed within the period"},
    {"nines_process_cpu_seconds_total", "counter", "user and system CPU time of the node's process"},
    {"nines_process_resident_memory_bytes", "gauge", "resident memory of the node's process"},
    {"nines_process_proportional_memory_bytes", "gauge", "proportional set size (PSS) of the node's process"},
    {"nines_node_calls_total", "counter", "calls made to the worker, by outcome (replied, error: it could not answer, "
                                          "failed: timeout or it ended first)"},
    {"nines_node_casts_total", "counter", "casts accepted for the worker (handed over or queued)"},
    {"nines_node_upgrades_total", "counter", "live upgrades of the worker, by outcome (ok, refused: the old code goes "
                                             "on, rolled_back: restored on the old code, failed: anything else)"},
    {"nines_node_answers_dropped_total", "counter", "answers to the worker's calls that came after the process that "
                                                    "made them had ended"},
    {"nines_node_answers_lost_total", "counter", "the worker's calls answered -ECONNABORTED after a rollback: no copy "
                                                 "of their answer was kept"},
};

static void node_metric(struct metrics_out *o, int family, const char *path, const char *extra, double v) {
    char p[512];
    put(o, "%s{path=\"%s\"%s} %.15g\n", families[family].name, label(path, p, sizeof p), extra ? extra : "", v);
}

/* Families 12 to 14: the counters of counters.h, workers only. */
static void counter_samples(struct metrics_out *o, int family, const char *path, const struct node_counters *k) {
    char extra[64];
    if (family == 13) {
        node_metric(o, family, path, NULL, (double)k->casts);
        return;
    }
    int n = family == 12 ? CALL_OUTCOMES : UPGRADE_OUTCOMES;
    for (int i = 0; i < n; i++) {
        snprintf(extra, sizeof extra, ",outcome=\"%s\"",
                 family == 12 ? call_outcome_name((enum call_outcome)i) : upgrade_outcome_name((enum upgrade_outcome)i));
        node_metric(o, family, path, extra, family == 12 ? (double)k->calls[i] : (double)k->upgrades[i]);
    }
}

/* The daemon's call latency (counters.h) as a Prometheus histogram. */
static void latency_histogram(struct metrics_out *o, const struct call_latency *h) {
    const char *name = "nines_call_duration_seconds";
    put(o, "# HELP %s calls answered by the callee (replied or error), from the loop turn in which ninesd "
           "read the request to the one in which it read the answer\n# TYPE %s histogram\n", name, name);
    for (int i = 0; i < CALL_LATENCY_BUCKETS; i++)
        put(o, "%s_bucket{le=\"%.6g\"} %" PRIu64 "\n", name, (double)call_latency_bounds_us[i] / 1e6,
            call_latency_cumulative(h, i));
    put(o, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %.9g\n%s_count %" PRIu64 "\n", name,
        call_latency_cumulative(h, CALL_LATENCY_BUCKETS), name, (double)h->sum_us / 1e6, name, h->count);
}

/* One family at a time over every node (the format wants a family's
 * samples together). */
static void family_samples(struct metrics_out *o, struct daemon *d, int family, const engine_node *nodes, size_t n,
                           const enum nines_health *health) {
    uint64_t now = daemon_now_ms();
    for (size_t i = 0; i < n; i++) {
        engine_node k = nodes[i];
        const char *path = engine_node_path(d->engine, k);
        const struct node_info *info = k < d->n_nodes ? &d->nodes[k] : NULL;
        struct child_proc *p = k < d->n_nodes ? d->procs[k] : NULL;
        bool sup = engine_node_is_supervisor(d->engine, k), worker = !sup && p;
        struct engine_sup_flags flags;
        struct proc_usage u;
        switch (family) {
        case 0: node_metric(o, family, path, NULL, engine_node_state(d->engine, k) == ENGINE_NODE_RUNNING); break;
        case 1: node_metric(o, family, path, NULL, engine_node_restarts(d->engine, k)); break;
        case 2:
            node_metric(o, family, path, ",kind=\"normal\"", info ? info->exits_normal : 0);
            node_metric(o, family, path, ",kind=\"shutdown\"", info ? info->exits_shutdown : 0);
            node_metric(o, family, path, ",kind=\"abnormal\"", info ? info->exits_abnormal : 0);
            break;
        case 3:
            node_metric(o, family, path, NULL,
                        health && (health[k] == NINES_HEALTH_DEGRADED || health[k] == NINES_HEALTH_FAILED));
            break;
        case 4: if (worker) node_metric(o, family, path, NULL, (double)p->queue.n); break;
        case 5: if (info && !sup) node_metric(o, family, path, NULL, (double)info->casts_dropped); break;
        case 6: if (info && !sup) node_metric(o, family, path, NULL, (double)info->casts_refused); break;
        case 7: if (sup) node_metric(o, family, path, NULL, engine_sup_window_restarts(d->engine, k, now)); break;
        case 8: if (sup && engine_sup_flags(d->engine, k, &flags)) node_metric(o, family, path, NULL, flags.intensity); break;
        case 12:
        case 13:
        case 14:
            if (info && !sup && engine_node_spec(d->engine, k) && engine_node_spec(d->engine, k)->kind == NINES_CHILD_MODULE)
                counter_samples(o, family, path, &info->counters);
            break;
        case 15:
        case 16:
            if (!info || sup || !engine_node_spec(d->engine, k) ||
                engine_node_spec(d->engine, k)->kind != NINES_CHILD_MODULE)
                break;
            node_metric(o, family, path, NULL, (double)(family == 15 ? info->answers_dropped : info->answers_lost));
            break;
        default:
            if (!worker || p->pid <= 0 || !proc_usage_read(p->pid, &u))
                break;
            if (family == 9)
                node_metric(o, family, path, NULL, (double)u.cpu_ms / 1000.0);
            else if (family == 10)
                node_metric(o, family, path, NULL, (double)u.rss_kib * 1024.0);
            else if (u.pss_kib)
                node_metric(o, family, path, NULL, (double)u.pss_kib * 1024.0);
        }
    }
}

/* Every node of the tree, depth first, into a new array. */
static engine_node *all_nodes(struct daemon *d, size_t *n) {
    size_t cap = engine_node_count(d->engine) + 1, used = 0, todo = 0;
    engine_node *out = malloc(cap * sizeof *out), *stack = malloc(cap * sizeof *stack);
    if (!out || !stack) {
        free(out);
        free(stack);
        return NULL;
    }
    stack[todo++] = ENGINE_ROOT;
    while (todo && used < cap) {
        engine_node k = stack[--todo];
        out[used++] = k;
        size_t count = 0;
        const engine_node *kids = engine_node_children(d->engine, k, &count);
        for (size_t i = count; i-- > 0 && todo < cap;)
            stack[todo++] = kids[i];
    }
    free(stack);
    *n = used;
    return out;
}

void control_metrics_send(struct daemon *d, struct control_conn *c) {
    static struct metrics_out o;
    o.c = c;
    o.used = 0;
    size_t n = 0;
    engine_node *nodes = all_nodes(d, &n);
    /* Degraded as status says it (health.h), supervisors included. */
    enum nines_health *health = calloc(d->n_nodes ? d->n_nodes : 1, sizeof *health);
    if (health)
        control_health_walk(d, ENGINE_ROOT, health);
    put(&o, "# HELP nines_up 1: ninesd answers\n# TYPE nines_up gauge\nnines_up 1\n");
    put(&o, "# HELP nines_node_slots slots in ninesd's node table: the most nodes the tree had at once "
            "(a child gone for good gives its slot to the next)\n# TYPE nines_node_slots gauge\n"
            "nines_node_slots %zu\n", engine_node_count(d->engine));
    for (int f = 0; nodes && f < (int)(sizeof families / sizeof families[0]); f++) {
        put(&o, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help, families[f].name, families[f].type);
        family_samples(&o, d, f, nodes, n, health);
    }
    latency_histogram(&o, &d->call_latency);
    free(nodes);
    free(health);
    flush_out(&o);
}
