/*
 * host_upgrade.c — the live code swap, at a quiescent point of the loop
 * (between two callbacks), as doc/design.md §4 describes it: load the new
 * version beside the old, check it, export the old state, let the new
 * code build its state with code_change, then let go of the old code.
 * Every refusal or failure before the switch leaves the old code running
 * with its state, exactly as it was. Registrations (fd watches, timers)
 * are the host's, by tag, so they are untouched and simply dispatched to
 * the new code from then on.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "module_check.h"
#include "path_trust.h"

struct upgrade {
    const char *module, *extra;
    uint64_t max_snapshot;
    uint64_t started_ns;
    uint64_t load_us, export_us, handoff_us, change_us;
    uint64_t snapshot_bytes; /* kept for the report once the buffer is gone */
    void *dl;
    const struct nines_module *mod;
    struct nines_buf *snapshot; /* the prepared hand-off buffer (host_handoff.c) */
    bool exported, handed;      /* a snapshot was made; its memfd went to ninesd */
    char message[1200];
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Microseconds since *t, and *t moved to now. */
static uint64_t lap(uint64_t *t) {
    uint64_t now = now_ns(), us = (now - *t) / 1000;
    *t = now;
    return us;
}

static void report(struct nines_ctx *ctx, struct upgrade *u, int status, enum nines_upgrade_stage stage,
                   const char *from, const char *to) {
    static uint8_t buf[sizeof(struct nines_upgrade_result) + 1024];
    struct nines_upgrade_result r = {.status = status, .stage = stage,
                                     .pause_us = (now_ns() - u->started_ns) / 1000,
                                     .snapshot_bytes = u->snapshot_bytes, .load_us = u->load_us,
                                     .export_us = u->export_us, .handoff_us = u->handoff_us,
                                     .change_us = u->change_us};
    memcpy(buf, &r, sizeof r);
    int n = snprintf((char *)buf + sizeof r, sizeof buf - sizeof r, "%s%c%s%c%s", from, '\0', to, '\0',
                     u->message);
    size_t len = sizeof r + (n < 0 ? 0 : (size_t)n < sizeof buf - sizeof r ? (size_t)n : sizeof buf - sizeof r - 1);
    if (ctx->channel >= 0)
        nines_proto_send(ctx->channel, NINES_MSG_UPGRADE_RESULT, 0, buf, len);
}

static int fail(struct upgrade *u, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct upgrade *u, int err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->message, sizeof u->message, fmt, ap);
    va_end(ap);
    return err;
}

/* Load and check the new version; nothing of it runs but constructors. */
static int load(struct nines_ctx *ctx, struct upgrade *u) {
    char why[256];
    if (path_trust_check("module", u->module, u->message, sizeof u->message) < 0)
        return -EPERM;
    u->dl = dlopen(u->module, RTLD_NOW | RTLD_LOCAL);
    if (!u->dl)
        return fail(u, -ELIBBAD, "cannot load: %s", dlerror());
    u->mod = dlsym(u->dl, NINES_MODULE_SYMBOL);
    if (!u->mod)
        return fail(u, -ENOEXEC, "%s: no %s symbol: not a Nines module", u->module, NINES_MODULE_SYMBOL);
    if (nines_module_check(u->mod, why, sizeof why) < 0)
        return fail(u, -EPROTO, "%s: %s", u->module, why);
    if (strcmp(u->mod->name, ctx->mod->name) != 0)
        return fail(u, -EINVAL, "%s is application '%s', this worker runs '%s'", u->module, u->mod->name,
                    ctx->mod->name);
    if (u->mod == ctx->mod)
        return fail(u, -EALREADY, "%s is the code already running", u->module);
    if (!ctx->mod->export_state || !u->mod->code_change)
        return fail(u, -ENOTSUP, "no live swap: %s", !ctx->mod->export_state
                                                         ? "the running version has no export_state"
                                                         : "the new version has no code_change");
    return 0;
}

static int export(struct nines_ctx *ctx, struct upgrade *u) {
    u->snapshot = host_handoff_buffer(ctx);
    int r = ctx->mod->export_state(ctx, ctx->state, u->snapshot);
    if (r < 0)
        return fail(u, r, "export_state of %s failed: %s", ctx->mod->version, strerror(-r));
    u->exported = true;
    if (u->max_snapshot && u->snapshot->len > u->max_snapshot)
        return fail(u, -EFBIG, "a snapshot of %zu bytes is over the limit of %llu (ninesd --max-snapshot)",
                    u->snapshot->len, (unsigned long long)u->max_snapshot);
    return 0;
}

/* --- the hand-off: what ninesd needs to bring this worker back on the
 * old code if the new one crashes (doc/design.md §4, step 2) --------------- */

