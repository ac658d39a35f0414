/*
 * host_restore.c — a worker brought back on its old code after a failed
 * upgrade (nines-worker --restore): it takes the hand-off ninesd kept
 * (supervisord/release/upgrade.h) — the descriptors, the watches and timers, the
 * snapshot — puts every descriptor back at the number the application
 * knew it by, registers the watches and timers again under their tags,
 * and lets the application's code_change rebuild its state from its own
 * snapshot instead of running init.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host.h"
#include "reason.h"


struct restore {
    struct nines_handoff_fd *table;
    size_t n, cap;
    struct nines_handoff_state state;
    struct nines_handoff_timer timers[NINES_PROTO_MAX_PAYLOAD / sizeof(struct nines_handoff_timer)];
    int memfd;
};

static struct restore rs;

/* Park a received descriptor above every number it or its fellows must
 * take, so that putting the others at their numbers cannot close it. */
static int park(int fd, int above, int *parked) {
    *parked = fcntl(fd, F_DUPFD_CLOEXEC, above);
    int err = *parked < 0 ? -errno : 0;
    close(fd);
    return err;
}

static int take_fds(const struct nines_msg *m, int *fds, size_t n) {
    if (m->length != n * sizeof(struct nines_handoff_fd))
        return -EBADMSG;
    if (n == 0)
        return 0;
    if (rs.n + n > rs.cap) {
        size_t cap = (rs.n + n) * 2;
        struct nines_handoff_fd *t = realloc(rs.table, cap * sizeof *t);
        if (!t)
            return -ENOMEM;
        rs.table = t, rs.cap = cap;
    }
    memcpy(rs.table + rs.n, m->payload, m->length);
    int above = 4;
    for (size_t i = 0; i < n; i++)
        if (rs.table[rs.n + i].fd >= above)
            above = rs.table[rs.n + i].fd + 1;
    for (size_t i = 0; i < n; i++) {
        int parked, r = park(fds[i], above, &parked);
        if (r < 0)
            return r;
        fds[i] = parked;
    }
    for (size_t i = 0; i < n; i++) {
        /* Move to the application's number now; parking made it safe. */
        int want = rs.table[rs.n + i].fd;
        if (want < 4 || dup2(fds[i], want) < 0)
            return want < 4 ? -EBADMSG : -errno;
        close(fds[i]);
    }
    rs.n += n;
    return 0;
}

/* The old code's outstanding nines_call()s: theirs again, answers and
 * timeouts included. */
static int take_calls(struct nines_ctx *ctx, const struct nines_msg *m) {
    size_t n = m->length / sizeof(struct nines_handoff_call);
    if (m->length % sizeof(struct nines_handoff_call))
        return -EBADMSG;
    for (size_t i = 0; i < n; i++) {
        struct nines_handoff_call c;
        memcpy(&c, m->payload + i * sizeof c, sizeof c);
        int r = host_add_out_call(ctx, c.ref, c.tag);
        if (r < 0)
            return r;
    }
    return 0;
}

static int take_state(struct nines_ctx *ctx, const struct nines_msg *m, int *fds, size_t n) {
    if (m->length < sizeof rs.state)
        return -EBADMSG;
    memcpy(&rs.state, m->payload, sizeof rs.state);
    size_t timers = (m->length - sizeof rs.state) / sizeof(struct nines_handoff_timer);
    if (timers != rs.state.n_timers || rs.state.n_fds != rs.n || n != (rs.state.snapshot_len ? 1u : 0u) ||
        rs.state.n_calls != ctx->n_out)
        return -EBADMSG;
    /* Above every reference the crashed process may have used since. */
    ctx->next_out_ref = rs.state.next_call_ref + (1ull << 32);
    memcpy(rs.timers, m->payload + sizeof rs.state, timers * sizeof *rs.timers);
    rs.memfd = n ? fds[0] : -1;
    return 1;
}

/* Read the hand-off from the channel (blocking); 0 when whole. Must run
 * before the host opens its own descriptors. */
int host_restore_receive(struct nines_ctx *ctx) {
    static uint8_t buf[NINES_PROTO_BUFSIZE];
    int fds[NINES_HANDOFF_FDS_MAX + 1];
    for (;;) {
        struct pollfd p = {.fd = ctx->channel, .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            return -errno;
        struct nines_msg m;
        size_t n = 0;
        int r = nines_proto_recv_fds(ctx->channel, buf, &m, fds, NINES_HANDOFF_FDS_MAX + 1, &n);
        if (r == -EAGAIN)
            continue;
        if (r < 0)
            return r;
        if (m.type == NINES_MSG_HANDOFF_FDS)
            r = take_fds(&m, fds, n);
        else if (m.type == NINES_MSG_HANDOFF_CALLS && n == 0)
            r = take_calls(ctx, &m);
        else if (m.type == NINES_MSG_HANDOFF_STATE)
            r = take_state(ctx, &m, fds, n);
        else
            r = -EBADMSG;
        if (r != 0)
            return r < 0 ? r : 0;
    }
}

static int register_all(struct nines_ctx *ctx) {
    for (size_t i = 0; i < rs.n; i++) {
        int r = nines_fd_watch(ctx, rs.table[i].tag, rs.table[i].fd, rs.table[i].events);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < rs.state.n_timers; i++) {
        int r = nines_timer_start(ctx, rs.timers[i].tag, rs.timers[i].remaining_ms, rs.timers[i].repeat_ms);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Registrations back, then code_change from the old code's own snapshot;
 * 0, or an INIT_FAILED report and 1. */
int host_restore_start(struct nines_ctx *ctx) {
    char msg[512] = "";
    int r = register_all(ctx);
    void *snapshot = NULL;
    size_t len = rs.state.snapshot_len;
    if (r == 0 && len) {
        snapshot = mmap(NULL, len, PROT_READ, MAP_PRIVATE, rs.memfd, 0);
        if (snapshot == MAP_FAILED)
            snapshot = NULL, r = -errno;
    }
    if (r == 0 && !ctx->mod->code_change)
        r = -ENOTSUP;
    ctx->cc_flags = NINES_CC_RESTORE | (rs.state.flags & NINES_HANDOFF_STALE ? NINES_CC_STALE : 0u);
    if (r == 0)
        r = ctx->mod->code_change(ctx, rs.state.version, snapshot, len, "", &ctx->state);
    ctx->cc_flags = 0;
    if (snapshot)
        munmap(snapshot, len);
    if (rs.memfd >= 0)
        close(rs.memfd);
    free(rs.table);
    if (r < 0) {
        snprintf(msg, sizeof msg, "restoring from the snapshot of %.63s failed: %s%s%.256s", rs.state.version,
                 strerror(-r), ctx->stop_message[0] ? ": " : "", ctx->stop_message);
        host_report_exit(ctx, NINES_REASON_INIT_FAILED, msg);
        return 1;
    }
    /* The next upgrade's memory, prepared for a state that big. */
    host_handoff_done(ctx, false, len);
    return 0;
}
