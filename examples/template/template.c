/*
 * template — the start of a Nines module of your own: copy this folder,
 * rename template.c and NAME in the Makefile, and `make check`.
 *
 * It greets: a call "hello" replies "hello #N", N counting the calls; a
 * cast "reset" sets N back to 0. Its state survives a live upgrade
 * through export_state and code_change, written with nines/snap.h.
 *
 * Snapshot layout 1 (nines/snap.h): u64 the greetings so far.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nines/module.h>
#include <nines/snap.h>

struct greeter {
    unsigned long long greeted;
};

static int greeter_init(nines_ctx *ctx, void **state) {
    struct greeter *g = calloc(1, sizeof *g);
    if (!g)
        return -ENOMEM;
    *state = g;
    nines_log(ctx, NINES_LOG_INFO, "template: ready as %s", nines_child_path(ctx));
    return 0;
}

static int greeter_call(nines_ctx *ctx, void *state, const struct nines_request *call) {
    struct greeter *g = state;
    char out[64];
    if (call->len != 5 || memcmp(call->data, "hello", 5) != 0)
        return nines_reply(ctx, call->ref, "error: say hello", 16);
    int n = snprintf(out, sizeof out, "hello #%llu", ++g->greeted);
    return nines_reply(ctx, call->ref, out, (size_t)n);
}

static int greeter_cast(nines_ctx *ctx, void *state, const void *data, size_t len) {
    struct greeter *g = state;
    if (len == 5 && memcmp(data, "reset", 5) == 0)
        g->greeted = 0;
    return 0;
}

static void greeter_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *why) {
    free(state);
}

static int greeter_export(nines_ctx *ctx, void *state, nines_buf *out) {
    struct nines_snap_writer w;
    nines_snap_write_begin(&w, out, 1);
    nines_snap_put_u64(&w, ((struct greeter *)state)->greeted);
    return nines_snap_write_end(&w);
}

/* Reads its own layout: an upgrade from an earlier version of this code,
 * and the rollback after a crash of a later one, both come here. */
static int greeter_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot, size_t len,
                               const char *extra, void **state) {
    struct nines_snap_reader r;
    nines_snap_read_begin(&r, snapshot, len);
    if (r.version != 1)
        nines_snap_fail(&r, -EINVAL, "not layout 1");
    unsigned long long greeted = nines_snap_get_u64(&r);
    struct greeter *g = nines_snap_read_end(&r) == 0 ? calloc(1, sizeof *g) : NULL;
    if (!g) {
        nines_log(ctx, NINES_LOG_ERR, "template: refusing the snapshot of %s: %s", from_version,
                  r.error ? r.why : "out of memory");
        return r.error ? r.error : -ENOMEM;
    }
    g->greeted = greeted;
    *state = g;
    return 0;
}

static void greeter_free_state(nines_ctx *ctx, void *state) {
    free(state);
}

NINES_MODULE_V1(.name = "template", .version = "1.0.0", .init = greeter_init, .handle_call = greeter_call,
                .handle_cast = greeter_cast, .terminate = greeter_terminate, .export_state = greeter_export,
                .code_change = greeter_code_change, .free_state = greeter_free_state);
