/*
 * pingpong — measures call round trips between two workers through
 * ninesd, for bench/bench_calls.c.
 *
 * Calls:
 *   ping           "pong"
 *   run PATH N     make N calls "ping" to PATH one after the other, timing
 *                  each from nines_call() to its NINES_INFO_REPLY; reply
 *                  "p50=NS p99=NS max=NS failed=K" once all are done
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nines/module.h"

struct run {
    uint64_t caller; /* the ref of the "run" call, answered at the end */
    char path[256];
    long total, done, failed;
    uint64_t started_ns;
    uint64_t *samples;
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int pp_init(nines_ctx *ctx, void **state) {
    struct run *r = calloc(1, sizeof *r);
    *state = r;
    return r ? 0 : -ENOMEM;
}

static int next_call(nines_ctx *ctx, struct run *r) {
    r->started_ns = now_ns();
    return nines_call(ctx, r->path, "ping", 4, 1, 5000);
}

static int cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int finish(nines_ctx *ctx, struct run *r) {
    char text[160];
    long n = r->done;
    qsort(r->samples, (size_t)n, sizeof *r->samples, cmp);
    int len = snprintf(text, sizeof text, "p50=%llu p99=%llu max=%llu failed=%ld",
                       n ? (unsigned long long)r->samples[n / 2] : 0ull,
                       n ? (unsigned long long)r->samples[(n * 99) / 100] : 0ull,
                       n ? (unsigned long long)r->samples[n - 1] : 0ull, r->failed);
    free(r->samples);
    r->samples = NULL;
    return nines_reply(ctx, r->caller, text, (size_t)len);
}

static int pp_call(nines_ctx *ctx, void *state, const struct nines_request *call) {
    struct run *r = state;
    char text[300];
    size_t len = call->len < sizeof text - 1 ? call->len : sizeof text - 1;
    memcpy(text, call->data, len);
    text[len] = '\0';
    if (strcmp(text, "ping") == 0)
        return nines_reply(ctx, call->ref, "pong", 4);
    if (sscanf(text, "run %255s %ld", r->path, &r->total) == 2 && r->total > 0 && !r->samples) {
        r->samples = calloc((size_t)r->total, sizeof *r->samples);
        if (!r->samples)
            return nines_reply(ctx, call->ref, "error: out of memory", 20);
        r->caller = call->ref;
        r->done = r->failed = 0;
        return next_call(ctx, r);
    }
    return nines_reply(ctx, call->ref, "error: expected ping or run PATH N", 34);
}

static int pp_info(nines_ctx *ctx, void *state, const struct nines_info *info) {
    struct run *r = state;
    if (info->kind != NINES_INFO_REPLY || !r->samples)
        return 0;
    r->samples[r->done++] = now_ns() - r->started_ns;
    if (info->status != 0)
        r->failed++;
    return r->done < r->total ? next_call(ctx, r) : finish(ctx, r);
}

static void pp_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *why) {
    struct run *r = state;
    free(r->samples);
    free(r);
}

NINES_MODULE_V1(.name = "pingpong", .version = "1.0.0", .init = pp_init, .handle_call = pp_call,
                .handle_info = pp_info, .terminate = pp_terminate);
