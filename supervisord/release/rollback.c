/*
 * rollback.c — the hand-off a worker makes before its code_change, kept by
 * ninesd until the new code takes its first input, and at most
 * UPGRADE_ROLLBACK_WINDOW_MS after the swap (a module that accepts a stale
 * restore keeps it for all of that time), and
 * the restart on the old code from it when the new code dies (upgrade.h,
 * doc/design.md §4).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "calls_kept.h"
#include "child_proc.h"
#include "log.h"
#include "release_handler.h"
#include "upgrade_internal.h"

/* Close the replaced hand-off's snapshot, if still open. */
static void close_superseded(struct handoff *h) {
    if (h->superseded_memfd >= 0)
        close(h->superseded_memfd);
    h->superseded_memfd = -1;
}

/* Close what the hand-off holds; the record itself stays. */
static void handoff_release(struct handoff *h) {
    for (size_t i = 0; i < h->n; i++)
        close(h->fds[i]);
    h->n = 0;
    if (h->memfd >= 0)
        close(h->memfd);
    h->memfd = -1;
    h->complete = false; /* no safety net any more */
    close_superseded(h);
}

static void handoff_free(struct handoff *h) {
    handoff_release(h);
    free(h->table);
    free(h->fds);
    free(h->timers);
    free(h->calls);
    free(h->old_module);
    free(h);
}

static bool stale_ok(const struct handoff *h) {
    return (h->state.flags & NINES_HANDOFF_STALE_OK) != 0;
}

static struct handoff **find_handoff(struct upgrades *u, engine_node node) {
    struct handoff **link = &u->handoffs;
    while (*link && (*link)->node != node)
        link = &(*link)->next;
    return link;
}

static void unlink_handoff(struct upgrades *u, engine_node node) {
    struct handoff **link = u ? find_handoff(u, node) : NULL;
    if (link && *link) {
        struct handoff *h = *link;
        *link = h->next;
        handoff_free(h);
    }
}

void drop_handoff(struct daemon *d, engine_node node) {
    calls_kept_forget(d, node); /* no rollback from it any more */
    unlink_handoff(d->upgrades, node);
}

/* The hand-off of node/gen being received. A new one replaces an older:
 * from then on the older is never given to a restored worker, which is
 * what lets the worker write its memfd again at its next upgrade but one
 * (worker/host_handoff.c). The older one's snapshot is not
 * closed yet, though: if ours is its last reference (the worker keeps no
 * buffer for a large state), closing it frees its memory, which takes
 * long enough (0.2 ms a MiB) to slow down the worker in its pause should
 * it share our CPU; it is closed once the result of this upgrade is in. */
static struct handoff *receiving(struct daemon *d, engine_node node, uint64_t gen) {
    struct upgrades *u = state_of(d);
    struct handoff **link = find_handoff(u, node);
    int superseded = -1;
    if (*link && ((*link)->gen != gen || (*link)->complete || (*link)->expires_ms)) {
        superseded = (*link)->memfd;
        (*link)->memfd = -1;
        /* The copies of the answers stay: the upgrade under way kept them. */
        unlink_handoff(u, node), link = find_handoff(u, node);
    }
    if (!*link) {
        struct handoff *h = calloc(1, sizeof *h);
        const char *module = daemon_module_of(d, node);
        if (!h || !(h->old_module = strdup(module ? module : ""))) {
            free(h);
            if (superseded >= 0)
                close(superseded);
            return NULL;
        }
        h->node = node, h->gen = gen, h->memfd = -1, h->superseded_memfd = superseded;
        *link = h;
    }
    return *link;
}

static int add_fds(struct handoff *h, const struct nines_handoff_fd *table, const int *fds, size_t n) {
    if (n == 0)
        return 0;
    if (h->n + n > h->cap) {
        size_t cap = (h->n + n) * 2;
        struct nines_handoff_fd *t = realloc(h->table, cap * sizeof *t);
        if (t)
            h->table = t;
        int *f = realloc(h->fds, cap * sizeof *f);
        if (f)
            h->fds = f;
        if (!t || !f)
            return -ENOMEM;
        h->cap = cap;
    }
    memcpy(h->table + h->n, table, n * sizeof *table);
    memcpy(h->fds + h->n, fds, n * sizeof *fds);
    h->n += n;
    return 0;
}

static int add_calls(struct handoff *h, const struct nines_msg *m) {
    size_t n = m->length / sizeof *h->calls;
    if (m->length % sizeof *h->calls || n > NINES_HANDOFF_CALLS_MAX)
        return -EBADMSG;
    struct nines_handoff_call *v = realloc(h->calls, (h->n_calls + n) * sizeof *v + 1);
    if (!v)
        return -ENOMEM;
    memcpy(v + h->n_calls, m->payload, m->length);
    h->calls = v, h->n_calls += n;
    return 0;
}

