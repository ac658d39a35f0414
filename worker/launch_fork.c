/*
 * launch_fork.c — a worker host made as a fork of the launcher
 * (launch_job.h): no exec, no dynamic loader, no libc start-up; the
 * launcher is nines-worker, already linked, and the new process runs the
 * host's main with the request's argv.
 *
 * The child must be ninesd's (CLONE_PARENT: ninesd reaps it, signals it,
 * and its parent-death signal is ninesd's death), which glibc's fork()
 * cannot make. So the clone is made here as glibc's own _Fork makes it:
 * the kernel writes the child's TID into the thread descriptor
 * (CLONE_CHILD_SETTID, at the address glibc gave set_tid_address at start,
 * read back with PR_GET_TID_ADDRESS) and clears it at its end
 * (CLONE_CHILD_CLEARTID), and the child registers its robust-mutex list
 * again (the kernel does not carry it over). What else glibc's fork()
 * does is moot here: the launcher is single-threaded and makes the clone
 * from its loop, no lock held (no signal handler, no atfork handler, no
 * arc4random state: it never asks for random bytes), so malloc, stdio
 * and the rest are as consistent in the child as in the launcher.
 *
 * Before the host's main, the child puts itself in the state an exec'd
 * host starts in: its CPU mask back, its cgroup joined, its pid said to
 * ninesd, its own process group, stdin /dev/null, stdout and stderr and
 * the channel on 1, 2 and 3 and nothing else open (the launcher's channel,
 * /dev/null and folder, and the request's descriptors are closed), every
 * signal unblocked and at its default, the request's environment, and its
 * argv shown in ps (host_title.h; its name, the launcher's, is the
 * file's as an exec'd host's is). The host's main then ties its life to
 * ninesd's (PR_SET_PDEATHSIG, then the parent checked) as after an exec.
 *
 * The price (as with Android's zygote): every forked host has the
 * launcher's address-space layout (ASLR per launcher, not per process),
 * its stack-protector canary and pointer guard. ninesd --exec-hosts keeps
 * exec'ing every host instead.
 */
#include "launch_job.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host_title.h"
#include "proto.h"

extern char **environ;

static int *tid_addr; /* glibc's descriptor of the launcher's one thread: its tid */
static void *robust_head;
static size_t robust_len;
static bool can_fork;

bool launch_fork_init(void) {
    long got_tid = prctl(PR_GET_TID_ADDRESS, &tid_addr);
    long got_list = syscall(SYS_get_robust_list, 0, &robust_head, &robust_len);
    can_fork = got_tid == 0 && tid_addr && *tid_addr == (int)syscall(SYS_gettid) && got_list == 0 &&
               robust_head;
    return can_fork;
}

/* clone3's arguments, version 0 (64 bytes): as <linux/sched.h> has them. */
struct clone3_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static void reset_signals(void) {
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigset_t none;
    sigemptyset(&none);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            (void)sigaction(s, &dfl, NULL); /* glibc's own (32, 33) refuse: they are not ours */
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

pid_t launch_fork_sibling(void) {
    if (!can_fork)
        return -ENOSYS;
    /* No exit_signal with CLONE_PARENT: the child's is the launcher's own
     * (SIGCHLD, to ninesd), as a sibling's. */
    struct clone3_args args = {.flags = CLONE_PARENT | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID,
                               .child_tid = (uint64_t)(uintptr_t)tid_addr};
    pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    int e = errno;
    if (pid == 0) {
        if (*tid_addr != (int)syscall(SYS_gettid))
            _exit(127); /* glibc would take this thread for the launcher's */
        (void)syscall(SYS_set_robust_list, robust_head, robust_len);
        return 0;
    }
    if (pid < 0 && (e == ENOSYS || e == EPERM || e == EINVAL)) {
        can_fork = false; /* no clone3 here (an old kernel, a seccomp filter): exec from now on */
        return -ENOSYS;
    }
    return pid < 0 ? -e : pid;
}

__attribute__((noreturn)) static void host_child(struct launch_job *j, int said) {
    if (j->affinity && sched_setaffinity(0, sizeof *j->affinity, j->affinity) < 0)
        _exit(127);
    if (j->cgroup >= 0)
        (void)!write(j->cgroup, "0", 1);
    /* First of all, as an exec'd child: ninesd knows this process even if
     * the launcher dies now; the launcher answers only after this. */
    struct launch_answer a = {LAUNCH_CHILD_PID, (int32_t)getpid(), 0};
    if (j->late_pid) {
        struct pollfd end = {.fd = j->sock, .events = POLLRDHUP};
        (void)poll(&end, 1, -1); /* test seam: until ninesd gave up on the launcher */
    }
    /* ninesd's end closed: it gave up on the launcher and asks another for
     * this host, on the same channel: this one must not run too. */
    if (send(j->sock, &a, sizeof a, MSG_NOSIGNAL) < 0)
        _exit(127);
    close(said);
    /* No yield here, unlike an exec child (launch_child.c): ninesd logs a
     * worker's start at its READY, not at its pid, and the host's own start
     * is the restart's path (bench_restart --no-spare, 9 interleaved pairs
     * at load 4-7: p50 median 1,003 us with a yield, 940 us without). */
    setpgid(0, 0);
    if (dup2(j->devnull, 0) < 0 || dup2(j->fds[0], 1) < 0 || dup2(j->fds[1], 2) < 0 ||
        dup2(j->fds[2], NINES_CHANNEL_FD) < 0)
        _exit(127);
    (void)close_range(NINES_CHANNEL_FD + 1, ~0u, 0);
    reset_signals();
    environ = (char **)j->envp;
    host_title_set(j->req->argv, j->req->argc);
    exit(j->host((int)j->req->argc, (char **)j->req->argv));
}

pid_t launch_job_fork(struct launch_job *j) {
    if (!can_fork || !j->host || j->fds[2] < 0)
        return -ENOSYS;
    /* Closed by the child once it said its pid (or by its end): the
     * launcher's LAUNCH_DONE must come after the child's LAUNCH_CHILD_PID,
     * and the launcher sits on its CPU meanwhile, as in its vfork wait. */
    int said[2];
    if (pipe2(said, O_CLOEXEC) < 0)
        return -errno;
    cpu_set_t was;
    j->affinity = launch_pin_to_this_cpu(&was) ? &was : NULL;
    pid_t pid = launch_fork_sibling();
    if (pid == 0)
        host_child(j, said[1]);
    if (j->affinity)
        (void)sched_setaffinity(0, sizeof was, &was);
    j->affinity = NULL;
    close(said[1]);
    char c;
    while (pid > 0 && read(said[0], &c, 1) < 0 && errno == EINTR)
        ;
    close(said[0]);
    return pid;
}
