/*
 * trivial — a module that does nothing: no args, no calls, no state.
 * Used by the restart benchmark, so it starts as fast as a module can.
 */
#include "nines/module.h"

static int trivial_init(nines_ctx *ctx, void **state)
{
    *state = NULL;
    return 0;
}

static void trivial_terminate(nines_ctx *ctx, void *state,
                              const struct nines_stop_reason *reason)
{
}

NINES_MODULE_V1(.name = "trivial", .version = "1.0.0", .init = trivial_init,
                .terminate = trivial_terminate);
