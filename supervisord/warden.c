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
#include "fork_exec.h"
#include "log.h"
#include "reaper.h"

#define WARDEN_FD 3 /* worker/host_warden.h */
#define WARDEN_RESTART_MS 1000

struct warden {
    pid_t pid;
    int fd;             /* our end of the stream, or -1 */
    int exec_fd;        /* the boot's warden says on it whether its exec failed, or -1 */
    sd_event_source *exec_src;
    sd_event_source *restart;
    bool warned;        /* a failed send was logged */
    bool exec_failed;   /* it never ran: not started again */
};

extern char **environ;

static void warden_argv(struct daemon *d, char *argv[5]) {
    argv[0] = (char *)d->worker_path, argv[1] = "--warden", argv[2] = argv[3] = argv[4] = NULL;
    if (cgroups_base(d))
        argv[2] = "--cgroups", argv[3] = (char *)cgroups_base(d);
}

/* In its own group (spawn_helper): a terminal's ^C, or a signal to
 * ninesd's group, is not for it. */
static int spawn_warden(struct daemon *d, int their_end, pid_t *pid) {
    char *argv[5];
    warden_argv(d, argv);
    return spawn_helper(d->worker_path, argv, environ, their_end, WARDEN_FD, pid);
}

/* The boot's warden is forked and not waited for (fork_exec.h): it holds
 * its end of the stream from the fork on, so a child told to it before
 * its exec is covered as one told after (the groups wait in the stream;
 * if ninesd dies first, the warden still execs, reads them and kills
 * them). NINES_WARDEN_EXEC_DELAY_MS holds its exec back (a test seam). */
static int fork_warden(struct daemon *d, int their_end, pid_t *pid, int *exec_fd) {
    char *argv[5];
    warden_argv(d, argv);
    return fork_exec(d->worker_path, argv, environ, their_end, WARDEN_FD, "NINES_WARDEN_EXEC_DELAY_MS", pid, exec_fd);
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

static void log_failure(int err) {
    char msg[200];
    snprintf(msg, sizeof msg, "cannot start the warden (%s): if ninesd is killed, its children's processes may stay",
             strerror(-err));
    nines_log_event(LOG_WARNING, "warden_error", msg, NULL, 0);
}

/* What the forked warden said of its exec: an errno (it failed: logged,
 * never started again), or the pipe's end (it runs). Once. */
static void exec_news(struct warden *w) {
    int r = w->exec_fd >= 0 ? fork_exec_result(w->exec_fd) : 0;
    if (r == -EAGAIN)
        return; /* not yet */
    w->exec_src = sd_event_source_disable_unref(w->exec_src); /* out of the loop before it is closed */
    if (w->exec_fd >= 0)
        close(w->exec_fd), w->exec_fd = -1;
    if (r < 0) {
        w->exec_failed = true;
        log_failure(r);
    }
}

static int on_exec_news(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
    exec_news(userdata);
    return 0;
}

static int begin(struct daemon *d, bool boot) {
    struct warden *w = d->warden;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    int big = 1 << 20;
    (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    pid_t pid = 0;
    int exec_fd = -1;
    int r = boot ? fork_warden(d, sv[1], &pid, &exec_fd) : spawn_warden(d, sv[1], &pid);
    close(sv[1]);
    if (r == 0)
        r = reaper_watch(d->reaper, pid, on_warden_exit, d);
    if (r < 0) {
        if (pid > 0)
            kill(pid, SIGKILL); /* never watched: reaped as an orphan */
        if (exec_fd >= 0)
            close(exec_fd);
        close(sv[0]);
        return r;
    }
    w->pid = pid;
    w->exec_fd = exec_fd;
    if (exec_fd >= 0) {
        if (sd_event_add_io(d->loop, &w->exec_src, exec_fd, EPOLLIN, on_exec_news, w) < 0)
            exec_news(w); /* no source: what it said by now, or nothing */
    }
    w->fd = sv[0];
    w->warned = false;
    send_all(d);
    return 0;
}

static int on_restart(sd_event_source *s, uint64_t usec, void *userdata) {
    struct daemon *d = userdata;
    d->warden->restart = sd_event_source_disable_unref(d->warden->restart);
    int r = d->stopping ? 0 : begin(d, false);
    if (r < 0)
        log_failure(r);
    return 0;
}

static void on_warden_exit(void *userdata, const siginfo_t *si) {
    struct daemon *d = userdata;
    struct warden *w = d->warden;
    close(w->fd);
    w->fd = -1;
    exec_news(w); /* an exec that failed said so before this end */
    if (d->stopping || w->exec_failed)
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
    d->warden->fd = d->warden->exec_fd = -1;
    int r = begin(d, true);
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
    sd_event_source_disable_unref(w->exec_src);
    if (w->exec_fd >= 0)
        close(w->exec_fd);
    if (w->fd >= 0) {
        reaper_unwatch(d->reaper, w->pid);
        close(w->fd); /* it exits; as ninesd's orphan it goes to init */
    }
    free(w);
    d->warden = NULL;
}
