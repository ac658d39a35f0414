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
    NINES_MSG_READY = 1,       /* init succeeded. payload: "NAME\0VERSION\0", then "preloaded\0" when the module was loaded before the START */
    NINES_MSG_EXIT_REASON = 2, /* sent just before exiting. payload: u32 nines_reason_kind, then message text */
    NINES_MSG_REPLY = 3,       /* reply to NINES_MSG_CALL `ref`. payload: reply bytes */
    NINES_MSG_CALL_ERROR = 4,  /* NINES_MSG_CALL `ref` cannot be answered. payload: reason text */
    NINES_MSG_OUT_CALL = 5,    /* nines_call(): `ref` is the worker's own. payload: u64 timeout_ms, "PATH\0", request */
    NINES_MSG_OUT_CAST = 6,    /* nines_cast(). payload: "PATH\0", message */
    NINES_MSG_UPGRADE_RESULT = 7, /* how NINES_MSG_UPGRADE went. payload: struct nines_upgrade_result, then "FROM\0TO\0MESSAGE" */
    /* The hand-off before a code_change (worker -> daemon), and the same
     * back to a worker restored after a failed upgrade (daemon -> worker):
     * HANDOFF_FDS, as many as needed, each carrying up to
     * NINES_HANDOFF_FDS_MAX descriptors (SCM_RIGHTS) and a struct
     * nines_handoff_fd per descriptor; then one HANDOFF_STATE: struct
     * nines_handoff_state, a struct nines_handoff_timer per timer, and the
     * snapshot in a memfd (SCM_RIGHTS) when it is not empty. */
    NINES_MSG_HANDOFF_FDS = 8,
    NINES_MSG_HANDOFF_STATE = 9,
    /* After a successful swap, sent once, just before the new code's first
     * callback (a call, a cast, an fd event, a timer, an answer): from
     * then on the hand-off's snapshot is older than what the new code may
     * have acknowledged, and a crash is not rolled back to it unless the
     * old code accepts a stale restore (doc/design.md §4, step 6). No payload. */
    NINES_MSG_TOOK_INPUT = 10,
    /* Part of the hand-off, after HANDOFF_FDS and before HANDOFF_STATE (both
     * ways): the worker's nines_call()s still awaiting their answer, a
     * struct nines_handoff_call each, NINES_HANDOFF_CALLS_MAX per message,
     * so that a worker restored on its old code gets their answers. */
    NINES_MSG_HANDOFF_CALLS = 11,
    /* Casts to the worker at PATH that this worker's host refused with
     * -EAGAIN (ninesd had said it is busy, NINES_MSG_CAST_FLOW): sent when
     * ninesd says it is no longer busy, every HOST_REFUSED_REPORT refusals
     * meanwhile, and at the worker's end, so that `ninesctl status` counts
     * them in PATH's casts_refused. payload: u64 count, "PATH". */
    NINES_MSG_CASTS_REFUSED = 12,
    /* a spare host's NINES_MSG_PRELOAD went well: the module is loaded. No
     * payload. (ninesd reads it before the START, or ignores it.) */
    NINES_MSG_PRELOADED = 13,

    /* daemon -> worker */
    NINES_MSG_SHUTDOWN = 100, /* stop: terminate(shutdown), report, exit */
    NINES_MSG_CALL = 101,     /* request `ref`. payload: request bytes */
    NINES_MSG_CAST = 102,     /* payload: message bytes */
    NINES_MSG_START = 103,    /* to a spare host: "MODULE\0CHILD\0KEY=VALUE\0..." */
    NINES_MSG_CALL_RESULT = 104, /* the reply to the worker's OUT_CALL `ref`. payload: reply bytes */
    NINES_MSG_CALL_FAILED = 105, /* OUT_CALL `ref` failed. payload: i32 -errno, reason text */
    NINES_MSG_UPGRADE = 106,     /* swap to a new .so. payload: u64 max snapshot bytes, "MODULE\0EXTRA\0" */
    /* The worker at PATH has as many casts waiting as it may (busy 1): the
     * worker's nines_cast() to it returns -EAGAIN until the same with busy
     * 0 comes. payload: u8 busy, "PATH" (the child's path from the root). */
    NINES_MSG_CAST_FLOW = 107,
    /* to a spare host, before its START: load MODULE now, with every check
     * a start makes (worker/host_preload.c). payload: "MODULE\0NAME\0", NAME
     * the application it must be ("" for any). */
    NINES_MSG_PRELOAD = 108,
};

