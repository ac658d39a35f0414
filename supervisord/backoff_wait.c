/*
 * backoff_wait.c — one sd-event timer per restart that waits
 * (backoff_wait.h). The waits are a list of their own so that ninesd's
 * end frees those still under way.
 */
#include "backoff_wait.h"

#include <errno.h>
#include <stdlib.h>

#include <systemd/sd-event.h>

#include "daemon.h"

struct wait {
    struct wait *next, *prev;
    sd_event_source *src;
    struct daemon *d;
    engine_node node;
    uint64_t gen; /* its number may name another node when it fires: the engine drops a gen not the node's */
};

static struct wait *waits;

static void unlink_wait(struct wait *w) {
    if (w->prev)
        w->prev->next = w->next;
    else
        waits = w->next;
    if (w->next)
        w->next->prev = w->prev;
    sd_event_source_disable_unref(w->src);
    free(w);
}

static void feed(struct daemon *d, engine_node node, uint64_t gen) {
    struct engine_event ev = {.kind = ENGINE_EV_BACKOFF, .node = node, .gen = gen, .now_ms = daemon_now_ms()};
    daemon_feed(d, &ev);
}

static int on_wait_over(sd_event_source *s, uint64_t usec, void *userdata) {
    struct wait *w = userdata;
    struct daemon *d = w->d;
    engine_node node = w->node;
    uint64_t gen = w->gen;
    unlink_wait(w);
    feed(d, node, gen);
    return 0;
}

int backoff_wait_arm(struct daemon *d, engine_node node, uint64_t gen, uint64_t ms) {
    struct wait *w = calloc(1, sizeof *w);
    int r = w ? sd_event_add_time_relative(d->loop, w ? &w->src : NULL, CLOCK_MONOTONIC, ms * 1000, 1000,
                                           on_wait_over, w)
              : -ENOMEM;
    if (r < 0) {
        free(w);
        feed(d, node, gen); /* never wait forever: the restart goes on now */
        return r;
    }
    *w = (struct wait){.next = waits, .src = w->src, .d = d, .node = node, .gen = gen};
    if (waits)
        waits->prev = w;
    waits = w;
    return 0;
}

void backoff_wait_free_all(void) {
    while (waits)
        unlink_wait(waits);
}
