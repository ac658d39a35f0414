/*
 * status_notify.c — see status_notify.h.
 */
#include "status_notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "control.h"
#include "daemon.h"
#include "status_line.h"

#define STATUS_COALESCE_MS 100
#define STATUS_RECHECK_MS 1000

struct status_notify {
    sd_event_source *timer;
    char sent[STATUS_LINE_MAX];
};

struct collect {
    struct daemon *d;
    const enum nines_health *health;
    uint64_t now;
    size_t children, troubled, named;
    struct status_trouble kept[STATUS_LINE_NAMED];
};

/* A worker or program in trouble counts; a supervisor only when it is
 * down after giving up (its children otherwise say what is wrong). */
static void look_at(struct collect *c, engine_node n) {
    struct daemon *d = c->d;
    enum nines_health h = c->health[n];
    bool sup = engine_node_is_supervisor(d->engine, n);
    if ((h != NINES_HEALTH_DEGRADED && h != NINES_HEALTH_FAILED) || (sup && h != NINES_HEALTH_FAILED))
        return;
    const struct node_info *info = &d->nodes[n];
    struct engine_sup_flags flags = {0};
    engine_sup_flags(d->engine, engine_node_parent(d->engine, n), &flags);
    struct status_trouble t = {.path = engine_node_path(d->engine, n), .health = h,
                               .looping = status_is_looping(info->prev_trouble_ms, c->now, flags.period_ms),
                               .why = info->last_exit};
    c->troubled++;
    status_line_keep(c->kept, &c->named, &t);
}

static void walk(struct collect *c, engine_node n) {
    size_t count = 0;
    const engine_node *kids = engine_node_children(c->d->engine, n, &count);
    if (!count)
        return;
    engine_node *copy = malloc(count * sizeof *copy); /* the engine's list lives until its next call */
    if (!copy)
        return;
    memcpy(copy, kids, count * sizeof *copy);
    for (size_t i = 0; i < count; i++) {
        if (copy[i] >= c->d->n_nodes)
            continue;
        c->children++;
        look_at(c, copy[i]);
        walk(c, copy[i]);
    }
    free(copy);
}

/* The text now; true when something is wrong. */
static bool render(struct daemon *d, char *buf, size_t size) {
    struct collect c = {.d = d, .now = daemon_now_ms()};
    enum nines_health *health = calloc(d->n_nodes ? d->n_nodes : 1, sizeof *health);
    if (!health) {
        buf[0] = '\0';
        return true;
    }
    control_health_walk(d, ENGINE_ROOT, health);
    c.health = health;
    walk(&c, ENGINE_ROOT);
    free(health);
    status_line_render(c.children, c.troubled, c.kept, c.named, buf, size);
    return c.troubled > 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* Look again within `ms` (sooner if already due sooner). */
static void arm(struct daemon *d, uint64_t ms) {
    struct status_notify *sn = d->status;
    uint64_t now, due;
    if (!sn->timer) {
        sd_event_add_time_relative(d->loop, &sn->timer, CLOCK_MONOTONIC, ms * 1000, 10 * 1000, on_timer, d);
        return;
    }
    if (sd_event_now(d->loop, CLOCK_MONOTONIC, &now) >= 0 && sd_event_source_get_time(sn->timer, &due) >= 0 &&
        due > now + ms * 1000)
        sd_event_source_set_time(sn->timer, now + ms * 1000);
}

static void send_status(struct daemon *d) {
    struct status_notify *sn = d->status;
    char text[STATUS_LINE_MAX], msg[STATUS_LINE_MAX + 8];
    bool wrong = render(d, text, sizeof text);
    if (text[0] && strcmp(text, sn->sent) != 0) {
        memcpy(sn->sent, text, sizeof sn->sent);
        snprintf(msg, sizeof msg, "STATUS=%s", text);
        sd_notify(0, msg);
    }
    if (wrong)
        arm(d, STATUS_RECHECK_MS); /* a crash ages out of its period without an event */
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
    struct daemon *d = userdata;
    d->status->timer = sd_event_source_disable_unref(d->status->timer);
    if (!d->stopping)
        send_status(d);
    return 0;
}

void status_notify_ready(struct daemon *d) {
    sd_notify(0, "READY=1");
    if (!getenv("NOTIFY_SOCKET") || d->status)
        return;
    if (!(d->status = calloc(1, sizeof *d->status)))
        return;
    send_status(d);
}

void status_notify_poke(struct daemon *d) {
    if (d->status && !d->stopping)
        arm(d, STATUS_COALESCE_MS);
}

void status_notify_free(struct daemon *d) {
    if (!d->status)
        return;
    sd_event_source_disable_unref(d->status->timer);
    free(d->status);
    d->status = NULL;
}
