/*
 * exec_ready.c — see exec_ready.h.
 */
#include "exec_ready.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
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
    int out_fd, err_fd; /* the read ends of the output given to it ahead, or -1 */
    bool asked;
    bool never; /* this launcher cannot make clean forks: exec children are cloned */
};

struct exec_ready *exec_ready_new(struct daemon *d) {
    struct exec_ready *r = calloc(1, sizeof *r);
    if (r)
        *r = (struct exec_ready){.d = d, .sock = -1, .out_fd = -1, .err_fd = -1};
    return r;
}

static void forget_idle(struct exec_ready *r) {
    int fds[] = {r->sock, r->out_fd, r->err_fd};
    for (size_t i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    r->sock = r->out_fd = r->err_fd = -1, r->pid = 0;
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

/* One message to the idle one, with fds[0], fds[1] attached (fds NULL:
 * none): 0, or -1 when it is gone or cannot take it now. */
static int send_request(int sock, const void *buf, size_t len, const int fds[2]) {
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)buf, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fds) {
        mh.msg_control = ctl.buf, mh.msg_controllen = sizeof ctl.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(2 * sizeof(int));
        memcpy(CMSG_DATA(c), fds, 2 * sizeof(int));
    }
    ssize_t n;
    while ((n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EINTR)
        ;
    return n == (ssize_t)len ? 0 : -1;
}

/* ninesd's end of a pipe, read and write: ninesd is then a writer too,
 * so the child's exit (closing its copies) is no hang-up that wakes
 * ninesd, once per stream, just before its SIGCHLD; what the child wrote
 * is read at its end as before (child_proc.c), and it is still one
 * descriptor. A pipe opened again through /proc is the same pipe (opened
 * read-write it never blocks: fifo(7)); without /proc the plain read end
 * stays. Made with the ready process, so no open is on a start's way. */
static void hold_write_side(int *rd) {
    char path[40];
    snprintf(path, sizeof path, "/proc/self/fd/%d", *rd);
    int rw = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (rw < 0)
        return;
    close(*rd);
    *rd = rw;
}

/* The next child's stdout and stderr, given to it now (off any start's
 * way): two pipes, ninesd keeping the read ends (read-write). Without
 * them (a pipe or the send failed) the request carries the output as
 * before. */
static void give_output(struct exec_ready *r) {
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    uint32_t word = LAUNCH_READY_OUTPUT;
    bool given = pipe2(out, O_CLOEXEC | O_NONBLOCK) == 0 && pipe2(err, O_CLOEXEC | O_NONBLOCK) == 0 &&
                 fcntl(out[1], F_SETFL, 0) == 0 && fcntl(err[1], F_SETFL, 0) == 0 && /* the child writes plainly */
                 send_request(r->sock, &word, sizeof word, (int[2]){out[1], err[1]}) == 0;
    int ends[] = {out[1], err[1], given ? -1 : out[0], given ? -1 : err[0]};
    for (size_t i = 0; i < 4; i++)
        if (ends[i] >= 0)
            close(ends[i]);
    if (given) {
        hold_write_side(&out[0]), hold_write_side(&err[0]);
        r->out_fd = out[0], r->err_fd = err[0];
    }
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
    give_output(r);
}

bool exec_ready_has_output(const struct exec_ready *r) {
    return r && r->pid > 0 && r->out_fd >= 0;
}

/* The request to the idle one, fds (stdout, stderr) attached unless NULL:
 * 0 with *pid, else -ENOTCONN (nothing ran; the idle one let go if it
 * could not take it). Its descriptors stay the caller's to close. */
static int start(struct exec_ready *r, const struct launch_request *req, int cgroup_fd, const int *fds, pid_t *pid) {
    static uint8_t buf[LAUNCH_MAX_REQUEST];
    if (!r || r->pid <= 0 || !(req->flags & LAUNCH_EXEC) || (req->flags & LAUNCH_CHANNEL))
        return -ENOTCONN;
    struct launch_request plain = *req;
    plain.flags &= ~(uint32_t)LAUNCH_CGROUP;
    int len = launch_request_encode(&plain, buf, sizeof buf);
    if (len < 0)
        return -ENOTCONN;
    /* In its cgroup before it hears of its program. */
    if (cgroup_fd >= 0 && cgroups_move(cgroup_fd, r->pid) < 0)
        return -ENOTCONN;
    if (send_request(r->sock, buf, (size_t)len, fds) < 0) {
        /* Gone or unable: the launcher's clone instead, and this one let
         * go (reaped as an orphan). */
        reaper_unwatch(r->d->reaper, r->pid);
        kill(r->pid, SIGKILL);
        forget_idle(r);
        return -ENOTCONN;
    }
    reaper_unwatch(r->d->reaper, r->pid); /* the child's own watch from now on */
    *pid = r->pid;
    return 0;
}

int exec_ready_spawn(struct exec_ready *r, const struct launch_request *req, const int *fds, pid_t *pid) {
    int out[2] = {fds[0], fds[1]};
    int rr = start(r, req, (req->flags & LAUNCH_CGROUP) ? fds[3] : -1, out, pid);
    if (rr == 0)
        forget_idle(r); /* the request stays readable at its end; the output given ahead unused */
    return rr;
}

int exec_ready_spawn_given(struct exec_ready *r, const struct launch_request *req, int cgroup_fd, pid_t *pid,
                           int ends[2]) {
    if (!exec_ready_has_output(r))
        return -ENOTCONN;
    int rr = start(r, req, cgroup_fd, NULL, pid);
    if (rr == 0) {
        ends[0] = r->out_fd, ends[1] = r->err_fd;
        r->out_fd = r->err_fd = -1; /* the child's now */
        forget_idle(r);
    }
    return rr;
}
