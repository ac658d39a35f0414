/*
 * no_init — a well-formed descriptor missing the required init callback.
 * The host must refuse it on the required-callbacks check.
 */
#include "nines/module.h"

static void no_init_terminate(nines_ctx *ctx, void *state,
                              const struct nines_stop_reason *reason)
{
}

NINES_MODULE_V1(.name = "no_init", .version = "1.0.0", .init = NULL,
                .terminate = no_init_terminate);
