/*
 * counter — the smallest stateful Nines application: one integer.
 *
 * Args:
 *   start   initial value (integer, default 0)
 *
 * Calls (text requests, decimal text replies):
 *   get      the value
 *   incr     add one, reply the new value
 *   add N    add N, reply the new value
 *   set N    set the value to N, reply it
 * Casts: incr, add N, set N (no reply).
 *
 * The value survives a live code swap: export_state writes it as an 8-byte
 * little-endian int64 and code_change accepts that from any version.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nines/module.h"

struct counter {
    long long value;
};

/* Longest request we parse; longer ones are unknown by definition. */
#define REQ_MAX 128

/* The result of applying one request to the counter. */
enum op_result {
    OP_OK,
    OP_UNKNOWN,  /* not a request we know */
    OP_OVERFLOW, /* the result does not fit in 64 bits */
};

/* Parse a whole string as a decimal integer. */
static bool parse_ll(const char *s, long long *out)
{
    char *end;

    if (*s == '\0')
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

/* Copy a request into a NUL-terminated buffer, dropping trailing
 * whitespace so "incr\n" from a shell works too. False if it is too long. */
static bool request_text(const void *data, size_t len, char buf[REQ_MAX])
{
    if (len >= REQ_MAX)
        return false;
    memcpy(buf, data, len);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
                       buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        len--;
    buf[len] = '\0';
    return true;
}

/* Apply a mutating request (incr, add N, set N) to the counter. */
static enum op_result apply(struct counter *c, const char *req)
{
    long long k;

    if (strncmp(req, "set ", 4) == 0) {
        if (!parse_ll(req + 4, &k))
            return OP_UNKNOWN;
        c->value = k;
        return OP_OK;
    }
    if (strcmp(req, "incr") == 0)
        k = 1;
    else if (strncmp(req, "add ", 4) != 0 || !parse_ll(req + 4, &k))
        return OP_UNKNOWN;

    long long sum;
    if (__builtin_add_overflow(c->value, k, &sum))
        return OP_OVERFLOW;
    c->value = sum;
    return OP_OK;
}

static int reply_text(nines_ctx *ctx, uint64_t ref, const char *text)
{
    return nines_reply(ctx, ref, text, strlen(text));
}

static int reply_value(nines_ctx *ctx, uint64_t ref, long long value)
{
    char out[32];

    snprintf(out, sizeof(out), "%lld", value);
    return reply_text(ctx, ref, out);
}

static int reply_unknown(nines_ctx *ctx, const struct nines_call *call)
{
    char out[REQ_MAX + 96];
    /* Show at most 64 bytes of what was sent. */
    int shown = call->len > 64 ? 64 : (int)call->len;

    snprintf(out, sizeof(out),
             "error: unknown request '%.*s' (expected get, incr, add N, set N)", shown,
             (const char *)call->data);
    return reply_text(ctx, call->ref, out);
}

static int counter_init(nines_ctx *ctx, void **state)
{
    long long start = 0;
    int r = nines_arg_int(ctx, "start", &start);

    if (r < 0 && r != -ENOENT) {
        nines_stop(ctx, NINES_STOP_ERROR, "counter: start must be an integer");
        return -EINVAL;
    }
    struct counter *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        nines_stop(ctx, NINES_STOP_ERROR, "counter: out of memory");
        return -ENOMEM;
    }
    c->value = start;
    *state = c;
    nines_log(ctx, NINES_LOG_INFO, "counter: starting at %lld", start);
    return 0;
}

static int counter_call(nines_ctx *ctx, void *state, const struct nines_call *call)
{
    struct counter *c = state;
    char req[REQ_MAX];

    if (!request_text(call->data, call->len, req))
        return reply_unknown(ctx, call);
    if (strcmp(req, "get") == 0)
        return reply_value(ctx, call->ref, c->value);
    switch (apply(c, req)) {
    case OP_OK:
        return reply_value(ctx, call->ref, c->value);
    case OP_OVERFLOW:
        return reply_text(ctx, call->ref, "error: the result would overflow a 64-bit integer");
    case OP_UNKNOWN:
        break;
    }
    return reply_unknown(ctx, call);
}

static int counter_cast(nines_ctx *ctx, void *state, const void *data, size_t len)
{
    char req[REQ_MAX];

    /* A cast has no one to tell about a bad request: log it and go on. */
    if (!request_text(data, len, req) || apply(state, req) != OP_OK)
        nines_log(ctx, NINES_LOG_WARNING, "counter: ignored cast '%.*s'",
                  len > 64 ? 64 : (int)len, (const char *)data);
    return 0;
}

static void counter_terminate(nines_ctx *ctx, void *state,
                              const struct nines_stop_reason *reason)
{
    free(state);
}

static int counter_export(nines_ctx *ctx, void *state, nines_buf *out)
{
    const struct counter *c = state;
    uint64_t v = (uint64_t)c->value;
    unsigned char le[8];

    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    return nines_buf_append(out, le, sizeof(le));
}

static int counter_code_change(nines_ctx *ctx, const char *from_version,
                               const void *snapshot, size_t len, const char *extra,
                               void **state)
{
    const unsigned char *le = snapshot;
    uint64_t v = 0;

    if (len != 8)
        return -EINVAL;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)le[i] << (8 * i);
    struct counter *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return -ENOMEM;
    c->value = (long long)v;
    *state = c;
    nines_log(ctx, NINES_LOG_INFO, "counter: upgraded from %s at %lld", from_version,
              c->value);
    return 0;
}

NINES_MODULE_V1(.name = "counter", .version = "1.0.0", .init = counter_init,
                .handle_call = counter_call, .handle_cast = counter_cast,
                .terminate = counter_terminate, .export_state = counter_export,
                .code_change = counter_code_change);
