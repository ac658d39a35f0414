/*
 * kv — a key-value store in memory: the example of a live upgrade of a
 * large state (about 1 MB with preload 8000) whose snapshot layout changes
 * between versions (kv.h describes both).
 *
 * Args:
 *   preload  keys to insert at init (integer 0 to 1000000, default 0):
 *            "key-0" ... "key-<N-1>", the value of "key-N" being the 64
 *            hex digits of four outputs of splitmix64 seeded with N
 *
 * Calls (text requests, text replies; line ends at the end of a request
 * are ignored; keys are 1 to 255 bytes without a space):
 *   get K      the value of K, or "error: not found"
 *   put K V    set K to V (the rest of the request, spaces included, maybe
 *              empty); "ok"
 *   del K      remove K; "ok", or "error: not found"
 *   count      the number of keys, in decimal
 *   checksum   a hash of every key and value, independent of their order
 *              (kv_checksum() in kv_table.c), as an unsigned decimal: the
 *              same pairs give the same checksum in either version
 *   version    this build's version: "1.0.0" or "2.0.0"
 *   writes K   (version 2) how many times K was put, in decimal, or
 *              "error: not found"
 *
 * The files: kv.c (requests and callbacks), kv_table.c (the log of records
 * and its hash index), kv_snapshot.c (live upgrade), kv.h (the layouts).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

#define PRELOAD_MAX 1000000
#define PRELOAD_VALUE_LEN 64

#if KV_VERSION >= 2
#define EXPECTED "get K, put K V, del K, count, checksum, version, writes K"
#else
#define EXPECTED "get K, put K V, del K, count, checksum, version"
#endif

/* A request split at its first two spaces: "VERB KEY REST". */
struct words {
    const char *w[3];
    size_t n[3];
    int count;
};

static void split(const char *p, size_t len, struct words *w)
{
    while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
        len--;
    w->count = 0;
    while (w->count < 2) {
        const char *sp = memchr(p, ' ', len);
        if (sp == NULL)
            break;
        w->w[w->count] = p;
        w->n[w->count++] = (size_t)(sp - p);
        len -= (size_t)(sp - p) + 1;
        p = sp + 1;
    }
    w->w[w->count] = p;
    w->n[w->count++] = len;
}

static bool word_is(const struct words *w, int i, const char *s)
{
    return w->n[i] == strlen(s) && memcmp(w->w[i], s, w->n[i]) == 0;
}

static int reply_text(nines_ctx *ctx, uint64_t ref, const char *text)
{
    return nines_reply(ctx, ref, text, strlen(text));
}

static int reply_u64(nines_ctx *ctx, uint64_t ref, uint64_t v)
{
    char out[24];

    snprintf(out, sizeof(out), "%" PRIu64, v);
    return reply_text(ctx, ref, out);
}

/* The requests that name no key: count, checksum, version. */
static int call_plain(nines_ctx *ctx, struct kv_table *t, const struct words *w,
                      uint64_t ref)
{
    if (word_is(w, 0, "count"))
        return reply_u64(ctx, ref, t->count);
    if (word_is(w, 0, "checksum"))
        return reply_u64(ctx, ref, kv_checksum(t));
    if (word_is(w, 0, "version"))
        return reply_text(ctx, ref, KV_VSN);
    return 1;
}

/* The requests about one key: get, del, put, and writes in version 2. */
static int call_key(nines_ctx *ctx, struct kv_table *t, const struct words *w,
                    uint64_t ref)
{
    const char *key = w->w[1];
    size_t klen = w->n[1];
    bool put = w->count == 3 && word_is(w, 0, "put");

    if (!put && !(w->count == 2 && (word_is(w, 0, "get") || word_is(w, 0, "del") ||
                                    word_is(w, 0, "writes"))))
        return 1;
    if (klen == 0 || klen > KEY_MAX)
        return reply_text(ctx, ref, "error: a key is 1 to 255 bytes without a space");
    if (put) {
        int r = kv_put(t, key, klen, w->w[2], w->n[2]);
        return reply_text(ctx, ref, r >= 0 ? "ok" : "error: out of memory");
    }
    const unsigned char *e = kv_get(t, key, klen);
    if (word_is(w, 0, "get"))
        return e != NULL ? nines_reply(ctx, ref, rec_value(e), rec_vlen(e))
                         : reply_text(ctx, ref, "error: not found");
    if (word_is(w, 0, "del"))
        return reply_text(ctx, ref, kv_del(t, key, klen) == 0 ? "ok" : "error: not found");
#if KV_VERSION >= 2
    if (word_is(w, 0, "writes"))
        return e != NULL ? reply_u64(ctx, ref, rec_writes(e))
                         : reply_text(ctx, ref, "error: not found");
#endif
    return 1;
}

static int kv_call(nines_ctx *ctx, void *state, const struct nines_request *call)
{
    struct words w;
    int r;

    split(call->data, call->len, &w);
    r = w.count == 1 ? call_plain(ctx, state, &w, call->ref)
                     : call_key(ctx, state, &w, call->ref);
    if (r <= 0)
        return r;
    char out[256];
    snprintf(out, sizeof(out), "error: unknown request '%.*s' (expected " EXPECTED ")",
             call->len > 64 ? 64 : (int)call->len, (const char *)call->data);
    return reply_text(ctx, call->ref, out);
}

/* The value preloaded under "key-N". */
static void preload_value(uint64_t n, char out[PRELOAD_VALUE_LEN + 1])
{
    uint64_t s = n;

    for (int i = 0; i < PRELOAD_VALUE_LEN / 16; i++) {
        s += 0x9e3779b97f4a7c15ull; /* splitmix64's step */
        snprintf(out + 16 * i, 17, "%016" PRIx64, kv_mix(s));
    }
}

static int preload(struct kv_table *t, long long n)
{
    char key[32], value[PRELOAD_VALUE_LEN + 1];

    for (long long i = 0; i < n; i++) {
        int klen = snprintf(key, sizeof(key), "key-%lld", i);
        preload_value((uint64_t)i, value);
        int r = kv_put(t, key, (size_t)klen, value, PRELOAD_VALUE_LEN);
        if (r < 0)
            return r;
    }
    return 0;
}

static int kv_init(nines_ctx *ctx, void **state)
{
    long long n = 0;
    int r = nines_arg_int(ctx, "preload", &n);

    if ((r < 0 && r != -ENOENT) || n < 0 || n > PRELOAD_MAX) {
        nines_stop(ctx, NINES_STOP_ERROR, "kv: preload must be an integer from 0 to 1000000");
        return -EINVAL;
    }
    struct kv_table *t = calloc(1, sizeof(*t));
    if (t == NULL || kv_table_init(t) < 0 || preload(t, n) < 0) {
        if (t != NULL)
            kv_table_free(t);
        free(t);
        nines_stop(ctx, NINES_STOP_ERROR, "kv: out of memory");
        return -ENOMEM;
    }
    *state = t;
    nines_log(ctx, NINES_LOG_INFO, "kv: starting with %zu keys", t->count);
    return 0;
}

static void kv_free_state(nines_ctx *ctx, void *state)
{
    kv_table_free(state);
    free(state);
}

static void kv_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *reason)
{
    kv_free_state(ctx, state);
}

NINES_MODULE_V1(.name = "kv", .version = KV_VSN, .init = kv_init, .handle_call = kv_call,
                .terminate = kv_terminate, .export_state = kv_export,
                .code_change = kv_code_change, .free_state = kv_free_state);
