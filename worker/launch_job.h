/*
 * launch_job.h — one child the launcher creates (launcher.h): everything
 * prepared in the launcher, then run by launch_job_clone in the new
 * process, which shares the launcher's memory until its exec and so only
 * makes system calls.
 */
#ifndef NINES_WORKER_LAUNCH_JOB_H
#define NINES_WORKER_LAUNCH_JOB_H

#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "launch_proto.h"

struct launch_job {
    /* Given by the launcher. */
    int sock;          /* the channel to ninesd: the child says its pid on it */
    bool late_pid;     /* test seam (launcher.c's faults): say the pid only once ninesd's end is closed */
    bool ready;        /* run by an exec-ready process (launcher.c), not a clone:
                          its pid is known, it says nothing */
    int devnull;       /* the child's stdin */
    int fds[3];        /* stdout, stderr, and the channel (or -1) */
    int cgroup;        /* its cgroup's cgroup.procs, to join before anything else, or -1 */
    pid_t ninesd;      /* the expected parent (an exec child checks it) */
    const struct launch_request *req;
    const cpu_set_t *affinity; /* set by launch_job_clone: the mask the child goes back to, or NULL */
    int (*host)(int argc, char **argv); /* a forked worker host's main (launch_job_fork) */

    /* Prepared (launch_job_prepare). */
    const char *path;  /* what execve runs */
    char *const *envp;
    bool exec;         /* an exec child: ids, folder, parent-death signal */
    bool set_ids;      /* become uid/gid with `groups` */
    gid_t *groups;
    size_t n_groups;
    int fail_code;     /* not 0: write `msg` on stderr and exit with it, run nothing */
    char msg[1600];
    size_t msg_len;
    char prefix[700];  /* "nines-worker: cannot run PROG as user 'U': cannot " */
    size_t prefix_len;

    /* Written by the child before it dies without exec (seen after the
     * vfork-like wait): the errno of a failed execve, else 0. */
    int exec_errno;

    /* Owned, freed by launch_job_free. */
    char **own_env;    /* envp's entries the launcher made (HOME, USER, LOGNAME) */
    const char **env_array;
    char program[PATH_MAX];
};

/* Fill the prepared part from j->req: the environment over the launcher's
 * own, and for an exec child its user's groups and variables, its folder
 * (entered by the launcher for the look-up, left again by the caller),
 * its program found on PATH and trusted, or the message and code it fails
 * with. 0, or -ENOMEM / -E2BIG (no child can be made). */
int launch_job_prepare(struct launch_job *j);

/* Create the child (ninesd's, through CLONE_PARENT) and wait for its exec
 * or its end: its pid, or -errno when clone failed. `stack` is the
 * child's until then. */
pid_t launch_job_clone(struct launch_job *j, void *stack, size_t stack_size);

/* Create the child as a fork of the launcher (ninesd's too: CLONE_PARENT)
 * that runs j->host with the request's argv, no exec (worker/launch_fork.c),
 * and wait until it said its pid (or died): its pid, or -errno. */
pid_t launch_job_fork(struct launch_job *j);

/* A clean fork of the launcher that is ninesd's child (CLONE_PARENT), as
 * glibc's _Fork makes one (its TID in glibc's descriptor, its robust
 * list): 0 in the new process, its pid in the launcher, -ENOSYS when
 * none can be made here, another -errno. launch_job_fork's, and the
 * exec-ready process's (launch_ready.h). */
pid_t launch_fork_sibling(void);

/* Whether this launcher can make clean forks (it knows its thread's TID
 * and robust-list addresses, which glibc's fork() would set up in the
 * child): found once, at its start. */
bool launch_fork_init(void);

/* Hold the calling process to the CPU it runs on (the new process is made
 * there), *was the mask to go back to: false when it was not changed. */
bool launch_pin_to_this_cpu(cpu_set_t *was);

/* The new process's part: its setup, then the exec (or its exit 126/127
 * with the reason on its stderr). Never returns (the clone's caller is
 * not instrumented for it: launch_child.c). */
void launch_job_exec(struct launch_job *j);

void launch_job_free(struct launch_job *j);

#endif
