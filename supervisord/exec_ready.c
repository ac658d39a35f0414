/*
 * exec_ready.c — see exec_ready.h.
 */
#include "exec_ready.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "reaper.h"

struct exec_ready {
    struct daemon *d;
    pid_t pid; /* the idle one, or 0 */
    int sock;
    bool asked;
    bool never; /* this launcher cannot make clean forks: exec children are cloned */
};

struct exec_ready *exec_ready_new(struct daemon *d) {
    struct exec_ready *r = calloc(1, sizeof *r);
    if (r)
        *r = (struct exec_ready){.d = d, .sock = -1};
    return r;
}

static void forget_idle(struct exec_ready *r) {
    if (r->sock >= 0)
        close(r->sock);
    r->sock = -1, r->pid = 0;
}

static void on_idle_exit(void *userdata, const siginfo_t *si) {
    struct exec_ready *r = userdata;
    if (r->pid == si->si_pid)
        forget_idle(r);
}

void exec_ready_free(struct exec_ready *r) {
    if (!r)
        return;
    if (r->pid > 0) {
        reaper_unwatch(r->d->reaper, r->pid);
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
    }
    forget_idle(r);
    free(r);
}

bool exec_ready_wanted(const struct exec_ready *r) {
    return r && !r->pid && !r->asked && !r->never && !r->d->stopping;
}

void exec_ready_set_asked(struct exec_ready *r, bool asked) {
    if (r)
        r->asked = asked;
}

void exec_ready_failed(struct exec_ready *r, int err) {
    if (!r)
        return;
    r->asked = false;
    r->never |= err == -ENOSYS;
}

pid_t exec_ready_pid(const struct exec_ready *r) {
    return r ? r->pid : 0;
}

void exec_ready_offer(struct exec_ready *r, pid_t pid, int sock) {
    if (r)
        r->asked = false;
    if (!r || r->pid || pid <= 0 || reaper_watch(r->d->reaper, pid, on_idle_exit, r) < 0) {
        /* Not wanted: it exits at the end of its channel (an orphan). */
        close(sock);
        return;
    }
    r->pid = pid, r->sock = sock;
}

static int send_request(int sock, const uint8_t *buf, size_t len, const int fds[2]) {
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)buf, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    memcpy(CMSG_DATA(c), fds, 2 * sizeof(int));
    ssize_t n;
    while ((n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EINTR)
        ;
    return n == (ssize_t)len ? 0 : -1;
}

int exec_ready_spawn(struct exec_ready *r, const struct launch_request *req, const int *fds, pid_t *pid) {
    static uint8_t buf[LAUNCH_MAX_REQUEST];
    if (!r || r->pid <= 0 || !(req->flags & LAUNCH_EXEC) || (req->flags & LAUNCH_CHANNEL))
        return -ENOTCONN;
    struct launch_request plain = *req;
    plain.flags &= ~(uint32_t)LAUNCH_CGROUP;
    int len = launch_request_encode(&plain, buf, sizeof buf);
    if (len < 0)
        return -ENOTCONN;
    /* In its cgroup before it hears of its program. */
    if ((req->flags & LAUNCH_CGROUP) && cgroups_move(fds[3], r->pid) < 0)
        return -ENOTCONN;
    int out[2] = {fds[0], fds[1]};
    if (send_request(r->sock, buf, (size_t)len, out) < 0) {
        /* Gone or unable: the launcher's clone instead, and this one let
         * go (reaped as an orphan). */
        reaper_unwatch(r->d->reaper, r->pid);
        kill(r->pid, SIGKILL);
        forget_idle(r);
        return -ENOTCONN;
    }
    reaper_unwatch(r->d->reaper, r->pid); /* the child's own watch from now on */
    *pid = r->pid;
    forget_idle(r); /* the request stays readable at its end */
    return 0;
}