/* The fixed part of NINES_MSG_UPGRADE_RESULT. */
struct nines_upgrade_result {
    int32_t status;    /* 0: the new code runs; else -errno and the old code goes on */
    uint32_t stage;    /* enum nines_upgrade_stage where it ended */
    uint64_t pause_us; /* from the request's arrival to serving again */
    uint64_t snapshot_bytes;
    uint64_t load_us, export_us, handoff_us, change_us; /* where the pause went */
};

/* Where an upgrade stopped (or, for success, NINES_UPGRADE_DONE). */
enum nines_upgrade_stage {
    NINES_UPGRADE_LOAD = 1,        /* dlopen of the new .so */
    NINES_UPGRADE_CHECK = 2,       /* its descriptor: magic, ABI, name, callbacks */
    NINES_UPGRADE_EXPORT = 3,      /* the old code's export_state */
    NINES_UPGRADE_CODE_CHANGE = 4, /* the new code's code_change */
    NINES_UPGRADE_DONE = 5,
};

#define NINES_HANDOFF_FDS_MAX 250 /* below the kernel's SCM_MAX_FD (253) */

struct nines_handoff_fd {
    uint64_t tag;    /* the application's watch tag */
    int32_t fd;      /* its number in the worker: a restored worker gets it there */
    uint32_t events; /* NINES_READABLE | NINES_WRITABLE */
};

struct nines_handoff_timer {
    uint64_t tag;
    uint64_t remaining_ms; /* until its next expiry */
    uint64_t repeat_ms;
};

struct nines_handoff_state {
    uint64_t snapshot_len; /* bytes in the memfd; 0: no memfd */
    uint32_t n_fds;        /* descriptors sent in the HANDOFF_FDS before */
    uint32_t n_timers;
    char version[64];      /* the version whose snapshot it is */
    uint32_t flags;        /* NINES_HANDOFF_* */
    uint32_t n_calls;      /* calls sent in the HANDOFF_CALLS before */
    uint64_t next_call_ref; /* the worker's last nines_call() reference */
};

/* One outstanding nines_call() of the worker: its reference and the
 * application's tag. */
struct nines_handoff_call {
    uint64_t ref;
    uint64_t tag;
};
#define NINES_HANDOFF_CALLS_MAX (NINES_PROTO_MAX_PAYLOAD / sizeof(struct nines_handoff_call))

/* struct nines_handoff_state's flags. */
enum {
    /* worker -> daemon: the old code accepts a restore from this snapshot
     * after the new code has taken input (NINES_MODULE_STALE_RESTORE) */
    NINES_HANDOFF_STALE_OK = 1u << 0,
    /* daemon -> worker: it is such a restore: the new code took input
     * after this snapshot (code_change sees NINES_CC_STALE) */
    NINES_HANDOFF_STALE = 1u << 1,
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

/* Send with descriptors attached (SCM_RIGHTS); at most
 * NINES_HANDOFF_FDS_MAX + 1 of them. */
int nines_proto_send_fds(int fd, uint32_t type, uint64_t ref, const void *payload, size_t length,
                         const int *fds, size_t n_fds);

/* As nines_proto_recv, also taking the descriptors that came with the
 * packet (CLOEXEC) into fds (room for `max`), their count in *n_fds. A
 * packet with more than `max` is refused (-EBADMSG) and its descriptors
 * closed. */
int nines_proto_recv_fds(int fd, uint8_t *buf, struct nines_msg *msg, int *fds, size_t max, size_t *n_fds);

/* Receive one packet into buf (NINES_PROTO_BUFSIZE bytes) and decode it.
 * 0, -EAGAIN when nothing is waiting, -ECONNRESET on end of stream,
 * -EBADMSG for a malformed or truncated packet, or another -errno. */
int nines_proto_recv(int fd, uint8_t *buf, struct nines_msg *msg);

#endif /* NINES_PROTO_H */
