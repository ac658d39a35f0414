/*
 * launcher.c — nines-worker --launcher (launcher.h): read a request, make
 * the child, answer; until ninesd closes the channel.
 */
#include "launcher.h"
#include "launch_text.h"

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
#include <sys/stat.h>
#include <unistd.h>

#include "host_title.h"
#include "launch_job.h"
#include "launch_proto.h"
#include "launch_ready.h"
#include "proto.h"

#define STACK_SIZE (256 * 1024)

struct launcher {
    int sock, devnull, home; /* the channel, /dev/null, the folder to come back to */
    pid_t ninesd;
    void *stack;
    int (*host)(int argc, char **argv); /* a forked worker host's main (launch_fork.c) */
    struct stat self;  /* the file this image was exec'd from */
    bool self_known, can_fork;
    bool path_was_self; /* `path` (what ninesd ran) was that file at the start: not a wrapper */
    char path[4096];
    size_t pad_len;    /* the room ninesd gave for titles, again at a renewal */
    char renew_path[4096]; /* the file to renew itself from (launch: stale) */
    unsigned forks;    /* hosts forked from this image (launch_should_renew) */
    uint8_t buf[LAUNCH_MAX_REQUEST];
    const char *slots[LAUNCH_MAX_STRINGS + 2];
};

/* Test seam (tests/integration/itest_launcher.c): NINES_LAUNCHER_FAULT
 * makes the launcher die at a chosen point of each request, to show that
 * ninesd loses no child whichever it is. "after-clone-unread" dies after
 * the clone with ninesd stopped meanwhile (SIGSTOP) and continued once
 * the launcher is gone, so that ninesd finds the child's pid and the end
 * of the channel in one read: what a loaded machine does when ninesd gets
 * no CPU between the two. "late-pid" makes every child (of
 * the first launcher that creates the file NINES_LAUNCHER_FAULT_ONCE)
 * hang before it says its pid, until ninesd has given up on the
 * launcher (LAUNCHER_TIMEOUT_MS): it must then not run. */
enum fault { FAULT_NONE, FAULT_BEFORE_CLONE, FAULT_AFTER_CLONE, FAULT_AFTER_CLONE_UNREAD, FAULT_LATE_PID,
             FAULT_AT_START };

static enum fault fault_of(const char *s) {
    if (!s)
        return FAULT_NONE;
    if (strcmp(s, "late-pid") == 0) {
        const char *once = getenv("NINES_LAUNCHER_FAULT_ONCE");
        int fd = once ? open(once, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
        if (fd >= 0)
            close(fd);
        return fd >= 0 ? FAULT_LATE_PID : FAULT_NONE;
    }
    return strcmp(s, "before-clone") == 0          ? FAULT_BEFORE_CLONE
           : strcmp(s, "after-clone") == 0         ? FAULT_AFTER_CLONE
           : strcmp(s, "after-clone-unread") == 0 ? FAULT_AFTER_CLONE_UNREAD
           : strcmp(s, "at-start") == 0            ? FAULT_AT_START
                                                   : FAULT_NONE;
}

/* The state letter of /proc/PID/stat ('?' when it cannot be read). */
static char state_of(pid_t pid) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    const char *end = strrchr(buf, ')');
    return end && end[1] == ' ' ? end[2] : '?';
}

/* FAULT_AFTER_CLONE_UNREAD: ninesd stopped (seen stopped), and a process
 * that continues it once this launcher has ended (a zombie: its channel
 * is closed by then), holding no descriptor of the launcher's. */
static void stop_ninesd_until_gone(struct launcher *l) {
    pid_t self = getpid();
    pid_t waker = fork();
    if (waker < 0)
        _exit(3);
    if (waker == 0) {
        (void)close_range(0, ~0u, 0);
        for (int i = 0; i < 100000 && state_of(self) != 'Z' && state_of(self) != '?'; i++)
            usleep(100);
        kill(l->ninesd, SIGCONT);
        _exit(0);
    }
    kill(l->ninesd, SIGSTOP);
    for (int i = 0; i < 100000 && state_of(l->ninesd) != 'T'; i++)
        usleep(10);
}

static void answer(struct launcher *l, pid_t pid, int err) {
    struct launch_answer a = {LAUNCH_DONE, pid, err};
    if (send(l->sock, &a, sizeof a, MSG_NOSIGNAL) < 0)
        _exit(1); /* ninesd is gone */
}

