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

static int child_main(void *arg) {
    struct launch_job *j = arg;
    /* Into its cgroup before anything runs (ninesd's kill of the cgroup
     * must find everything it starts), and before ninesd hears of it. */
    if (j->cgroup >= 0)
        (void)!write(j->cgroup, "0", 1);
    /* First of all, so that ninesd knows this process even if the
     * launcher dies now. */
    struct launch_answer a = {LAUNCH_CHILD_PID, (int32_t)syscall(SYS_getpid), 0};
    (void)send(j->sock, &a, sizeof a, MSG_NOSIGNAL);
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

pid_t launch_job_clone(struct launch_job *j, void *stack, size_t stack_size) {
    j->exec_errno = 0;
    /* The stack grows down on every architecture Linux runs this on but
     * HP PA; clone() takes its top. */
    pid_t pid = clone(child_main, (char *)stack + stack_size, CLONE_PARENT | CLONE_VM | CLONE_VFORK | SIGCHLD, j);
    return pid < 0 ? -errno : pid;
}
