/*
 * control_status_job.c — `status` of a tree of any size (see
 * control_internal.h). A status of 30,000 nodes is 9 MB of records:
 * written all at once, it would sit in ninesd's memory until the client
 * read it, and a client that reads slowly (or not at all) would hold
 * it there; over the queue's limit (control.c) the connection was
 * dropped and the status failed. So the health of the nodes is decided
 * when the request comes, and their records are written a chunk at a
 * time, while the socket takes them: what waits in ninesd stays under
 * two chunks, and a client that stops reading is closed by the stall
 * clock (control_limits.h).
 *
 * Which nodes. Those that were there when asked, and only while their
 * number still names them (engine_node_uid): the walk goes down the live
 * tree from where it stopped, a frame a level, each frame the node shown
 * there last with its uid. A supervisor's children are held in the order
 * of their uids (engine_node_kids), so the next child after one shown is
 * the first there with a higher uid, even once that one is gone; one
 * with a uid above the highest when asked was added since and is left
 * out, and a removed node's subtree goes with it. What a status in
 * progress keeps is the path it is on and 2 bits of health a node (it
 * was a list of 24 bytes a node: 256 clients asking for 33,000 nodes
 * held 135 MB).
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

/* A node on the walk's path: shown (or being shown) at its depth. */
struct frame {
    engine_node node;
    uint64_t uid;
    size_t at; /* where it was among its parent's children: where to look first */
};

struct control_status {
    struct frame *path; /* [0]: the node asked about; the last: the node shown last */
    size_t depth, cap;
    bool begun, done;
    uint64_t max_uid;  /* the highest uid when asked: a node above it came since */
    uint8_t *health;   /* by node, as it was when asked (status_health_of) */
    size_t n_health;
    bool resources;
    uint64_t now_ms;
};

static bool push(struct control_status *s, struct frame f) {
    if (s->depth == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct frame *v = realloc(s->path, cap * sizeof *v);
        if (!v)
            return false;
        s->path = v, s->cap = cap;
    }
    s->path[s->depth++] = f;
    return true;
}

void control_status_free(struct control_status *s) {
    if (!s)
        return;
    free(s->path);
    free(s->health);
    free(s);
}

/* The node of frame f is still the one shown, not removed. */
static bool still(struct daemon *d, const struct frame *f) {
    return engine_node_is(d->engine, f->node, f->uid) && engine_node_state(d->engine, f->node) != ENGINE_NODE_REMOVED;
}

/* The first child of sup after the one of uid `after` (0: from the first)
 * that was there when asked and still is, looked for first right after
 * `hint` (where that one was). A kept array has only children of sup,
 * uids growing; the checks also pass over any entry that is not. */
static bool next_child(struct daemon *d, const struct control_status *s, engine_node sup, uint64_t after, size_t hint,
                       struct frame *out) {
    size_t n;
    const engine_node *kids = engine_node_kids(d->engine, sup, &n);
    size_t i = after && hint < n && engine_node_is(d->engine, kids[hint], after) ? hint + 1 : 0;
    for (; i < n; i++) {
        uint64_t uid = engine_node_uid(d->engine, kids[i]);
        if (uid <= after || uid > s->max_uid || engine_node_parent(d->engine, kids[i]) != sup ||
            engine_node_state(d->engine, kids[i]) == ENGINE_NODE_REMOVED)
            continue;
        *out = (struct frame){kids[i], uid, i};
        return true;
    }
    return false;
}

/* On to the next node to show, depth first: below the last one shown,
 * else after it among its siblings, else after its parent; false at the
 * end (or out of memory for a deeper frame: the status ends there). */
static bool advance(struct control_status *s, struct daemon *d) {
    if (!s->begun) {
        s->begun = true;
        return still(d, &s->path[0]);
    }
    struct frame f, *top = &s->path[s->depth - 1];
    if (still(d, top) && next_child(d, s, top->node, 0, 0, &f))
        return push(s, f);
    for (; s->depth > 1; s->depth--) {
        struct frame *cur = &s->path[s->depth - 1], *parent = &s->path[s->depth - 2];
        if (still(d, parent) && next_child(d, s, parent->node, cur->uid, cur->at, &f)) {
            *cur = f;
            return true;
        }
    }
    return false;
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
    for (size_t done = 0; !s->done && !c->dead && queued(c) < QUEUE_LOW && done < TURN_RECORDS; done++) {
        if (!advance(s, d))
            s->done = true;
        else
            control_status_record(d, &o, s->path[s->depth - 1].node, (unsigned)(s->depth - 1));
    }
    control_status_chunk_send(&o);
    if (c->dead || !s->done)
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

/* The health of every node under `node` when asked, four to a byte;
 * false when out of memory. */
static bool decide_health(struct control_status *s, struct daemon *d, engine_node node, size_t *count) {
    enum nines_health *h = calloc(d->n_nodes + 1, sizeof *h);
    s->n_health = d->n_nodes;
    s->health = calloc(d->n_nodes / 4 + 1, 1);
    if (!h || !s->health) {
        free(h);
        return false;
    }
    control_health_walk_count(d, node, h, count);
    for (size_t i = 0; i < d->n_nodes; i++)
        s->health[i / 4] |= (uint8_t)((h[i] & 3) << (i % 4 * 2));
    free(h);
    return true;
}

void control_status_start(struct daemon *d, struct control_conn *c, engine_node node, bool resources) {
    struct control_status *s = calloc(1, sizeof *s);
    size_t count = 0;
    if (s)
        *s = (struct control_status){.resources = resources, .now_ms = daemon_now_ms(), .max_uid = engine_max_uid(d->engine)};
    if (!s || !decide_health(s, d, node, &count) ||
        !push(s, (struct frame){node, engine_node_uid(d->engine, node), 0})) {
        control_status_free(s);
        control_send_end(c, CTL_ST_INTERNAL, "status: out of memory");
        return;
    }
    big_answer(c, count);
    c->status = s;
    c->took_ms = daemon_now_ms();
    control_status_pump(c);
}
