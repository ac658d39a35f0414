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
#include "exec_ready.h"
#include "fork_exec.h"
#include "log.h"
#include "proto.h"
#include "reaper.h"

/* One launcher process. It outlives its turn as the current one until the
 * reaper has seen its end. */
struct launcher_proc {
    struct daemon *d;
    pid_t pid;
    int sock;
    int exec_fd;          /* forked at ninesd's start: whether its exec failed (fork_exec.h), or -1 */
    sd_event_source *src; /* answers no spawn waits for (on_answer) */
    uint64_t started_ms;
    bool watched;
};

/* A request sent and not yet answered with its LAUNCH_DONE. The launcher
 * takes requests one at a time, so their answers come in the order they
 * were asked: the child's LAUNCH_CHILD_PID (if it made one), then its own
 * LAUNCH_DONE. `fn` is called once, when the child said its pid or it is
 * known that none was made; NULL after that (or once cancelled). */
struct asked {
    launcher_fn fn;
    void *userdata;
    pid_t pid; /* the child's, once it said it */
};

struct launcher {
    struct launcher_proc *cur;
    struct asked *asked; /* oldest first */
    size_t n_asked, cap_asked;
    pid_t failed_pid;  /* the last child whose exec failed, and why */
    int failed_err;
    unsigned quick_deaths; /* in a row, each within a second of its start */
    uint64_t retry_at_ms;  /* given up until then */
    bool started;             /* the first launcher was made (forked: fork_exec.h) */
    struct exec_ready *ready; /* the next exec child's process (exec_ready.h) */
    sd_event_source *ask;     /* asking for it a little after an exec start */
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
    if (p->exec_fd >= 0)
        close(p->exec_fd);
    free(p);
}

/* Every request still waiting for its child is told none comes (a
 * child made before the launcher died has said its pid already). */
static void fail_asked(struct launcher *l) {
    struct asked *v = l->asked;
    size_t n = l->n_asked;
    l->asked = NULL, l->n_asked = l->cap_asked = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].fn)
            v[i].fn(v[i].userdata, 0, -ENOTCONN);
    free(v);
}

static int take_answers(struct launcher_proc *p);

/* The current launcher is gone (dead, or not answering): never used
 * again; replaced at the next spawn unless it keeps dying. What it (and
 * its children) said before its end is taken first: a child made just
 * before the launcher died said its pid then, which the end of the
 * channel read in the same turn must not hide (the request would be
 * asked again and run twice). */
