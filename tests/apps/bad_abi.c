/*
 * bad_abi — a descriptor with the right magic but an ABI version (7) this
 * host does not know. The host must refuse it on the version check and say
 * which version it found and which it supports.
 */
#include "nines/module.h"

static int bad_abi_init(nines_ctx *ctx, void **state)
{
    *state = NULL;
    return 0;
}

static void bad_abi_terminate(nines_ctx *ctx, void *state,
                              const struct nines_stop_reason *reason)
{
}

/* Not NINES_MODULE_V1(): that macro would fill in the current ABI version. */
__attribute__((visibility("default"))) const struct nines_module nines_module_v1 = {
    .magic = NINES_MAGIC,
    .abi_version = 7,
    .size = sizeof(struct nines_module),
    .name = "bad_abi",
    .version = "1.0.0",
    .init = bad_abi_init,
    .terminate = bad_abi_terminate,
};
