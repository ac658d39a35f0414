/*
 * init_crash — a module whose init dies of SIGSEGV, so the worker crashes
 * before it is ever ready. Tests that the supervisor reports a failed start
 * (not a crash of a running child) and applies its restart rules.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>

#include "nines/module.h"

#include "crash.h"

static int init_crash_init(nines_ctx *ctx, void **state)
{
    crash();
    /* Not reached; fail cleanly if it somehow is. */
    nines_stop(ctx, NINES_STOP_ERROR, "init_crash: SIGSEGV did not kill the worker");
    return -EFAULT;
}

static void init_crash_terminate(nines_ctx *ctx, void *state,
                                 const struct nines_stop_reason *reason)
{
}

NINES_MODULE_V1(.name = "init_crash", .version = "1.0.0", .init = init_crash_init,
                .terminate = init_crash_terminate);
