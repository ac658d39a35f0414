/*
 * group_kid — a module that leaves a process behind in its group: its init
 * forks a kid that closes every descriptor and waits forever (in the
 * worker's process group), and says "group_kid: kid PID" on stdout. A call
 * "die" makes the worker say "group_kid: dying" and SIGKILL itself. Used by
 * itest_restart_order: the kid must be killed with its worker, before the
 * replacement runs, and the log must say so in order.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nines/module.h"

static int group_kid_init(nines_ctx *ctx, void **state)
{
    pid_t kid = fork();
    if (kid < 0)
        return -errno;
    if (kid == 0) {
        close_range(0, ~0U, 0);
        for (;;)
            pause();
    }
    printf("group_kid: kid %d\n", (int)kid);
    fflush(stdout);
    *state = NULL;
    return 0;
}

static int group_kid_call(nines_ctx *ctx, void *state, const struct nines_request *req)
{
    if (req->len == 3 && memcmp(req->data, "die", 3) == 0) {
        printf("group_kid: dying\n");
        fflush(stdout);
        kill(getpid(), SIGKILL);
    }
    return nines_reply(ctx, req->ref, "?", 1);
}

static void group_kid_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *reason)
{
}

NINES_MODULE_V1(.name = "group_kid", .version = "1.0.0", .init = group_kid_init,
                .handle_call = group_kid_call, .terminate = group_kid_terminate);
