/*
 * calls.c — the call router (see calls.h). Each call in flight has a
 * daemon-wide reference, the only one the callee sees; the router maps it
 * back to the caller: a control connection, or a worker incarnation and
 * that worker's own reference.
 */
#include "calls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls_kept.h"
#include "casts.h"
#include "child_proc.h"
#include "drops.h"
#include "u64_map.h"

enum caller_kind { CALLER_CONTROL, CALLER_WORKER };

struct call {
    uint64_t ref; /* what the callee sees */
    enum caller_kind caller;
    uint64_t conn_id;              /* CALLER_CONTROL */
    engine_node from;              /* CALLER_WORKER */
    uint64_t from_gen, from_ref;
    engine_node to;
    uint64_t to_gen;
    uint64_t deadline_us; /* CLOCK_MONOTONIC */
    uint64_t start_us;    /* when it reached ninesd (metrics, counters.h) */
    struct call *prev, *next;         /* every call in flight, oldest first */
    struct call *to_prev, *to_next;   /* the calls to the same callee incarnation */
};

/* A call keeps node numbers across turns of the loop, each with its gen
 * (unique over every node's spawns): an answer is taken only from the
 * callee's incarnation (calls_on_answer), a result goes only to the
 * caller's (live_worker), so a number reused meanwhile (engine_reclaim.c)
 * gets nothing. No call outlives its callee: its end fails them all
 * (calls_on_exit) before the engine hears of it, so `to` is never freed.
 *
 * Every call in flight is found in O(1): by its ref (an answer), and by
 * its callee's gen (the callee's end fails its calls; a gen names one
 * incarnation of one node). One list of them all, for the timeouts and
 * the end of the tree.
 *
 * One timer for all calls, armed at the earliest deadline or later: a
 * call's end never touches it, so a stream of quick calls costs no timer
 * system call; when it fires, the calls due fail and it is armed again. */
struct calls {
    struct u64_map by_ref;    /* ref -> struct call */
    struct u64_map by_callee; /* to_gen -> its newest struct call */
    struct call *head, *tail;
    size_t n;
    uint64_t next_ref;
    sd_event_source *timer;
    uint64_t timer_at_us; /* 0: off */
    struct call *spare;   /* records of ended calls, for the next ones (linked by next) */
    size_t n_spare;
};

/* Ended call records kept for reuse: a stream of calls allocates none. */
#define CALL_SPARES 256

static struct calls *table(struct daemon *d) {
    if (!d->calls)
        d->calls = calloc(1, sizeof *d->calls);
    return d->calls;
}

/* A zeroed call record. */
static struct call *new_call(struct daemon *d) {
    struct calls *t = table(d);
    struct call *c = t ? t->spare : NULL;
    if (!c)
        return calloc(1, sizeof *c);
    t->spare = c->next;
    t->n_spare--;
    *c = (struct call){0};
    return c;
}

static void drop_call(struct daemon *d, struct call *c) {
    struct calls *t = d->calls;
    if (!t || t->n_spare >= CALL_SPARES) {
        free(c);
        return;
    }
    c->next = t->spare;
    t->spare = c;
    t->n_spare++;
}

/* The loop's time of this turn (sd_event_now): what the calls' deadlines
 * and latencies are measured in, without a clock read per call. */
static uint64_t turn_us(struct daemon *d) {
    uint64_t us;
    return sd_event_now(d->loop, CLOCK_MONOTONIC, &us) >= 0 ? us : counters_now_us();
}

/* Index c (ref and to_gen set). 0 or -ENOMEM, with nothing indexed. */
static int add_call(struct calls *t, struct call *c) {
    if (u64_map_put(&t->by_ref, c->ref, c) < 0)
        return -ENOMEM;
    struct call *first = u64_map_get(&t->by_callee, c->to_gen);
    if (u64_map_put(&t->by_callee, c->to_gen, c) < 0) {
        u64_map_del(&t->by_ref, c->ref);
        return -ENOMEM;
    }
    c->to_prev = NULL, c->to_next = first;
    if (first)
        first->to_prev = c;
    c->prev = t->tail, c->next = NULL;
    if (t->tail)
        t->tail->next = c;
    else
        t->head = c;
    t->tail = c;
    t->n++;
    return 0;
}

