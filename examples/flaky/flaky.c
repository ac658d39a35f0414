/*
 * flaky — a worker that fails on request or on a schedule, for tests and
 * demos of restart strategies and shutdown escalation.
 *
 * Args:
 *   crash_after_ms   fail this many ms after init (integer >= 0; unset:
 *                    never fail on a schedule)
 *   how              how to fail: segv (default), abort, exit (status 3),
 *                    error (nines_stop ERROR), kill (SIGKILL),
 *                    normal (nines_stop NORMAL)
 *   init_fails       "true": init refuses to start
 *   ignore_shutdown  "true": terminate() on a shutdown sleeps 60 s, so the
 *                    supervisor has to SIGKILL it after its grace period
 *
 * Calls:
 *   ping        "pong"
 *   crash HOW   fail now in that way (error and normal reply "ok" first;
 *               the others die without a reply)
 *   hang        never answered (for callers' timeouts)
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nines/module.h"

#define CRASH_TIMER_TAG 1
#define SHUTDOWN_IGNORE_S 60

enum how {
    HOW_SEGV,
    HOW_ABORT,
    HOW_EXIT,
    HOW_ERROR,
    HOW_KILL,
    HOW_NORMAL,
};

static const struct {
    const char *name;
    enum how how;
} hows[] = {
    {"segv", HOW_SEGV},   {"abort", HOW_ABORT}, {"exit", HOW_EXIT},
    {"error", HOW_ERROR}, {"kill", HOW_KILL},   {"normal", HOW_NORMAL},
};

#define HOWS_EXPECTED "segv, abort, exit, error, kill, normal"

struct flaky {
    enum how how;
    bool ignore_shutdown;
};

/* Look up a way to fail by the first `len` bytes of `s`. */
static bool how_parse(const char *s, size_t len, enum how *out)
{
    for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
        if (strlen(hows[i].name) == len && memcmp(hows[i].name, s, len) == 0) {
            *out = hows[i].how;
            return true;
        }
    }
    return false;
}

static const char *how_name(enum how how)
{
    for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++)
        if (hows[i].how == how)
            return hows[i].name;
    return "?";
}

/* Die of `sig` even if the host catches or blocks it. */
static void die_of(int sig)
{
    sigset_t set;

    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

/* Fail in the way asked. Returns only for error and normal, which stop the
 * worker through the host once the current callback returns. */
static int fail(nines_ctx *ctx, enum how how)
{
    switch (how) {
    case HOW_SEGV:
        die_of(SIGSEGV);
        break;
    case HOW_ABORT:
        abort();
    case HOW_EXIT:
        exit(3);
    case HOW_KILL:
        raise(SIGKILL);
        break;
    case HOW_ERROR:
        nines_stop(ctx, NINES_STOP_ERROR, "flaky: scheduled failure");
        return 0;
    case HOW_NORMAL:
        nines_stop(ctx, NINES_STOP_NORMAL, "flaky: done");
        return 0;
    }
    /* A signal that did not kill us: still fail, as asked. */
    nines_stop(ctx, NINES_STOP_ERROR, "flaky: signal did not kill the worker");
    return -EINTR;
}

/* Read a boolean argument; unset means false. */
static int arg_bool(nines_ctx *ctx, const char *key, bool *out)
{
    const char *v = nines_arg(ctx, key);

    *out = false;
    if (v == NULL || strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
        strcmp(v, "0") == 0)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0) {
        *out = true;
        return 0;
    }
    return -EINVAL;
}

/* Stop with a formatted message, and return -EINVAL for init. */
static int init_error(nines_ctx *ctx, const char *fmt, ...) NINES_PRINTF(2, 3);

static int init_error(nines_ctx *ctx, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    nines_stop(ctx, NINES_STOP_ERROR, msg);
    return -EINVAL;
}

/* Parse how, init_fails and ignore_shutdown into `f`. */
static int parse_args(nines_ctx *ctx, struct flaky *f)
{
    const char *how = nines_arg(ctx, "how");
    bool init_fails;

    f->how = HOW_SEGV;
    if (how != NULL && !how_parse(how, strlen(how), &f->how))
        return init_error(ctx, "flaky: how must be one of " HOWS_EXPECTED " (got '%s')",
                          how);
    if (arg_bool(ctx, "init_fails", &init_fails) < 0)
        return init_error(ctx, "flaky: %s must be true or false", "init_fails");
    if (arg_bool(ctx, "ignore_shutdown", &f->ignore_shutdown) < 0)
        return init_error(ctx, "flaky: %s must be true or false", "ignore_shutdown");
    if (init_fails) {
        nines_stop(ctx, NINES_STOP_ERROR, "flaky: init refused as configured");
        return -ECANCELED;
    }
    return 0;
}

