/*
 * launch_child.c — the new process, between its clone and its exec
 * (launch_job.h). It shares the launcher's memory, stack excepted, and
 * the launcher is suspended until it execs or dies (CLONE_VFORK), as in
 * glibc's posix_spawn: so only system calls here, no allocation, no
 * stdio, and the credentials are changed with the raw system calls (the
 * C library's wrappers would signal every thread of the launcher).
 */
#include "launch_job.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proto.h"

static void say(const char *a, size_t alen, const char *b, const char *c, const char *d) {
    struct iovec v[4] = {{(void *)a, alen}, {(void *)b, strlen(b)}, {(void *)c, strlen(c)}, {(void *)d, strlen(d)}};
    ssize_t n = writev(STDERR_FILENO, v, 4);
    (void)n;
}

/* What nines-worker --exec did after its spawn: groups, gid, uid, the
 * folder again (now as the user), the parent-death signal (a credential
 * change clears it) and a check that ninesd has not died meanwhile. */
static int become(struct launch_job *j, const char **step) {
    const struct launch_request *r = j->req;
    if (j->set_ids) {
        *step = "set the supplementary groups";
        if (syscall(SYS_setgroups, j->n_groups, j->groups) < 0)
            return -errno;
        *step = "set the group id";
        if (syscall(SYS_setresgid, r->gid, r->gid, r->gid) < 0)
            return -errno;
        *step = "set the user id";
        if (syscall(SYS_setresuid, r->uid, r->uid, r->uid) < 0)
            return -errno;
    }
    *step = "enter the working directory";
    if (r->cwd && chdir(r->cwd) < 0)
        return -errno;
    return 0;
}

void launch_job_exec(struct launch_job *j) {
    /* Made on the launcher's CPU (launch_job_clone): every CPU it may use
     * again, as the launcher's own. */
    if (j->affinity && syscall(SYS_sched_setaffinity, 0, sizeof *j->affinity, j->affinity) < 0) {
        say("nines-worker: cannot restore the CPU affinity: ", 47, strerrordesc_np(errno), "\n", "");
        _exit(127);
    }
    /* Into its cgroup before anything runs (ninesd's kill of the cgroup
     * must find everything it starts), and before ninesd hears of it. */
    if (j->cgroup >= 0)
        (void)!write(j->cgroup, "0", 1);
    /* First of all, so that ninesd knows this process even if the
     * launcher dies now (an exec-ready process's pid it knows already).
     * The send wakes ninesd, most often on this very CPU (where the
     * launcher was woken by it): the yield lets it run now. Otherwise it
     * waits in the queue while this process execs and its program starts
     * up, a whole time slice (measured: ~1 ms of a restart's 1.1-1.8 ms,
     * the other CPU idle or not: an idle CPU pulls no task before its
     * next tick). */
    struct launch_answer a = {LAUNCH_CHILD_PID, (int32_t)syscall(SYS_getpid), 0};
    if (!j->ready) {
        if (j->late_pid) {
            struct pollfd end = {.fd = j->sock, .events = POLLRDHUP};
            (void)poll(&end, 1, -1); /* test seam: until ninesd gave up on the launcher */
        }
        /* ninesd's end closed: it gave up on this launcher (it hung) and
         * asks another for this child. Run unknown, it would run twice. */
        if (send(j->sock, &a, sizeof a, MSG_NOSIGNAL) < 0)
            _exit(127);
        sched_yield();
    }
    /* Its own process group: a child is its group (signals, the sweep). */
    setpgid(0, 0);
    if (dup2(j->devnull, 0) < 0 || dup2(j->fds[0], 1) < 0 || dup2(j->fds[1], 2) < 0 ||
        (j->fds[2] >= 0 && dup2(j->fds[2], NINES_CHANNEL_FD) < 0))
        _exit(127);
    if (j->fail_code) {
        say(j->msg, j->msg_len, "", "", "");
        _exit(j->fail_code);
    }
    if (j->exec) {
        const char *step = "";
        int e = become(j, &step);
        if (e < 0) {
            bool in_cwd = strcmp(step, "enter the working directory") == 0;
            say(j->prefix, j->prefix_len, step, in_cwd ? " " : "", in_cwd ? j->req->cwd : "");
            say(": ", 2, strerrordesc_np(-e), "\n", "");
            _exit(127);
        }
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != j->ninesd)
            _exit(1);
    }
    execve(j->path, (char *const *)j->req->argv, j->envp);
    j->exec_errno = errno;
    if (j->exec) {
        say("nines-worker: cannot run ", 25, j->req->argv[0], ": ", strerrordesc_np(errno));
        say("\n", 1, "", "", "");
    }
    _exit(127);
}

/* Not instrumented: the compiler finds launch_job_exec never returns,
 * and ASan's unpoisoning before such a call (__asan_handle_no_return)
 * cannot tell this stack (the launcher's mmap, shared memory) from a
 * wild one and reports an overflow. */
__attribute__((no_sanitize_address)) static int child_main(void *arg) {
    launch_job_exec(arg);
    return 127; /* not reached */
}

/* The new process is made on the CPU the launcher runs on, which the
 * launcher leaves at once (CLONE_VFORK): left to itself the kernel puts a
 * new process on the least loaded CPU, where it may wait behind another
 * program's time slice (measured on 2 busy CPUs: 3 ms at the median, 3 us
 * where it is made on the launcher's), while the launcher, ninesd and the
 * restart all wait for it. So the launcher holds itself to its CPU for the
 * clone (the child inherits that) and both go back to the mask they had. */
bool launch_pin_to_this_cpu(cpu_set_t *was) {
    int cpu = sched_getcpu();
    cpu_set_t one;
    CPU_ZERO(&one);
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof *was, was) < 0 || !CPU_ISSET(cpu, was) ||
        CPU_COUNT(was) < 2)
        return false;
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof one, &one) == 0;
}

pid_t launch_job_clone(struct launch_job *j, void *stack, size_t stack_size) {
    j->exec_errno = 0;
    cpu_set_t was;
    j->affinity = launch_pin_to_this_cpu(&was) ? &was : NULL;
    /* The stack grows down on every architecture Linux runs this on but
     * HP PA; clone() takes its top. */
    pid_t pid = clone(child_main, (char *)stack + stack_size, CLONE_PARENT | CLONE_VM | CLONE_VFORK | SIGCHLD, j);
    int e = errno;
    if (j->affinity)
        (void)sched_setaffinity(0, sizeof was, &was);
    j->affinity = NULL;
    return pid < 0 ? -e : pid;
}
