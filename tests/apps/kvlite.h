/*
 * kvlite.h — a small key-value worker for the rollback-rule tests (issue
 * 10): each .c of tests/apps that includes it sets KV_VERSION, KV_FLAGS
 * (descriptor flags) and KV_CRASH_AFTER_MS (0: never; -1: its code_change
 * dies of SIGSEGV; else the new code dies that long after its code_change,
 * whatever it did since).
 *
 * KV_NAME (default "kvlite") names the application and KV_CC_DELAY_MS (0)
 * makes an upgrade's code_change take that long (before it dies, with -1).
 *
 * Calls: "set KEY VALUE" -> "OK", "get KEY" -> the value or "none",
 * "version", "restore" -> "fresh" (started by init), "exact" (restored
 * from its own snapshot) or "stale" (restored with NINES_CC_STALE);
 * "defer" (answered only by a later "flush" -> "flushed N", with "late");
 * "callout PATH N": N nines_call()s "defer" to PATH (tags 1..N, 10 s),
 * "sent N"; "answers" -> "replies=R errors=E dup=D" for those calls, as
 * this process saw them (counts are not in the snapshot), "aborted" ->
 * "aborted=A": of the errors, those that were -ECONNABORTED.
 * "deferbig" is "defer" answered with KV_BIG bytes, and "calloutbig PATH
 * N" calls it; a flush that fills the channel goes on from a timer.
 * Snapshot: "KEY=VALUE\n" lines; every version reads every other's.
 */
#ifndef NINES_TEST_APPS_KVLITE_H
#define NINES_TEST_APPS_KVLITE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nines/module.h"

#include "crash.h"

#ifndef KV_NAME
#define KV_NAME "kvlite"
#endif
#ifndef KV_CC_DELAY_MS
#define KV_CC_DELAY_MS 0
#endif

#define KV_MAX 64
#define KV_CRASH_TIMER 1
#define KV_FLUSH_TIMER 2
#define KV_CALLS 4096
#define KV_BIG 60000

struct kv {
    char key[KV_MAX][32], value[KV_MAX][64];
    int n;
    const char *restore;
    uint64_t deferred[KV_CALLS];
    unsigned char deferred_big[KV_CALLS];
    int n_deferred;
    unsigned char seen[KV_CALLS + 1];
    long replies, errors, dup, aborted;
};

static int kv_reply(nines_ctx *ctx, uint64_t ref, const char *text) {
    return nines_reply(ctx, ref, text, strlen(text));
}

static int kv_init(nines_ctx *ctx, void **state) {
    struct kv *kv = calloc(1, sizeof *kv);
    if (!kv)
        return -ENOMEM;
    kv->restore = "fresh";
    *state = kv;
    return 0;
}

static int kv_find(struct kv *kv, const char *key) {
    for (int i = 0; i < kv->n; i++)
        if (strcmp(kv->key[i], key) == 0)
            return i;
    return -1;
}

static int kv_set(struct kv *kv, const char *key, const char *value) {
    int i = kv_find(kv, key);
    if (i < 0 && kv->n == KV_MAX)
        return -ENOSPC;
    if (i < 0)
        i = kv->n++;
    snprintf(kv->key[i], sizeof kv->key[i], "%s", key);
    snprintf(kv->value[i], sizeof kv->value[i], "%s", value);
    return 0;
}

static int kv_callout(nines_ctx *ctx, struct kv *kv, const char *path, int n, uint64_t ref, const char *what) {
    char out[64];
    int sent = 0;
    for (int i = 1; i <= n && i <= KV_CALLS; i++)
        sent += nines_call(ctx, path, what, strlen(what), (uint64_t)i, 10000) == 0;
    snprintf(out, sizeof out, "sent %d", sent);
    return kv_reply(ctx, ref, out);
}

/* Answer the deferred calls, oldest first; those the channel cannot take
 * now wait for the flush timer. */
static void kv_flush_some(nines_ctx *ctx, struct kv *kv) {
    static char big[KV_BIG];
    int done = 0;
    for (; done < kv->n_deferred; done++) {
        int r = kv->deferred_big[done] ? nines_reply(ctx, kv->deferred[done], big, sizeof big)
                                       : kv_reply(ctx, kv->deferred[done], "late");
        if (r == -EAGAIN)
            break;
    }
    kv->n_deferred -= done;
    memmove(kv->deferred, kv->deferred + done, (size_t)kv->n_deferred * sizeof kv->deferred[0]);
    memmove(kv->deferred_big, kv->deferred_big + done, (size_t)kv->n_deferred);
    if (kv->n_deferred)
        nines_timer_start(ctx, KV_FLUSH_TIMER, 1, 0);
}

