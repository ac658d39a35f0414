/*
 * counter_cc_crash — "counter" 3.0.1, whose code_change dies of SIGSEGV.
 * An upgrade of a running `counter` to it crashes the worker in the middle
 * of the swap: ninesd must restart it on the old code with the old
 * snapshot, its descriptors and registrations (nines/module.h).
 *
 * Calls: get (the value), version ("3.0.1"); it only runs if started
 * directly.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nines/module.h"

#include "crash.h"

#define VSN "3.0.1"


static int reply_text(nines_ctx *ctx, uint64_t ref, const char *text)
{
    return nines_reply(ctx, ref, text, strlen(text));
}

static int cc_crash_init(nines_ctx *ctx, void **state)
{
    *state = calloc(1, sizeof(long long));
    return *state != NULL ? 0 : -ENOMEM;
}

static int cc_crash_call(nines_ctx *ctx, void *state, const struct nines_request *call)
{
    char out[32];

    if (call->len >= 7 && memcmp(call->data, "version", 7) == 0)
        return reply_text(ctx, call->ref, VSN);
    snprintf(out, sizeof(out), "%lld", *(long long *)state);
    return reply_text(ctx, call->ref, out);
}

static void cc_crash_terminate(nines_ctx *ctx, void *state,
                               const struct nines_stop_reason *reason)
{
    free(state);
}

static int cc_crash_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    uint64_t v = (uint64_t)*(long long *)state;
    unsigned char le[8];

    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    return nines_buf_append(out, le, sizeof(le));
}

static int cc_crash_code_change(nines_ctx *ctx, const char *from_version,
                                const void *snapshot, size_t len, const char *extra,
                                void **state)
{
    crash();
    /* Not reached; refuse cleanly if it somehow is. */
    nines_log(ctx, NINES_LOG_ERR, "counter " VSN ": SIGSEGV did not kill the worker");
    return -EFAULT;
}

NINES_MODULE_V1(.name = "counter", .version = VSN, .init = cc_crash_init,
                .handle_call = cc_crash_call, .terminate = cc_crash_terminate,
                .export_state = cc_crash_export, .code_change = cc_crash_code_change);