static int set_state(struct handoff *h, const struct nines_msg *m, int *fds, size_t n_fds) {
    if (m->length < sizeof h->state)
        return -EBADMSG;
    memcpy(&h->state, m->payload, sizeof h->state);
    size_t timers = (m->length - sizeof h->state) / sizeof(struct nines_handoff_timer);
    if (timers != h->state.n_timers || h->state.n_fds != h->n || n_fds != (h->state.snapshot_len ? 1u : 0u) ||
        h->state.n_calls != h->n_calls)
        return -EBADMSG;
    if (timers && !(h->timers = malloc(timers * sizeof *h->timers)))
        return -ENOMEM;
    if (timers)
        memcpy(h->timers, m->payload + sizeof h->state, timers * sizeof *h->timers);
    h->memfd = n_fds ? fds[0] : -1;
    h->complete = true;
    return 0;
}

void upgrade_on_handoff(struct daemon *d, engine_node node, uint64_t gen, const struct nines_msg *m, int *fds,
                        size_t n_fds) {
    struct handoff *h = receiving(d, node, gen);
    int r = -ENOMEM;
    if (h && m->type == NINES_MSG_HANDOFF_FDS)
        r = m->length == n_fds * sizeof(struct nines_handoff_fd)
                ? add_fds(h, (const struct nines_handoff_fd *)(const void *)m->payload, fds, n_fds)
                : -EBADMSG;
    else if (h && m->type == NINES_MSG_HANDOFF_CALLS)
        r = n_fds ? -EBADMSG : add_calls(h, m);
    else if (h)
        r = set_state(h, m, fds, n_fds);
    if (r == 0)
        return;
    for (size_t i = 0; i < n_fds; i++)
        close(fds[i]);
    drop_handoff(d, node); /* a broken hand-off is no safety net */
}

/* Hand-offs whose window has passed are let go: a later crash is an
 * ordinary one (the window also ends earlier, at the new code's first
 * input: upgrade_on_took_input). The snapshots they replaced are closed on
 * the first run after their upgrade's result. */
static int on_expiry(sd_event_source *s, uint64_t usec, void *userdata) {
    struct daemon *d = userdata;
    struct upgrades *u = d->upgrades;
    uint64_t now = daemon_now_ms(), next = 0;
    for (struct handoff **link = &u->handoffs; *link;) {
        struct handoff *h = *link;
        if (h->expires_ms)
            close_superseded(h);
        if (h->expires_ms && h->expires_ms <= now) {
            *link = h->next;
            calls_kept_forget(d, h->node);
            handoff_free(h);
            continue;
        }
        if (h->expires_ms && (!next || h->expires_ms < next))
            next = h->expires_ms;
        link = &h->next;
    }
    if (next) {
        sd_event_source_set_time(s, next * 1000);
        sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
    }
    return 0;
}

void keep_for_window(struct daemon *d, engine_node node) {
    struct upgrades *u = d->upgrades;
    struct handoff *h = *find_handoff(u, node);
    if (!h) {
        calls_kept_forget(d, node); /* nothing to roll back to */
        return;
    }
    h->expires_ms = daemon_now_ms() + UPGRADE_ROLLBACK_WINDOW_MS;
    h->took_input = false;
    /* The worker's pause is over: the snapshot this hand-off replaced is
     * closed at once, but after the operator has the answer. */
    uint64_t at = h->superseded_memfd >= 0 ? daemon_now_ms() * 1000 : h->expires_ms * 1000;
    if (!u->expiry && sd_event_add_time(d->loop, &u->expiry, CLOCK_MONOTONIC, at, 1000, on_expiry, d) < 0) {
        drop_handoff(d, node);
        return;
    }
    uint64_t armed = 0;
    int enabled = 0;
    sd_event_source_get_enabled(u->expiry, &enabled);
    sd_event_source_get_time(u->expiry, &armed);
    if (!enabled || armed > at) {
        sd_event_source_set_time(u->expiry, at);
        sd_event_source_set_enabled(u->expiry, SD_EVENT_ONESHOT);
    }
}

/* The channel blocks, at most `ms` per packet, while the hand-off goes to
 * a fresh worker that does nothing but read it: more than a socket buffer
 * of it (many descriptors, timers or outstanding calls) still goes whole. */
