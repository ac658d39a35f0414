/*
 * counter_cc_picky — "counter" 5.0.0, whose code_change takes counter
 * 1.0.0's snapshot (the value, 8 bytes little-endian) unless the value is
 * 13: one worker of an application refuses while its siblings accept, so
 * a release step fails half-way (tests/integration/itest_release_handler.c).
 * It exports the same layout, so counter 1.0.0 takes its state back.
 *
 * Calls: anything: the value, in decimal.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nines/module.h"

static int picky_init(nines_ctx *ctx, void **state)
{
    *state = calloc(1, sizeof(long long));
    return *state != NULL ? 0 : -ENOMEM;
}

static int picky_call(nines_ctx *ctx, void *state, const struct nines_request *call)
{
    char out[32];
    int len = snprintf(out, sizeof(out), "%lld", *(long long *)state);

    return nines_reply(ctx, call->ref, out, (size_t)len);
}

static void picky_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *reason)
{
    free(state);
}

static void picky_free_state(nines_ctx *ctx, void *state)
{
    free(state);
}

static int picky_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    uint64_t v = (uint64_t)*(long long *)state;
    unsigned char le[8];

    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    return nines_buf_append(out, le, sizeof(le));
}

static int picky_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot,
                             size_t len, const char *extra, void **state)
{
    const unsigned char *p = snapshot;
    uint64_t v = 0;
    long long *value;

    if (len != 8)
        return -EINVAL;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    if ((long long)v == 13) {
        nines_log(ctx, NINES_LOG_ERR, "counter 5.0.0: 13 is unlucky, refusing");
        return -EDOM;
    }
    value = malloc(sizeof(*value));
    if (value == NULL)
        return -ENOMEM;
    *value = (long long)v;
    *state = value;
    return 0;
}

NINES_MODULE_V1(.name = "counter", .version = "5.0.0", .init = picky_init,
                .handle_call = picky_call, .terminate = picky_terminate,
                .export_state = picky_export, .code_change = picky_code_change,
                .free_state = picky_free_state);