static void lost(struct launcher *l, const char *why) {
    struct launcher_proc *p = l->cur;
    uint64_t now = daemon_now_ms();
    /* The first launcher is forked: one whose exec failed says so. */
    char failed[200];
    int e = p->exec_fd >= 0 ? fork_exec_result(p->exec_fd) : 0;
    if (e != -EAGAIN && p->exec_fd >= 0) /* in no loop */
        close(p->exec_fd), p->exec_fd = -1;
    if (e < 0 && e != -EAGAIN) {
        snprintf(failed, sizeof failed, "the launcher cannot be started (%s): children are spawned directly",
                 strerror(-e));
        why = failed;
        l->retry_at_ms = now + 1000;
    }
    /* No one says anything on it from now on (a child of a hung launcher
     * that comes to say its pid finds it shut and does not run: the
     * request is asked again), then what was said is taken. */
    (void)shutdown(p->sock, SHUT_RD);
    (void)take_answers(p);
    l->cur = NULL;
    fail_asked(l); /* no child said its pid for these: none runs */
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

/* Forked when exec_fd is given (fork_exec.h), else spawned in place.
 * NINES_LAUNCHER_EXEC_DELAY_MS holds the forked one's exec back (a test
 * seam: requests asked of it before it runs). */
static int spawn_proc(struct daemon *d, int child_end, pid_t *pid, int *exec_fd) {
    char parent_var[64];
    char **env = worker_spawn_env(parent_var, sizeof parent_var, NULL);
    /* Room for the command line of each host forked from it, which is
     * this process's argv area (worker/host_title.h): as a spare's. */
    static char padding[768];
    if (!padding[0])
        memset(padding, ' ', sizeof padding - 1);
    char *argv[] = {(char *)d->worker_path, "--launcher", padding, NULL};
    int r = !env      ? -ENOMEM
            : exec_fd ? fork_exec(d->worker_path, argv, env, child_end, NINES_CHANNEL_FD,
                                  "NINES_LAUNCHER_EXEC_DELAY_MS", pid, exec_fd)
                      : spawn_helper(d->worker_path, argv, env, child_end, NINES_CHANNEL_FD, pid);
    free(env);
    return r;
}

static int on_answer(sd_event_source *s, int fd, uint32_t revents, void *userdata);

/* forked: the first, at ninesd's start (fork_exec.h); later ones are
 * spawned in place (a fork would copy a large ninesd's page tables). */
static struct launcher_proc *start_proc(struct daemon *d, bool forked) {
    struct launcher_proc *p = calloc(1, sizeof *p);
    int sv[2];
    if (!p || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        free(p);
        return NULL;
    }
    /* Off 0-3, or the dup2 onto fd 3 would keep it close-on-exec. */
    int child_end = sv[1] > 3 ? sv[1] : fcntl(sv[1], F_DUPFD_CLOEXEC, 4);
    *p = (struct launcher_proc){.d = d, .sock = sv[0], .exec_fd = -1, .started_ms = daemon_now_ms()};
    int r = child_end < 0 ? -errno : spawn_proc(d, child_end, &p->pid, forked ? &p->exec_fd : NULL);
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
    bool first = !l->started;
    l->started = true;
    if (!(l->cur = start_proc(d, first))) {
        l->retry_at_ms = daemon_now_ms() + 1000;
        log_launcher(LOG_WARNING, "launcher_lost", "the launcher cannot be started: children are spawned directly",
                     0);
    }
    return l->cur;
}

static void claim(void *userdata) {
    launcher_claim(userdata);
}

void launcher_start(struct daemon *d) {
    if (!d->launcher && !(d->launcher = calloc(1, sizeof *d->launcher)))
        return;
    if (!d->launcher->ready)
        d->launcher->ready = exec_ready_new(d); /* none: exec children are cloned */
    reaper_set_claim(d->reaper, claim, d);
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
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = n_fds ? ctl.buf : NULL,
                        .msg_controllen = n_fds ? CMSG_SPACE(n_fds * sizeof(int)) : 0};
    struct cmsghdr *c = n_fds ? CMSG_FIRSTHDR(&mh) : NULL;
    if (c) {
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
    }
    ssize_t n;
    while ((n = sendmsg(p->sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    return n < 0 ? -errno : 0;
}

static int remember(struct launcher *l, launcher_fn fn, void *userdata) {
    if (l->n_asked == l->cap_asked) {
        size_t cap = l->cap_asked ? 2 * l->cap_asked : 8;
        struct asked *v = realloc(l->asked, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        l->asked = v, l->cap_asked = cap;
    }
    l->asked[l->n_asked++] = (struct asked){fn, userdata, 0};
    return 0;
}

static void tell(struct asked *q, pid_t pid, int err) {
    launcher_fn fn = q->fn;
    q->fn = NULL;
    if (fn)
        fn(q->userdata, pid, err);
}

/* One answer, which is the oldest request's: its child's pid, or its
 * LAUNCH_DONE. A LAUNCH_DONE that says the exec failed (that child exits
 * 127 at once) is kept for its owner, told before its end is handled
 * (the launcher's source goes before the reaper's). */
static void take_answer(struct launcher *l, const struct launch_answer *a, int fd) {
    if (l->n_asked == 0) {
        if (fd >= 0)
            close(fd);
        return; /* nothing asked for: not the launcher's to say */
    }
    struct asked *q = &l->asked[0];
    if (a->kind == LAUNCH_READY_PID) {
        /* A LAUNCH_READY request's only answer: an exec-ready process. */
        memmove(l->asked, l->asked + 1, --l->n_asked * sizeof *l->asked);
        exec_ready_offer(l->ready, a->pid, fd);
        return;
    }
    if (a->kind == LAUNCH_CHILD_PID && a->pid > 0 && !q->pid) {
        q->pid = a->pid;
        tell(q, a->pid, 0);
        return;
    }
    if (a->kind != LAUNCH_DONE)
        return;
    struct asked done = *q;
    memmove(l->asked, l->asked + 1, --l->n_asked * sizeof *l->asked);
    if (done.pid && a->err < 0 && a->pid == done.pid)
        l->failed_pid = a->pid, l->failed_err = a->err;
    else if (!done.pid && a->pid > 0 && a->err >= 0)
        tell(&done, a->pid, 0); /* the child could not say its pid: the launcher did */
    else if (!done.pid)
        tell(&done, 0, a->err < 0 ? a->err : -ECHILD); /* no child: a failed clone, a bad request */
}

/* The answers there now: 0, or -ECONNRESET when the launcher is gone. */
static int take_answers(struct launcher_proc *p) {
    struct launcher *l = p->d->launcher;
    for (;;) {
        struct launch_answer a;
        int fd;
        ssize_t n = launch_answer_recv(p->sock, &a, &fd);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0)
            return -ECONNRESET;
        if (p->exec_fd >= 0) /* it answers: it runs */
            close(p->exec_fd), p->exec_fd = -1;
        if (a.kind)
            take_answer(l, &a, fd);
        else if (fd >= 0)
            close(fd);
    }
}

/* Answers that come while no spawn waits for them, and the launcher's end. */
static int on_answer(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
    struct launcher_proc *p = userdata;
    struct launcher *l = p->d->launcher;
    if (l && l->cur == p && take_answers(p) == 0)
        return 0;
    sd_event_source_set_enabled(s, SD_EVENT_OFF);
    if (l && l->cur == p)
        lost(l, "the launcher closed its channel");
    return 0;
}

void launcher_claim(struct daemon *d) {
    struct launcher *l = d->launcher;
    if (l && l->cur && take_answers(l->cur) < 0)
        lost(l, "the launcher closed its channel");
}

/* What a spawn waited for in place hears of its request. */
struct outcome {
    bool known;
    pid_t pid;
    int err;
};

static void on_outcome(void *userdata, pid_t pid, int err) {
    *(struct outcome *)userdata = (struct outcome){true, pid, err};
}

/* Wait for this request's child to say its pid (the answers of requests
 * before it are handed to theirs meanwhile): false when the launcher died
 * or hung first, or the end of its channel came in the same read as the
 * pid (then o->known: the child runs). */
static bool await_child(struct launcher_proc *p, const struct outcome *o) {
    uint64_t deadline = daemon_now_ms() + LAUNCHER_TIMEOUT_MS;
    while (!o->known) {
        if (take_answers(p) < 0)
            return false;
        if (o->known)
            break;
        uint64_t now = daemon_now_ms();
        struct pollfd pfd = {.fd = p->sock, .events = POLLIN};
        if (now >= deadline || (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR))
            return false;
    }
    return true;
}

/* Whether a request of userdata's still waits for its child's pid. */
static bool pid_awaited(const struct launcher *l, const void *userdata) {
    for (size_t i = 0; i < l->n_asked; i++)
        if (l->asked[i].userdata == userdata && l->asked[i].fn && !l->asked[i].pid)
            return true;
    return false;
}

int launcher_await(struct daemon *d, void *userdata) {
    struct launcher *l = d->launcher;
    uint64_t deadline = daemon_now_ms() + LAUNCHER_TIMEOUT_MS;
    while (l && l->cur && pid_awaited(l, userdata)) {
        struct launcher_proc *p = l->cur;
        if (take_answers(p) < 0) {
            lost(l, "the launcher closed its channel");
            return -ECONNRESET;
        }
        if (!pid_awaited(l, userdata))
            break;
        uint64_t now = daemon_now_ms();
        struct pollfd pfd = {.fd = p->sock, .events = POLLIN};
        if (now >= deadline || (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR)) {
            lost(l, "the launcher died or hung before creating a child: asked again");
            return -ETIMEDOUT;
        }
    }
    return 0;
}

/* The request's bytes and its descriptors (those its flags say). */
struct wire {
    size_t len, n_fds;
    int fds[4];
};

static int encode(const struct daemon *d, const struct launch_request *req, const int *fds, uint8_t *buf,
                  struct wire *w) {
    /* A worker host may be a fork of the launcher (no exec), unless
     * --exec-hosts: worker/launch_fork.c. */
    struct launch_request r = *req;
    if (!d->exec_hosts && launch_request_forkable(req, d->worker_path))
        r.flags |= LAUNCH_FORK;
    int len = launch_request_encode(&r, buf, LAUNCH_MAX_REQUEST);
    if (len < 0)
        return -ENOTCONN; /* too big for one request: spawned directly */
    /* fds: stdout, stderr, the channel (or -1), the cgroup (or -1). */
    *w = (struct wire){.len = (size_t)len, .n_fds = 2, .fds = {fds[0], fds[1]}};
    if (req->flags & LAUNCH_CHANNEL)
        w->fds[w->n_fds++] = fds[2];
    if (req->flags & LAUNCH_CGROUP)
        w->fds[w->n_fds++] = fds[3];
    return 0;
}

/* Sent, and remembered to be answered: false if the launcher is gone. */
static bool ask(struct launcher_proc *p, const uint8_t *buf, const struct wire *w, launcher_fn fn, void *userdata) {
    struct launcher *l = p->d->launcher;
    if (remember(l, fn, userdata) < 0)
        return false;
    if (send_request(p, buf, w->len, w->fds, w->n_fds) == 0)
        return true;
    l->asked[--l->n_asked].fn = NULL; /* never sent: nothing to answer */
    return false;
}

/* A LAUNCH_READY request that made nothing (or the launcher died). */
static void on_ready_failed(void *userdata, pid_t pid, int err) {
    exec_ready_failed(userdata, err);
}

/* After an exec child's start, the next one's process (on_ask). */
static void ask_ready(struct daemon *d) {
    struct launcher *l = d->launcher;
    struct launcher_proc *p = l ? current(d) : NULL;
    if (!p || !exec_ready_wanted(l->ready))
        return;
    static const char *const argv[] = {"ready", NULL};
    struct launch_request req = {.flags = LAUNCH_READY, .program = "ready", .argv = argv, .argc = 1};
    uint8_t buf[128];
    int len = launch_request_encode(&req, buf, sizeof buf);
    struct wire w = {.len = len > 0 ? (size_t)len : 0};
    exec_ready_set_asked(l->ready, true);
    if (len <= 0 || !ask(p, buf, &w, on_ready_failed, l->ready))
        exec_ready_set_asked(l->ready, false);
}

static int on_ask(sd_event_source *s, uint64_t usec, void *userdata) {
    struct daemon *d = userdata;
    if (d->launcher) {
        d->launcher->ask = sd_event_source_unref(d->launcher->ask);
        ask_ready(d);
    }
    return 0;
}

/* Not now: the launcher's fork would take a CPU from the start just made
 * (its exec, ninesd's log of it). A millisecond later, when the loop
 * has nothing else to do. */
static void ask_ready_later(struct daemon *d) {
    struct launcher *l = d->launcher;
    if (!l || l->ask || !exec_ready_wanted(l->ready))
        return;
    if (sd_event_add_time_relative(d->loop, &l->ask, CLOCK_MONOTONIC, EXEC_READY_DELAY_US, 100, on_ask, d) >= 0)
        sd_event_source_set_priority(l->ask, SD_EVENT_PRIORITY_IDLE);
}

static int spawn_waited(struct daemon *d, const struct launch_request *req, const int *fds, pid_t *pid);

int launcher_spawn(struct daemon *d, const struct launch_request *req, const int *fds, pid_t *pid) {
    bool exec = req->flags & LAUNCH_EXEC;
    int r = d->launcher && exec ? exec_ready_spawn(d->launcher->ready, req, fds, pid) : -ENOTCONN;
    if (r == -ENOTCONN)
        r = spawn_waited(d, req, fds, pid);
    if (r == 0 && exec)
        ask_ready_later(d);
    return r;
}

int launcher_spawn_given(struct daemon *d, const struct launch_request *req, int cgroup_fd, pid_t *pid,
                         int ends[2]) {
    int r = d->launcher ? exec_ready_spawn_given(d->launcher->ready, req, cgroup_fd, pid, ends) : -ENOTCONN;
    if (r == 0)
        ask_ready_later(d);
    return r;
}

static int spawn_waited(struct daemon *d, const struct launch_request *req, const int *fds, pid_t *pid) {
    static uint8_t buf[LAUNCH_MAX_REQUEST];
    struct wire w;
    if (encode(d, req, fds, buf, &w) < 0)
        return -ENOTCONN;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct launcher_proc *p = current(d);
        if (!p)
            return -ENOTCONN;
        struct outcome o = {0};
        if (!(ask(p, buf, &w, on_outcome, &o) && await_child(p, &o)) && d->launcher->cur == p) {
            /* Gone before this child's pid was seen, or with it: the pid
             * may have come in the same read as the end of the channel. */
            (void)take_answers(p);
            lost(d->launcher, o.known ? "the launcher ended after making the child"
                                      : "the launcher died or hung before creating a child: asked again");
        }
        /* -ENOTCONN: the launcher was lost with no child made (one killed
         * before it could say its pid is reaped as an orphan): asked
         * again of a new launcher, once. */
        if (o.known && o.err != -ENOTCONN) {
            if (o.pid > 0) {
                *pid = o.pid;
                return 0;
            }
            return o.err < 0 ? o.err : -ECHILD;
        }
    }
    return -ENOTCONN;
}

int launcher_spawn_async(struct daemon *d, const struct launch_request *req, const int *fds, launcher_fn fn,
                         void *userdata) {
    static uint8_t buf[LAUNCH_MAX_REQUEST];
    struct wire w;
    struct launcher_proc *p = encode(d, req, fds, buf, &w) < 0 ? NULL : current(d);
    if (!p)
        return -ENOTCONN;
    if (ask(p, buf, &w, fn, userdata))
        return 0;
    lost(d->launcher, "the launcher died before it was asked: spawned directly");
    return -ENOTCONN;
}

void launcher_cancel(struct daemon *d, void *userdata) {
    struct launcher *l = d->launcher;
    for (size_t i = 0; l && i < l->n_asked; i++)
        if (l->asked[i].userdata == userdata)
            l->asked[i].fn = NULL;
}

int launcher_exec_error(const struct daemon *d, pid_t pid) {
    const struct launcher *l = d->launcher;
    return l && pid > 0 && l->failed_pid == pid ? l->failed_err : 0;
}

pid_t launcher_ready_pid(const struct daemon *d) {
    return d->launcher ? exec_ready_pid(d->launcher->ready) : 0;
}

void launcher_stop(struct daemon *d) {
    struct launcher *l = d->launcher;
    if (!l)
        return;
    d->launcher = NULL;
    reaper_set_claim(d->reaper, NULL, NULL);
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
    free(l->asked); /* their owners are gone with the tree */
    sd_event_source_disable_unref(l->ask);
    exec_ready_free(l->ready);
    free(l);
}
