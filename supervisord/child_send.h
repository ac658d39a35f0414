/*
 * child_send.h — everything ninesd sends to one worker goes through its
 * send queue, so nothing is lost when the channel is full.
 *
 * A SOCK_SEQPACKET channel holds a bounded number of packets (the
 * kernel's net.unix.max_dgram_qlen, 512 by default, and the socket
 * buffer): a burst of calls, casts or replies to one worker fills it, and
 * sendmsg() says EAGAIN. A message that cannot go now is copied to the
 * end of the child's queue, the channel is watched for EPOLLOUT, and the
 * queue is sent, in order, as it drains. While anything waits, new
 * messages queue behind it, so a worker sees its messages in the order
 * ninesd meant to send them.
 */
#ifndef NINES_CHILD_SEND_H
#define NINES_CHILD_SEND_H

#include <stddef.h>
#include <stdint.h>

struct child_proc;

/* A message that waits for the channel to drain. */
struct child_msg {
    struct child_msg *next;
    uint32_t type;
    uint64_t ref;
    size_t len;
    uint8_t data[];
};

/* The messages waiting for one worker, oldest first. */
struct child_queue {
    struct child_msg *head, *tail;
    size_t n;     /* messages waiting */
    size_t casts; /* ... of which NINES_MSG_CAST */
};

/* Send now, or queue behind what waits: 0, or -EMSGSIZE, -ENOMEM, or
 * -EPIPE when the worker has no channel (an exec child) or its end is
 * closed (it is ending: its exit handler answers for its calls). */
int child_send(struct child_proc *p, uint32_t type, uint64_t ref, const void *data, size_t len);

/* The channel can take more: send what waits, as much as it takes. */
void child_send_flush(struct child_proc *p);

/* Watch the channel for what p needs: EPOLLIN, and EPOLLOUT while
 * anything waits to be sent. */
void child_send_update_events(struct child_proc *p);

/* Forget what waits (the worker ended); the number of casts among it,
 * and in *answers (if not NULL) of answers to its calls. */
size_t child_send_clear(struct child_queue *q, size_t *answers);

#endif /* NINES_CHILD_SEND_H */
