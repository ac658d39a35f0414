/*
 * host_calls.c — nines_call() and nines_cast(): requests to other children,
 * sent to ninesd, which routes them by path and sends the answer back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

static int send_out(nines_ctx *ctx, uint32_t type, uint64_t ref, const void *head, size_t head_len,
                    const char *path, const void *data, size_t len) {
    static uint8_t buf[NINES_PROTO_MAX_PAYLOAD];
    size_t plen = strlen(path) + 1;
    if (head_len + plen + len > sizeof buf)
        return -EMSGSIZE;
    if (head_len)
        memcpy(buf, head, head_len);
    memcpy(buf + head_len, path, plen);
    if (len)
        memcpy(buf + head_len + plen, data, len);
    return nines_proto_send(ctx->channel, type, ref, buf, head_len + plen + len);
}

static int check(nines_ctx *ctx, const char *path, size_t len) {
    if (ctx->channel < 0)
        return -ENOTCONN;
    if (!path || !*path)
        return -EINVAL;
    return len > NINES_PROTO_MAX_PAYLOAD ? -EMSGSIZE : 0;
}

int nines_call(nines_ctx *ctx, const char *path, const void *data, size_t len, uint64_t tag,
               uint64_t timeout_ms) {
    if (!ctx->mod->handle_info)
        return -ENOTSUP; /* the answer could not be delivered */
    int r = check(ctx, path, len);
    if (r < 0)
        return r;
    if (ctx->n_out == ctx->cap_out) {
        size_t cap = ctx->cap_out ? ctx->cap_out * 2 : 16;
        struct host_out_call *v = realloc(ctx->out_calls, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        ctx->out_calls = v, ctx->cap_out = cap;
    }
    uint64_t ref = ++ctx->next_out_ref;
    uint64_t timeout = timeout_ms ? timeout_ms : 5000;
    r = send_out(ctx, NINES_MSG_OUT_CALL, ref, &timeout, sizeof timeout, path, data, len);
    if (r < 0)
        return r;
    ctx->out_calls[ctx->n_out++] = (struct host_out_call){ref, tag};
    return 0;
}

int nines_cast(nines_ctx *ctx, const char *path, const void *data, size_t len) {
    int r = check(ctx, path, len);
    return r < 0 ? r : send_out(ctx, NINES_MSG_OUT_CAST, 0, NULL, 0, path, data, len);
}

void host_on_call_answer(struct nines_ctx *ctx, const struct nines_msg *m) {
    size_t i = 0;
    while (i < ctx->n_out && ctx->out_calls[i].ref != m->ref)
        i++;
    if (i == ctx->n_out)
        return; /* not ours: dropped */
    struct nines_info info = {.kind = NINES_INFO_REPLY, .tag = ctx->out_calls[i].tag, .fd = -1};
    ctx->out_calls[i] = ctx->out_calls[--ctx->n_out];
    if (m->type == NINES_MSG_CALL_RESULT) {
        info.data = m->payload, info.len = m->length;
    } else {
        int32_t code = -EPROTO;
        if (m->length >= sizeof code)
            memcpy(&code, m->payload, sizeof code);
        info.status = code < 0 ? code : -EPROTO;
        info.data = m->length >= sizeof code ? m->payload + sizeof code : m->payload;
        info.len = m->length >= sizeof code ? m->length - sizeof code : 0;
    }
    host_took_input(ctx);
    host_check_callback(ctx, ctx->mod->handle_info(ctx, ctx->state, &info), "handle_info");
}
