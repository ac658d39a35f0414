/*
 * host_query.c — nines_registration() and nines_registration_next(): the
 * host says what an application has registered, so that the application
 * need not keep its own copy (nor put one in its snapshot).
 */
#include <errno.h>
#include <sys/timerfd.h>

#include "host.h"

static uint64_t ms_of(const struct timespec *ts) {
    return (uint64_t)ts->tv_sec * 1000 + (uint64_t)ts->tv_nsec / 1000000;
}

static void describe(const struct reg *s, struct nines_registration *out) {
    *out = (struct nines_registration){.tag = s->tag, .fd = -1};
    if (s->kind == REG_FD) {
        out->kind = NINES_INFO_FD;
        out->fd = s->fd;
        out->events = s->events;
        return;
    }
    out->kind = NINES_INFO_TIMER;
    struct itimerspec its;
    if (timerfd_gettime(s->fd, &its) == 0) {
        out->remaining_ms = ms_of(&its.it_value);
        out->repeat_ms = ms_of(&its.it_interval);
    }
}

int nines_registration(nines_ctx *ctx, enum nines_info_kind kind, uint64_t tag, struct nines_registration *out) {
    if (kind != NINES_INFO_FD && kind != NINES_INFO_TIMER)
        return -EINVAL;
    int idx = regs_find(&ctx->regs, kind == NINES_INFO_FD ? REG_FD : REG_TIMER, tag);
    if (idx < 0)
        return -ENOENT;
    describe(&ctx->regs.slots[idx], out);
    return 0;
}

int nines_registration_next(nines_ctx *ctx, size_t *cursor, struct nines_registration *out) {
    for (size_t i = *cursor; i < ctx->regs.n_slots; i++)
        if (ctx->regs.slots[i].used) {
            describe(&ctx->regs.slots[i], out);
            *cursor = i + 1;
            return 1;
        }
    *cursor = ctx->regs.n_slots;
    return 0;
}

unsigned nines_code_change_flags(nines_ctx *ctx) {
    return ctx->cc_flags;
}
