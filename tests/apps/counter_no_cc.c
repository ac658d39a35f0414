/*
 * counter_no_cc — "counter" 3.0.3 without export_state or code_change: it
 * cannot take over a running worker's state, so an upgrade of a running
 * `counter` to it must be refused as not supporting a live swap.
 *
 * Calls: get (always 0), version ("3.0.3").
 */
#include <string.h>

#include "nines/module.h"

#define VSN "3.0.3"

static int no_cc_init(nines_ctx *ctx, void **state)
{
    *state = NULL;
    return 0;
}

static int no_cc_call(nines_ctx *ctx, void *state, const struct nines_request *call)
{
    const char *text = call->len >= 7 && memcmp(call->data, "version", 7) == 0 ? VSN : "0";

    return nines_reply(ctx, call->ref, text, strlen(text));
}

static void no_cc_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *reason)
{
}

NINES_MODULE_V1(.name = "counter", .version = VSN, .init = no_cc_init,
                .handle_call = no_cc_call, .terminate = no_cc_terminate);
