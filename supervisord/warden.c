/*
 * warden.c — see warden.h.
 */
#include "warden.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "cgroup.h"
#include "child_proc.h"
#include "daemon.h"
#include "log.h"
#include "reaper.h"

#define WARDEN_FD 3 /* worker/host_warden.h */
#define WARDEN_RESTART_MS 1000

struct warden {
    pid_t pid;
    int fd;             /* our end of the stream, or -1 */
    sd_event_source *restart;
    bool warned;        /* a failed send was logged */
};

extern char **environ;

/* In its own group (spawn_helper): a terminal's ^C, or a signal to
 * ninesd's group, is not for it. */
static int spawn_warden(struct daemon *d, int their_end, pid_t *pid) {
    char *argv[] = {(char *)d->worker_path, "--warden", NULL, NULL, NULL};
    if (cgroups_base(d))
        argv[2] = "--cgroups", argv[3] = (char *)cgroups_base(d);
    return spawn_helper(d->worker_path, argv, environ, their_end, WARDEN_FD, pid);
}

static void send_pids(struct warden *w, const int32_t *v, size_t n) {
    if (w->fd < 0 || !n)
        return;
    ssize_t sent = send(w->fd, v, n * sizeof *v, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent == (ssize_t)(n * sizeof *v) || w->warned)
        return;
    w->warned = true;
    nines_log_event(LOG_WARNING, "warden_error",
                    "cannot tell the warden about a child: if ninesd is killed, that child's processes may stay",
                    NULL, 0);
}

/* The groups alive now, for a new warden. */
static void send_all(struct daemon *d) {
    for (size_t i = 0; i < d->n_nodes; i++)
        if (d->procs[i]) {
            int32_t v = (int32_t)d->procs[i]->pid;
            send_pids(d->warden, &v, 1);
        }
}

static void on_warden_exit(void *userdata, const siginfo_t *si);

static int begin(struct daemon *d) {
    struct warden *w = d->warden;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    int big = 1 << 20;
    (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    int r = spawn_warden(d, sv[1], &w->pid);
    close(sv[1]);
    if (r == 0)
        r = reaper_watch(d->reaper, w->pid, on_warden_exit, d);
    if (r < 0) {
        close(sv[0]);
        return r;
    }
    w->fd = sv[0];
    w->warned = false;
    send_all(d);
    return 0;
}

static void log_failure(int err) {
    char msg[200];
    snprintf(msg, sizeof msg, "cannot start the warden (%s): if ninesd is killed, its children's processes may stay",
             strerror(-err));
    nines_log_event(LOG_WARNING, "warden_error", msg, NULL, 0);
}

static int on_restart(sd_event_source *s, uint64_t usec, void *userdata) {
    struct daemon *d = userdata;
    d->warden->restart = sd_event_source_disable_unref(d->warden->restart);
    int r = d->stopping ? 0 : begin(d);
    if (r < 0)
        log_failure(r);
    return 0;
}

static void on_warden_exit(void *userdata, const siginfo_t *si) {
    struct daemon *d = userdata;
    struct warden *w = d->warden;
    close(w->fd);
    w->fd = -1;
    if (d->stopping)
        return;
    nines_log_event(LOG_WARNING, "warden_error", "the warden ended: starting another in 1 s", NULL, 0);
    sd_event_add_time_relative(d->loop, &w->restart, CLOCK_MONOTONIC, WARDEN_RESTART_MS * 1000, 10 * 1000,
                               on_restart, d);
}

void warden_start(struct daemon *d) {
    if (getpid() == 1)
        return; /* the kernel kills PID 1's namespace with it */
    if (!(d->warden = calloc(1, sizeof *d->warden))) {
        log_failure(-ENOMEM);
        return;
    }
    d->warden->fd = -1;
    int r = begin(d);
    if (r < 0)
        log_failure(r);
}

void warden_add(struct daemon *d, pid_t pgid) {
    int32_t v = (int32_t)pgid;
    if (d->warden)
        send_pids(d->warden, &v, 1);
}

void warden_remove(struct daemon *d, pid_t pgid) {
    int32_t v = -(int32_t)pgid;
    if (d->warden)
        send_pids(d->warden, &v, 1);
}

void warden_free(struct daemon *d) {
    struct warden *w = d->warden;
    if (!w)
        return;
    sd_event_source_disable_unref(w->restart);
    if (w->fd >= 0) {
        reaper_unwatch(d->reaper, w->pid);
        close(w->fd); /* it exits; as ninesd's orphan it goes to init */
    }
    free(w);
    d->warden = NULL;
}
