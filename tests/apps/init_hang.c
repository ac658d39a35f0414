/*
 * init_hang — a module whose init never returns while the file its
 * `hang_if` argument names exists (and returns at once otherwise): a
 * worker stuck starting, for the start_timeout tests
 * (tests/integration/itest_timeouts.c). It answers calls with "up".
 */
#include <stddef.h>
#include <unistd.h>

#include "nines/module.h"

static int hang_init(nines_ctx *ctx, void **state)
{
    const char *path = nines_arg(ctx, "hang_if");
    while (path && access(path, F_OK) == 0)
        pause(); /* no signal of its own wakes it: SIGKILL is what ends it */
    *state = NULL;
    return 0;
}

static int hang_call(nines_ctx *ctx, void *state, const struct nines_request *call)
{
    return nines_reply(ctx, call->ref, "up", 2);
}

static void hang_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *reason)
{
}

NINES_MODULE_V1(.name = "init_hang", .version = "1.0.0", .init = hang_init, .handle_call = hang_call,
                .terminate = hang_terminate);
