/*
 * regs — a test module for nines_registration() and the harness: calls
 * make fd watches (a pipe with a byte in it) and timers, "list" says what
 * the host reports as registered, "count" how many events came, and after
 * "grab" the first fd event unwatches (and closes) every watched fd: no
 * other fd event may follow, even one the kernel reported in the same
 * loop turn (nines/module.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nines/module.h"

struct regs_state {
    unsigned fd_events, timer_events;
    int grab;
    int writers[8]; /* the write end of pipe TAG (tags 0 to 7), 0: none */
};

static int regs_init(nines_ctx *ctx, void **state) {
    *state = calloc(1, sizeof(struct regs_state));
    return *state ? 0 : -ENOMEM;
}

static int reply(nines_ctx *ctx, uint64_t ref, const char *text) {
    return nines_reply(ctx, ref, text, strlen(text));
}

static void list(nines_ctx *ctx, char *out, size_t size) {
    struct nines_registration r;
    size_t cursor = 0, o = 0;
    out[0] = '\0';
    while (nines_registration_next(ctx, &cursor, &r) == 1 && o < size)
        o += (size_t)snprintf(out + o, size - o, "%s%s:%llu:%llu", o ? " " : "",
                              r.kind == NINES_INFO_FD ? "fd" : "timer", (unsigned long long)r.tag,
                              (unsigned long long)(r.kind == NINES_INFO_FD ? r.events : r.repeat_ms));
}

/* An empty pipe watched for reading under `tag`; "poke" makes it readable. */
static int make_pipe(nines_ctx *ctx, struct regs_state *s, uint64_t tag) {
    int p[2];
    if (tag >= 8 || pipe(p) < 0)
        return tag >= 8 ? -EINVAL : -errno;
    int r = nines_fd_watch(ctx, tag, p[0], NINES_READABLE);
    if (r < 0) {
        close(p[0]);
        close(p[1]);
        return r;
    }
    if (s->writers[tag])
        close(s->writers[tag]);
    s->writers[tag] = p[1];
    return 0;
}

/* A byte into every pipe: all readable in the same loop turn. */
static int poke_all(struct regs_state *s) {
    for (int i = 0; i < 8; i++)
        if (s->writers[i] && write(s->writers[i], "x", 1) != 1)
            return -EIO;
    return 0;
}

static int regs_call(nines_ctx *ctx, void *state, const struct nines_request *call) {
    struct regs_state *s = state;
    char req[128], out[1024];
    unsigned long long tag = 0, a = 0, b = 0;
    snprintf(req, sizeof req, "%.*s", (int)call->len, (const char *)call->data);
    int r = 0;
    if (sscanf(req, "pipe %llu", &tag) == 1)
        r = make_pipe(ctx, s, tag);
    else if (strcmp(req, "poke") == 0)
        r = poke_all(s);
    else if (sscanf(req, "timer %llu %llu %llu", &tag, &a, &b) == 3)
        r = nines_timer_start(ctx, tag, a, b);
    else if (sscanf(req, "cancel %llu", &tag) == 1)
        r = nines_timer_cancel(ctx, tag);
    else if (strcmp(req, "grab") == 0)
        s->grab = 1;
    else if (strcmp(req, "list") == 0)
        return list(ctx, out, sizeof out), reply(ctx, call->ref, out);
    else if (strcmp(req, "count") == 0)
        return snprintf(out, sizeof out, "fd=%u timer=%u", s->fd_events, s->timer_events),
               reply(ctx, call->ref, out);
    else
        r = -EINVAL;
    snprintf(out, sizeof out, "%s", r < 0 ? strerror(-r) : "ok");
    return reply(ctx, call->ref, out);
}

/* Every fd watch unwatched and its fd closed. */
static void drop_fds(nines_ctx *ctx) {
    struct nines_registration r;
    size_t cursor = 0;
    while (nines_registration_next(ctx, &cursor, &r) == 1)
        if (r.kind == NINES_INFO_FD) {
            nines_fd_unwatch(ctx, r.tag);
            close(r.fd);
        }
}

static int regs_info(nines_ctx *ctx, void *state, const struct nines_info *info) {
    struct regs_state *s = state;
    if (info->kind == NINES_INFO_TIMER) {
        s->timer_events++;
        return 0;
    }
    s->fd_events++;
    if (s->grab)
        drop_fds(ctx);
    return 0;
}

static void regs_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *reason) {
    struct regs_state *s = state;
    drop_fds(ctx);
    for (int i = 0; i < 8; i++)
        if (s->writers[i])
            close(s->writers[i]);
    free(state);
}

NINES_MODULE_V1(.name = "regs", .version = "1.0.0", .init = regs_init, .handle_call = regs_call,
                .handle_info = regs_info, .terminate = regs_terminate);
