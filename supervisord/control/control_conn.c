/*
 * control_conn.c — one client connection: who it is, reading requests
 * frame by frame, writing answers as the socket allows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control_internal.h"

static void update_events(struct control_conn *c) {
    uint32_t ev = c->busy ? 0 : EPOLLIN;
    if (c->out_off < c->out_len || c->status)
        ev |= EPOLLOUT;
    sd_event_source_set_io_events(c->src, ev);
}

void conn_free(struct control_conn *c) {
    struct control *ctl = c->d->control;
    if (c->prev)
        c->prev->next = c->next;
    else
        ctl->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    ctl->n_conns--;
    sd_event_source_disable_unref(c->src);
    close(c->fd);
    ctl_decoder_free(&c->in);
    control_status_free(c->status);
    free((void *)c->peer.groups);
    free(c->out);
    free(c);
}

/* Write what the socket takes now; false if the connection broke. */
bool conn_flush(struct control_conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN;
        c->out_off += (size_t)n;
        c->took_ms = daemon_now_ms();
    }
    c->out_off = c->out_len = 0;
    return true;
}

void conn_close_now(struct control_conn *c) {
    if ((c->busy || c->following) && !c->dead)
        control_send_end(c, CTL_ST_SHUTTING_DOWN, "ninesd is stopping");
    conn_flush(c); /* best effort: the END is small and the socket empty enough */
    conn_free(c);
}

void conn_want_write(struct control_conn *c) {
    if (!c->dead)
        update_events(c);
}

void conn_resume(struct control_conn *c) {
    c->last_ms = daemon_now_ms();
    if (!c->dead)
        update_events(c);
}

/* A request frame: checked, then run. Anything else from a client ends
 * the connection after one END saying why. */
static void on_frame(struct control_conn *c, const struct ctl_frame *f) {
    static const char *argv[CTL_MAX_ARGS];
    int argc = f->type == CTL_REQUEST ? ctl_argv_decode(f->payload, f->length, argv, CTL_MAX_ARGS) : -EBADMSG;
    if (argc < 0) {
        control_send_end(c, CTL_ST_BAD_REQUEST, "malformed request: %s",
                         f->type == CTL_REQUEST ? "expected NUL-terminated text arguments" : "expected a REQUEST frame");
        c->dead = true;
        return;
    }
    if (!control_allows(c->access, argv[0])) {
        control_send_end(c, CTL_ST_DENIED,
                         "permission denied: uid %d may not '%s' (allowed: root and uid %d%s)", (int)c->peer.uid,
                         argv[0], (int)c->d->control->rules.daemon_uid,
                         c->d->control->rules.has_group ? "; the control group may only read: status, events, version"
                                                        : "");
        return;
    }
    c->busy = true;
    control_dispatch(c->d, c, argc, argv);
}

static void read_requests(struct control_conn *c) {
    uint8_t buf[16384];
    for (;;) {
        struct ctl_frame f;
        int r;
        while (!c->busy && !c->dead && (r = ctl_decoder_next(&c->in, &f)) != 0) {
            if (r < 0) {
                control_send_end(c, r == -EMSGSIZE ? CTL_ST_TOO_BIG : CTL_ST_BAD_REQUEST,
                                 "malformed frame: %s", r == -EMSGSIZE ? "request over 65536 bytes"
                                                        : r == -EPROTONOSUPPORT ? "unsupported protocol version"
                                                                                 : "bad magic or type");
                c->dead = true;
                return;
            }
            on_frame(c, &f);
        }
        if (c->busy || c->dead)
            return;
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN)
                c->dead = true;
            return;
        }
        c->last_ms = daemon_now_ms();
        if (ctl_decoder_feed(&c->in, buf, (size_t)n) < 0)
            continue; /* the sticky error comes out of ctl_decoder_next */
    }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
    struct control_conn *c = userdata;
    if (revents & EPOLLOUT && !conn_flush(c))
        c->dead = true;
    if (!c->dead && c->status)
        control_status_pump(c);
    if (!c->dead && revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
        read_requests(c);
    if (!c->dead && !conn_flush(c))
        c->dead = true;
    if (c->dead) {
        conn_flush(c); /* the last END, if the socket takes it */
        conn_free(c);
        return 0;
    }
    update_events(c);
    return 0;
}

static void read_peer(struct control_conn *c) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
        c->peer = (struct control_peer){.pid = cred.pid, .uid = cred.uid, .gid = cred.gid};
    else
        c->peer = (struct control_peer){.uid = (uid_t)-1, .gid = (gid_t)-1};
    gid_t groups[256];
    len = sizeof groups;
    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0 && len > 0) {
        gid_t *copy = malloc(len);
        if (copy) {
            memcpy(copy, groups, len);
            c->peer.groups = copy;
            c->peer.n_groups = len / sizeof(gid_t);
        }
    }
    c->access = control_access_of(&c->peer, &c->d->control->rules);
}

