/*
 * control.c — the control socket and its connections (see control.h):
 * creating the socket safely, accepting, checking the peer, framing in
 * and out without ever blocking the loop.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "control_internal.h"
#include "ctl_path.h"
#include "log.h"
#include "path_trust.h"

/* A client that leaves this much unread is dropped rather than buffered. */
#define MAX_QUEUED_BYTES (8u * 1024u * 1024u)
/* Queued output this long is sent at once, not when the loop next turns. */
#define SEND_EARLY_BYTES (64u * 1024u)

/* --- output ----------------------------------------------------------------- */

static int queue_bytes(struct control_conn *c, const void *data, size_t len) {
    if (c->out_len - c->out_off + len > MAX_QUEUED_BYTES)
        return -ENOBUFS;
    if (c->out_off == c->out_len) { /* output waits from now: the stall clock starts */
        c->out_off = c->out_len = 0;
        c->took_ms = daemon_now_ms();
    }
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len)
            cap *= 2;
        uint8_t *p = realloc(c->out, cap);
        if (!p)
            return -ENOMEM;
        c->out = p, c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return 0;
}

static void queue_frame(struct control_conn *c, enum ctl_type type, enum ctl_status st,
                        const void *payload, size_t len) {
    if (c->dead)
        return;
    if (len > CTL_MAX_RESPONSE)
        len = CTL_MAX_RESPONSE; /* only a message can be this long: cut it */
    struct ctl_header h;
    ctl_header_make(&h, type, st, len);
    if (queue_bytes(c, &h, sizeof h) < 0 || queue_bytes(c, payload, len) < 0) {
        control_cut_off(c, "left more than 8 MiB of its answers unread"); /* it does not read: let it go */
        return;
    }
    /* A long answer (a status of thousands of nodes) goes out as it is
     * made, so that the client reads the first records while the last
     * are written, rather than after. */
    if (c->out_len - c->out_off >= SEND_EARLY_BYTES && !conn_flush(c)) {
        control_kill_conn(c);
        return;
    }
    conn_want_write(c);
}

void control_send_data(struct control_conn *c, const void *payload, size_t len) {
    queue_frame(c, CTL_DATA, CTL_ST_OK, payload, len);
}

void control_send_end(struct control_conn *c, enum ctl_status st, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    queue_frame(c, CTL_END, st, msg, len);
    c->busy = false;
    conn_resume(c);
}

void control_follow(struct control_conn *c) {
    c->following = true;
}

uint64_t control_conn_id(const struct control_conn *c) {
    return c->id;
}

struct control_conn *control_conn_find(struct daemon *d, uint64_t id) {
    struct control *ctl = d->control;
    for (struct control_conn *c = ctl ? ctl->conns : NULL; c; c = c->next)
        if (c->id == id && !c->dead)
            return c;
    return NULL;
}

/* A connection found broken outside its own event (a follower that does
 * not read) is freed from the loop, not under the caller's feet. */
static int on_reap(sd_event_source *s, void *userdata) {
    struct daemon *d = userdata;
    struct control_conn *c = d->control->conns;
    while (c) {
        struct control_conn *next = c->next;
        if (c->dead)
            conn_free(c);
        c = next;
    }
    return 0;
}

void control_kill_conn(struct control_conn *c) {
    struct control *ctl = c->d->control;
    c->dead = true;
    if (!ctl->reaper && sd_event_add_defer(c->d->loop, &ctl->reaper, on_reap, c->d) < 0)
        return;
    sd_event_source_set_enabled(ctl->reaper, SD_EVENT_ONESHOT);
}

/* Dropped for not reading, said once in the log: who it was and why. */
void control_cut_off(struct control_conn *c, const char *why) {
    if (c->dead)
        return;
    control_kill_conn(c); /* first: the record below goes to followers, this one no more */
    char pid[24], uid[24], msg[200];
    snprintf(pid, sizeof pid, "%d", (int)c->peer.pid);
    snprintf(uid, sizeof uid, "%d", (int)c->peer.uid);
    snprintf(msg, sizeof msg, "control client %s: connection closed", why);
    struct nines_field f[] = {{"pid", pid}, {"uid", uid}};
    nines_log_event(LOG_WARNING, "control_client_dropped", msg, f, 2);
}

/* --- the socket ----------------------------------------------------------- */

/* A socket file left by a dead daemon is replaced; a live one is not. */
static int claim_path(const char *path, char *why, size_t size) {
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(why, size, "%s exists and is not a socket", path);
        return -EEXIST;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int live = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    if (live) {
        snprintf(why, size, "another ninesd serves %s", path);
        return -EADDRINUSE;
    }
    return unlink(path) < 0 ? -errno : 0;
}

