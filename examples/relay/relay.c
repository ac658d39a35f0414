/*
 * relay — talks to other children by message, never blocking its loop:
 * the example of nines_call() / nines_cast() and of a deferred reply.
 *
 * Calls:
 *   ask PATH REQUEST [TIMEOUT_MS]  call child PATH with REQUEST; the reply
 *                                  is "PATH: ANSWER", or "error: WHY"
 *   tell PATH MESSAGE              cast MESSAGE to PATH; reply "sent"
 *   ping                           "pong" (answered even while asks wait)
 *   waiting                        how many asks await their answer
 *
 * An ask is answered when the other child answers: handle_call keeps the
 * caller's ref, nines_call() carries it as the tag, and handle_info's
 * NINES_INFO_REPLY answers it with nines_reply().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nines/module.h"

struct relay {
    unsigned waiting;
};

static int reply_text(nines_ctx *ctx, uint64_t ref, const char *text) {
    return nines_reply(ctx, ref, text, strlen(text));
}

static const char *status_word(int status) {
    switch (status) {
    case -ENOENT: return "no such child";
    case -EPROTOTYPE: return "not a worker";
    case -EHOSTDOWN: return "not running";
    case -ECONNABORTED: return "ended before replying";
    case -ENOTSUP: return "does not take calls";
    case -ETIMEDOUT: return "timed out";
    case -EMSGSIZE: return "too big";
    default: return "failed";
    }
}

static int relay_init(nines_ctx *ctx, void **state) {
    struct relay *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    *state = r;
    return 0;
}

/* "ask PATH REQUEST [TIMEOUT]" / "tell PATH MESSAGE": split in place. */
static int split3(char *text, char **a, char **b, char **c) {
    *a = strtok(text, " ");
    *b = strtok(NULL, " ");
    *c = strtok(NULL, "");
    return *a && *b && *c ? 0 : -EINVAL;
}

static int ask(nines_ctx *ctx, struct relay *r, uint64_t ref, char *args) {
    char *verb, *path, *request;
    if (split3(args, &verb, &path, &request) < 0)
        return reply_text(ctx, ref, "error: usage: ask PATH REQUEST");
    int err = nines_call(ctx, path, request, strlen(request), ref, 0);
    if (err < 0) {
        char text[128];
        snprintf(text, sizeof text, "error: cannot call %s: %s", path, strerror(-err));
        return reply_text(ctx, ref, text);
    }
    r->waiting++;
    return 0; /* answered from handle_info */
}

static int tell(nines_ctx *ctx, uint64_t ref, char *args) {
    char *verb, *path, *message;
    if (split3(args, &verb, &path, &message) < 0)
        return reply_text(ctx, ref, "error: usage: tell PATH MESSAGE");
    int err = nines_cast(ctx, path, message, strlen(message));
    return reply_text(ctx, ref, err < 0 ? "error: cannot cast" : "sent");
}

static int relay_call(nines_ctx *ctx, void *state, const struct nines_request *call) {
    struct relay *r = state;
    char text[4096];
    size_t len = call->len < sizeof text - 1 ? call->len : sizeof text - 1;
    memcpy(text, call->data, len);
    text[len] = '\0';
    if (strncmp(text, "ask ", 4) == 0)
        return ask(ctx, r, call->ref, text);
    if (strncmp(text, "tell ", 5) == 0)
        return tell(ctx, call->ref, text);
    if (strcmp(text, "ping") == 0)
        return reply_text(ctx, call->ref, "pong");
    if (strcmp(text, "waiting") == 0) {
        snprintf(text, sizeof text, "%u", r->waiting);
        return reply_text(ctx, call->ref, text);
    }
    return reply_text(ctx, call->ref, "error: unknown request (expected ask, tell, ping, waiting)");
}

static int relay_info(nines_ctx *ctx, void *state, const struct nines_info *info) {
    struct relay *r = state;
    if (info->kind != NINES_INFO_REPLY)
        return 0;
    r->waiting--;
    char text[70000];
    int n = info->status == 0
                ? snprintf(text, sizeof text, "reply: %.*s", (int)info->len, (const char *)info->data)
                : snprintf(text, sizeof text, "error: %s: %.*s", status_word(info->status), (int)info->len,
                           (const char *)info->data);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    /* The tag is the ref of the call that asked. */
    return nines_reply(ctx, info->tag, text, len < 65536 ? len : 65536);
}

static void relay_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *reason) {
    free(state);
}

NINES_MODULE_V1(.name = "relay", .version = "1.0.0", .init = relay_init, .handle_call = relay_call,
                .handle_info = relay_info, .terminate = relay_terminate);
