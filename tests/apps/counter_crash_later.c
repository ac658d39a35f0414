/*
 * counter_crash_later — "counter" 3.0.2, whose code_change succeeds but
 * whose first handle_call after the swap dies of SIGSEGV: the upgrade
 * itself works, then the new code crashes while it runs. ninesd must
 * restart the worker on the old code with the last snapshot.
 *
 * Snapshot: counter 1.0.0's layout (the value, 8 bytes little-endian) is
 * also this version's own, so code_change accepts both by accepting it.
 *
 * Calls: get (the value), version ("3.0.2"). Started directly (init),
 * it answers them; swapped in, the first call crashes.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nines/module.h"
#include "nines/snap.h"

#include "crash.h"

#define VSN "3.0.2"

struct state {
    long long value;
    bool swapped_in; /* came through code_change: the next call crashes */
};


static int reply_text(nines_ctx *ctx, uint64_t ref, const char *text)
{
    return nines_reply(ctx, ref, text, strlen(text));
}

static int crash_later_init(nines_ctx *ctx, void **state)
{
    *state = calloc(1, sizeof(struct state));
    return *state != NULL ? 0 : -ENOMEM;
}

static int crash_later_call(nines_ctx *ctx, void *state, const struct nines_request *call)
{
    struct state *s = state;
    char out[32];

    if (s->swapped_in) {
        nines_log(ctx, NINES_LOG_ERR, "counter " VSN ": crashing on the first call as configured");
        crash();
        return -EFAULT;
    }
    if (call->len >= 7 && memcmp(call->data, "version", 7) == 0)
        return reply_text(ctx, call->ref, VSN);
    snprintf(out, sizeof(out), "%lld", s->value);
    return reply_text(ctx, call->ref, out);
}

static void crash_later_terminate(nines_ctx *ctx, void *state,
                                  const struct nines_stop_reason *reason)
{
    free(state);
}

static int crash_later_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    struct nines_snap_writer w;

    nines_snap_write_begin(&w, out, 1);
    nines_snap_put_i64(&w, ((struct state *)state)->value);
    return nines_snap_write_end(&w);
}

static int crash_later_code_change(nines_ctx *ctx, const char *from_version,
                                   const void *snapshot, size_t len, const char *extra,
                                   void **state)
{
    struct nines_snap_reader r;

    nines_snap_read_begin(&r, snapshot, len);
    long long v = nines_snap_get_i64(&r);
    if (r.version != 1 || nines_snap_read_end(&r) < 0) {
        nines_log(ctx, NINES_LOG_ERR, "counter " VSN ": refusing a snapshot of %zu bytes: %s", len,
                  r.error ? r.why : "not layout 1");
        return -EINVAL;
    }
    struct state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    s->value = (long long)v;
    s->swapped_in = true;
    *state = s;
    nines_log(ctx, NINES_LOG_INFO, "counter " VSN ": upgraded from %s at %lld", from_version,
              s->value);
    return 0;
}

static void crash_later_free_state(nines_ctx *ctx, void *state)
{
    free(state);
}

NINES_MODULE_V1(.name = "counter", .version = VSN, .init = crash_later_init,
                .handle_call = crash_later_call, .terminate = crash_later_terminate,
                .export_state = crash_later_export, .code_change = crash_later_code_change,
                .free_state = crash_later_free_state);
