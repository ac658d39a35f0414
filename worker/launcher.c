/*
 * launcher.c — nines-worker --launcher (launcher.h): read a request, make
 * the child, answer; until ninesd closes the channel.
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launch_job.h"
#include "launch_proto.h"
#include "proto.h"

#define STACK_SIZE (256 * 1024)

struct launcher {
    int sock, devnull, home; /* the channel, /dev/null, the folder to come back to */
    pid_t ninesd;
    void *stack;
    uint8_t buf[LAUNCH_MAX_REQUEST];
    const char *slots[LAUNCH_MAX_STRINGS + 2];
};

/* Test seam (tests/integration/itest_launcher.c): NINES_LAUNCHER_FAULT
 * makes the launcher die at a chosen point of each request, to show that
 * ninesd loses no child whichever it is. */
enum fault { FAULT_NONE, FAULT_BEFORE_CLONE, FAULT_AFTER_CLONE, FAULT_AT_START };

static enum fault fault_of(const char *s) {
    if (!s)
        return FAULT_NONE;
    return strcmp(s, "before-clone") == 0 ? FAULT_BEFORE_CLONE
           : strcmp(s, "after-clone") == 0 ? FAULT_AFTER_CLONE
           : strcmp(s, "at-start") == 0    ? FAULT_AT_START
                                           : FAULT_NONE;
}

static void answer(struct launcher *l, pid_t pid, int err) {
    struct launch_answer a = {LAUNCH_DONE, pid, err};
    if (send(l->sock, &a, sizeof a, MSG_NOSIGNAL) < 0)
        _exit(1); /* ninesd is gone */
}

/* Nothing but fds 0-3, fds 0-2 open (so that no descriptor received lands there), the soft
 * descriptor limit ninesd was started with (children inherit it), and
 * life tied to ninesd's. */
static int setup(struct launcher *l) {
    /* Whatever ninesd was started with and did not mark close-on-exec
     * would reach every child: only 0-3 are the launcher's. */
    (void)close_range(4, ~0u, 0);
    while ((l->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0 && l->devnull <= 2)
        fcntl(l->devnull, F_SETFD, 0); /* it stays as 0, 1 or 2 */
    const char *soft = getenv("NINES_NOFILE_SOFT"), *parent = getenv("NINES_PARENT_PID");
    struct rlimit rl;
    if (soft && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlim_t want = (rlim_t)strtoull(soft, NULL, 10);
        if (want && want < rl.rlim_cur) {
            rl.rlim_cur = want;
            (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    unsetenv("NINES_NOFILE_SOFT");
    l->sock = NINES_CHANNEL_FD;
    l->ninesd = parent ? (pid_t)atol(parent) : getppid();
    l->home = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    l->stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (l->devnull < 0 || l->stack == MAP_FAILED || fcntl(l->sock, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != l->ninesd)
        return -ESRCH;
    return 0;
}

/* One request with its descriptors: 0, 1 at the end of the channel. */
static int receive(struct launcher *l, size_t *len, int fds[4], size_t *n_fds) {
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {l->buf, sizeof l->buf};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t n;
    while ((n = recvmsg(l->sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (n <= 0)
        return n == 0 ? 1 : -errno;
    *len = (size_t)n, *n_fds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (*n_fds < 4)
                fds[(*n_fds)++] = fd;
            else
                close(fd);
        }
    }
    if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
        *len = 0; /* not a whole request: refused below */
    return 0;
}

static void launch(struct launcher *l, enum fault fault, size_t len, int fds[4], size_t n_fds) {
    struct launch_request req;
    if (launch_request_decode(l->buf, len, l->slots, sizeof l->slots / sizeof *l->slots, &req) < 0 ||
        n_fds != 2u + !!(req.flags & LAUNCH_CHANNEL) + !!(req.flags & LAUNCH_CGROUP)) {
        answer(l, 0, -EBADMSG);
        return;
    }
    bool channel = req.flags & LAUNCH_CHANNEL;
    struct launch_job j = {.sock = l->sock, .devnull = l->devnull, .fds = {fds[0], fds[1], channel ? fds[2] : -1},
                           .cgroup = (req.flags & LAUNCH_CGROUP) ? fds[n_fds - 1] : -1,
                           .ninesd = l->ninesd, .req = &req};
    int e = launch_job_prepare(&j);
    if (fault == FAULT_BEFORE_CLONE)
        _exit(3);
    pid_t pid = e < 0 ? e : launch_job_clone(&j, l->stack, STACK_SIZE);
    if (fault == FAULT_AFTER_CLONE)
        _exit(3);
    if (req.cwd && l->home >= 0 && fchdir(l->home) < 0)
        _exit(1); /* the next look-up would be relative to the wrong folder */
    launch_job_free(&j);
    if (pid < 0)
        answer(l, 0, pid);
    else
        answer(l, pid, j.exec_errno ? -j.exec_errno : 0);
}

int launcher_main(void) {
    static struct launcher l;
    enum fault fault = fault_of(getenv("NINES_LAUNCHER_FAULT"));
    if (fault == FAULT_AT_START)
        return 3;
    int e = setup(&l);
    if (e < 0) {
        fprintf(stderr, "nines-worker: launcher: cannot start: %s\n", strerror(-e));
        return 1;
    }
    for (;;) {
        size_t len = 0, n_fds = 0;
        int fds[4] = {-1, -1, -1, -1};
        int r = receive(&l, &len, fds, &n_fds);
        if (r != 0)
            return r > 0 ? 0 : 1;
        launch(&l, fault, len, fds, n_fds);
        for (size_t i = 0; i < n_fds; i++)
            close(fds[i]);
    }
}
