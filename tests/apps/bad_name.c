/*
 * bad_name — a well-formed descriptor whose name breaks the [a-z0-9_-]+
 * rule. The host must refuse it on the name check.
 */
#include "nines/module.h"

static int bad_name_init(nines_ctx *ctx, void **state)
{
    *state = NULL;
    return 0;
}

static void bad_name_terminate(nines_ctx *ctx, void *state,
                               const struct nines_stop_reason *reason)
{
}

NINES_MODULE_V1(.name = "Bad Name!", .version = "1.0.0", .init = bad_name_init,
                .terminate = bad_name_terminate);
