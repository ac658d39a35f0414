/*
 * counter_wrong_name — a valid module that could take counter's state
 * (it reads counter 1.0.0's 8-byte snapshot) but is named "counterx",
 * version 9.0.0. An upgrade of a running `counter` to it must be refused:
 * an upgrade never changes the application a worker runs.
 *
 * Calls: get (the value), version ("9.0.0").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nines/module.h"

#define VSN "9.0.0"

static int reply_text(nines_ctx *ctx, uint64_t ref, const char *text)
{
    return nines_reply(ctx, ref, text, strlen(text));
}

static int wrong_name_init(nines_ctx *ctx, void **state)
{
    *state = calloc(1, sizeof(long long));
    return *state != NULL ? 0 : -ENOMEM;
}

static int wrong_name_call(nines_ctx *ctx, void *state, const struct nines_request *call)
{
    char out[32];

    if (call->len >= 7 && memcmp(call->data, "version", 7) == 0)
        return reply_text(ctx, call->ref, VSN);
    snprintf(out, sizeof(out), "%lld", *(long long *)state);
    return reply_text(ctx, call->ref, out);
}

static void wrong_name_terminate(nines_ctx *ctx, void *state,
                                 const struct nines_stop_reason *reason)
{
    free(state);
}

/* counter 1.0.0's layout: the value as 8 bytes, little-endian. */
static int wrong_name_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    uint64_t v = (uint64_t)*(long long *)state;
    unsigned char le[8];

    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    return nines_buf_append(out, le, sizeof(le));
}

static int wrong_name_code_change(nines_ctx *ctx, const char *from_version,
                                  const void *snapshot, size_t len, const char *extra,
                                  void **state)
{
    const unsigned char *le = snapshot;
    uint64_t v = 0;

    if (len != 8)
        return -EINVAL;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)le[i] << (8 * i);
    long long *value = malloc(sizeof(*value));
    if (value == NULL)
        return -ENOMEM;
    *value = (long long)v;
    *state = value;
    return 0;
}

static void wrong_name_free_state(nines_ctx *ctx, void *state)
{
    free(state);
}

NINES_MODULE_V1(.name = "counterx", .version = VSN, .init = wrong_name_init,
                .handle_call = wrong_name_call, .terminate = wrong_name_terminate,
                .export_state = wrong_name_export, .code_change = wrong_name_code_change,
                .free_state = wrong_name_free_state);