/* --- limits (control_limits.h) ------------------------------------------ */

static bool conn_idle(const struct control_conn *c) {
    return !c->dead && control_conn_idle(c->busy, c->following, c->out_off < c->out_len);
}

static bool has_idle(const struct control *ctl) {
    for (const struct control_conn *c = ctl->conns; c; c = c->next)
        if (conn_idle(c))
            return true;
    return false;
}

/* Close the connection idle the longest; false if none is idle. */
static bool evict_idle(struct control *ctl) {
    struct control_conn *oldest = NULL;
    for (struct control_conn *c = ctl->conns; c; c = c->next)
        if (conn_idle(c) && (!oldest || c->last_ms <= oldest->last_ms))
            oldest = c;
    if (!oldest)
        return false;
    conn_free(oldest);
    return true;
}

static uint64_t sweep_every_us(const struct control *ctl) {
    uint64_t ms = ctl->idle_ms / 4;
    return (ms < 100 ? 100 : ms > 1000 ? 1000 : ms) * 1000;
}

static int on_idle_sweep(sd_event_source *s, uint64_t usec, void *userdata) {
    struct daemon *d = userdata;
    struct control *ctl = d->control;
    uint64_t now = daemon_now_ms();
    for (struct control_conn *c = ctl->conns, *next; c; c = next) {
        next = c->next;
        if (conn_idle(c) && control_idle_expired(now, c->last_ms, ctl->idle_ms))
            conn_free(c);
        else if (!c->dead && control_stalled(c->out_off < c->out_len || c->status, now, c->took_ms, ctl->idle_ms))
            control_cut_off(c, "read nothing of its answer for the idle timeout (ninesd --idle-timeout)");
    }
    sd_event_source_set_time_relative(s, sweep_every_us(ctl));
    sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
    return 0;
}

int control_limits_start(struct daemon *d) {
    struct control *ctl = d->control;
    if (!ctl->idle_ms)
        return 0;
    return sd_event_add_time_relative(d->loop, &ctl->idle_timer, CLOCK_MONOTONIC, sweep_every_us(ctl), 10000,
                                      on_idle_sweep, d);
}

static int on_accept_pause_end(sd_event_source *s, uint64_t usec, void *userdata) {
    struct control *ctl = ((struct daemon *)userdata)->control;
    ctl->accept_pause = sd_event_source_disable_unref(ctl->accept_pause);
    sd_event_source_set_enabled(ctl->src, SD_EVENT_ON);
    return 0;
}

/* Out of descriptors with nothing idle to close: the listener would stay
 * readable and the loop spin, so it rests a moment instead. */
static void pause_accepting(struct daemon *d) {
    struct control *ctl = d->control;
    if (ctl->accept_pause)
        return;
    sd_event_source_set_enabled(ctl->src, SD_EVENT_OFF);
    if (sd_event_add_time_relative(d->loop, &ctl->accept_pause, CLOCK_MONOTONIC, CONTROL_ACCEPT_PAUSE_MS * 1000, 0,
                                   on_accept_pause_end, d) < 0)
        sd_event_source_set_enabled(ctl->src, SD_EVENT_ON);
}

static void add_conn(struct daemon *d, int cfd) {
    struct control *ctl = d->control;
    struct control_conn *c = calloc(1, sizeof *c);
    if (!c || sd_event_add_io(d->loop, &c->src, cfd, EPOLLIN, on_io, c) < 0) {
        free(c);
        close(cfd);
        return;
    }
    c->d = d;
    c->fd = cfd;
    c->id = ++ctl->next_id;
    c->last_ms = daemon_now_ms();
    ctl_decoder_init(&c->in, CTL_MAX_REQUEST);
    read_peer(c);
    c->next = ctl->conns;
    if (ctl->conns)
        ctl->conns->prev = c;
    ctl->conns = c;
    ctl->n_conns++;
}

int control_on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
    struct daemon *d = userdata;
    struct control *ctl = d->control;
    for (int budget = CONTROL_ACCEPT_BUDGET; budget > 0; budget--) {
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if ((errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) && !evict_idle(ctl))
                pause_accepting(d);
            return 0; /* EAGAIN: all taken; else a descriptor is free for the next turn */
        }
        enum control_admit a = control_admit(ctl->n_conns, ctl->max_conns, has_idle(ctl));
        if (a == CONTROL_ADMIT_EVICT)
            evict_idle(ctl);
        add_conn(d, cfd);
        if (a == CONTROL_REFUSE && ctl->conns && ctl->conns->fd == cfd) {
            control_send_end(ctl->conns, CTL_ST_REFUSED,
                             "too many control connections: %zu, all working (ninesd --max-connections)",
                             ctl->max_conns);
            control_kill_conn(ctl->conns);
        }
    }
    return 0;
}
