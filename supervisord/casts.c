/*
 * casts.c — casts, their bound and backpressure (see casts.h).
 */
#include "casts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child_proc.h"
#include "child_send.h"
#include "drops.h"
#include "upgrade.h"
#include "proto.h"

/* The running worker at `path`, or NULL with why in `why` (and *node
 * set when the child exists). */
static struct child_proc *destination(struct daemon *d, const char *path, engine_node *node, enum ctl_status *st,
                                      char *why, size_t size) {
    engine_node n = engine_find(d->engine, path);
    *node = n;
    if (n == ENGINE_NO_NODE) {
        *st = CTL_ST_NOT_FOUND;
        snprintf(why, size, "no child '%s' in the tree", path);
        return NULL;
    }
    const struct nines_child_spec *spec = engine_node_spec(d->engine, n);
    if (!spec || spec->kind != NINES_CHILD_MODULE) {
        *st = CTL_ST_FAILED;
        snprintf(why, size, "'%s' is not a worker: only module workers take calls and casts", path);
        return NULL;
    }
    struct child_proc *p = n < d->n_nodes ? d->procs[n] : NULL;
    if (engine_node_state(d->engine, n) != ENGINE_NODE_RUNNING || !p || p->channel < 0) {
        *st = CTL_ST_FAILED;
        snprintf(why, size, "'%s' is not running (%s)", path, engine_node_state_name(engine_node_state(d->engine, n)));
        return NULL;
    }
    return p;
}

static bool full(const struct child_proc *p) {
    return p->queue.casts >= p->cast_bound;
}

static struct node_info *counts(struct daemon *d, engine_node n) {
    return n != ENGINE_NO_NODE && n < d->n_nodes ? &d->nodes[n] : NULL;
}

/* NINES_MSG_CAST_FLOW to `from` about `to`. */
static void send_flow(struct child_proc *from, struct child_proc *to, bool busy) {
    uint8_t buf[1 + 1024];
    const char *path = engine_node_path(to->d->engine, to->node);
    size_t len = strnlen(path, sizeof buf - 1);
    buf[0] = busy;
    memcpy(buf + 1, path, len);
    child_send(from, NINES_MSG_CAST_FLOW, 0, buf, 1 + len);
}

/* Hand a cast over; a failure counts as dropped (the sender was told yes). */
static void hand_over(struct child_proc *to, const void *data, size_t len) {
    if (child_send(to, NINES_MSG_CAST, 0, data, len) < 0)
        casts_count_dropped(to->d, to->node, 1);
    else
        to->d->nodes[to->node].counters.casts++;
}

enum ctl_status casts_from_control(struct daemon *d, const char *path, const void *data, size_t len, char *why,
                                   size_t size) {
    engine_node n;
    enum ctl_status st = CTL_ST_OK;
    struct child_proc *p = destination(d, path, &n, &st, why, size);
    if (!p)
        return st;
    if (len > NINES_PROTO_MAX_PAYLOAD) {
        snprintf(why, size, "message of %zu bytes, over the limit of %u", len, NINES_PROTO_MAX_PAYLOAD);
        return CTL_ST_TOO_BIG;
    }
    if (full(p)) {
        d->nodes[n].casts_refused++;
        snprintf(why, size, "'%s' has %zu casts waiting, its bound: try again later", path, p->queue.casts);
        return CTL_ST_REFUSED;
    }
    int r = child_send(p, NINES_MSG_CAST, 0, data, len);
    if (r < 0) {
        snprintf(why, size, "cannot send to '%s': %s", path, r == -EPIPE ? "it is ending" : strerror(-r));
        return r == -ENOMEM ? CTL_ST_INTERNAL : CTL_ST_FAILED;
    }
    d->nodes[n].counters.casts++;
    return CTL_ST_OK;
}

void casts_refused_by_worker(struct daemon *d, const uint8_t *payload, size_t len) {
    uint64_t n;
    char path[1025];
    if (len <= sizeof n || len - sizeof n >= sizeof path)
        return;
    memcpy(&n, payload, sizeof n);
    memcpy(path, payload + sizeof n, len - sizeof n);
    path[len - sizeof n] = '\0';
    struct node_info *c = counts(d, engine_find(d->engine, path));
    if (c)
        c->casts_refused += n;
}

/* Tell `from` that `to` is busy (once), and remember to say when not. */
static void tell_busy(struct child_proc *from, struct child_proc *to) {
    for (size_t i = 0; i < to->n_told; i++)
        if (to->told[i].node == from->node && to->told[i].gen == from->gen)
            return;
    if (to->n_told == to->cap_told) {
        size_t cap = to->cap_told ? to->cap_told * 2 : 4;
        struct casts_told *v = realloc(to->told, cap * sizeof *v);
        if (!v)
            return; /* not told: its casts keep coming, and are queued */
        to->told = v, to->cap_told = cap;
    }
    to->told[to->n_told++] = (struct casts_told){from->node, from->gen};
    send_flow(from, to, true);
}

void casts_from_worker(struct daemon *d, engine_node node, uint64_t gen, const char *path, const void *data,
                       size_t len) {
    char why[300];
    engine_node n;
    enum ctl_status st;
    struct child_proc *to = destination(d, path, &n, &st, why, sizeof why);
    if (!to || len > NINES_PROTO_MAX_PAYLOAD) {
        if (counts(d, n))
            casts_count_dropped(d, n, 1);
        return; /* fire and forget to a child that is not running, as OTP's */
    }
    hand_over(to, data, len);
    struct child_proc *from = node < d->n_nodes ? d->procs[node] : NULL;
    if (full(to) && from && from->gen == gen && !from->ending)
        tell_busy(from, to);
}

/* Every sender told about `p` may cast to it again. */
static void release_all(struct child_proc *p) {
    struct daemon *d = p->d;
    for (size_t i = 0; i < p->n_told; i++) {
        struct child_proc *from = p->told[i].node < d->n_nodes ? d->procs[p->told[i].node] : NULL;
        if (from && from->gen == p->told[i].gen && !from->ending)
            send_flow(from, p, false);
    }
    p->n_told = 0;
}

void casts_drained(struct child_proc *p) {
    if (p->n_told && p->queue.casts <= p->cast_bound / 2)
        release_all(p);
}

void casts_on_exit(struct child_proc *p) {
    p->ending = true;
    release_all(p);
    size_t answers = 0;
    casts_count_dropped(p->d, p->node, child_send_clear(&p->queue, &answers));
    /* Answers to its calls that waited for it went with it, unless copies
     * wait for a rollback (calls_kept.h). */
    if (answers && !upgrade_rollback_possible(p->d, p->node, p->gen))
        drops_count(p->d, p->node, DROP_ANSWERS, answers);
}

void casts_count_dropped(struct daemon *d, engine_node node, uint64_t n) {
    drops_count(d, node, DROP_CASTS, n);
}