static int kv_call_more(nines_ctx *ctx, struct kv *kv, const char *text, uint64_t ref) {
    char out[96], path[64];
    int n;
    if (strcmp(text, "defer") == 0 || strcmp(text, "deferbig") == 0) {
        if (kv->n_deferred == KV_CALLS)
            return kv_reply(ctx, ref, "full");
        kv->deferred_big[kv->n_deferred] = text[5] == 'b';
        kv->deferred[kv->n_deferred++] = ref;
        return 0;
    }
    if (strcmp(text, "flush") == 0) {
        snprintf(out, sizeof out, "flushed %d", kv->n_deferred);
        kv_flush_some(ctx, kv);
        return kv_reply(ctx, ref, out);
    }
    if (sscanf(text, "callout %63s %d", path, &n) == 2)
        return kv_callout(ctx, kv, path, n, ref, "defer");
    if (sscanf(text, "calloutbig %63s %d", path, &n) == 2)
        return kv_callout(ctx, kv, path, n, ref, "deferbig");
    if (strcmp(text, "answers") == 0) {
        snprintf(out, sizeof out, "replies=%ld errors=%ld dup=%ld", kv->replies, kv->errors, kv->dup);
        return kv_reply(ctx, ref, out);
    }
    if (strcmp(text, "aborted") == 0) {
        snprintf(out, sizeof out, "aborted=%ld", kv->aborted);
        return kv_reply(ctx, ref, out);
    }
    return kv_reply(ctx, ref, "error: unknown request");
}

static int kv_call(nines_ctx *ctx, void *state, const struct nines_request *call) {
    struct kv *kv = state;
    char text[128], key[32], value[64];
    size_t len = call->len < sizeof text - 1 ? call->len : sizeof text - 1;
    memcpy(text, call->data, len);
    text[len] = '\0';
    if (sscanf(text, "set %31s %63s", key, value) == 2)
        return kv_reply(ctx, call->ref, kv_set(kv, key, value) == 0 ? "OK" : "full");
    if (sscanf(text, "get %31s", key) == 1) {
        int i = kv_find(kv, key);
        return kv_reply(ctx, call->ref, i < 0 ? "none" : kv->value[i]);
    }
    if (strcmp(text, "version") == 0)
        return kv_reply(ctx, call->ref, KV_VERSION);
    if (strcmp(text, "restore") == 0)
        return kv_reply(ctx, call->ref, kv->restore);
    return kv_call_more(ctx, kv, text, call->ref);
}

static int kv_info(nines_ctx *ctx, void *state, const struct nines_info *info) {
    struct kv *kv = state;
    if (info->kind == NINES_INFO_REPLY && info->tag >= 1 && info->tag <= KV_CALLS) {
        if (kv->seen[info->tag]++)
            kv->dup++;
        else if (info->status == 0)
            kv->replies++;
        else
            kv->errors++, kv->aborted += info->status == -ECONNABORTED;
        return 0;
    }
    if (info->kind == NINES_INFO_TIMER && info->tag == KV_FLUSH_TIMER) {
        kv_flush_some(ctx, kv);
        return 0;
    }
    if (info->kind == NINES_INFO_TIMER && info->tag == KV_CRASH_TIMER) {
        nines_log(ctx, NINES_LOG_ERR, "kvlite " KV_VERSION ": crashing %d ms after taking over", KV_CRASH_AFTER_MS);
        crash();
    }
    return 0;
}

static void kv_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *why) {
    free(state);
}

static int kv_export(nines_ctx *ctx, void *state, nines_buf *out) {
    struct kv *kv = state;
    char line[128];
    for (int i = 0; i < kv->n; i++) {
        int n = snprintf(line, sizeof line, "%s=%s\n", kv->key[i], kv->value[i]);
        int r = nines_buf_append(out, line, (size_t)n);
        if (r < 0)
            return r;
    }
    return 0;
}

static int kv_code_change(nines_ctx *ctx, const char *from, const void *snapshot, size_t len, const char *extra,
                          void **state) {
    struct kv *kv = calloc(1, sizeof *kv);
    if (!kv)
        return -ENOMEM;
    const char *p = snapshot, *end = p ? p + len : p;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *eq = memchr(p, '=', (size_t)(end - p));
        char key[32], value[64];
        if (!nl || !eq || eq > nl) {
            free(kv);
            return -EINVAL;
        }
        snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
        snprintf(value, sizeof value, "%.*s", (int)(nl - eq - 1), eq + 1);
        kv_set(kv, key, value);
        p = nl + 1;
    }
    unsigned flags = nines_code_change_flags(ctx);
    struct timespec ts = {KV_CC_DELAY_MS / 1000, (KV_CC_DELAY_MS % 1000) * 1000000L};
    while (KV_CC_DELAY_MS && !(flags & NINES_CC_RESTORE) && nanosleep(&ts, &ts) < 0)
        ;
    if (KV_CRASH_AFTER_MS < 0 && !(flags & NINES_CC_RESTORE))
        crash();
    kv->restore = flags & NINES_CC_STALE ? "stale" : flags & NINES_CC_RESTORE ? "exact" : "fresh";
    if (KV_CRASH_AFTER_MS > 0 && !(flags & NINES_CC_RESTORE))
        nines_timer_start(ctx, KV_CRASH_TIMER, KV_CRASH_AFTER_MS, 0);
    *state = kv;
    return 0;
}

static void kv_free_state(nines_ctx *ctx, void *state) {
    free(state);
}

NINES_MODULE_V1(.name = KV_NAME, .version = KV_VERSION, .init = kv_init, .handle_call = kv_call,
                .handle_info = kv_info, .terminate = kv_terminate, .export_state = kv_export,
                .code_change = kv_code_change, .free_state = kv_free_state, .flags = KV_FLAGS);

#endif /* NINES_TEST_APPS_KVLITE_H */