/* The socket's folder, made 0750 (and given to the control group) when
 * ninesd creates it; an existing folder is the operator's and left as is,
 * but only if nobody else could stand in for ninesd there: it and every
 * folder above it must pass path_trust.h (owned by root or us, written
 * by nobody else; sticky folders such as /tmp allowed above). */
static int make_parent_dir(const char *path, const struct control_rules *rules, char *why, size_t size) {
    char dir[sizeof(struct sockaddr_un)];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (mkdir(dir, 0750) == 0) {
        if (rules->has_group && chown(dir, (uid_t)-1, rules->group) < 0)
            return -errno;
    } else if (errno != EEXIST) {
        return -errno;
    }
    char reason[1200];
    int r = path_trust_check("control socket folder", dir, reason, sizeof reason);
    if (r < 0)
        snprintf(why, size, "%s; ninesd does not serve %s there", reason, path);
    return r;
}

static int resolve_group(const char *name, struct control_rules *rules, char *why, size_t size) {
    rules->daemon_uid = getuid();
    if (!name)
        return 0;
    struct group *g = getgrnam(name);
    if (!g) {
        snprintf(why, size, "--control-group: no group named '%s'", name);
        return -ENOENT;
    }
    rules->has_group = true;
    rules->group = g->gr_gid;
    return 0;
}

static int bind_socket(struct control *ctl, char *why, size_t size) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(ctl->path) >= sizeof sa.sun_path) {
        snprintf(why, size, "socket path too long: %s", ctl->path);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, ctl->path);
    int r = make_parent_dir(ctl->path, &ctl->rules, why, size);
    if (r == 0)
        r = claim_path(ctl->path, why, size);
    if (r < 0)
        return r;
    ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (ctl->fd < 0)
        return -errno;
    /* Created 0660 from the start: no moment where others could connect. */
    mode_t old = umask(0117);
    r = bind(ctl->fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (r < 0)
        return -errno;
    if (ctl->rules.has_group && chown(ctl->path, (uid_t)-1, ctl->rules.group) < 0)
        return -errno;
    return listen(ctl->fd, 128) < 0 ? -errno : 0;
}

int control_open(struct daemon *d, const struct control_options *opt, char *why, size_t size) {
    struct control *ctl = calloc(1, sizeof *ctl);
    if (!ctl)
        return -ENOMEM;
    ctl->fd = -1;
    ctl->max_conns = opt->max_connections ? opt->max_connections : CONTROL_MAX_CONNECTIONS;
    ctl->idle_ms = opt->idle_timeout_ms == 0 ? CONTROL_IDLE_TIMEOUT_MS
                   : opt->idle_timeout_ms < 0 ? 0 : (uint64_t)opt->idle_timeout_ms;
    d->control = ctl;
    why[0] = '\0';
    int r = opt->socket_path ? (snprintf(ctl->path, sizeof ctl->path, "%s", opt->socket_path), 0)
                             : ctl_default_socket_path(ctl->path, sizeof ctl->path);
    if (r == 0)
        r = resolve_group(opt->group, &ctl->rules, why, size);
    if (r == 0)
        r = bind_socket(ctl, why, size);
    if (r == 0)
        r = sd_event_add_io(d->loop, &ctl->src, ctl->fd, EPOLLIN, control_on_accept, d);
    if (r >= 0)
        r = control_limits_start(d);
    if (r < 0) {
        if (!why[0])
            snprintf(why, size, "cannot serve %s: %s", ctl->path, strerror(-r));
        if (ctl->fd >= 0 && r != -EADDRINUSE && r != -EEXIST)
            unlink(ctl->path);
        control_close(d);
        return r;
    }
    ctl->bound = true;
    nines_log_set_tap(control_on_log_record, d);
    return 0;
}

void control_close(struct daemon *d) {
    struct control *ctl = d->control;
    if (!ctl)
        return;
    nines_log_set_tap(NULL, NULL);
    while (ctl->conns)
        conn_close_now(ctl->conns);
    free(ctl->ops);
    sd_event_source_disable_unref(ctl->src);
    sd_event_source_disable_unref(ctl->reaper);
    sd_event_source_disable_unref(ctl->idle_timer);
    sd_event_source_disable_unref(ctl->accept_pause);
    if (ctl->fd >= 0)
        close(ctl->fd);
    if (ctl->bound)
        unlink(ctl->path);
    control_events_free(d);
    free(ctl);
    d->control = NULL;
}
