/*
 * control_status_job.c — `status` of a tree of any size (see
 * control_internal.h). A status of 30,000 nodes is 9 MB of records:
 * written all at once, it would sit in ninesd's memory until the client
 * read it, and a client that reads slowly (or not at all) would hold
 * it there; over the queue's limit (control.c) the connection was
 * dropped and the status failed. So the nodes to show and their health
 * are decided when the request comes (a list of node numbers: 12 bytes
 * a node), and their records are written a chunk at a time, while the
 * socket takes them: what waits in ninesd stays under two chunks, and a
 * client that stops reading is closed by the stall clock
 * (control_limits.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control_internal.h"

#define CHUNK (64 * 1024)
/* Write more while less than this waits for the socket. */
#define QUEUE_LOW (64 * 1024)
/* At most this many records (about 1 MB) per turn of the loop, so other
 * work is not held up behind a big status (the socket, still writable,
 * brings it back). */
#define TURN_RECORDS 4096

struct status_item {
    engine_node node, parent; /* the parent then: a node removed since, or moved, is left out */
    uint64_t uid; /* engine_node_uid: a number freed since may name a node started after the request */
    unsigned depth;
};

struct control_status {
    struct status_item *items; /* depth first, in start order */
    size_t n, cap, next;
    enum nines_health *health; /* by node, as it was when asked */
    size_t n_health;
    bool resources;
    uint64_t now_ms;
};

static int add_item(struct control_status *s, engine_node n, engine_node parent, uint64_t uid, unsigned depth) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        struct status_item *v = realloc(s->items, cap * sizeof *v);
        if (!v)
            return -1;
        s->items = v, s->cap = cap;
    }
    s->items[s->n++] = (struct status_item){n, parent, uid, depth};
    return 0;
}

static int list_nodes(struct control_status *s, struct daemon *d, engine_node n, engine_node parent, unsigned depth) {
    if (add_item(s, n, parent, engine_node_uid(d->engine, n), depth) < 0)
        return -1;
    size_t count = 0;
    const engine_node *kids = engine_node_children(d->engine, n, &count);
    if (!count)
        return 0;
    /* The engine's list lives until its next call, and walking the
     * children calls it again: keep a copy. */
    engine_node *copy = malloc(count * sizeof *copy);
    if (!copy)
        return -1;
    memcpy(copy, kids, count * sizeof *copy);
    int r = 0;
    for (size_t i = 0; r == 0 && i < count; i++)
        r = list_nodes(s, d, copy[i], n, depth + 1);
    free(copy);
    return r;
}

void control_status_free(struct control_status *s) {
    if (!s)
        return;
    free(s->items);
    free(s->health);
    free(s);
}

/* The node still is where it was listed (the first one: still there). */
static bool still_there(struct daemon *d, const struct status_item *it, bool first) {
    if (!engine_node_is(d->engine, it->node, it->uid) || engine_node_state(d->engine, it->node) == ENGINE_NODE_REMOVED)
        return false;
    return first || engine_node_parent(d->engine, it->node) == it->parent;
}

static size_t queued(const struct control_conn *c) {
    return c->out_len - c->out_off;
}

void control_status_pump(struct control_conn *c) {
    static char buf[CHUNK];
    struct control_status *s = c->status;
    struct daemon *d = c->d;
    struct status_chunk o = {.c = c, .buf = buf, .size = sizeof buf, .resources = s->resources,
                             .health = s->health, .n_health = s->n_health, .now_ms = s->now_ms};
    for (size_t done = 0; s->next < s->n && !c->dead && queued(c) < QUEUE_LOW && done < TURN_RECORDS; done++) {
        const struct status_item *it = &s->items[s->next];
        if (still_there(d, it, s->next == 0))
            control_status_record(d, &o, it->node, it->depth);
        s->next++;
    }
    control_status_chunk_send(&o);
    if (c->dead || s->next < s->n)
        return; /* the rest when the socket takes more (conn_want_write asks for EPOLLOUT) */
    c->status = NULL;
    control_status_free(s);
    control_send_end(c, CTL_ST_OK, "%s", "");
}

/* A status of thousands of nodes is megabytes: let the socket hold a good
 * part of it (up to the system's wmem_max), so that ninesd is woken less
 * often to write the next. About 300 bytes a record. */
static void big_answer(struct control_conn *c, size_t nodes) {
    int want = nodes > 1000 ? (int)(nodes < 20000 ? nodes * 320 : 20000 * 320) : 0;
    int have = 0;
    socklen_t len = sizeof have;
    if (want && getsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &have, &len) == 0 && have < want)
        (void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
}

void control_status_start(struct daemon *d, struct control_conn *c, engine_node node, bool resources) {
    struct control_status *s = calloc(1, sizeof *s);
    if (s) {
        *s = (struct control_status){.resources = resources, .now_ms = daemon_now_ms(),
                                     .n_health = d->n_nodes, .health = calloc(d->n_nodes + 1, sizeof *s->health)};
    }
    if (!s || !s->health || list_nodes(s, d, node, ENGINE_NO_NODE, 0) < 0) {
        control_status_free(s);
        control_send_end(c, CTL_ST_INTERNAL, "status: out of memory");
        return;
    }
    control_health_walk(d, node, s->health);
    big_answer(c, s->n);
    c->status = s;
    c->took_ms = daemon_now_ms();
    control_status_pump(c);
}
