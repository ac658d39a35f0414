/*
 * flood — many calls or casts in flight at once, each answer counted, for
 * the tests of "nothing is lost under pressure" (issue 10) and
 * bench/bench_flood.c.
 *
 * Calls:
 *   ping                   "pong"
 *   hold                   never answered by this worker (a deferred reply
 *                          that never comes): its callers get an error when
 *                          it ends, or their timeout
 *   busy MS                (a call or a cast) block for MS milliseconds, as
 *                          a worker that is slow to read its messages
 *   calls PATH REQ N W MS [P]  "started": make N calls REQ to PATH, at most W
 *                          in flight, each with timeout MS; with P, first
 *                          cast "busy P" to PATH and, once the calls are
 *                          sent, block for 2P itself, so that messages pile
 *                          up for both
 *   result                 "running in_flight=I answered=A" until every
 *                          call has its answer, then "done answered=A ok=K
 *                          aborted=C timedout=T failed=F dup=D refused=R"
 *                          (dup: answers beyond the first for one call, the
 *                          count goes on after done; refused: nines_call()
 *                          said no right away, that call's answer)
 *   casts PATH N [P [T]]   "started": cast "c SEQ" to PATH for SEQ = 1..N,
 *                          in turns of T (10,000); a cast refused (-EAGAIN) is
 *                          counted and not sent again, and the rest of the
 *                          turn waits for a timer; with P, first cast
 *                          "busy P" to PATH
 *   slow N M               (a cast) spin N rounds of CPU on each of the
 *                          next M casts "c SEQ": a receiver slower than
 *                          its sender, whatever the clock does
 *   castwin PATH N W SELF  "started": N casts "w SEQ SELF" to PATH, at most W
 *                          not yet acknowledged: PATH casts "a SEQ" back to
 *                          SELF (this worker's path) for each; a refused
 *                          cast is sent again on the next acknowledgement
 *                          or a timer
 *   winresult              "running|done sent=S acked=A refused=R"
 *   castresult             "running|done sent=S refused=R failed=F"
 *   got                    "received=N disorder=D": casts "c SEQ" taken,
 *                          and how many came with a SEQ not above the last
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nines/module.h"

#define RETRY_TIMER 1
#define CAST_TIMER 2
#define CAST_TURN 10000

struct casting {
    char path[256];
    long total, next, sent, refused, failed, turn;
    long received, disorder, last; /* as a receiver */
    long spin, slow_left;
};

/* castwin: casts with a window, acknowledged by casts back. */
struct window {
    char path[256], self[256];
    long total, width, next, acked, refused;
};

struct run {
    char path[256], req[64];
    long total, window, next, answered, in_flight;
    uint64_t timeout_ms;
    long pause_ms;
    long ok, aborted, timedout, failed, dup, refused;
    unsigned char *seen; /* answers per call, by tag - 1 */
    bool done;
    struct casting c;
    struct window w;
};

static int fl_init(nines_ctx *ctx, void **state) {
    struct run *r = calloc(1, sizeof *r);
    *state = r;
    return r ? 0 : -ENOMEM;
}

static int result(nines_ctx *ctx, struct run *r, uint64_t ref) {
    char text[256];
    int len = r->done ? snprintf(text, sizeof text,
                                 "done answered=%ld ok=%ld aborted=%ld timedout=%ld failed=%ld dup=%ld refused=%ld",
                                 r->answered, r->ok, r->aborted, r->timedout, r->failed, r->dup, r->refused)
                      : snprintf(text, sizeof text, "running in_flight=%ld answered=%ld", r->in_flight, r->answered);
    return nines_reply(ctx, ref, text, (size_t)len);
}

/* Count one answer for call `tag`; true when it is that call's first. */
static bool count(struct run *r, uint64_t tag) {
    if (tag < 1 || tag > (uint64_t)r->total)
        return false;
    if (r->seen[tag - 1]++) {
        r->dup++;
        return false;
    }
    r->answered++;
    return true;
}

/* Start calls up to the window; a full channel waits for the next answer
 * (or a short timer when none is in flight). */
static int fill(nines_ctx *ctx, struct run *r) {
    while (r->next < r->total && r->in_flight < r->window) {
        uint64_t tag = (uint64_t)r->next + 1;
        int e = nines_call(ctx, r->path, r->req, strlen(r->req), tag, r->timeout_ms);
        if (e == -EAGAIN) {
            if (!r->in_flight)
                nines_timer_start(ctx, RETRY_TIMER, 1, 0);
            break;
        }
        r->next++;
        if (e < 0) {
            r->refused++;
            count(r, tag);
            continue;
        }
        r->in_flight++;
    }
    r->done = r->answered == r->total;
    return 0;
}