static void remove_call(struct daemon *d, struct call *c) {
    struct calls *t = d->calls;
    u64_map_del(&t->by_ref, c->ref);
    if (c->to_prev)
        c->to_prev->to_next = c->to_next;
    else if (c->to_next)
        u64_map_put(&t->by_callee, c->to_gen, c->to_next); /* replaces: cannot fail */
    else
        u64_map_del(&t->by_callee, c->to_gen);
    if (c->to_next)
        c->to_next->to_prev = c->to_prev;
    if (c->prev)
        c->prev->next = c->next;
    else
        t->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        t->tail = c->prev;
    t->n--;
    drop_call(d, c);
}

/* Metrics: how the call to `c->to` ended, and how long it took if answered. */
static void count_call(struct daemon *d, const struct call *c, enum call_outcome how) {
    if (c->to < d->n_nodes)
        d->nodes[c->to].counters.calls[how]++;
    if (how != CALL_FAILED)
        call_latency_observe(&d->call_latency, turn_us(d) - c->start_us);
}

static struct call *find_ref(struct daemon *d, uint64_t ref) {
    return d->calls ? u64_map_get(&d->calls->by_ref, ref) : NULL;
}

/* --- answering the caller ---------------------------------------------------- */

static struct child_proc *live_worker(struct daemon *d, engine_node n, uint64_t gen) {
    struct child_proc *p = n < d->n_nodes ? d->procs[n] : NULL;
    return p && p->gen == gen && p->channel >= 0 ? p : NULL;
}

static enum ctl_status status_for(int err) {
    switch (err) {
    case -ENOENT: return CTL_ST_NOT_FOUND;
    case -ETIMEDOUT: return CTL_ST_TIMEOUT;
    case -EMSGSIZE: return CTL_ST_TOO_BIG;
    default: return CTL_ST_FAILED;
    }
}

/* The worker that made call c has no process to take its answer. Unless
 * the answer waits in a copy for a rollback (or is missed by one, which
 * then answers -ECONNABORTED: calls_kept.h), it is dropped: counted. */
static void caller_gone(struct daemon *d, const struct call *c, enum calls_kept_result kept) {
    if (kept == CALLS_KEPT_NOT_NEEDED)
        drops_count(d, c->from, DROP_ANSWERS, 1);
}

static void fail_caller(struct daemon *d, struct call *c, int err, const char *why) {
    if (c->caller == CALLER_CONTROL) {
        struct control_conn *conn = control_conn_find(d, c->conn_id);
        if (conn)
            control_send_end(conn, status_for(err), "%s", why);
        return;
    }
    uint8_t buf[4 + 512];
    int32_t code = err;
    size_t len = strnlen(why, 512);
    memcpy(buf, &code, sizeof code);
    memcpy(buf + sizeof code, why, len);
    enum calls_kept_result kept =
        calls_kept_add(d, c->from, c->from_gen, NINES_MSG_CALL_FAILED, c->from_ref, buf, sizeof code + len);
    struct child_proc *p = live_worker(d, c->from, c->from_gen);
    if (p)
        child_send(p, NINES_MSG_CALL_FAILED, c->from_ref, buf, sizeof code + len);
    else
        caller_gone(d, c, kept);
}

static void answer_caller(struct daemon *d, struct call *c, const void *data, size_t len) {
    if (c->caller == CALLER_CONTROL) {
        struct control_conn *conn = control_conn_find(d, c->conn_id);
        if (conn) {
            control_send_data(conn, data, len);
            control_send_end(conn, CTL_ST_OK, "%s", "");
        }
        return;
    }
    enum calls_kept_result kept =
        calls_kept_add(d, c->from, c->from_gen, NINES_MSG_CALL_RESULT, c->from_ref, data, len);
    struct child_proc *p = live_worker(d, c->from, c->from_gen);
    if (!p)
        caller_gone(d, c, kept);
    else if (child_send(p, NINES_MSG_CALL_RESULT, c->from_ref, data, len) == -ENOMEM)
        fail_caller(d, c, -ENOMEM, "out of memory for the reply"); /* small: it may fit */
}

/* --- starting a call ---------------------------------------------------------- */

/* The worker at `path` that can take a call now, or why not. */
static struct child_proc *callee(struct daemon *d, const char *path, int *err, char *why, size_t size) {
    engine_node n = engine_find(d->engine, path);
    if (n == ENGINE_NO_NODE) {
        *err = -ENOENT;
        snprintf(why, size, "no child '%s' in the tree", path);
        return NULL;
    }
    const struct nines_child_spec *spec = engine_node_spec(d->engine, n);
    if (!spec || spec->kind != NINES_CHILD_MODULE) {
        *err = -EPROTOTYPE;
        snprintf(why, size, "'%s' is not a worker: only module workers take calls and casts", path);
        return NULL;
    }
    struct child_proc *p = n < d->n_nodes ? d->procs[n] : NULL;
    if (engine_node_state(d->engine, n) != ENGINE_NODE_RUNNING || !p || p->channel < 0) {
        *err = -EHOSTDOWN;
        snprintf(why, size, "'%s' is not running (%s)", path, engine_node_state_name(engine_node_state(d->engine, n)));
        return NULL;
    }
    return p;
}

