/*
 * counter — the smallest stateful Nines application: one integer, and in
 * version 2 the operations that changed it. The example of a live upgrade
 * that changes the state's layout (counter.h describes both snapshots).
 *
 * Args:
 *   start   initial value (integer, default 0)
 *
 * Calls (text requests, text replies):
 *   get      the value, in decimal
 *   incr     add one, reply the new value
 *   add N    add N, reply the new value
 *   set N    set the value to N, reply it
 *   version  this build's version: "1.0.0" or "2.0.0"
 *   history  (version 2) the last 16 operations that changed the value,
 *            oldest first, separated by commas: "incr,add 5,set 7"; ""
 *            when none
 * Casts: incr, add N, set N (no reply). Version 2 records the operations
 * of calls and casts alike; one that would overflow is not applied and
 * not recorded.
 *
 * The files: counter.c (requests and callbacks), counter_history.c (the
 * history), counter_snapshot.c (live upgrade), counter.h (the layouts).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"

/* Longest request we parse; longer ones are unknown by definition. */
#define REQ_MAX 128

#if COUNTER_VERSION >= 2
#define EXPECTED "get, incr, add N, set N, version, history"
#else
#define EXPECTED "get, incr, add N, set N, version"
#endif

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

/* Parse a mutating request: incr, add N, set N. */
static bool parse_op(const char *req, struct op *op)
{
    if (strcmp(req, "incr") == 0) {
        *op = (struct op){.kind = OP_INCR, .arg = 1};
        return true;
    }
    if (strncmp(req, "add ", 4) == 0) {
        op->kind = OP_ADD;
        return parse_ll(req + 4, &op->arg);
    }
    if (strncmp(req, "set ", 4) == 0) {
        op->kind = OP_SET;
        return parse_ll(req + 4, &op->arg);
    }
    return false;
}

/* Apply a mutating request to the counter (and, in version 2, record it). */
static enum op_result apply(struct counter *c, const char *req)
{
    struct op op;
    long long value = 0;

    if (!parse_op(req, &op))
        return OP_UNKNOWN;
    if (op.kind == OP_SET)
        value = op.arg;
    else if (__builtin_add_overflow(c->value, op.arg, &value))
        return OP_OVERFLOW;
    c->value = value;
#if COUNTER_VERSION >= 2
    history_add(&c->history, &op);
#endif
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

static int reply_unknown(nines_ctx *ctx, const struct nines_request *call)
{
    char out[REQ_MAX + 128];
    /* Show at most 64 bytes of what was sent. */
    int shown = call->len > 64 ? 64 : (int)call->len;

    snprintf(out, sizeof(out), "error: unknown request '%.*s' (expected " EXPECTED ")",
             shown, (const char *)call->data);
    return reply_text(ctx, call->ref, out);
}

/* The requests that only read: get, version, history. False if `req` is
 * none of them. */
static bool query(nines_ctx *ctx, const struct counter *c, const char *req, uint64_t ref,
                  int *r)
{
    if (strcmp(req, "get") == 0)
        *r = reply_value(ctx, ref, c->value);
    else if (strcmp(req, "version") == 0)
        *r = reply_text(ctx, ref, COUNTER_VSN);
#if COUNTER_VERSION >= 2
    else if (strcmp(req, "history") == 0) {
        char text[HISTORY_TEXT_MAX];
        history_format(&c->history, text, sizeof(text));
        *r = reply_text(ctx, ref, text);
    }
#endif
    else
        return false;
    return true;
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

static int counter_call(nines_ctx *ctx, void *state, const struct nines_request *call)
{
    struct counter *c = state;
    char req[REQ_MAX];
    int r = 0;

    if (!request_text(call->data, call->len, req))
        return reply_unknown(ctx, call);
    if (query(ctx, c, req, call->ref, &r))
        return r;
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

/* After an upgrade: the state is plain memory, nothing else to let go. */
static void counter_free_state(nines_ctx *ctx, void *state)
{
    free(state);
}

NINES_MODULE_V1(.name = "counter", .version = COUNTER_VSN, .init = counter_init,
                .handle_call = counter_call, .handle_cast = counter_cast,
                .terminate = counter_terminate, .export_state = counter_export,
                .code_change = counter_code_change, .free_state = counter_free_state);
