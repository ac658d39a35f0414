/*
 * init_order — a module whose init says when it ran: it appends
 * "ID START_NS END_NS PID\n" (CLOCK_MONOTONIC, one write) to the file `log`
 * names, after staying in init for `busy_ms` (so that an init that
 * overlapped another would show). It fails (after its line) when the file
 * `fail_if` names exists and holds this child's `id`. Used by
 * itest_boot_order: a supervisor's static children start one after the
 * other however their processes are made.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nines/module.h"

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Whether the file at `path` exists and its first line is `id`. */
static int told_to_fail(const char *path, const char *id)
{
    char buf[64] = "";
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return strcmp(buf, id) == 0;
}

static int init_order_init(nines_ctx *ctx, void **state)
{
    long long start = now_ns(), busy = 0;
    const char *log = nines_arg(ctx, "log"), *id = nines_arg(ctx, "id");
    if (!log || !id)
        return -EINVAL;
    (void)nines_arg_int(ctx, "busy_ms", &busy);
    struct timespec pause = {busy / 1000, (busy % 1000) * 1000000L};
    nanosleep(&pause, NULL);
    int fail = told_to_fail(nines_arg(ctx, "fail_if"), id);
    char line[128];
    int len = snprintf(line, sizeof line, "%s %lld %lld %d\n", id, start, now_ns(), (int)getpid());
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, line, (size_t)len) != len)
        fail = 1;
    if (fd >= 0)
        close(fd);
    *state = NULL;
    return fail ? -ECANCELED : 0;
}

static void init_order_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *reason)
{
}

NINES_MODULE_V1(.name = "init_order", .version = "1.0.0", .init = init_order_init,
                .terminate = init_order_terminate);
