/*
 * counter_cc_picky — "counter" 5.0.0, whose code_change takes counter
 * 1.0.0's snapshot (nines/snap.h layout 1: the value, an i64) unless the value is
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
#include "nines/snap.h"

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
    struct nines_snap_writer w;

    nines_snap_write_begin(&w, out, 1);
    nines_snap_put_i64(&w, *(long long *)state);
    return nines_snap_write_end(&w);
}

static int picky_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot,
                             size_t len, const char *extra, void **state)
{
    struct nines_snap_reader r;
    long long *value;

    nines_snap_read_begin(&r, snapshot, len);
    long long v = nines_snap_get_i64(&r);
    if (r.version != 1 || nines_snap_read_end(&r) < 0)
        return -EINVAL;
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
