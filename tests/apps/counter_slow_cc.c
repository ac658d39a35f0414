/*
 * counter_slow_cc — "counter" 4.0.0, whose code_change takes as many
 * milliseconds as its `extra` argument says, then refuses the snapshot.
 * It keeps an upgrade in the middle long enough for a test to kill
 * ninesd there (tests/integration/itest_release_handler.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nines/module.h"

static int slow_init(nines_ctx *ctx, void **state)
{
    *state = calloc(1, sizeof(long long));
    return *state != NULL ? 0 : -ENOMEM;
}

static int slow_call(nines_ctx *ctx, void *state, const struct nines_request *call)
{
    return nines_reply(ctx, call->ref, "4.0.0", 5);
}

static void slow_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *reason)
{
    free(state);
}

static int slow_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    return nines_buf_append(out, state, sizeof(long long));
}

static int slow_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot,
                            size_t len, const char *extra, void **state)
{
    long ms = extra ? strtol(extra, NULL, 10) : 0;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    return -EINVAL;
}

NINES_MODULE_V1(.name = "counter", .version = "4.0.0", .init = slow_init,
                .handle_call = slow_call, .terminate = slow_terminate,
                .export_state = slow_export, .code_change = slow_code_change);
