/*
 * host.h — the worker host: the program each worker process runs.
 *
 * It loads one application .so, checks its descriptor, runs init, and then
 * calls the application's callbacks from its own event loop, one at a time.
 * Every registration the application makes (watched fds, timers) lives
 * here, keyed by the application's tag; the only pointer into the .so that
 * the host keeps is `mod`, the current descriptor, so that a later code
 * swap only has to replace it.
 *
 * The loop is a bare epoll loop rather than sd-event: the host is on the
 * restart path (crash -> replacement ready), and not loading libsystemd and
 * its dependencies into every worker keeps that path close to the cost of
 * exec + dlopen (see bench/bench_restart.c).
 */
#ifndef NINES_HOST_H
#define NINES_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nines/module.h"
#include "proto.h"
#include "u64_map.h"

/* --- registrations: fd watches and timers, found by (kind, tag) ------- */

enum reg_kind { REG_FD = 1, REG_TIMER = 2 };

struct reg {
    enum reg_kind kind;
    uint64_t tag;
    int fd;          /* the application's fd, or the timer's timerfd */
    uint32_t events; /* REG_FD: NINES_READABLE|NINES_WRITABLE */
    bool repeating;  /* REG_TIMER */
    bool used;
    uint32_t gen;    /* bumped on reuse, so stale epoll events are dropped */
    int32_t next;    /* hash chain, or free list */
};

struct regs {
    struct reg *slots;
    size_t n_slots, cap;
    int32_t *buckets;
    size_t n_buckets;
    int32_t free_head;
    size_t count;
};

/* Index of a new registration, -EEXIST if (kind, tag) is taken, -ENOMEM. */
int regs_add(struct regs *r, enum reg_kind kind, uint64_t tag);
/* Index of (kind, tag), or -1. */
int regs_find(const struct regs *r, enum reg_kind kind, uint64_t tag);
void regs_remove(struct regs *r, int idx);
/* The registration at idx if it is still the one of generation gen. */
struct reg *regs_at(struct regs *r, uint32_t idx, uint32_t gen);
void regs_free(struct regs *r);

/* --- the worker's context ------------------------------------------------ */

struct host_arg {
    const char *key, *value;
};

/* The buffer export_state() fills: a memfd, all of it mapped shared, that
 * is handed to ninesd as it is (host_handoff.c). All zero: none yet. */
struct nines_buf {
    unsigned char *data; /* the mapping, or NULL */
    size_t len, cap;     /* cap: the memfd's size */
    int memfd;           /* valid when data is not NULL */
    size_t warm;         /* bytes from the start faulted in ahead of time */
};

/* The memory the next upgrade will write during its pause, made ready
 * when the worker is idle (host_handoff.c). */
struct host_prepared {
    struct nines_buf buf[2]; /* the hand-off buffers, written in turn */
    int next;                /* the one the next export_state() writes; the
                              * other may be ninesd's last hand-off */
    size_t want;             /* bytes of buffer and of free heap, 0: none */
    bool sized;              /* want was set, from a snapshot or an estimate */
    long faults;             /* page faults before init: the estimate is
                              * those since, the memory init touched */
    unsigned char *heap;     /* a block being faulted in, then freed */
    size_t heap_done;        /* bytes of it faulted in */
    bool heap_ready;         /* no (more) free heap to prepare */
};

struct host_out_call {
    uint64_t ref; /* ours, echoed by ninesd */
    uint64_t tag; /* the application's */
};

/* A destination ninesd said is busy, and the casts to it refused since
 * they were last told to ninesd. */
struct host_busy {
    char *path;
    uint64_t refused;
};
#define HOST_REFUSED_REPORT 1024

/* The code and state a swap replaced, let go of when idle (host_upgrade.c). */
struct host_retired {
    const struct nines_module *mod;
    void *state;
    void *dl; /* NULL: none */
};

struct nines_ctx {
    const struct nines_module *mod; /* the current descriptor: the only pointer into the .so */
    void *dl;
    void *state;
    const char *module_path;
    const char *child_path;
    const char *expect_name; /* the application module_path was before (--expect-name), or NULL */
    struct host_arg *args;
    size_t n_args;
    struct host_arg *sockets; /* --socket NAME=FD: the child's listening sockets (nines_listen_fd) */
    size_t n_sockets;

    int epfd;
    int channel; /* NINES_CHANNEL_FD, or -1 when run by hand */
    int sigfd;
    struct regs regs;

    /* The calls in flight found by their ref in O(1), not by a scan per
     * reply or answer (issue 11): a worker may have thousands. */
    struct u64_map pending; /* refs of calls to us not yet answered (value: host_pending_mark) */

    struct host_out_call *out_calls; /* nines_call()s awaiting their answer, in no order */
    size_t n_out, cap_out;
    struct u64_map out_index; /* ref -> its index in out_calls + 1 (host_calls.c) */
    uint64_t next_out_ref;

    struct host_busy *busy; /* paths ninesd said are busy (NINES_MSG_CAST_FLOW): nines_cast() to them is -EAGAIN */
    size_t n_busy;

    struct host_prepared prepared;
    struct host_retired retired;

    bool restore; /* --restore: state from a hand-off, not from init */
    bool preloaded; /* a spare's: mod was loaded before its START (host_preload.c) */
    unsigned cc_flags; /* NINES_CC_*, for the code_change running now */
    bool swap_fresh;   /* swapped, and the new code has had no callback yet */
    bool stop_requested;
    enum nines_stop_kind stop_kind;
    char stop_message[256];
};