static int start(nines_ctx *ctx, struct run *r, const char *text, uint64_t ref) {
    struct run n = {0};
    unsigned long long ms;
    int got = sscanf(text, "calls %255s %63s %ld %ld %llu %ld", n.path, n.req, &n.total, &n.window, &ms, &n.pause_ms);
    if ((r->seen && !r->done) || got < 5 || n.total <= 0 || n.window <= 0 || n.pause_ms < 0)
        return nines_reply(ctx, ref, "error: expected calls PATH REQ N W MS", 37);
    n.timeout_ms = ms;
    n.seen = calloc((size_t)n.total, 1);
    if (!n.seen)
        return nines_reply(ctx, ref, "error: out of memory", 20);
    free(r->seen);
    n.c = r->c;
    *r = n;
    int e = nines_reply(ctx, ref, "started", 7);
    if (e == 0 && r->pause_ms) {
        char busy[32];
        int len = snprintf(busy, sizeof busy, "busy %ld", r->pause_ms);
        e = nines_cast(ctx, r->path, busy, (size_t)len);
    }
    if (e == 0)
        e = fill(ctx, r);
    if (e == 0 && r->pause_ms)
        usleep((useconds_t)r->pause_ms * 2000);
    return e;
}

static int cast_turn(nines_ctx *ctx, struct casting *c) {
    char text[32];
    for (long i = 0; i < c->turn && c->next < c->total; i++) {
        int len = snprintf(text, sizeof text, "c %ld", ++c->next);
        int e = nines_cast(ctx, c->path, text, (size_t)len);
        if (e == -EAGAIN) {
            c->refused++;
            break;
        }
        if (e < 0)
            c->failed++;
        else
            c->sent++;
    }
    return c->next < c->total ? nines_timer_start(ctx, CAST_TIMER, 1, 0) : 0;
}

static int start_casts(nines_ctx *ctx, struct casting *c, const char *text, uint64_t ref) {
    struct casting n = {.received = c->received, .disorder = c->disorder, .last = c->last, .spin = c->spin,
                        .slow_left = c->slow_left};
    long pause = 0;
    n.turn = CAST_TURN;
    if (sscanf(text, "casts %255s %ld %ld %ld", n.path, &n.total, &pause, &n.turn) < 2 || n.total <= 0 ||
        pause < 0 || n.turn <= 0 || (c->next < c->total))
        return nines_reply(ctx, ref, "error: expected casts PATH N [P [T]]", 36);
    *c = n;
    int e = nines_reply(ctx, ref, "started", 7);
    if (e == 0 && pause) {
        char busy[32];
        int len = snprintf(busy, sizeof busy, "busy %ld", pause);
        e = nines_cast(ctx, c->path, busy, (size_t)len);
    }
    return e < 0 ? e : cast_turn(ctx, c);
}

static int cast_report(nines_ctx *ctx, struct casting *c, bool sender, uint64_t ref) {
    char text[200];
    int len = sender ? snprintf(text, sizeof text, "%s sent=%ld refused=%ld failed=%ld",
                                c->next < c->total ? "running" : "done", c->sent, c->refused, c->failed)
                     : snprintf(text, sizeof text, "received=%ld disorder=%ld", c->received, c->disorder);
    return nines_reply(ctx, ref, text, (size_t)len);
}

#define WIN_TIMER 3

static int win_fill(nines_ctx *ctx, struct window *w) {
    char text[300];
    while (w->next < w->total && w->next - w->acked < w->width) {
        int len = snprintf(text, sizeof text, "w %ld %s", w->next + 1, w->self);
        int e = nines_cast(ctx, w->path, text, (size_t)len);
        if (e == -EAGAIN) {
            w->refused++;
            return w->next == w->acked ? nines_timer_start(ctx, WIN_TIMER, 1, 0) : 0;
        }
        if (e < 0)
            return e;
        w->next++;
    }
    return 0;
}

static int start_window(nines_ctx *ctx, struct window *w, const char *text, uint64_t ref) {
    struct window n = {0};
    if (sscanf(text, "castwin %255s %ld %ld %255s", n.path, &n.total, &n.width, n.self) != 4 || n.total <= 0 ||
        n.width <= 0 || w->acked < w->total)
        return nines_reply(ctx, ref, "error: expected castwin PATH N W SELF", 37);
    *w = n;
    int e = nines_reply(ctx, ref, "started", 7);
    return e < 0 ? e : win_fill(ctx, w);
}

