/*
 * fork_exec.c — see fork_exec.h.
 */
#include "fork_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* The child until its exec. Only system calls: it is a copy of ninesd. */
static _Noreturn void run(const char *path, char *const argv[], char *const env[], int fd, int at, const char *delay,
                          int exec_fd) {
    (void)setpgid(0, 0);
    for (int s = 1; s < NSIG; s++)
        (void)signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDONLY);
    if (null > 0)
        (void)dup2(null, 0), (void)close(null);
    if (fd == at)
        (void)fcntl(at, F_SETFD, 0);
    else
        (void)dup2(fd, at);
    if (delay) {
        long ms = atol(delay);
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
        (void)nanosleep(&ts, NULL);
    }
    execve(path, argv, env);
    int e = errno;
    (void)!write(exec_fd, &e, sizeof e);
    _exit(127);
}

int fork_exec(const char *path, char *const argv[], char *const env[], int fd, int at, const char *delay_var,
              pid_t *pid, int *exec_fd) {
    const char *delay = delay_var ? getenv(delay_var) : NULL;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid_t child = fork();
    if (child == 0)
        run(path, argv, env, fd, at, delay, p[1]);
    int e = errno;
    close(p[1]);
    if (child < 0) {
        close(p[0]);
        return -e;
    }
    (void)fcntl(p[0], F_SETFL, O_NONBLOCK);
    *pid = child;
    *exec_fd = p[0];
    return 0;
}

int fork_exec_result(int exec_fd) {
    int e = 0;
    ssize_t n;
    while ((n = read(exec_fd, &e, sizeof e)) < 0 && errno == EINTR)
        ;
    if (n < 0 && errno == EAGAIN)
        return -EAGAIN;
    return n == (ssize_t)sizeof e && e > 0 ? -e : 0;
}