static bool same_file(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Nothing but fds 0-3, fds 0-2 open (so that no descriptor received lands there), the soft
 * descriptor limit ninesd was started with (children inherit it), and
 * life tied to ninesd's. */
static int setup(struct launcher *l, int argc, char **argv) {
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
    /* Worker hosts are forks of this image while its file is the one on
     * disk (launch_fork.c); ps shows "PATH --launcher" over the padding. */
    struct stat at;
    snprintf(l->path, sizeof l->path, "%s", argv[0]);
    l->self_known = stat("/proc/self/exe", &l->self) == 0;
    l->path_was_self = l->self_known && stat(l->path, &at) == 0 && same_file(&at, &l->self);
    l->can_fork = launch_fork_init();
    /* Its forks map none of its files (launch_text.h): the hosts of one
     * image share a memory file of its own, not the kernel's list of
     * every process that maps libc, which the kernel walks holding a lock
     * each fork and end waits for. Where it cannot be done, the files
     * stay mapped. */
    if (l->can_fork)
        (void)launch_text_detach();
    l->pad_len = argc >= 3 ? strlen(argv[2]) : 0;
    const char *title[] = {l->path, "--launcher"};
    host_title_set(title, 2);
    return 0;
}

/* 1 when `program` is the file this image runs; 0 when it was at the
 * start and another file is there now (a release replaced it); -1 when
 * it cannot be looked at or never was (a wrapper script: exec'd, as it
 * may do more than run this file). */
static int image_of(const struct launcher *l, const char *program) {
    struct stat st;
    if (!l->self_known || stat(program, &st) < 0)
        return -1;
    if (same_file(&st, &l->self))
        return 1;
    return l->path_was_self && strcmp(program, l->path) == 0 ? 0 : -1;
}

/* The nines-worker on disk is no longer this image: become the new one,
 * so that the next hosts fork from its code. The pid and the channel
 * (fd 3) stay, with the requests already sent waiting in it; on failure
 * this image goes on, exec'ing the hosts it is asked for. */
static void renew(struct launcher *l) {
    char *path = l->renew_path, *pad = calloc(l->pad_len + 1, 1);
    if (!pad || fcntl(l->sock, F_SETFD, 0) < 0) {
        free(pad);
        return;
    }
    memset(pad, ' ', l->pad_len);
    char *argv[] = {path, "--launcher", pad, NULL};
    execv(path, argv);
    fprintf(stderr, "nines-worker: launcher: cannot renew itself from %s: %s\n", path, strerror(errno));
    (void)fcntl(l->sock, F_SETFD, FD_CLOEXEC);
    free(pad);
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

/* One request: how it was made (LAUNCH_HOW_EXEC_STALE: its program is
 * in renew_path). */
static enum launch_how launch(struct launcher *l, enum fault fault, size_t len, int fds[4], size_t n_fds) {
    struct launch_request req;
    bool ok = launch_request_decode(l->buf, len, l->slots, sizeof l->slots / sizeof *l->slots, &req) == 0;
    if (ok && (req.flags & LAUNCH_READY) && n_fds == 0) {
        /* An exec-ready process (launch_ready.h), made with this image. */
        struct launch_ready r = {.launcher_sock = l->sock, .devnull = l->devnull, .home = l->home,
                                 .ninesd = l->ninesd, .path = l->path, .buf = l->buf, .buf_size = sizeof l->buf,
                                 .slots = l->slots, .n_slots = sizeof l->slots / sizeof *l->slots};
        if (launch_ready_serve(&r) < 0)
            _exit(1); /* ninesd is gone */
        return LAUNCH_HOW_EXEC; /* not counted as a host: it execs (its share of the image goes) */
    }
    if (!ok || (req.flags & LAUNCH_READY) ||
        n_fds != 2u + !!(req.flags & LAUNCH_CHANNEL) + !!(req.flags & LAUNCH_CGROUP)) {
        answer(l, 0, -EBADMSG);
        return LAUNCH_HOW_EXEC;
    }
    enum launch_how how = launch_how(req.flags, req.flags & LAUNCH_FORK ? image_of(l, req.program) : -1, l->can_fork);
    bool channel = req.flags & LAUNCH_CHANNEL;
    struct launch_job j = {.sock = l->sock, .devnull = l->devnull, .fds = {fds[0], fds[1], channel ? fds[2] : -1},
                           .cgroup = (req.flags & LAUNCH_CGROUP) ? fds[n_fds - 1] : -1,
                           .ninesd = l->ninesd, .req = &req, .host = l->host,
                           .late_pid = fault == FAULT_LATE_PID};
    int e = launch_job_prepare(&j);
    if (fault == FAULT_BEFORE_CLONE)
        _exit(3);
    if (fault == FAULT_AFTER_CLONE_UNREAD)
        stop_ninesd_until_gone(l);
    pid_t pid = e < 0 ? e : how == LAUNCH_HOW_FORK ? launch_job_fork(&j) : -ENOSYS;
    if (pid == -ENOSYS) {
        pid = launch_job_clone(&j, l->stack, STACK_SIZE); /* or no clean fork here: exec'd */
        how = how == LAUNCH_HOW_FORK ? LAUNCH_HOW_EXEC : how;
    }
    if (fault == FAULT_AFTER_CLONE || fault == FAULT_AFTER_CLONE_UNREAD)
        _exit(3);
    if (req.cwd && l->home >= 0 && fchdir(l->home) < 0)
        _exit(1); /* the next look-up would be relative to the wrong folder */
    launch_job_free(&j);
    if (pid < 0)
        answer(l, 0, pid);
    else
        answer(l, pid, j.exec_errno ? -j.exec_errno : 0);
    if (how == LAUNCH_HOW_EXEC_STALE)
        snprintf(l->renew_path, sizeof l->renew_path, "%s", req.program);
    return how;
}

int launcher_main(int argc, char **argv, int (*host)(int argc, char **argv)) {
    static struct launcher l;
    l.host = host;
    enum fault fault = fault_of(getenv("NINES_LAUNCHER_FAULT"));
    if (fault == FAULT_AT_START)
        return 3;
    int e = setup(&l, argc, argv);
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
        enum launch_how how = launch(&l, fault, len, fds, n_fds);
        for (size_t i = 0; i < n_fds; i++)
            close(fds[i]);
        l.forks += how == LAUNCH_HOW_FORK;
        if (launch_should_renew(how, l.forks)) {
            if (how == LAUNCH_HOW_FORK)
                snprintf(l.renew_path, sizeof l.renew_path, "%s", l.path);
            renew(&l);
            l.forks = 0; /* still this image: try again later */
        }
    }
}