static void arm_timer(struct daemon *d, uint64_t at_us);

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
    struct daemon *d = userdata;
    struct calls *t = d->calls;
    uint64_t next = 0;
    t->timer_at_us = 0;
    for (struct call *c = t->head, *after; c; c = after) {
        after = c->next;
        if (c->deadline_us > usec) {
            next = next && next < c->deadline_us ? next : c->deadline_us;
            continue;
        }
        char why[128];
        snprintf(why, sizeof why, "no reply from '%s' in time", engine_node_path(d->engine, c->to));
        fail_caller(d, c, -ETIMEDOUT, why);
        count_call(d, c, CALL_FAILED);
        remove_call(d, c); /* a late reply is then dropped: its ref is unknown */
    }
    if (next)
        arm_timer(d, next);
    else
        sd_event_source_set_enabled(s, SD_EVENT_OFF);
    return 0;
}

static void arm_timer(struct daemon *d, uint64_t at_us) {
    struct calls *t = d->calls;
    if (t->timer_at_us && t->timer_at_us <= at_us)
        return; /* it fires first anyway, and re-arms for this one */
    if (!t->timer && sd_event_add_time(d->loop, &t->timer, CLOCK_MONOTONIC, at_us, 1000, on_timeout, d) < 0)
        return;
    sd_event_source_set_time(t->timer, at_us);
    sd_event_source_set_enabled(t->timer, SD_EVENT_ONESHOT);
    t->timer_at_us = at_us;
}

/* Register `c` (caller fields set) and send the request; on failure the
 * caller has been answered and `c` freed. */
static void start_call(struct daemon *d, struct call *c, const char *path, const void *data, size_t len,
                       uint64_t timeout_ms) {
    char why[300];
    int err = 0;
    struct calls *t = table(d);
    struct child_proc *p = t ? callee(d, path, &err, why, sizeof why) : NULL;
    if (!t)
        err = -ENOMEM, snprintf(why, sizeof why, "out of memory");
    if (p && len > NINES_PROTO_MAX_PAYLOAD)
        p = NULL, err = -EMSGSIZE, snprintf(why, sizeof why, "request of %zu bytes, over the limit of %u", len,
                                            NINES_PROTO_MAX_PAYLOAD);
    if (p) {
        c->ref = t->next_ref + 1;
        c->to = p->node, c->to_gen = p->gen;
        if (add_call(t, c) < 0)
            p = NULL, err = -ENOMEM, snprintf(why, sizeof why, "out of memory");
    }
    if (!p) {
        fail_caller(d, c, err, why);
        drop_call(d, c);
        return;
    }
    t->next_ref = c->ref;
    c->start_us = turn_us(d);
    c->deadline_us = c->start_us + timeout_ms * 1000;
    arm_timer(d, c->deadline_us);
    /* Sent or queued (child_send.h); a callee whose channel closed is
     * ending, and its exit answers this call with the others. */
    int r = child_send(p, NINES_MSG_CALL, c->ref, data, len);
    if (r < 0 && r != -EPIPE) {
        snprintf(why, sizeof why, "cannot send to '%s': %s", path, strerror(-r));
        fail_caller(d, c, r, why);
        remove_call(d, c);
    }
}

void calls_from_control(struct daemon *d, struct control_conn *conn, const char *path, const void *data,
                        size_t len, uint64_t timeout_ms) {
    struct call *c = new_call(d);
    if (!c) {
        control_send_end(conn, CTL_ST_INTERNAL, "out of memory");
        return;
    }
    c->caller = CALLER_CONTROL;
    c->conn_id = control_conn_id(conn);
    start_call(d, c, path, data, len, timeout_ms);
}

enum ctl_status calls_cast(struct daemon *d, const char *path, const void *data, size_t len, char *why,
                           size_t size) {
    return casts_from_control(d, path, data, len, why, size);
}

/* --- messages from workers ---------------------------------------------------- */

/* "PATH\0" then the data; NULL if there is no terminated path. */
static const char *split_path(const uint8_t *payload, size_t len, const void **data, size_t *data_len) {
    const char *path = (const char *)payload;
    size_t plen = strnlen(path, len);
    if (plen == len || plen == 0)
        return NULL;
    *data = payload + plen + 1;
    *data_len = len - plen - 1;
    return path;
}

