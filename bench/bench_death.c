/*
 * bench_death — what a process's end costs, from its SIGKILL: until the
 * descriptors it held close (its channel's other end sees the hang-up),
 * until it is a zombie its parent can see, and the CPU it spent dying
 * (its own run time, /proc/PID/schedstat, read while it is a zombie: the
 * kernel tearing down its memory, descriptors and the rest).
 *
 * A crash -> restarted figure starts at the SIGKILL, so the victim's end
 * is in it; the spawn floor's bare process never pays it. Measured side
 * by side, interleaved:
 *
 *   bare      a bare C process that has dlopen()ed the same module and
 *             waits on a socket (this program, run with --hold);
 *   worker    nines-worker --module MODULE, after its READY;
 *   preloaded nines-worker --spare that was sent PRELOAD and then START
 *             (as ninesd's preloading spare), after its READY.
 *
 *   bench_death [N]        (default 300 of each)
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "nines/module.h"
#include "proto.h"

extern char **environ;

#define MODULE NINES_BUILD_DIR "/tests/apps/trivial.so"
#define WORKER NINES_BUILD_DIR "/nines-worker"
#define SELF NINES_BUILD_DIR "/bench/bench_death"
#define SETTLE_US 2000

/* --hold MODULE: the bare process. */
static int hold(const char *module) {
    void *h = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (!h || !dlsym(h, NINES_MODULE_SYMBOL))
        return 1;
    if (write(NINES_CHANNEL_FD, "R", 1) != 1)
        return 1;
    char c;
    while (read(NINES_CHANNEL_FD, &c, 1) != 0)
        ;
    return 0;
}

enum kind { BARE, WORKER_PLAIN, PRELOADED, KINDS };
static const char *const kind_names[KINDS] = {"bare process, module loaded", "nines-worker --module",
                                              "nines-worker --spare, preloaded"};

static pid_t spawn_victim(enum kind k, int child_end) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, child_end, NINES_CHANNEL_FD);
    char *bare[] = {SELF, "--hold", MODULE, NULL};
    char *plain[] = {WORKER, "--module", MODULE, "--child", "w", NULL};
    char *spare[] = {WORKER, "--spare", "................................................................", NULL};
    char **argv = k == BARE ? bare : k == WORKER_PLAIN ? plain : spare;
    pid_t pid;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
        abort();
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static void expect_msg(int fd, uint32_t type) {
    static uint8_t buf[NINES_PROTO_BUFSIZE];
    struct nines_msg m;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
        if (poll(&p, 1, 5000) != 1) {
            fprintf(stderr, "bench_death: no message %u\n", type);
            exit(1);
        }
        int r = nines_proto_recv(fd, buf, &m);
        if (r == 0 && m.type == type)
            return;
        if (r < 0 && r != -EAGAIN) {
            fprintf(stderr, "bench_death: channel: %s\n", strerror(-r));
            exit(1);
        }
    }
}

/* The victim, started and ready: its pid, our end of its channel in *fd. */
static pid_t ready_victim(enum kind k, int *fd) {
    int sv[2];
    int type = k == BARE ? SOCK_STREAM : SOCK_SEQPACKET;
    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    pid_t pid = spawn_victim(k, sv[1]);
    close(sv[1]);
    *fd = sv[0];
    if (k == BARE) {
        char c;
        if (read(sv[0], &c, 1) != 1)
            abort();
    } else if (k == WORKER_PLAIN) {
        expect_msg(sv[0], NINES_MSG_READY);
    } else {
        static const char preload[] = MODULE "\0";
        static const char start[] = MODULE "\0w\0";
        nines_proto_send(sv[0], NINES_MSG_PRELOAD, 0, preload, sizeof preload);
        expect_msg(sv[0], NINES_MSG_PRELOADED);
        nines_proto_send(sv[0], NINES_MSG_START, 0, start, sizeof start);
        expect_msg(sv[0], NINES_MSG_READY);
    }
    return pid;
}


struct sample {
    double hup, zombie, cpu;
};

static struct sample die_once(enum kind k) {
    int fd;
    pid_t pid = ready_victim(k, &fd);
    usleep(SETTLE_US);
    double before = bench_cpu_us(pid);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    double t0 = bench_now_us();
    kill(pid, SIGKILL);
    for (;;) {
        if (poll(&p, 1, 5000) != 1)
            abort();
        if (p.revents & POLLHUP)
            break;
        char buf[64];
        if (read(fd, buf, sizeof buf) == 0)
            break;
    }
    double t1 = bench_now_us();
    siginfo_t si;
    waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
    double t2 = bench_now_us();
    double cpu = bench_cpu_us(pid) - before;
    waitpid(pid, NULL, 0);
    close(fd);
    return (struct sample){t1 - t0, t2 - t0, cpu};
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--hold") == 0)
        return hold(argv[2]);
    int n = argc > 1 ? atoi(argv[1]) : 300;
    static double hup[KINDS][10000], zombie[KINDS][10000], cpu[KINDS][10000];
    if (n < 1 || n > 10000)
        return 2;

    for (int i = 0; i < n; i++)
        for (int k = 0; k < KINDS; k++) {
            struct sample s = die_once((enum kind)k);
            hup[k][i] = s.hup, zombie[k][i] = s.zombie, cpu[k][i] = s.cpu;
        }
    printf("death: %d SIGKILLs of each, interleaved; from the kill, p50 (p99)\n", n);
    struct bench_stats base = bench_stats(zombie[BARE], (size_t)n);
    for (int k = 0; k < KINDS; k++) {
        struct bench_stats h = bench_stats(hup[k], (size_t)n), z = bench_stats(zombie[k], (size_t)n),
                           c = bench_stats(cpu[k], (size_t)n);
        printf("  %-34s channel closed %6.1f us (%6.1f)  zombie %6.1f us (%6.1f)  its CPU %6.1f us (%6.1f)  "
               "%.2fx the bare zombie\n",
               kind_names[k], h.p50, h.p99, z.p50, z.p99, c.p50, c.p99, z.p50 / base.p50);
    }
    return 0;
}
