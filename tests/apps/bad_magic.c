/*
 * bad_magic — a descriptor filled by hand with the wrong magic number and
 * everything else plausible. The host must refuse it on the magic check,
 * before looking at any other field.
 */
#include "nines/module.h"

static int bad_magic_init(nines_ctx *ctx, void **state)
{
    *state = NULL;
    return 0;
}

static void bad_magic_terminate(nines_ctx *ctx, void *state,
                                const struct nines_stop_reason *reason)
{
}

/* Not NINES_MODULE_V1(): that macro would fill in the right magic. */
__attribute__((visibility("default"))) const struct nines_module nines_module_v1 = {
    .magic = 0xdeadbeefu,
    .abi_version = NINES_ABI_VERSION,
    .size = sizeof(struct nines_module),
    .name = "bad_magic",
    .version = "1.0.0",
    .init = bad_magic_init,
    .terminate = bad_magic_terminate,
};
