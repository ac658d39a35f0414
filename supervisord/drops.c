/*
 * drops.c — drops counted per child and logged once per burst (see drops.h).
 */
#include "drops.h"

#include <inttypes.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

static uint64_t *counter(struct node_info *c, enum drop_kind kind) {
    return kind == DROP_CASTS ? &c->casts_dropped : &c->answers_dropped;
}

static void log_drop(struct daemon *d, engine_node node, enum drop_kind kind, uint64_t n) {
    char count[24], msg[200];
    snprintf(count, sizeof count, "%" PRIu64, n);
    if (kind == DROP_CASTS)
        snprintf(msg, sizeof msg, "%" PRIu64 " cast%s dropped: the worker was not running, or ended with them queued",
                 n, n == 1 ? "" : "s");
    else
        snprintf(msg, sizeof msg,
                 "%" PRIu64 " answer%s to calls the worker made dropped: the process that made them had ended", n,
                 n == 1 ? "" : "s");
    struct nines_field f[] = {{"child", engine_node_path(d->engine, node)}, {"count", count}};
    nines_log_event(LOG_WARNING, kind == DROP_CASTS ? "casts_dropped" : "answers_dropped", msg, f, 2);
}

void drops_log(struct daemon *d, bool force) {
    uint64_t now = daemon_now_ms(), next = 0;
    for (engine_node i = 0; d->nodes && i < d->n_nodes; i++)
        for (int k = 0; k < DROP_KINDS; k++) {
            struct drop_burst *b = &d->nodes[i].drops[k];
            uint64_t n = drop_burst_take(b, now, force);
            if (n)
                log_drop(d, i, (enum drop_kind)k, n);
            uint64_t due = drop_burst_due(b);
            if (due && (!next || due < next))
                next = due;
        }
    if (next && d->drop_timer) {
        sd_event_source_set_time(d->drop_timer, next * 1000);
        sd_event_source_set_enabled(d->drop_timer, SD_EVENT_ONESHOT);
    }
}

void drops_forget_node(struct daemon *d, engine_node node) {
    for (int k = 0; node < d->n_nodes && k < DROP_KINDS; k++) {
        uint64_t n = drop_burst_take(&d->nodes[node].drops[k], daemon_now_ms(), true);
        if (n)
            log_drop(d, node, (enum drop_kind)k, n);
    }
}

static int on_drop_timer(sd_event_source *s, uint64_t usec, void *userdata) {
    drops_log(userdata, false);
    return 0;
}

/* The timer at `at_us`, unless it is armed earlier already. */
static void arm(struct daemon *d, uint64_t at_us) {
    if (!d->drop_timer) {
        if (sd_event_add_time(d->loop, &d->drop_timer, CLOCK_MONOTONIC, at_us, 10000, on_drop_timer, d) < 0)
            d->drop_timer = NULL; /* said at the next burst's timer, or at the end */
        return;
    }
    int enabled = SD_EVENT_OFF;
    uint64_t armed = 0;
    sd_event_source_get_enabled(d->drop_timer, &enabled);
    sd_event_source_get_time(d->drop_timer, &armed);
    if (enabled == SD_EVENT_OFF || armed > at_us) {
        sd_event_source_set_time(d->drop_timer, at_us);
        sd_event_source_set_enabled(d->drop_timer, SD_EVENT_ONESHOT);
    }
}

void drops_count(struct daemon *d, engine_node node, enum drop_kind kind, uint64_t n) {
    struct node_info *c = node != ENGINE_NO_NODE && node < d->n_nodes ? &d->nodes[node] : NULL;
    if (!c || n == 0 || kind >= DROP_KINDS)
        return;
    *counter(c, kind) += n;
    if (drop_burst_add(&c->drops[kind], n, daemon_now_ms()))
        arm(d, drop_burst_due(&c->drops[kind]) * 1000);
}
