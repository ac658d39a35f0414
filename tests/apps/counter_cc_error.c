/*
 * counter_cc_error — "counter" 3.0.0, whose code_change refuses every
 * snapshot with -EINVAL (after logging "counter 3.0.0: refusing the
 * snapshot as configured"). An upgrade of a running `counter` to it must
 * fail cleanly: the old code goes on with its state, unchanged.
 *
 * Calls: get (the value), version ("3.0.0"); it only runs if started
 * directly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nines/module.h"

#define VSN "3.0.0"

static int reply_text(nines_ctx *ctx, uint64_t ref, const char *text)
{
    return nines_reply(ctx, ref, text, strlen(text));
}

static int cc_error_init(nines_ctx *ctx, void **state)
{
    *state = calloc(1, sizeof(long long));
    return *state != NULL ? 0 : -ENOMEM;
}

static int cc_error_call(nines_ctx *ctx, void *state, const struct nines_request *call)
{
    char out[32];

    if (call->len >= 7 && memcmp(call->data, "version", 7) == 0)
        return reply_text(ctx, call->ref, VSN);
    snprintf(out, sizeof(out), "%lld", *(long long *)state);
    return reply_text(ctx, call->ref, out);
}

static void cc_error_terminate(nines_ctx *ctx, void *state,
                               const struct nines_stop_reason *reason)
{
    free(state);
}

static int cc_error_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    uint64_t v = (uint64_t)*(long long *)state;
    unsigned char le[8];

    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    return nines_buf_append(out, le, sizeof(le));
}

static int cc_error_code_change(nines_ctx *ctx, const char *from_version,
                                const void *snapshot, size_t len, const char *extra,
                                void **state)
{
    nines_log(ctx, NINES_LOG_ERR, "counter " VSN ": refusing the snapshot as configured");
    return -EINVAL;
}

NINES_MODULE_V1(.name = "counter", .version = VSN, .init = cc_error_init,
                .handle_call = cc_error_call, .terminate = cc_error_terminate,
                .export_state = cc_error_export, .code_change = cc_error_code_change);
