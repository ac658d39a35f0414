/*
 * child_send.c — a worker's send queue (see child_send.h).
 */
#include "child_send.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "casts.h"
#include "child_proc.h"
#include "proto.h"

static int push(struct child_queue *q, uint32_t type, uint64_t ref, const void *data, size_t len) {
    struct child_msg *m = malloc(sizeof *m + len);
    if (!m)
        return -ENOMEM;
    *m = (struct child_msg){.type = type, .ref = ref, .len = len};
    if (len)
        memcpy(m->data, data, len);
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->n++;
    q->casts += type == NINES_MSG_CAST;
    return 0;
}

static void pop(struct child_queue *q) {
    struct child_msg *m = q->head;
    q->head = m->next;
    if (!q->head)
        q->tail = NULL;
    q->n--;
    q->casts -= m->type == NINES_MSG_CAST;
    free(m);
}

void child_send_update_events(struct child_proc *p) {
    uint32_t events = EPOLLIN | (p->queue.n ? EPOLLOUT : 0);
    if (p->channel_src)
        sd_event_source_set_io_events(p->channel_src, events);
}

int child_send(struct child_proc *p, uint32_t type, uint64_t ref, const void *data, size_t len) {
    if (!p || p->channel < 0)
        return -EPIPE;
    if (len > NINES_PROTO_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (!p->queue.n) {
        int r = nines_proto_send(p->channel, type, ref, data, len);
        if (r != -EAGAIN)
            return r == -ECONNRESET ? -EPIPE : r;
    }
    int r = push(&p->queue, type, ref, data, len);
    if (r == 0 && p->queue.n == 1)
        child_send_update_events(p);
    return r;
}

void child_send_flush(struct child_proc *p) {
    struct child_queue *q = &p->queue;
    size_t casts = q->casts;
    while (q->head) {
        struct child_msg *m = q->head;
        if (nines_proto_send(p->channel, m->type, m->ref, m->data, m->len) == -EAGAIN)
            break;
        pop(q); /* sent, or the worker is gone and its exit handler answers for it */
    }
    if (!q->head)
        child_send_update_events(p);
    if (q->casts < casts)
        casts_drained(p);
}

size_t child_send_clear(struct child_queue *q, size_t *answers) {
    size_t casts = q->casts, n = 0;
    while (q->head) {
        n += q->head->type == NINES_MSG_CALL_RESULT || q->head->type == NINES_MSG_CALL_FAILED;
        pop(q);
    }
    if (answers)
        *answers = n;
    return casts;
}
