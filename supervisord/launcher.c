/*
 * launcher.c — see launcher.h.
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "child_proc.h"
#include "log.h"
#include "proto.h"
#include "reaper.h"

/* One launcher process. It outlives its turn as the current one until the
 * reaper has seen its end. */
struct launcher_proc {
    struct daemon *d;
    pid_t pid;
    int sock;
    sd_event_source *src; /* answers no spawn waits for (on_answer) */
    uint64_t started_ms;
    bool watched;
};

struct launcher {
    struct launcher_proc *cur;
    pid_t awaiting;    /* the last child made, until its LAUNCH_DONE */
    pid_t failed_pid;  /* the last child whose exec failed, and why */
    int failed_err;
    unsigned quick_deaths; /* in a row, each within a second of its start */
    uint64_t retry_at_ms;  /* given up until then */
};

static void log_launcher(int priority, const char *event, const char *message, pid_t pid) {
    char text[16];
    snprintf(text, sizeof text, "%d", (int)pid);
    struct nines_field f[] = {{"pid", text}};
    nines_log_event(priority, event, message, f, 1);
}

static void proc_free(struct launcher_proc *p) {
    sd_event_source_disable_unref(p->src);
    if (p->sock >= 0)
        close(p->sock);
    free(p);
}

/* The current launcher is gone (dead, or not answering): never used
 * again; replaced at the next spawn unless it keeps dying. */
static void lost(struct launcher *l, const char *why) {
    struct launcher_proc *p = l->cur;
    uint64_t now = daemon_now_ms();
    l->cur = NULL;
    l->awaiting = 0; /* that child's end tells the rest */
    p->src = sd_event_source_disable_unref(p->src);
    l->quick_deaths = now - p->started_ms < 1000 ? l->quick_deaths + 1 : 0;
    log_launcher(LOG_WARNING, "launcher_lost", why, p->pid);
    if (l->quick_deaths >= 3) {
        l->retry_at_ms = now + 10000;
        l->quick_deaths = 0;
        log_launcher(LOG_WARNING, "launcher_given_up",
                     "the launcher keeps dying: children are spawned by ninesd itself for 10 s", p->pid);
    }
    close(p->sock);
    p->sock = -1;
    if (!p->watched) {
        proc_free(p);
        return;
    }
    kill(p->pid, SIGKILL); /* not reaped yet: the pid is still its own */
}

static void on_launcher_exit(void *userdata, const siginfo_t *si) {
    struct launcher_proc *p = userdata;
    struct launcher *l = p->d->launcher;
    p->watched = false;
    if (l && l->cur == p)
        lost(l, "the launcher ended");
    else
        proc_free(p);
}

static int spawn_proc(struct daemon *d, int child_end, pid_t *pid) {
    char parent_var[64];
    char **env = worker_spawn_env(parent_var, sizeof parent_var, NULL);
    char *argv[] = {(char *)d->worker_path, "--launcher", NULL};
    int r = env ? spawn_helper(d->worker_path, argv, env, child_end, NINES_CHANNEL_FD, pid) : -ENOMEM;
    free(env);
    return r;
}