/* The watched descriptors, NINES_HANDOFF_FDS_MAX per message. */
static int handoff_fds(struct nines_ctx *ctx, uint32_t *count) {
    static struct nines_handoff_fd table[NINES_HANDOFF_FDS_MAX];
    static int fds[NINES_HANDOFF_FDS_MAX];
    size_t n = 0;
    *count = 0;
    for (size_t i = 0; i <= ctx->regs.n_slots; i++) {
        const struct reg *s = i < ctx->regs.n_slots ? &ctx->regs.slots[i] : NULL;
        if (s && s->used && s->kind == REG_FD) {
            table[n] = (struct nines_handoff_fd){.tag = s->tag, .fd = s->fd, .events = s->events};
            fds[n++] = s->fd;
        }
        if (n == NINES_HANDOFF_FDS_MAX || (!s && n)) {
            int r = nines_proto_send_fds(ctx->channel, NINES_MSG_HANDOFF_FDS, 0, table, n * sizeof *table, fds, n);
            if (r < 0)
                return r;
            *count += (uint32_t)n;
            n = 0;
        }
    }
    return 0;
}

/* The nines_call()s awaiting an answer, NINES_HANDOFF_CALLS_MAX per message. */
static int handoff_calls(struct nines_ctx *ctx) {
    static struct nines_handoff_call table[NINES_HANDOFF_CALLS_MAX];
    for (size_t at = 0; at < ctx->n_out; at += NINES_HANDOFF_CALLS_MAX) {
        size_t n = ctx->n_out - at < NINES_HANDOFF_CALLS_MAX ? ctx->n_out - at : NINES_HANDOFF_CALLS_MAX;
        for (size_t i = 0; i < n; i++)
            table[i] = (struct nines_handoff_call){ctx->out_calls[at + i].ref, ctx->out_calls[at + i].tag};
        int r = nines_proto_send(ctx->channel, NINES_MSG_HANDOFF_CALLS, 0, table, n * sizeof *table);
        if (r < 0)
            return r;
    }
    return 0;
}

static int handoff_state(struct nines_ctx *ctx, struct upgrade *u, uint32_t n_fds) {
    static uint8_t buf[NINES_PROTO_MAX_PAYLOAD];
    struct nines_handoff_state st = {.snapshot_len = u->snapshot->len, .n_fds = n_fds,
                                     .n_calls = (uint32_t)ctx->n_out, .next_call_ref = ctx->next_out_ref};
    if (NINES_MODULE_HAS(ctx->mod, flags) && (ctx->mod->flags & NINES_MODULE_STALE_RESTORE))
        st.flags |= NINES_HANDOFF_STALE_OK;
    snprintf(st.version, sizeof st.version, "%s", ctx->mod->version);
    size_t len = sizeof st;
    for (size_t i = 0; i < ctx->regs.n_slots; i++) {
        const struct reg *s = &ctx->regs.slots[i];
        struct itimerspec its;
        if (!s->used || s->kind != REG_TIMER || timerfd_gettime(s->fd, &its) < 0)
            continue;
        if (len + sizeof(struct nines_handoff_timer) > sizeof buf)
            return -E2BIG;
        struct nines_handoff_timer t = {
            .tag = s->tag,
            .remaining_ms = (uint64_t)its.it_value.tv_sec * 1000 + (uint64_t)its.it_value.tv_nsec / 1000000,
            .repeat_ms = (uint64_t)its.it_interval.tv_sec * 1000 + (uint64_t)its.it_interval.tv_nsec / 1000000,
        };
        memcpy(buf + len, &t, sizeof t);
        len += sizeof t, st.n_timers++;
    }
    memcpy(buf, &st, sizeof st);
    /* The snapshot was written straight into a memfd, faulted in ahead of
     * time (host_handoff.c): it goes as it is, without a copy. From now on
     * ninesd may give it to a restored worker: it is not written again. */
    int memfd = u->snapshot->len ? u->snapshot->memfd : -1;
    int r = nines_proto_send_fds(ctx->channel, NINES_MSG_HANDOFF_STATE, 0, buf, len, &memfd, memfd >= 0 ? 1 : 0);
    u->handed = r == 0 && memfd >= 0;
    return r;
}

/* Hand the snapshot, the descriptors and the registrations to ninesd
 * before code_change runs: queued in the channel, they reach ninesd even
 * if this process dies the next instant. */
static int handoff(struct nines_ctx *ctx, struct upgrade *u) {
    if (ctx->channel < 0)
        return 0; /* run by hand: nobody to bring it back */
    uint32_t n_fds;
    int r = handoff_fds(ctx, &n_fds);
    if (r == 0)
        r = handoff_calls(ctx);
    if (r == 0)
        r = handoff_state(ctx, u, n_fds);
    return r < 0 ? fail(u, r, "cannot hand the state over to ninesd: %s", strerror(-r)) : 0;
}

