/*
 * host_calls.c — nines_call() and nines_cast(): requests to other children,
 * sent to ninesd, which routes them by path and sends the answer back.
 * The calls awaiting their answer are found by their ref (a map to their
 * place in out_calls), not by a scan of all of them per answer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "u64_map.h"

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

/* ref -> its index + 1 in out_calls, as the map's value (never NULL). */
static void *index_value(size_t i) {
    return (void *)(uintptr_t)(i + 1);
}

int host_add_out_call(struct nines_ctx *ctx, uint64_t ref, uint64_t tag) {
    if (ctx->n_out == ctx->cap_out) {
        size_t cap = ctx->cap_out ? ctx->cap_out * 2 : 16;
        struct host_out_call *v = realloc(ctx->out_calls, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        ctx->out_calls = v, ctx->cap_out = cap;
    }
    if (u64_map_put(&ctx->out_index, ref, index_value(ctx->n_out)) < 0)
        return -ENOMEM;
    ctx->out_calls[ctx->n_out++] = (struct host_out_call){ref, tag};
    return 0;
}

/* The call of ref taken out of the table (the last moved into its
 * place); false if it is not ours. */
static bool take_out_call(struct nines_ctx *ctx, uint64_t ref, struct host_out_call *out) {
    void *v = u64_map_del(&ctx->out_index, ref);
    if (!v)
        return false;
    size_t i = (size_t)(uintptr_t)v - 1;
    *out = ctx->out_calls[i];
    ctx->out_calls[i] = ctx->out_calls[--ctx->n_out];
    if (i < ctx->n_out) /* the moved one: its index changed, the map has room for it */
        u64_map_put(&ctx->out_index, ctx->out_calls[i].ref, index_value(i));
    return true;
}

void host_free_calls(struct nines_ctx *ctx) {
    u64_map_free(&ctx->pending);
    free(ctx->out_calls);
    ctx->out_calls = NULL;
    ctx->n_out = ctx->cap_out = 0;
    u64_map_free(&ctx->out_index);
}

int nines_call(nines_ctx *ctx, const char *path, const void *data, size_t len, uint64_t tag,
               uint64_t timeout_ms) {
    if (!ctx->mod->handle_info)
        return -ENOTSUP; /* the answer could not be delivered */
    int r = check(ctx, path, len);
    if (r < 0)
        return r;
    uint64_t ref = ++ctx->next_out_ref;
    if ((r = host_add_out_call(ctx, ref, tag)) < 0) /* before the send: an answer is always found */
        return r;
    uint64_t timeout = timeout_ms ? timeout_ms : 5000;
    r = send_out(ctx, NINES_MSG_OUT_CALL, ref, &timeout, sizeof timeout, path, data, len);
    if (r < 0) {
        struct host_out_call unsent;
        take_out_call(ctx, ref, &unsent);
    }
    return r;
}

/* Paths from the root, with or without a leading '/'. */
static const char *bare(const char *path) {
    while (*path == '/')
        path++;
    return path;
}

static int find_busy(const nines_ctx *ctx, const char *path, size_t len) {
    for (size_t i = 0; i < ctx->n_busy; i++)
        if (strlen(ctx->busy[i].path) == len && memcmp(ctx->busy[i].path, path, len) == 0)
            return (int)i;
    return -1;
}

/* Tell ninesd how many casts to b->path were refused (counted in its
 * casts_refused); kept for the next time if the channel is full. */
static void report_refused(nines_ctx *ctx, struct host_busy *b) {
    uint8_t buf[sizeof(uint64_t) + 1024];
    size_t len = strnlen(b->path, sizeof buf - sizeof b->refused);
    if (!b->refused || ctx->channel < 0)
        return;
    memcpy(buf, &b->refused, sizeof b->refused);
    memcpy(buf + sizeof b->refused, b->path, len);
    if (nines_proto_send(ctx->channel, NINES_MSG_CASTS_REFUSED, 0, buf, sizeof b->refused + len) == 0)
        b->refused = 0;
}

int nines_cast(nines_ctx *ctx, const char *path, const void *data, size_t len) {
    int r = check(ctx, path, len);
    if (r < 0)
        return r;
    int i = ctx->n_busy ? find_busy(ctx, bare(path), strlen(bare(path))) : -1;
    if (i >= 0) {
        /* ninesd holds as many casts for it as it may */
        if (++ctx->busy[i].refused >= HOST_REFUSED_REPORT)
            report_refused(ctx, &ctx->busy[i]);
        return -EAGAIN;
    }
    return send_out(ctx, NINES_MSG_OUT_CAST, 0, NULL, 0, path, data, len);
}

void host_on_cast_flow(struct nines_ctx *ctx, const struct nines_msg *m) {
    if (m->length < 2)
        return;
    const char *path = bare((const char *)m->payload + 1);
    size_t len = m->length - 1 - (size_t)(path - (const char *)m->payload - 1);
    int i = find_busy(ctx, path, len);
    if (!m->payload[0]) {
        if (i >= 0) {
            report_refused(ctx, &ctx->busy[i]);
            free(ctx->busy[i].path);
            ctx->busy[i] = ctx->busy[--ctx->n_busy];
        }
        return;
    }
    char *copy = i < 0 ? strndup(path, len) : NULL;
    struct host_busy *v = copy ? realloc(ctx->busy, (ctx->n_busy + 1) * sizeof *v) : NULL;
    if (!v) {
        free(copy); /* already known, or no memory: ninesd queues what comes */
        return;
    }
    v[ctx->n_busy++] = (struct host_busy){copy, 0};
    ctx->busy = v;
}

void host_free_busy(struct nines_ctx *ctx) {
    for (size_t i = 0; i < ctx->n_busy; i++) {
        report_refused(ctx, &ctx->busy[i]);
        free(ctx->busy[i].path);
    }
    free(ctx->busy);
    ctx->busy = NULL;
    ctx->n_busy = 0;
}

void host_on_call_answer(struct nines_ctx *ctx, const struct nines_msg *m) {
    struct host_out_call call;
    if (!take_out_call(ctx, m->ref, &call))
        return; /* not ours: dropped */
    struct nines_info info = {.kind = NINES_INFO_REPLY, .tag = call.tag, .fd = -1};
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
