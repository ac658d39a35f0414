/*
 * launch_ready.c — see launch_ready.h.
 */
#include "launch_ready.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host_title.h"
#include "launch_job.h"
#include "launch_proto.h"

/* No child can be made of the request: said on the child's stderr (its
 * output to ninesd) when it came, and an exit 127. */
static _Noreturn void fail(int err_fd, int err) {
    dprintf(err_fd >= 0 ? err_fd : STDERR_FILENO, "nines-worker: cannot start the exec child: %s\n",
            strerror(-err));
    _exit(127);
}

/* The one request and its descriptors (at most 2 kept, others closed):
 * its length, 0 at the end of the channel, or -errno. */
static ssize_t receive(const struct launch_ready *r, int sock, int fds[2], size_t *n_fds) {
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {r->buf, r->buf_size};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t n;
    while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    *n_fds = 0;
    for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (*n_fds < 2)
                fds[(*n_fds)++] = fd;
            else
                close(fd), *n_fds = 3; /* too many: refused */
        }
    }
    if (n > 0 && (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
        return -EMSGSIZE;
    return n < 0 ? -errno : n;
}

static bool given_output(const struct launch_ready *r, ssize_t len, size_t n_fds) {
    uint32_t word;
    if (len != (ssize_t)sizeof word || n_fds != 2)
        return false;
    memcpy(&word, r->buf, sizeof word);
    return word == LAUNCH_READY_OUTPUT;
}

/* The new process: nothing of the launcher's but /dev/null, its own group
 * and name, then the one request run as the launcher's clone runs it. */
static _Noreturn void ready_main(const struct launch_ready *r, int sock, int peer) {
    const char *title[] = {r->path, "--ready"};
    host_title_set(title, 2);
    close(r->launcher_sock); /* never this process's to use (ninesd must see the launcher's end) */
    close(peer);
    if (r->home >= 0)
        close(r->home);
    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != r->ninesd)
        _exit(1);
    int fds[2] = {-1, -1};
    size_t n_fds = 0;
    ssize_t len = receive(r, sock, fds, &n_fds);
    if (given_output(r, len, n_fds)) {
        /* The child's output, ahead of its request (which then comes bare). */
        int out[2] = {fds[0], fds[1]};
        len = receive(r, sock, fds, &n_fds);
        if (n_fds == 0)
            fds[0] = out[0], fds[1] = out[1], n_fds = 2;
        else
            close(out[0]), close(out[1]);
    }
    if (len == 0)
        _exit(0); /* ninesd let it go */
    /* ninesd, woken by its own send to here, logs the start first
     * (launch_child.c: the clone's yield after its pid). */
    sched_yield();
    struct launch_request req;
    int err_fd = n_fds == 2 ? fds[1] : -1;
    if (len < 0 || launch_request_decode(r->buf, (size_t)len, r->slots, r->n_slots, &req) < 0 ||
        !(req.flags & LAUNCH_EXEC) || (req.flags & ~(uint32_t)(LAUNCH_EXEC | LAUNCH_USER)) || n_fds != 2)
        fail(err_fd, len < 0 ? (int)len : -EBADMSG);
    struct launch_job j = {.sock = sock, .ready = true, .devnull = r->devnull, .fds = {fds[0], fds[1], -1},
                           .cgroup = -1, .ninesd = r->ninesd, .req = &req};
    int e = launch_job_prepare(&j);
    if (e < 0)
        fail(err_fd, e);
    launch_job_exec(&j);
    _exit(127); /* not reached */
}

/* LAUNCH_READY_PID with ninesd's end of the new channel. */
static int answer(int sock, pid_t pid, int fd) {
    struct launch_answer a = {LAUNCH_READY_PID, pid, 0};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {&a, sizeof a};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static int answer_none(int sock, int err) {
    struct launch_answer a = {LAUNCH_DONE, 0, err};
    return send(sock, &a, sizeof a, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* A clean fork, not a vfork: it waits for its request beside the
 * launcher. If the launcher dies before it answers, the new process sees
 * the end of its channel (the launcher held the other end) and exits,
 * reaped by ninesd as an orphan. */
int launch_ready_serve(const struct launch_ready *r) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return answer_none(r->launcher_sock, -errno);
    pid_t pid = launch_fork_sibling();
    if (pid == 0)
        ready_main(r, sv[1], sv[0]);
    close(sv[1]);
    int sent = pid < 0 ? answer_none(r->launcher_sock, pid) : answer(r->launcher_sock, pid, sv[0]);
    close(sv[0]);
    return sent;
}