static int on_answer(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static struct launcher_proc *start_proc(struct daemon *d) {
    struct launcher_proc *p = calloc(1, sizeof *p);
    int sv[2];
    if (!p || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        free(p);
        return NULL;
    }
    /* Off 0-3, or the dup2 onto fd 3 would keep it close-on-exec. */
    int child_end = sv[1] > 3 ? sv[1] : fcntl(sv[1], F_DUPFD_CLOEXEC, 4);
    *p = (struct launcher_proc){.d = d, .sock = sv[0], .started_ms = daemon_now_ms()};
    int r = child_end < 0 ? -errno : spawn_proc(d, child_end, &p->pid);
    if (child_end != sv[1] && child_end >= 0)
        close(child_end);
    close(sv[1]);
    if (r == 0 && reaper_watch(d->reaper, p->pid, on_launcher_exit, p) == 0) {
        p->watched = true;
        /* Before the reaper's SIGCHLD source: a failed exec's reason is
         * known before that child's end is handled. */
        if (sd_event_add_io(d->loop, &p->src, p->sock, EPOLLIN, on_answer, p) >= 0)
            sd_event_source_set_priority(p->src, SD_EVENT_PRIORITY_IMPORTANT);
        return p;
    }
    if (r == 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
    proc_free(p);
    return NULL;
}

/* The launcher to use now, started if there is none: NULL when it cannot
 * be, or is given up for now. */
static struct launcher_proc *current(struct daemon *d) {
    struct launcher *l = d->launcher;
    if (!l || d->stopping)
        return NULL;
    if (l->cur || daemon_now_ms() < l->retry_at_ms)
        return l->cur;
    if (!(l->cur = start_proc(d))) {
        l->retry_at_ms = daemon_now_ms() + 1000;
        log_launcher(LOG_WARNING, "launcher_lost", "the launcher cannot be started: children are spawned directly",
                     0);
    }
    return l->cur;
}

void launcher_start(struct daemon *d) {
    if (!d->launcher && !(d->launcher = calloc(1, sizeof *d->launcher)))
        return;
    current(d);
}

pid_t launcher_pid(const struct daemon *d) {
    return d->launcher && d->launcher->cur ? d->launcher->cur->pid : 0;
}

static int send_request(struct launcher_proc *p, const uint8_t *buf, size_t len, const int *fds, size_t n_fds) {
    union {
        char buf[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)buf, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                        .msg_controllen = CMSG_SPACE(n_fds * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
    ssize_t n;
    while ((n = sendmsg(p->sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    return n < 0 ? -errno : 0;
}

/* A LAUNCH_DONE: the last request's exec happened, or failed (that child
 * exits 127 at once: its owner is told why before its end is handled, the
 * launcher's source going first). */
static void on_done(struct launcher *l, const struct launch_answer *a) {
    if (a->pid != l->awaiting || a->pid <= 0)
        return;
    l->awaiting = 0;
    if (a->err < 0)
        l->failed_pid = a->pid, l->failed_err = a->err;
}

/* Answers that come while no spawn waits (the last one's LAUNCH_DONE),
 * and the launcher's end. */
static int on_answer(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
    struct launcher_proc *p = userdata;
    struct launcher *l = p->d->launcher;
    for (;;) {
        struct launch_answer a;
        ssize_t n = recv(fd, &a, sizeof a, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0 || !l || l->cur != p) {
            sd_event_source_set_enabled(s, SD_EVENT_OFF);
            if (l && l->cur == p)
                lost(l, "the launcher closed its channel");
            return 0;
        }
        if (launch_answer_decode(&a, (size_t)n, &a) && a.kind == LAUNCH_DONE)
            on_done(l, &a);
    }
}

/* How a request went, as far as the launcher said. */
enum outcome {
    CREATED, /* the child said its pid: it runs (its exec is under way) */
    FAILED,  /* LAUNCH_DONE with no child: *err */
    LOST,    /* the launcher died or hung before making the child */
};

/* Wait for this request's child to say its pid (the previous request's
 * LAUNCH_DONE may come first). */
static enum outcome await_child(struct launcher_proc *p, pid_t *pid, int *err) {
    struct launcher *l = p->d->launcher;
    uint64_t deadline = daemon_now_ms() + LAUNCHER_TIMEOUT_MS;
    for (;;) {
        struct launch_answer a;
        ssize_t n = recv(p->sock, &a, sizeof a, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            uint64_t now = daemon_now_ms();
            struct pollfd pfd = {.fd = p->sock, .events = POLLIN};
            if (now >= deadline || (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR))
                return LOST;
            continue;
        }
        if (n <= 0)
            return LOST;
        if (!launch_answer_decode(&a, (size_t)n, &a))
            continue; /* nothing a launcher sends: ignored */
        if (a.kind == LAUNCH_CHILD_PID && a.pid > 0) {
            *pid = a.pid;
            return CREATED;
        }
        if (l->awaiting) {
            on_done(l, &a); /* the previous request's */
            continue;
        }
        /* This request's, with no child: a failed clone or a bad request
         * (or, if the child could not say its pid, its pid). */
        *pid = a.pid, *err = a.err < 0 ? a.err : 0;
        return a.err < 0 || a.pid <= 0 ? FAILED : CREATED;
    }
}

int launcher_spawn(struct daemon *d, const struct launch_request *req, const int *fds, pid_t *pid) {
    static uint8_t buf[LAUNCH_MAX_REQUEST];
    int len = launch_request_encode(req, buf, sizeof buf);
    if (len < 0)
        return -ENOTCONN; /* too big for one request: spawned directly */
    /* fds: stdout, stderr, the channel (or -1), the cgroup (or -1); sent
     * are those the flags say. */
    int sent_fds[4] = {fds[0], fds[1]};
    size_t n_fds = 2;
    if (req->flags & LAUNCH_CHANNEL)
        sent_fds[n_fds++] = fds[2];
    if (req->flags & LAUNCH_CGROUP)
        sent_fds[n_fds++] = fds[3];
    fds = sent_fds;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct launcher_proc *p = current(d);
        if (!p)
            return -ENOTCONN;
        int err = 0;
        enum outcome o = send_request(p, buf, (size_t)len, fds, n_fds) < 0 ? LOST : await_child(p, pid, &err);
        if (o == CREATED) {
            d->launcher->awaiting = *pid;
            return 0;
        }
        if (o == FAILED)
            return err < 0 ? err : -ECHILD;
        /* No child said its pid: none runs (one killed before it could is
         * reaped as an orphan). Asked again of a new launcher, once. */
        lost(d->launcher, "the launcher died or hung before creating a child: asked again");
    }
    return -ENOTCONN;
}

int launcher_exec_error(const struct daemon *d, pid_t pid) {
    const struct launcher *l = d->launcher;
    return l && pid > 0 && l->failed_pid == pid ? l->failed_err : 0;
}

void launcher_stop(struct daemon *d) {
    struct launcher *l = d->launcher;
    if (!l)
        return;
    d->launcher = NULL;
    struct launcher_proc *p = l->cur;
    if (p) {
        close(p->sock); /* it exits at the end of its channel */
        p->sock = -1;
        if (p->watched) {
            reaper_unwatch(d->reaper, p->pid);
            kill(p->pid, SIGKILL);
            waitpid(p->pid, NULL, 0);
        }
        proc_free(p);
    }
    free(l);
}
