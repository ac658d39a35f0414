/*
 * calls_kept.c — copies of the answers to a worker that may be rolled
 * back (see calls_kept.h).
 */
#include "calls_kept.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "calls.h"
#include "child_proc.h"
#include "log.h"
#include "upgrade.h"

struct kept {
    struct kept *next;
    engine_node node;
    uint64_t gen, ref; /* resent only to node/gen restored: never to a new node in the number */
    uint32_t type;
    size_t len;
    uint8_t data[];
};

/* Every copy, oldest first: they are sent again in the order they came. */
struct calls_kept {
    struct kept *head, **tail;
};

static struct calls_kept *list(struct daemon *d) {
    if (!d->kept && (d->kept = calloc(1, sizeof *d->kept)))
        d->kept->tail = &d->kept->head;
    return d->kept;
}

/* What one copy costs against the bound. */
static size_t cost(size_t len) {
    return sizeof(struct kept) + len;
}

void calls_kept_forget(struct daemon *d, engine_node node) {
    struct calls_kept *k = d->kept;
    if (node < d->n_nodes)
        d->nodes[node].kept_bytes = 0;
    if (!k)
        return;
    k->tail = &k->head;
    for (struct kept **link = &k->head; *link;) {
        struct kept *e = *link;
        if (e->node == node) {
            *link = e->next;
            free(e);
            continue;
        }
        link = &e->next;
        k->tail = link;
    }
}

enum calls_kept_result calls_kept_add(struct daemon *d, engine_node node, uint64_t gen, uint32_t type, uint64_t ref,
                                      const void *data, size_t len) {
    if (!d->upgrades || node >= d->n_nodes || !upgrade_rollback_possible(d, node, gen))
        return CALLS_KEPT_NOT_NEEDED;
    if (d->nodes[node].kept_bytes + cost(len) > CALLS_KEPT_MAX_BYTES)
        return CALLS_KEPT_NO_ROOM; /* the restored worker then gets -ECONNABORTED for it */
    struct calls_kept *k = list(d);
    struct kept *e = k ? malloc(sizeof *e + len) : NULL;
    if (!e)
        return CALLS_KEPT_NO_ROOM;
    d->nodes[node].kept_bytes += cost(len);
    *e = (struct kept){.node = node, .gen = gen, .ref = ref, .type = type, .len = len};
    if (len)
        memcpy(e->data, data, len);
    *k->tail = e;
    k->tail = &e->next;
    return CALLS_KEPT_COPIED;
}

/* The tags of the sorted hand-off table, once it was sent. */
enum { MARK_WAITS = 0, MARK_PENDING = 1, MARK_ANSWERED = 2 };

struct table {
    struct nines_handoff_call *v;
    size_t n;
};

static int by_ref(const void *a, const void *b) {
    uint64_t x = ((const struct nines_handoff_call *)a)->ref, y = ((const struct nines_handoff_call *)b)->ref;
    return x < y ? -1 : x > y;
}

static struct nines_handoff_call *lookup(struct table *t, uint64_t ref) {
    struct nines_handoff_call key = {.ref = ref};
    return t->n ? bsearch(&key, t->v, t->n, sizeof *t->v, by_ref) : NULL;
}

static void mark_pending(void *arg, uint64_t from_ref) {
    struct nines_handoff_call *c = lookup(arg, from_ref);
    if (c)
        c->tag = MARK_PENDING; /* its answer is still to come, to the restored worker */
}

static void log_lost(struct daemon *d, engine_node node, size_t lost) {
    char count[24];
    snprintf(count, sizeof count, "%zu", lost);
    struct nines_field f[] = {{"child", engine_node_path(d->engine, node)}, {"count", count}};
    nines_log_event(LOG_ERR, "call_answers_lost",
                    "answers to calls the worker made were lost across its rollback: each of those calls "
                    "was answered -ECONNABORTED (no copy was kept: over the bound of the copies, or out of memory)",
                    f, 2);
}

void calls_kept_resend(struct daemon *d, struct child_proc *p, struct nines_handoff_call *calls, size_t n) {
    struct table t = {calls, n};
    if (n == 0)
        return; /* none outstanding (calls may be NULL) */
    for (size_t i = 0; i < n; i++)
        calls[i].tag = MARK_WAITS;
    qsort(calls, n, sizeof *calls, by_ref);
    calls_each_pending_from(d, p->node, p->gen, mark_pending, &t);
    for (struct kept *e = d->kept ? d->kept->head : NULL; e; e = e->next) {
        struct nines_handoff_call *c = e->node == p->node && e->gen == p->gen ? lookup(&t, e->ref) : NULL;
        if (!c || c->tag != MARK_WAITS)
            continue; /* not the old code's call, still pending, or sent again already */
        c->tag = MARK_ANSWERED;
        child_send(p, e->type, e->ref, e->data, e->len);
    }
    size_t lost = 0;
    static const char why[] = "the answer to this call was lost when the worker was rolled back";
    uint8_t buf[sizeof(int32_t) + sizeof why];
    int32_t code = -ECONNABORTED;
    memcpy(buf, &code, sizeof code);
    memcpy(buf + sizeof code, why, sizeof why - 1);
    for (size_t i = 0; i < n; i++)
        if (calls[i].tag == MARK_WAITS) {
            child_send(p, NINES_MSG_CALL_FAILED, calls[i].ref, buf, sizeof code + sizeof why - 1);
            lost++;
        }
    if (lost && p->node < d->n_nodes)
        d->nodes[p->node].answers_lost += lost;
    if (lost)
        log_lost(d, p->node, lost);
}

void calls_kept_free(struct daemon *d) {
    struct calls_kept *k = d->kept;
    while (k && k->head) {
        struct kept *e = k->head;
        k->head = e->next;
        free(e);
    }
    free(k);
    d->kept = NULL;
}
