/*
 * fork_exec.h — one of ninesd's helper processes (its launcher, its
 * warden) started at ninesd's start without waiting for its exec.
 *
 * posix_spawn (glibc's clone with CLONE_VFORK) holds the caller until the
 * new process has exec'd: 0.3-0.9 ms of ninesd's start each, measured on
 * the project's VM. A fork returns at once, and while ninesd is small (at
 * its start) it costs less than that wait; later, a fork would copy the
 * page tables of a large ninesd, and spawn_helper is used instead. The
 * new process holds what it is given from the fork on, so what ninesd
 * sends it before its exec waits for it. Whether its exec failed comes on
 * a close-on-exec pipe: its errno, or the pipe's end once it runs.
 */
#ifndef NINES_FORK_EXEC_H
#define NINES_FORK_EXEC_H

#include <sys/types.h>

/* `path` with argv and env, as spawn_helper starts it (its own process
 * group, every signal at its default and unblocked, /dev/null on 0, `fd`
 * at descriptor `at`), forked: 0 with *pid and *exec_fd (non-blocking,
 * close-on-exec: fork_exec_result reads it), or -errno. If the variable
 * named `delay_var` (or NULL) is set, the exec is held back that many
 * milliseconds (a test seam: what comes before the exec). */
int fork_exec(const char *path, char *const argv[], char *const env[], int fd, int at, const char *delay_var,
              pid_t *pid, int *exec_fd);

/* What the process said of its exec on exec_fd: 0 it ran (the pipe's
 * end), -EAGAIN not yet, or its -errno. The caller closes exec_fd once
 * it is not -EAGAIN (after taking it out of its loop: closed first, an
 * epoll registration would outlive it while another process holds it). */
int fork_exec_result(int exec_fd);

#endif /* NINES_FORK_EXEC_H */
