/* A module whose constructor crashes while it is being loaded: the
 * load check must name it instead of dying with it. */
#include "nines/module.h"

#include "crash.h"

__attribute__((constructor)) static void crash_on_load(void) {
    crash();
}

static int ctor_init(nines_ctx *ctx, void **state) { return 0; }
static void ctor_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *r) {}

NINES_MODULE_V1(.name = "ctor_crash", .version = "1.0.0", .init = ctor_init,
                .terminate = ctor_terminate);
