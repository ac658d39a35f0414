/* A new version of "echo" whose code_change crashes: the worker must come
 * back on the running echo with every connection (itest_upgrade). */
#include "nines/module.h"

#include "crash.h"

static int crash_init(nines_ctx *ctx, void **state) { return 0; }
static void crash_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *r) {}

static int crash_code_change(nines_ctx *ctx, const char *from, const void *snapshot, size_t len,
                             const char *extra, void **state) {
    crash();
    return -1;
}

NINES_MODULE_V1(.name = "echo", .version = "9.9.9", .init = crash_init, .terminate = crash_terminate,
                .code_change = crash_code_change);