static void blocking_for(int fd, int ms) {
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    int flags = fcntl(fd, F_GETFL);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (flags >= 0)
        fcntl(fd, F_SETFL, ms ? flags & ~O_NONBLOCK : flags | O_NONBLOCK);
}

static int send_handoff_packets(struct child_proc *p, struct handoff *h);

/* Send the hand-off to the restored worker, in the order it came. Our
 * descriptors go with it (closed here once sent). */
static int send_handoff(struct child_proc *p, struct handoff *h) {
    blocking_for(p->channel, 2000);
    int r = send_handoff_packets(p, h);
    blocking_for(p->channel, 0);
    return r;
}

static int send_handoff_packets(struct child_proc *p, struct handoff *h) {
    int r = 0;
    for (size_t at = 0; at < h->n && r == 0; at += NINES_HANDOFF_FDS_MAX) {
        size_t n = h->n - at < NINES_HANDOFF_FDS_MAX ? h->n - at : NINES_HANDOFF_FDS_MAX;
        r = nines_proto_send_fds(p->channel, NINES_MSG_HANDOFF_FDS, 0, h->table + at, n * sizeof *h->table,
                                 h->fds + at, n);
    }
    for (size_t at = 0; at < h->n_calls && r == 0; at += NINES_HANDOFF_CALLS_MAX) {
        size_t n = h->n_calls - at < NINES_HANDOFF_CALLS_MAX ? h->n_calls - at : NINES_HANDOFF_CALLS_MAX;
        r = nines_proto_send(p->channel, NINES_MSG_HANDOFF_CALLS, 0, h->calls + at, n * sizeof *h->calls);
    }
    static uint8_t buf[NINES_PROTO_MAX_PAYLOAD];
    size_t len = sizeof h->state + h->state.n_timers * sizeof *h->timers;
    if (r == 0 && len > sizeof buf)
        r = -E2BIG;
    if (r == 0) {
        memcpy(buf, &h->state, sizeof h->state);
        if (h->state.n_timers)
            memcpy(buf + sizeof h->state, h->timers, h->state.n_timers * sizeof *h->timers);
        r = nines_proto_send_fds(p->channel, NINES_MSG_HANDOFF_STATE, 0, buf, len, &h->memfd,
                                 h->memfd >= 0 ? 1 : 0);
    }
    return r;
}

static void log_rollback(struct daemon *d, engine_node node, const struct handoff *h, const char *cause,
                         const char *msg, int prio) {
    char pid[16] = "";
    if (d->nodes[node].pid)
        snprintf(pid, sizeof pid, "%d", (int)d->nodes[node].pid);
    struct nines_field f[] = {
        {"child", engine_node_path(d->engine, node)}, {"pid", pid[0] ? pid : NULL},
        {"to", h->state.version},                      {"module", h->old_module},
        {"reason", cause},
    };
    nines_log_event(prio, "upgrade_rolled_back", msg, f, sizeof f / sizeof f[0]);
}

/* The new code crashed after it had taken input: no rollback, an ordinary
 * crash of the new version (the engine is told next), said to be one. */
static void log_crash_after_swap(struct daemon *d, engine_node node, const struct handoff *h, const char *why) {
    char pid[16] = "", ms[24];
    if (d->nodes[node].pid)
        snprintf(pid, sizeof pid, "%d", (int)d->nodes[node].pid);
    uint64_t since = daemon_now_ms() + UPGRADE_ROLLBACK_WINDOW_MS - h->expires_ms;
    snprintf(ms, sizeof ms, "%llu", (unsigned long long)since);
    struct nines_field f[] = {
        {"child", engine_node_path(d->engine, node)}, {"pid", pid[0] ? pid : NULL},
        {"version", d->nodes[node].version},        {"ms_after_swap", ms},
        {"reason", why},
    };
    nines_log_event(LOG_ERR, "upgrade_crashed_after_swap",
                    "the new code crashed right after the upgrade, after it had taken input: not rolled back "
                    "(what it acknowledged stays acknowledged); the supervisor's rules apply",
                    f, sizeof f / sizeof f[0]);
}

void upgrade_on_took_input(struct daemon *d, engine_node node, uint64_t gen) {
    struct upgrades *u = d->upgrades;
    struct handoff *h = u ? *find_handoff(u, node) : NULL;
    if (!h || h->gen != gen || !h->expires_ms || h->took_input)
        return; /* no swap of this incarnation to settle */
    h->took_input = true;
    if (!stale_ok(h)) {
        handoff_release(h); /* a record for the report, no snapshot */
        calls_kept_forget(d, node);
    }
}