/* The new code builds its state; on failure the old code goes on. */
static int change(struct nines_ctx *ctx, struct upgrade *u, void **state) {
    const struct nines_module *old = ctx->mod;
    bool stop_before = ctx->stop_requested;
    ctx->mod = u->mod; /* runtime calls made by code_change see the new code */
    int r = u->mod->code_change(ctx, old->version, u->snapshot->data, u->snapshot->len, u->extra, state);
    if (r >= 0)
        return 0;
    ctx->mod = old;
    if (!stop_before && ctx->stop_requested && ctx->stop_kind == NINES_STOP_ERROR)
        ctx->stop_requested = false; /* a refusal is not the old code's end */
    return fail(u, r, "code_change of %s refused the snapshot of %s: %s%s%s", u->mod->version, old->version,
                strerror(-r), ctx->stop_message[0] ? ": " : "", ctx->stop_message);
}

static bool parse(const struct nines_msg *m, struct upgrade *u) {
    if (m->length < sizeof u->max_snapshot + 2 || m->payload[m->length - 1] != '\0')
        return false;
    memcpy(&u->max_snapshot, m->payload, sizeof u->max_snapshot);
    const char *p = (const char *)m->payload + sizeof u->max_snapshot, *end = (const char *)m->payload + m->length;
    u->module = p;
    p += strlen(p) + 1;
    u->extra = p < end ? p : "";
    return u->module[0] != '\0';
}

/* The switch: the new code and state become current. The old ones are
 * let go of in the next idle turn of the loop (host_upgrade_release_old):
 * freeing a large state takes a while, and the new code can serve before. */
static void commit(struct nines_ctx *ctx, struct upgrade *u, const struct nines_module *old_mod,
                   void *new_state) {
    ctx->retired = (struct host_retired){.mod = old_mod, .state = ctx->state, .dl = ctx->dl};
    ctx->state = new_state;
    ctx->dl = u->dl;
}

/* The old code's free_state, then the old code unloaded, last. */
void host_upgrade_release_old(struct nines_ctx *ctx) {
    struct host_retired old = ctx->retired;
    if (!old.dl)
        return;
    memset(&ctx->retired, 0, sizeof ctx->retired);
    if (old.mod->free_state)
        old.mod->free_state(ctx, old.state);
    dlclose(old.dl);
}

void host_took_input(struct nines_ctx *ctx) {
    if (!ctx->swap_fresh)
        return;
    ctx->swap_fresh = false;
    /* Blocking, and queued before the callback runs: ninesd reads it
     * before the end of the channel even if the callback crashes. */
    if (ctx->channel >= 0)
        nines_proto_send(ctx->channel, NINES_MSG_TOOK_INPUT, 0, NULL, 0);
}

void host_upgrade(struct nines_ctx *ctx, const struct nines_msg *m) {
    struct upgrade u = {.started_ns = now_ns()};
    const struct nines_module *old_mod = ctx->mod;
    char from[64], to[64] = "";
    snprintf(from, sizeof from, "%s", old_mod->version);
    if (!parse(m, &u)) {
        report(ctx, &u, fail(&u, -EINVAL, "malformed upgrade request"), NINES_UPGRADE_LOAD, from, "");
        return;
    }
    /* Still loaded if no idle turn came since the last swap: unloaded
     * first, so that loading that code again starts it afresh. */
    host_upgrade_release_old(ctx);
    enum nines_upgrade_stage stage = NINES_UPGRADE_LOAD;
    uint64_t t = now_ns();
    int r = load(ctx, &u);
    u.load_us = lap(&t);
    if (u.mod && u.mod->version)
        snprintf(to, sizeof to, "%.63s", u.mod->version);
    if (r < 0 && u.mod)
        stage = NINES_UPGRADE_CHECK;
    void *state = NULL;
    if (r == 0) {
        stage = NINES_UPGRADE_EXPORT;
        r = export(ctx, &u);
        u.export_us = lap(&t);
        u.snapshot_bytes = u.exported ? u.snapshot->len : 0;
    }
    if (r == 0) {
        r = handoff(ctx, &u);
        u.handoff_us = lap(&t);
    }
    if (r == 0) {
        stage = NINES_UPGRADE_CODE_CHANGE;
        r = change(ctx, &u, &state);
        u.change_us = lap(&t);
    }
    if (r < 0) {
        if (u.dl)
            dlclose(u.dl);
        report(ctx, &u, r, stage, from, to);
    } else {
        commit(ctx, &u, old_mod, state);
        report(ctx, &u, 0, NINES_UPGRADE_DONE, from, to);
        ctx->swap_fresh = ctx->channel >= 0;
    }
    /* Serving again: the next upgrade's memory is prepared when idle. */
    if (u.exported)
        host_handoff_done(ctx, u.handed, u.snapshot_bytes);
}
