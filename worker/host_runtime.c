/*
 * host_runtime.c — the runtime API of nines/module.h, as the worker host
 * provides it to the application it loaded (exported with -rdynamic).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "host.h"
#include "u64_map.h"
#include "proto.h"

uint64_t host_reg_key(const struct regs *r, int idx) {
    return (uint64_t)r->slots[idx].gen << 32 | (uint32_t)idx;
}

/* --- arguments ---------------------------------------------------------- */

const char *nines_arg(nines_ctx *ctx, const char *key) {
    for (size_t i = 0; i < ctx->n_args; i++)
        if (strcmp(ctx->args[i].key, key) == 0)
            return ctx->args[i].value;
    return NULL;
}

int nines_listen_fd(nines_ctx *ctx, const char *name) {
    for (size_t i = 0; name && i < ctx->n_sockets; i++)
        if (strcmp(ctx->sockets[i].key, name) == 0)
            return atoi(ctx->sockets[i].value);
    return -ENOENT;
}

int nines_arg_int(nines_ctx *ctx, const char *key, long long *out) {
    const char *v = nines_arg(ctx, key);
    if (!v)
        return -ENOENT;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end)
        return -EINVAL;
    *out = n;
    return 0;
}

const char *nines_child_path(nines_ctx *ctx) {
    return ctx->child_path;
}

/* --- watched descriptors ------------------------------------------------- */

static uint32_t epoll_events(uint32_t events) {
    return (events & NINES_READABLE ? EPOLLIN : 0) | (events & NINES_WRITABLE ? EPOLLOUT : 0);
}

int nines_fd_watch(nines_ctx *ctx, uint64_t tag, int fd, uint32_t events) {
    if (!ctx->mod->handle_info)
        return -ENOTSUP; /* nothing could receive the events */
    if (fd < 0 || (events & ~(uint32_t)(NINES_READABLE | NINES_WRITABLE)))
        return -EINVAL;
    int idx = regs_add(&ctx->regs, REG_FD, tag);
    if (idx < 0)
        return idx;
    struct epoll_event ev = {.events = epoll_events(events), .data.u64 = host_reg_key(&ctx->regs, idx)};
    if (epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int r = -errno;
        regs_remove(&ctx->regs, idx);
        return r;
    }
    ctx->regs.slots[idx].fd = fd;
    ctx->regs.slots[idx].events = events;
    return 0;
}

int nines_fd_update(nines_ctx *ctx, uint64_t tag, uint32_t events) {
    int idx = regs_find(&ctx->regs, REG_FD, tag);
    if (idx < 0)
        return -ENOENT;
    if (events & ~(uint32_t)(NINES_READABLE | NINES_WRITABLE))
        return -EINVAL;
    struct reg *s = &ctx->regs.slots[idx];
    struct epoll_event ev = {.events = epoll_events(events), .data.u64 = host_reg_key(&ctx->regs, idx)};
    if (epoll_ctl(ctx->epfd, EPOLL_CTL_MOD, s->fd, &ev) < 0)
        return -errno;
    s->events = events;
    return 0;
}

int nines_fd_unwatch(nines_ctx *ctx, uint64_t tag) {
    int idx = regs_find(&ctx->regs, REG_FD, tag);
    if (idx < 0)
        return -ENOENT;
    /* The application may have closed the fd already: then the kernel has
     * dropped it from the epoll set and EBADF/ENOENT are expected. */
    epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, ctx->regs.slots[idx].fd, NULL);
    regs_remove(&ctx->regs, idx);
    return 0;
}

/* --- timers -------------------------------------------------------------- */

static struct timespec ms_to_timespec(uint64_t ms) {
    return (struct timespec){.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
}

static int arm(int tfd, uint64_t after_ms, uint64_t repeat_ms) {
    struct itimerspec its = {.it_value = ms_to_timespec(after_ms), .it_interval = ms_to_timespec(repeat_ms)};
    if (after_ms == 0)
        its.it_value.tv_nsec = 1; /* an all-zero value would disarm the timer */
    return timerfd_settime(tfd, 0, &its, NULL) < 0 ? -errno : 0;
}

static int new_timer(nines_ctx *ctx, uint64_t tag) {
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tfd < 0)
        return -errno;
    int idx = regs_add(&ctx->regs, REG_TIMER, tag);
    if (idx < 0) {
        close(tfd);
        return idx;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = host_reg_key(&ctx->regs, idx)};
    if (epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, tfd, &ev) < 0) {
        int r = -errno;
        regs_remove(&ctx->regs, idx);
        close(tfd);
        return r;
    }
    ctx->regs.slots[idx].fd = tfd;
    return idx;
}