/* host_main.c: load ctx->module_path with every check a start makes
 * (path trust, the descriptor's ABI, the expected name): 0 with ctx->dl
 * and ctx->mod set, or -1 with the reason in err. */
int host_load_checked(struct nines_ctx *ctx, char *err, size_t size);

/* host_preload.c — a spare that loads the module of the child likeliest
 * to restart before that child's START (supervisord/spare.h).
 * host_preload: NINES_MSG_PRELOAD's payload; loaded with every check, and
 * the file's identity (device, inode, size, mtime, ctime) kept: 0, or
 * -errno (nothing usable then: the START re-execs). */
int host_preload(const uint8_t *payload, size_t length);
/* At the START: 0 when nothing was preloaded (load as usual); 1 when ctx
 * now runs the preloaded module, whose path is trusted still (checked
 * again now) and whose file is the one loaded (same identity) and of the
 * expected name; otherwise, a stale or other module, the process is
 * exec'd again as a plain worker for ctx (a fresh load with its checks):
 * returns only if that fails, -errno. */
int host_preload_take(struct nines_ctx *ctx);

/* host_loop.c */
int host_loop_init(struct nines_ctx *ctx);
/* The loop's own sources (epoll, the SIGTERM signalfd, the channel), with
 * SIGTERM not blocked yet: a spare that preloaded makes them before its
 * START, so that the start is only init; host_loop_init makes them if
 * not. 0 or -errno (none made). */
int host_loop_prepare(struct nines_ctx *ctx);
/* Run until the worker stops; returns the process exit status. */
int host_run(struct nines_ctx *ctx);
/* One turn of the loop: wait up to timeout_ms (-1: forever) and dispatch
 * what is ready; the number of events, or -1 when the loop failed (the
 * worker is then stopping). nines-modtest drives the host with it. */
int host_turn(struct nines_ctx *ctx, int timeout_ms);
/* Registration s's event, to handle_info: `events` for an fd; a timer's
 * expiry (a one-shot timer is cancelled first). */
void host_deliver(struct nines_ctx *ctx, struct reg *s, uint32_t events);
/* terminate(), then say why to ninesd; the process's exit status. */
int host_finish(struct nines_ctx *ctx);
/* After a callback returned `rc`: turn a failure into a stop request. */
void host_check_callback(struct nines_ctx *ctx, int rc, const char *callback);
/* Report the end to ninesd (if connected) as reason `kind` with `message`. */
void host_report_exit(struct nines_ctx *ctx, int reason_kind, const char *message);

/* host_runtime.c */
uint64_t host_reg_key(const struct regs *r, int idx);
void host_forget_call(struct nines_ctx *ctx, uint64_t ref);
/* host_calls.c: a nines_call() awaiting its answer (one of a hand-off's
 * too), found by its ref from then on; 0 or -ENOMEM. free: every call in
 * flight forgotten, both ways. */
int host_add_out_call(struct nines_ctx *ctx, uint64_t ref, uint64_t tag);
void host_free_calls(struct nines_ctx *ctx);
int host_remember_call(struct nines_ctx *ctx, uint64_t ref);
void host_release_regs(struct nines_ctx *ctx);

/* host_upgrade.c: swap to the .so NINES_MSG_UPGRADE names. */
void host_upgrade(struct nines_ctx *ctx, const struct nines_msg *m);
/* Free the state and unload the code a swap replaced, if not done yet. */
void host_upgrade_release_old(struct nines_ctx *ctx);
/* Before every callback that hands the application input: the first one
 * after a swap tells ninesd that the hand-off is stale from now on
 * (NINES_MSG_TOOK_INPUT), before the new code can act on the input. */
void host_took_input(struct nines_ctx *ctx);

/* host_handoff.c: after a swap, the old code let go of and the next
 * upgrade's memory prepared, when idle. host_handoff_init() runs before
 * the application's init (or restore). */
void host_handoff_init(struct nines_ctx *ctx);
/* Whether there is work for an idle turn of the loop; cheap. */
bool host_handoff_pending(struct nines_ctx *ctx);
/* One piece of that work: about 0.1 ms, or freeing the old state. */
void host_handoff_step(struct nines_ctx *ctx);
/* The (empty) buffer for the snapshot of the upgrade starting. */
struct nines_buf *host_handoff_buffer(struct nines_ctx *ctx);
/* After an upgrade that exported a snapshot of `snapshot_len` bytes, or a
 * restore from one: prepare for the next; `handed`: the buffer went to
 * ninesd and is not to be written again. */
void host_handoff_done(struct nines_ctx *ctx, bool handed, size_t snapshot_len);
void host_handoff_free(struct nines_ctx *ctx);
/* Let go of a buffer filled by nines_buf_append() (all zero again). */
void host_buf_free(nines_buf *b);

/* host_restore.c: a worker brought back after a failed upgrade. */
int host_restore_receive(struct nines_ctx *ctx);
int host_restore_start(struct nines_ctx *ctx);

/* host_calls.c: the answer to one of our nines_call()s. */
void host_on_call_answer(struct nines_ctx *ctx, const struct nines_msg *m);
/* NINES_MSG_CAST_FLOW: a destination became busy, or not. Casts refused
 * to it meanwhile are told to ninesd (NINES_MSG_CASTS_REFUSED) when it is
 * no longer busy, every HOST_REFUSED_REPORT of them, and at the end
 * (host_free_busy). */
void host_on_cast_flow(struct nines_ctx *ctx, const struct nines_msg *m);
void host_free_busy(struct nines_ctx *ctx);

#endif /* NINES_HOST_H */
