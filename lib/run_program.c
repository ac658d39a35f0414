/*
 * run_program.c — see run_program.h.
 */
#include "run_program.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct capture {
    int fd;
    char *buf;
    size_t size, len;
};

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read what is there; close the pipe at its end. Bytes past the buffer
 * are read and dropped, so the program never blocks on a full pipe. */
static void drain(struct capture *c) {
    char scratch[4096];
    char *into = c->buf && c->len + 1 < c->size ? c->buf + c->len : scratch;
    size_t room = into == scratch ? sizeof scratch : c->size - 1 - c->len;
    ssize_t n = read(c->fd, into, room);
    if (n > 0 && into != scratch) {
        c->len += (size_t)n;
        c->buf[c->len] = '\0';
    } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        close(c->fd);
        c->fd = -1;
    }
}

/* Read both pipes until both are closed or the deadline passes. */
static bool collect(struct capture c[2], int timeout_ms) {
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    while (c[0].fd >= 0 || c[1].fd >= 0) {
        struct pollfd p[2] = {{.fd = c[0].fd, .events = POLLIN}, {.fd = c[1].fd, .events = POLLIN}};
        long long left = deadline < 0 ? -1 : deadline - now_ms();
        if (deadline >= 0 && left <= 0)
            return false;
        if (poll(p, 2, (int)left) < 0 && errno != EINTR)
            return false;
        for (int i = 0; i < 2; i++)
            if (p[i].revents && c[i].fd >= 0)
                drain(&c[i]);
    }
    return true;
}

static int spawn(char *const argv[], int out_fd, int err_fd, pid_t *pid) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
    int r = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return -r;
}

int nines_run_program(char *const argv[], char *out, size_t out_size, char *err, size_t err_size, int timeout_ms) {
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(pe, O_CLOEXEC) < 0) {
        int e = errno;
        close(po[0]), close(po[1]);
        return -e;
    }
    struct capture c[2] = {{po[0], out, out_size, 0}, {pe[0], err, err_size, 0}};
    for (int i = 0; i < 2; i++)
        if (c[i].buf && c[i].size)
            c[i].buf[0] = '\0';
    pid_t pid;
    int r = spawn(argv, po[1], pe[1], &pid);
    close(po[1]), close(pe[1]);
    if (r == 0 && !collect(c, timeout_ms))
        kill(pid, SIGKILL);
    for (int i = 0; i < 2; i++)
        if (c[i].fd >= 0)
            close(c[i].fd);
    if (r < 0)
        return r;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return status;
}
