/*
 * host_loop.c — the worker's event loop: the channel from ninesd, SIGTERM,
 * and the application's registrations, each turned into one callback
 * through the current descriptor; and the worker's end.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "host.h"
#include "proto.h"
#include "reason.h"

/* epoll keys of the host's own sources. Registrations use gen << 32 | idx
 * with idx < 2^31, so their low half never looks like these. */
#define KEY_CHANNEL UINT64_MAX
#define KEY_SIGNAL (UINT64_MAX - 1)

static int add_own(struct nines_ctx *ctx, int fd, uint64_t key) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = key};
    return epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int make_sources(struct nines_ctx *ctx) {
    ctx->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (ctx->epfd < 0)
        return -errno;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    ctx->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (ctx->sigfd < 0)
        return -errno;
    int r = add_own(ctx, ctx->sigfd, KEY_SIGNAL);
    if (r == 0 && ctx->channel >= 0)
        r = add_own(ctx, ctx->channel, KEY_CHANNEL);
    return r;
}

int host_loop_prepare(struct nines_ctx *ctx) {
    if (ctx->epfd >= 0)
        return 0;
    int r = make_sources(ctx);
    if (r < 0) {
        int *fds[] = {&ctx->epfd, &ctx->sigfd};
        for (size_t i = 0; i < 2; i++)
            if (*fds[i] >= 0)
                close(*fds[i]), *fds[i] = -1;
    }
    return r;
}

int host_loop_init(struct nines_ctx *ctx) {
    ctx->regs.free_head = -1;
    int r = host_loop_prepare(ctx);
    /* SIGTERM (an exec'd-by-hand worker, or an operator) is a shutdown
     * request like ninesd's; it must not kill the worker mid-callback. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    host_handoff_init(ctx); /* init runs next */
    return r;
}

void host_check_callback(struct nines_ctx *ctx, int rc, const char *callback) {
    if (rc >= 0 || ctx->stop_requested)
        return;
    char msg[128];
    snprintf(msg, sizeof msg, "%s returned %d (%s)", callback, rc, strerror(-rc));
    nines_stop(ctx, NINES_STOP_ERROR, msg);
}

/* --- the channel ---------------------------------------------------------- */

static void call_error(struct nines_ctx *ctx, uint64_t ref, const char *why) {
    nines_proto_send(ctx->channel, NINES_MSG_CALL_ERROR, ref, why, strlen(why));
}

static void on_call(struct nines_ctx *ctx, const struct nines_msg *m) {
    if (!ctx->mod->handle_call) {
        call_error(ctx, m->ref, "this application does not handle calls");
        return;
    }
    if (host_remember_call(ctx, m->ref) < 0) {
        call_error(ctx, m->ref, "out of memory");
        return;
    }
    struct nines_request call = {.ref = m->ref, .data = m->payload, .len = m->length};
    host_took_input(ctx);
    host_check_callback(ctx, ctx->mod->handle_call(ctx, ctx->state, &call), "handle_call");
}

static void on_message(struct nines_ctx *ctx, const struct nines_msg *m) {
    switch (m->type) {
    case NINES_MSG_SHUTDOWN:
        nines_stop(ctx, NINES_STOP_SHUTDOWN, NULL);
        break;
    case NINES_MSG_CALL:
        on_call(ctx, m);
        break;
    case NINES_MSG_UPGRADE:
        host_upgrade(ctx, m);
        break;
    case NINES_MSG_CALL_RESULT:
    case NINES_MSG_CALL_FAILED:
        host_on_call_answer(ctx, m);
        break;
    case NINES_MSG_CAST_FLOW:
        host_on_cast_flow(ctx, m);
        break;
    case NINES_MSG_CAST:
        if (ctx->mod->handle_cast)
            host_took_input(ctx);
        if (ctx->mod->handle_cast)
            host_check_callback(ctx, ctx->mod->handle_cast(ctx, ctx->state, m->payload, m->length),
                                "handle_cast");
        break;
    default:
        break; /* a message for the other direction: ignored */
    }
}

/* One message per wake-up: the channel is level-triggered, so a queue of
 * messages comes back on the next loop (after the other sources had their
 * turn), and a lone request costs no extra read that finds nothing. */
static void on_channel(struct nines_ctx *ctx) {
    static uint8_t buf[NINES_PROTO_BUFSIZE];
    struct nines_msg m;
    int r = nines_proto_recv(ctx->channel, buf, &m);
    if (r == -EAGAIN || r == -EBADMSG)
        return; /* a broken packet is dropped, never trusted */
    if (r < 0) {
        /* ninesd is gone: nobody supervises this worker any more. */
        epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, ctx->channel, NULL);
        close(ctx->channel);
        ctx->channel = -1;
        nines_stop(ctx, NINES_STOP_SHUTDOWN, "supervisor channel closed");
        return;
    }
    on_message(ctx, &m);
}