static void worker_call(struct daemon *d, engine_node node, uint64_t gen, const struct nines_msg *m) {
    uint64_t timeout_ms;
    const void *data;
    size_t data_len;
    const char *path = m->length > sizeof timeout_ms
                           ? split_path(m->payload + sizeof timeout_ms, m->length - sizeof timeout_ms, &data,
                                        &data_len)
                           : NULL;
    struct call *c = new_call(d);
    if (!c) { /* still exactly one answer: the failure, from a record on the stack */
        struct call none = {.caller = CALLER_WORKER, .from = node, .from_gen = gen, .from_ref = m->ref};
        fail_caller(d, &none, -ENOMEM, "out of memory");
        return;
    }
    *c = (struct call){.caller = CALLER_WORKER, .from = node, .from_gen = gen, .from_ref = m->ref};
    if (!path) {
        fail_caller(d, c, -EINVAL, "malformed call: expected a timeout and a child path");
        drop_call(d, c);
        return;
    }
    memcpy(&timeout_ms, m->payload, sizeof timeout_ms);
    if (timeout_ms == 0 || timeout_ms > 24ull * 3600 * 1000)
        timeout_ms = 5000;
    start_call(d, c, path, data, data_len, timeout_ms);
}

void calls_from_worker(struct daemon *d, engine_node node, uint64_t gen, const struct nines_msg *m) {
    if (m->type == NINES_MSG_OUT_CALL) {
        worker_call(d, node, gen, m);
        return;
    }
    const void *data;
    size_t data_len;
    const char *path = split_path(m->payload, m->length, &data, &data_len);
    if (path)
        casts_from_worker(d, node, gen, path, data, data_len);
}

void calls_on_answer(struct daemon *d, engine_node node, uint64_t gen, const struct nines_msg *m) {
    struct call *c = find_ref(d, m->ref);
    if (!c || c->to != node || c->to_gen != gen)
        return; /* timed out already, or not this worker's to answer */
    if (m->type == NINES_MSG_REPLY) {
        answer_caller(d, c, m->payload, m->length);
    } else {
        char why[600];
        snprintf(why, sizeof why, "'%s' cannot answer: %.*s", engine_node_path(d->engine, node), (int)m->length,
                 (const char *)m->payload);
        fail_caller(d, c, -ENOTSUP, why);
    }
    count_call(d, c, m->type == NINES_MSG_REPLY ? CALL_REPLIED : CALL_ERROR);
    remove_call(d, c);
}

void calls_on_exit(struct daemon *d, engine_node node, uint64_t gen, const struct nines_reason *reason) {
    struct calls *t = d->calls;
    char text[300], why[400];
    nines_reason_format(reason, text, sizeof text);
    struct call *c;
    while (t && (c = u64_map_get(&t->by_callee, gen)) != NULL) {
        if (c->to != node) /* a gen is one node's: never */
            break;
        snprintf(why, sizeof why, "'%s' ended before replying: %s", engine_node_path(d->engine, node), text);
        fail_caller(d, c, -ECONNABORTED, why);
        count_call(d, c, CALL_FAILED);
        remove_call(d, c);
    }
}

void calls_each_pending_from(struct daemon *d, engine_node node, uint64_t gen, void (*fn)(void *, uint64_t),
                            void *arg) {
    struct calls *t = d->calls;
    for (struct call *c = t ? t->head : NULL; c; c = c->next)
        if (c->caller == CALLER_WORKER && c->from == node && c->from_gen == gen)
            fn(arg, c->from_ref);
}

void calls_fail_all(struct daemon *d, const char *why) {
    struct calls *t = d->calls;
    while (t && t->head) {
        struct call *c = t->head; /* the tree stops: an answer to a caller gone is no drop then */
        if (c->caller == CALLER_CONTROL || live_worker(d, c->from, c->from_gen))
            fail_caller(d, c, -ESHUTDOWN, why);
        remove_call(d, t->head);
    }
}

void calls_free(struct daemon *d) {
    calls_fail_all(d, "the tree stopped");
    if (d->calls) {
        while (d->calls->spare) {
            struct call *c = d->calls->spare;
            d->calls->spare = c->next;
            free(c);
        }
        sd_event_source_disable_unref(d->calls->timer);
        u64_map_free(&d->calls->by_ref);
        u64_map_free(&d->calls->by_callee);
    }
    free(d->calls);
    d->calls = NULL;
    calls_kept_free(d);
}
