/*
 * proto.h — the channel between ninesd and one worker host.
 *
 * Each worker is spawned with one end of a SOCK_SEQPACKET socketpair as
 * descriptor NINES_CHANNEL_FD (3). Sequenced packets keep message
 * boundaries, so a message is one packet: a fixed header then `length`
 * payload bytes. Every received packet is validated (size, type, length)
 * before anything looks at the payload; a bad one is an error, never a
 * crash. Messages never carry pointers, only bytes.
 */
#ifndef NINES_PROTO_H
#define NINES_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define NINES_CHANNEL_FD 3
/* Largest payload of one packet; bigger data travels another way. */
#define NINES_PROTO_MAX_PAYLOAD (64u * 1024u)

enum nines_msg_type {
    /* worker -> daemon */
    NINES_MSG_READY = 1,       /* init succeeded. payload: "NAME\0VERSION\0" */
    NINES_MSG_EXIT_REASON = 2, /* sent just before exiting. payload: u32 nines_reason_kind, then message text */
    NINES_MSG_REPLY = 3,       /* reply to NINES_MSG_CALL `ref`. payload: reply bytes */
    NINES_MSG_CALL_ERROR = 4,  /* NINES_MSG_CALL `ref` cannot be answered. payload: reason text */
    NINES_MSG_OUT_CALL = 5,    /* nines_call(): `ref` is the worker's own. payload: u64 timeout_ms, "PATH\0", request */
    NINES_MSG_OUT_CAST = 6,    /* nines_cast(). payload: "PATH\0", message */

    /* daemon -> worker */
    NINES_MSG_SHUTDOWN = 100, /* stop: terminate(shutdown), report, exit */
    NINES_MSG_CALL = 101,     /* request `ref`. payload: request bytes */
    NINES_MSG_CAST = 102,     /* payload: message bytes */
    NINES_MSG_START = 103,    /* to a spare host: "MODULE\0CHILD\0KEY=VALUE\0..." */
    NINES_MSG_CALL_RESULT = 104, /* the reply to the worker's OUT_CALL `ref`. payload: reply bytes */
    NINES_MSG_CALL_FAILED = 105, /* OUT_CALL `ref` failed. payload: i32 -errno, reason text */
};

struct nines_msg_header {
    uint32_t type;
    uint32_t length; /* payload bytes that follow */
    uint64_t ref;    /* call reference; 0 when unused */
};

struct nines_msg {
    uint32_t type;
    uint64_t ref;
    const uint8_t *payload; /* points into the caller's receive buffer */
    size_t length;
};

/* Receive buffers must hold a header and the largest payload. */
#define NINES_PROTO_BUFSIZE (sizeof(struct nines_msg_header) + NINES_PROTO_MAX_PAYLOAD)

/* Send one message. 0, or a negative errno (-EMSGSIZE if too big). */
int nines_proto_send(int fd, uint32_t type, uint64_t ref, const void *payload, size_t length);

/* Decode and validate one received packet of `size` bytes held in `buf`.
 * Pure. 0 and *msg filled, or -EBADMSG for a malformed packet. */
int nines_proto_decode(const uint8_t *buf, size_t size, struct nines_msg *msg);

/* Receive one packet into buf (NINES_PROTO_BUFSIZE bytes) and decode it.
 * 0, -EAGAIN when nothing is waiting, -ECONNRESET on end of stream,
 * -EBADMSG for a malformed or truncated packet, or another -errno. */
int nines_proto_recv(int fd, uint8_t *buf, struct nines_msg *msg);

#endif /* NINES_PROTO_H */