static void on_signal(struct nines_ctx *ctx) {
    struct signalfd_siginfo si;
    while (read(ctx->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        nines_stop(ctx, NINES_STOP_SHUTDOWN, NULL);
}

/* --- registrations ------------------------------------------------------- */

static uint32_t nines_events(uint32_t ev) {
    uint32_t out = 0;
    if (ev & EPOLLIN)
        out |= NINES_READABLE;
    if (ev & EPOLLOUT)
        out |= NINES_WRITABLE;
    if (ev & (EPOLLHUP | EPOLLERR))
        out |= NINES_HANGUP;
    return out;
}

void host_deliver(struct nines_ctx *ctx, struct reg *s, uint32_t events) {
    struct nines_info info = {.kind = NINES_INFO_FD, .tag = s->tag, .fd = s->fd, .events = events};
    if (s->kind == REG_TIMER) {
        info = (struct nines_info){.kind = NINES_INFO_TIMER, .tag = s->tag, .fd = -1};
        /* A one-shot timer is over before the callback runs, so the
         * callback can start the same tag again. */
        if (!s->repeating)
            nines_timer_cancel(ctx, s->tag);
    }
    host_took_input(ctx);
    host_check_callback(ctx, ctx->mod->handle_info(ctx, ctx->state, &info), "handle_info");
}

static void on_registration(struct nines_ctx *ctx, uint64_t key, uint32_t ev) {
    struct reg *s = regs_at(&ctx->regs, (uint32_t)key, (uint32_t)(key >> 32));
    if (!s)
        return; /* removed by an earlier callback of this batch */
    uint64_t expirations;
    if (s->kind == REG_TIMER && read(s->fd, &expirations, sizeof expirations) != (ssize_t)sizeof expirations)
        return; /* re-armed since the event was queued */
    host_deliver(ctx, s, nines_events(ev));
}

static void dispatch(struct nines_ctx *ctx, const struct epoll_event *ev) {
    if (ev->data.u64 == KEY_CHANNEL)
        on_channel(ctx);
    else if (ev->data.u64 == KEY_SIGNAL)
        on_signal(ctx);
    else
        on_registration(ctx, ev->data.u64, ev->events);
}

/* --- the end ----------------------------------------------------------------- */

void host_report_exit(struct nines_ctx *ctx, int reason_kind, const char *message) {
    if (ctx->channel < 0)
        return;
    uint8_t buf[4 + 256];
    uint32_t kind = (uint32_t)reason_kind;
    size_t len = strnlen(message, 256);
    memcpy(buf, &kind, sizeof kind);
    memcpy(buf + sizeof kind, message, len);
    nines_proto_send(ctx->channel, NINES_MSG_EXIT_REASON, 0, buf, sizeof kind + len);
}

static int reason_of(enum nines_stop_kind kind) {
    switch (kind) {
    case NINES_STOP_NORMAL:
        return NINES_REASON_NORMAL;
    case NINES_STOP_SHUTDOWN:
        return NINES_REASON_SHUTDOWN;
    default:
        return NINES_REASON_ERROR;
    }
}

int host_finish(struct nines_ctx *ctx) {
    struct nines_stop_reason reason = {.kind = ctx->stop_kind, .message = ctx->stop_message};
    ctx->mod->terminate(ctx, ctx->state, &reason);
    host_handoff_free(ctx);
    host_report_exit(ctx, reason_of(ctx->stop_kind), ctx->stop_message);
    if (ctx->channel < 0 && ctx->stop_kind == NINES_STOP_ERROR)
        fprintf(stderr, "%s: %s\n", ctx->child_path, ctx->stop_message);
    return ctx->stop_kind == NINES_STOP_ERROR ? 1 : 0;
}

int host_turn(struct nines_ctx *ctx, int timeout_ms) {
    struct epoll_event events[64];
    /* Idle turns prepare the next upgrade's memory (host_handoff.c). */
    bool prepare = host_handoff_pending(ctx);
    int n = epoll_wait(ctx->epfd, events, 64, prepare ? 0 : timeout_ms);
    if (n < 0 && errno != EINTR) {
        nines_stop(ctx, NINES_STOP_ERROR, "epoll_wait failed");
        return -1;
    }
    if (n == 0 && prepare)
        host_handoff_step(ctx);
    for (int i = 0; i < n && !ctx->stop_requested; i++)
        dispatch(ctx, &events[i]);
    return n < 0 ? 0 : n;
}

int host_run(struct nines_ctx *ctx) {
    while (!ctx->stop_requested)
        host_turn(ctx, -1);
    return host_finish(ctx);
}