int nines_timer_start(nines_ctx *ctx, uint64_t tag, uint64_t after_ms, uint64_t repeat_ms) {
    if (!ctx->mod->handle_info)
        return -ENOTSUP;
    int idx = regs_find(&ctx->regs, REG_TIMER, tag);
    if (idx < 0 && (idx = new_timer(ctx, tag)) < 0)
        return idx;
    struct reg *s = &ctx->regs.slots[idx];
    s->repeating = repeat_ms > 0;
    int r = arm(s->fd, after_ms, repeat_ms);
    if (r < 0)
        nines_timer_cancel(ctx, tag);
    return r;
}

int nines_timer_cancel(nines_ctx *ctx, uint64_t tag) {
    int idx = regs_find(&ctx->regs, REG_TIMER, tag);
    if (idx < 0)
        return -ENOENT;
    close(ctx->regs.slots[idx].fd); /* also removes it from the epoll set */
    regs_remove(&ctx->regs, idx);
    return 0;
}

void host_release_regs(struct nines_ctx *ctx) {
    for (size_t i = 0; i < ctx->regs.n_slots; i++)
        if (ctx->regs.slots[i].used && ctx->regs.slots[i].kind == REG_TIMER)
            close(ctx->regs.slots[i].fd);
    regs_free(&ctx->regs);
}

/* --- calls ---------------------------------------------------------------- */

/* What the pending map holds for a ref: only whether it is there counts. */
static char pending_mark;

int host_remember_call(struct nines_ctx *ctx, uint64_t ref) {
    return u64_map_put(&ctx->pending, ref, &pending_mark);
}

static bool is_pending(const struct nines_ctx *ctx, uint64_t ref) {
    return u64_map_get(&ctx->pending, ref) != NULL;
}

void host_forget_call(struct nines_ctx *ctx, uint64_t ref) {
    u64_map_del(&ctx->pending, ref);
}

int nines_reply(nines_ctx *ctx, uint64_t ref, const void *data, size_t len) {
    if (!is_pending(ctx, ref))
        return -ENOENT;
    if (len > NINES_PROTO_MAX_PAYLOAD)
        return -EMSGSIZE;
    int r = ctx->channel >= 0 ? nines_proto_send(ctx->channel, NINES_MSG_REPLY, ref, data, len) : 0;
    if (r != -EAGAIN)
        host_forget_call(ctx, ref); /* -EAGAIN: still this worker's to answer, later */
    return r;
}

/* --- logging, stopping, buffers ------------------------------------------- */

void nines_log(nines_ctx *ctx, enum nines_log_level level, const char *fmt, ...) {
    /* "<N>text\n" on stderr: ninesd reads the priority prefix, attributes
     * the line to this child, and logs it as one record. */
    char line[4096];
    int n = snprintf(line, sizeof line, "<%d>", (int)level);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    for (size_t i = (size_t)n; i < len; i++)
        if (line[i] == '\n')
            line[i] = ' '; /* one call, one record */
    line[len++] = '\n';
    ssize_t w;
    do
        w = write(STDERR_FILENO, line, len);
    while (w < 0 && errno == EINTR);
}

void nines_stop(nines_ctx *ctx, enum nines_stop_kind kind, const char *message) {
    if (ctx->stop_requested)
        return;
    if (kind != NINES_STOP_NORMAL && kind != NINES_STOP_SHUTDOWN)
        kind = NINES_STOP_ERROR;
    ctx->stop_requested = true;
    ctx->stop_kind = kind;
    snprintf(ctx->stop_message, sizeof ctx->stop_message, "%s", message ? message : "");
}