static int win_report(nines_ctx *ctx, struct window *w, uint64_t ref) {
    char text[200];
    int len = snprintf(text, sizeof text, "%s sent=%ld acked=%ld refused=%ld",
                       w->acked < w->total ? "running" : "done", w->next, w->acked, w->refused);
    return nines_reply(ctx, ref, text, (size_t)len);
}

static int fl_call(nines_ctx *ctx, void *state, const struct nines_request *call) {
    struct run *r = state;
    char text[400];
    size_t len = call->len < sizeof text - 1 ? call->len : sizeof text - 1;
    memcpy(text, call->data, len);
    text[len] = '\0';
    if (strcmp(text, "ping") == 0)
        return nines_reply(ctx, call->ref, "pong", 4);
    if (strcmp(text, "hold") == 0)
        return 0;
    if (strncmp(text, "busy ", 5) == 0) {
        usleep((useconds_t)atol(text + 5) * 1000);
        return nines_reply(ctx, call->ref, "ok", 2);
    }
    if (strcmp(text, "result") == 0)
        return result(ctx, r, call->ref);
    if (strncmp(text, "calls ", 6) == 0)
        return start(ctx, r, text, call->ref);
    if (strncmp(text, "casts ", 6) == 0)
        return start_casts(ctx, &r->c, text, call->ref);
    if (strncmp(text, "castwin ", 8) == 0)
        return start_window(ctx, &r->w, text, call->ref);
    if (strcmp(text, "winresult") == 0)
        return win_report(ctx, &r->w, call->ref);
    if (strcmp(text, "castresult") == 0 || strcmp(text, "got") == 0)
        return cast_report(ctx, &r->c, text[0] == 'c', call->ref);
    return nines_reply(ctx, call->ref, "error: unknown request", 22);
}

static int fl_cast(nines_ctx *ctx, void *state, const void *data, size_t len) {
    char text[300];
    len = len < sizeof text - 1 ? len : sizeof text - 1;
    memcpy(text, data, len);
    text[len] = '\0';
    if (strncmp(text, "busy ", 5) == 0)
        usleep((useconds_t)atol(text + 5) * 1000);
    struct run *r = state;
    if (strncmp(text, "slow ", 5) == 0)
        sscanf(text, "slow %ld %ld", &r->c.spin, &r->c.slow_left);
    if (text[0] == 'c' && text[1] == ' ' && r->c.slow_left > 0) {
        r->c.slow_left--;
        for (volatile long i = 0; i < r->c.spin; i++)
            ;
    }
    if (text[0] == 'w' && text[1] == ' ') {
        char ack[32], from[256];
        long seq;
        if (sscanf(text, "w %ld %255s", &seq, from) == 2) {
            int n = snprintf(ack, sizeof ack, "a %ld", seq);
            for (int tries = 0; tries < 10000 && nines_cast(ctx, from, ack, (size_t)n) == -EAGAIN; tries++)
                usleep(100); /* given up after a second: the sender then counts it lost */
        }
    }
    if (text[0] == 'a' && text[1] == ' ') {
        r->w.acked++;
        return win_fill(ctx, &r->w);
    }
    if (text[0] == 'c' && text[1] == ' ') {
        long seq = atol(text + 2);
        r->c.received++;
        r->c.disorder += seq <= r->c.last;
        r->c.last = seq;
    }
    return 0;
}

static int fl_info(nines_ctx *ctx, void *state, const struct nines_info *info) {
    struct run *r = state;
    if (info->kind == NINES_INFO_TIMER && info->tag == CAST_TIMER)
        return cast_turn(ctx, &r->c);
    if (info->kind == NINES_INFO_TIMER && info->tag == WIN_TIMER)
        return win_fill(ctx, &r->w);
    if (!r->seen)
        return 0;
    if (info->kind == NINES_INFO_TIMER)
        return fill(ctx, r);
    if (info->kind != NINES_INFO_REPLY)
        return 0;
    if (!count(r, info->tag))
        return 0;
    r->in_flight--;
    if (info->status == 0)
        r->ok++;
    else if (info->status == -ECONNABORTED)
        r->aborted++;
    else if (info->status == -ETIMEDOUT)
        r->timedout++;
    else
        r->failed++;
    return fill(ctx, r);
}

static void fl_terminate(nines_ctx *ctx, void *state, const struct nines_stop_reason *why) {
    struct run *r = state;
    free(r->seen);
    free(r);
}

NINES_MODULE_V1(.name = "flood", .version = "1.0.0", .init = fl_init, .handle_call = fl_call, .handle_cast = fl_cast,
                .handle_info = fl_info, .terminate = fl_terminate);