/* Arm the crash timer if crash_after_ms is set. */
static int schedule(nines_ctx *ctx, const struct flaky *f)
{
    long long after;
    int r = nines_arg_int(ctx, "crash_after_ms", &after);

    if (r == -ENOENT) {
        nines_log(ctx, NINES_LOG_INFO, "flaky: up, no failure scheduled");
        return 0;
    }
    if (r < 0 || after < 0)
        return init_error(ctx, "flaky: %s must be an integer >= 0", "crash_after_ms");
    r = nines_timer_start(ctx, CRASH_TIMER_TAG, (uint64_t)after, 0);
    if (r < 0) {
        nines_stop(ctx, NINES_STOP_ERROR, "flaky: cannot start the crash timer");
        return r;
    }
    nines_log(ctx, NINES_LOG_INFO, "flaky: up, failing in %lld ms by %s", after,
              how_name(f->how));
    return 0;
}

static int flaky_init(nines_ctx *ctx, void **state)
{
    struct flaky f;
    int r = parse_args(ctx, &f);

    if (r < 0)
        return r;
    struct flaky *p = malloc(sizeof(*p));
    if (p == NULL) {
        nines_stop(ctx, NINES_STOP_ERROR, "flaky: out of memory");
        return -ENOMEM;
    }
    *p = f;
    r = schedule(ctx, p);
    if (r < 0) {
        free(p);
        return r;
    }
    *state = p;
    return 0;
}

static int reply_text(nines_ctx *ctx, uint64_t ref, const char *text)
{
    return nines_reply(ctx, ref, text, strlen(text));
}

static int reply_error(nines_ctx *ctx, const struct nines_request *call, const char *what)
{
    char out[256];
    int shown = call->len > 64 ? 64 : (int)call->len;

    snprintf(out, sizeof(out), "error: %s '%.*s' (expected %s)", what, shown,
             (const char *)call->data, "ping, crash HOW, hang");
    return reply_text(ctx, call->ref, out);
}

/* "crash HOW": fail now; error and normal reply "ok" before stopping. */
static int call_crash(nines_ctx *ctx, const struct nines_request *call, const char *how,
                      size_t len)
{
    enum how h;

    if (!how_parse(how, len, &h)) {
        char out[256];
        snprintf(out, sizeof(out),
                 "error: unknown way to crash '%.*s' (expected " HOWS_EXPECTED ")",
                 len > 64 ? 64 : (int)len, how);
        return reply_text(ctx, call->ref, out);
    }
    if (h == HOW_ERROR || h == HOW_NORMAL)
        reply_text(ctx, call->ref, "ok");
    return fail(ctx, h);
}

static int flaky_call(nines_ctx *ctx, void *state, const struct nines_request *call)
{
    const char *req = call->data;
    size_t len = call->len;

    while (len > 0 && (req[len - 1] == '\n' || req[len - 1] == ' '))
        len--;
    if (len == 4 && memcmp(req, "ping", 4) == 0)
        return reply_text(ctx, call->ref, "pong");
    if (len > 6 && memcmp(req, "crash ", 6) == 0)
        return call_crash(ctx, call, req + 6, len - 6);
    if (len == 4 && memcmp(req, "hang", 4) == 0)
        return 0; /* the ref is dropped: the caller's timeout answers it */
    return reply_error(ctx, call, "unknown request");
}

static int flaky_info(nines_ctx *ctx, void *state, const struct nines_info *info)
{
    const struct flaky *f = state;

    if (info->kind == NINES_INFO_TIMER && info->tag == CRASH_TIMER_TAG)
        return fail(ctx, f->how);
    return 0;
}

/* Sleep the whole time, through any signal the host may catch. */
static void sleep_fully(unsigned seconds)
{
    struct timespec left = {.tv_sec = seconds, .tv_nsec = 0};

    while (nanosleep(&left, &left) < 0 && errno == EINTR)
        ;
}

static void flaky_terminate(nines_ctx *ctx, void *state,
                            const struct nines_stop_reason *reason)
{
    struct flaky *f = state;

    if (f != NULL && f->ignore_shutdown && reason->kind == NINES_STOP_SHUTDOWN) {
        nines_log(ctx, NINES_LOG_INFO, "flaky: ignoring the shutdown for %d s",
                  SHUTDOWN_IGNORE_S);
        sleep_fully(SHUTDOWN_IGNORE_S);
    }
    free(f);
}

NINES_MODULE_V1(.name = "flaky", .version = "1.0.0", .init = flaky_init,
                .handle_call = flaky_call, .handle_info = flaky_info,
                .terminate = flaky_terminate);