bool upgrade_rollback_possible(struct daemon *d, engine_node node, uint64_t gen) {
    struct upgrades *u = d->upgrades;
    struct upgrade_req *r = u ? in_flight(u, node) : NULL;
    struct handoff *h = u ? *find_handoff(u, node) : NULL;
    return (r && r->gen == gen) || (h && h->gen == gen && h->complete);
}

/* Start the worker again on the old code, from the hand-off. */
static bool roll_back(struct daemon *d, engine_node node, uint64_t gen, struct handoff *h, const char *cause) {
    if (remember_module(d, node, h->old_module) < 0)
        return false;
    struct child_proc *p = NULL;
    if (child_proc_spawn(d, node, gen, true, &p) < 0)
        return false;
    if (h->took_input)
        h->state.flags |= NINES_HANDOFF_STALE; /* code_change sees NINES_CC_STALE */
    if (send_handoff(p, h) < 0) {
        child_proc_kill(p); /* its exit is then an ordinary failure */
        d->procs[node] = p;
        return true;
    }
    d->procs[node] = p;
    d->nodes[node].pid = p->pid;
    /* Then the answers the crashed code got, or never read, again. */
    calls_kept_resend(d, p, h->calls, h->n_calls);
    /* Logged once, when the worker is back (upgrade_on_restored). */
    snprintf(h->cause, sizeof h->cause, "%s", cause);
    return true;
}

bool upgrade_on_exit(struct daemon *d, engine_node node, uint64_t gen, const struct nines_reason *why,
                     bool may_roll_back) {
    struct upgrades *u = d->upgrades;
    struct upgrade_req *r = in_flight(u, node);
    struct handoff *h = u ? *find_handoff(u, node) : NULL;
    char text[300], cause[400];
    nines_reason_format(why, text, sizeof text);
    bool ours = h && h->gen == gen;
    bool in_window = !h || !h->expires_ms || h->expires_ms > daemon_now_ms();
    bool usable = ours && h->complete && may_roll_back && in_window && (!h->took_input || stale_ok(h));
    if (r && r->gen == gen && r->timed_out)
        snprintf(cause, sizeof cause,
                 "the upgrade did not end within %" PRIu64 " ms (a limit: raise the child's swap_timeout): "
                 "the worker was killed", r->timeout_ms);
    else
        snprintf(cause, sizeof cause, "%s %s: %s", r && r->gen == gen ? "during" : "just after",
                 "the upgrade, the worker ended", text);
    bool rolled = usable && roll_back(d, node, gen, h, cause);
    if (rolled)
        d->nodes[node].counters.upgrades[UPGRADE_ROLLED_BACK]++; /* the request in flight, if any, is not counted */
    if (!rolled && ours && h->took_input && in_window)
        log_crash_after_swap(d, node, h, text);
    if (!rolled && may_roll_back && why->kind != NINES_REASON_NORMAL && why->kind != NINES_REASON_SHUTDOWN) {
        release_install_on_crash(d, node, text);
        upgrade_all_on_crash(d, node, text);
    }
    if (!rolled && ours)
        drop_handoff(d, node);
    else if (!rolled)
        calls_kept_forget(d, node); /* the answers sent to an upgrade in flight */
    if (r && r->gen == gen) {
        r->outcome = rolled ? UPGRADE_OUTCOMES : UPGRADE_FAILED;
        log_upgrade(LOG_ERR, "upgrade_failed", d, r, NULL, cause,
                    rolled ? "upgrade failed; rolled back to the old code with its state"
                           : "upgrade failed; the supervisor restarts the worker", NULL, NULL, NULL);
        finish(d, r, CTL_ST_FAILED, "%s: %s%s", engine_node_path(d->engine, node), cause,
               rolled ? "; rolled back to the previous version with its state" : "");
    }
    return rolled;
}

void upgrade_on_restored(struct daemon *d, engine_node node) {
    struct upgrades *u = d->upgrades;
    struct handoff *h = u ? *find_handoff(u, node) : NULL;
    struct child_proc *p = node < d->n_nodes ? d->procs[node] : NULL;
    if (p)
        snprintf(d->nodes[node].version, sizeof d->nodes[node].version, "%s", p->version);
    if (h) {
        log_rollback(d, node, h, h->cause, "restored on the old code", LOG_NOTICE);
        drop_handoff(d, node);
    }
}

void rollback_free_all(struct daemon *d) {
    struct upgrades *u = d->upgrades;
    while (u->handoffs) {
        struct handoff *h = u->handoffs;
        u->handoffs = h->next;
        handoff_free(h);
    }
    sd_event_source_disable_unref(u->expiry);
}
