/* ninesctl status of a mid-size tree (about 600 nodes of every kind,
 * state and optional field), text with and without colour and --json,
 * compared with what the renderer wrote before its speed-ups (issue 11):
 * the SHA-256 and length of each output, taken from that renderer. A
 * faster renderer must write the same bytes. With NINES_GOLDEN_DUMP=DIR
 * set, the outputs are written to DIR/status_mid.{txt,color.txt,json}
 * to see what differs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "output.h"
#include "records.h"
#include "render.h"
#include "sha256.h"

/* 2026-12-04T12:00:00Z, for the ages of last exits. */
#define NOW_MS 1796385600000LL

static const char *const states[] = {"running", "running", "running", "idle", "starting", "stopping", "restarting"};
static const char *const healths[] = {"ok", "ok", "degraded", "failed", "stopped"};
static const char *const restarts_kind[] = {"permanent", "transient", "temporary"};
static const char *const exits[] = {"\"killed by SIGSEGV\"", "\"exited 1\"", "normal", "\"start failed: \\\"no\\\"\""};

struct gen {
    char *buf;
    size_t len, cap;
    unsigned seq; /* drives every choice: the same tree each run */
};

static void put(struct gen *g, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(g->buf + g->len, g->cap - g->len, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        if ((size_t)n < g->cap - g->len) {
            g->len += (size_t)n;
            return;
        }
        g->cap = g->cap ? g->cap * 2 : 65536;
        g->buf = realloc(g->buf, g->cap);
        assert_non_null(g->buf);
    }
}

static unsigned pick(struct gen *g, unsigned n) {
    g->seq = g->seq * 1103515245u + 12345u;
    return (g->seq >> 16) % n;
}

/* The fields every child has, then its kind's. */
static void child_common(struct gen *g, const char *path, const char *kind, unsigned depth) {
    const char *st = states[pick(g, 7)];
    put(g, "path=%s kind=%s depth=%u state=%s health=%s restart=%s restarts=%u", path, kind, depth, st,
        healths[pick(g, 5)], restarts_kind[pick(g, 3)], pick(g, 40));
    if (strcmp(st, "running") == 0)
        put(g, " uptime_ms=%u", pick(g, 4) == 0 ? pick(g, 59000) : pick(g, 400000000));
    if (pick(g, 4) == 0)
        put(g, " last_exit=%s last_exit_at=2026-12-0%uT1%u:%u%u:0%u.%03uZ", exits[pick(g, 4)], 1 + pick(g, 4),
            pick(g, 2), pick(g, 6), pick(g, 10), pick(g, 10), pick(g, 1000));
}

static void worker(struct gen *g, const char *path, unsigned depth, const char *args) {
    child_common(g, path, pick(g, 5) == 0 ? "exec" : "worker", depth);
    put(g, " pid=%u module=/srv/m%u.so queued=%u", pick(g, 6) == 0 ? 0 : 1000 + pick(g, 60000), pick(g, 9),
        pick(g, 3));
    if (pick(g, 2))
        put(g, " name=mod%u version=%u.%u.%u", pick(g, 9), pick(g, 3), pick(g, 10), pick(g, 10));
    put(g, " casts_queued=%u casts_dropped=%u casts_refused=0", pick(g, 3), pick(g, 12) == 0 ? pick(g, 9) : 0);
    if (pick(g, 8) == 0)
        put(g, " cpu_ms=%u rss_kib=%u pss_kib=%u", pick(g, 90000), pick(g, 3000000), pick(g, 2000));
    if (args)
        put(g, " args=%s", args);
    if (pick(g, 15) == 0)
        put(g, " upgrading=2.0.0 upgrading_from=1.0.0");
    if (pick(g, 20) == 0)
        put(g, " backoff_ms=%u backoff_count=%u", pick(g, 9000), pick(g, 6));
    put(g, " answers_dropped=%u answers_lost=%u\n", pick(g, 25) == 0 ? 1 : 0, pick(g, 30) == 0 ? 2 : 0);
}

static void supervisor(struct gen *g, const char *path, unsigned depth, const char *strategy, unsigned kids) {
    if (depth == 0)
        put(g, "path=/ kind=supervisor depth=0 state=running health=ok uptime_ms=11040000 release=\"r 1\"");
    else
        child_common(g, path, "supervisor", depth);
    put(g, " strategy=%s intensity=%u period_ms=%u children=%u", strategy, 1 + pick(g, 5), 1000 * (1 + pick(g, 30)),
        kids);
    if (strcmp(strategy, "dynamic") == 0)
        put(g, " max_children=%u", pick(g, 100));
    put(g, " window_restarts=%u\n", pick(g, 4));
}

/* 1 root, 24 groups of a worker, an exec or two, a nested supervisor
 * of a few workers and a dynamic one of children with args (some with
 * quotes, escapes and UTF-8), about 600 records in all. */
static char *tree_records(size_t *len) {
    struct gen g = {.seq = 11};
    supervisor(&g, "/", 0, "one_for_one", 24);
    char path[256], args[128];
    for (unsigned i = 0; i < 24; i++) {
        snprintf(path, sizeof path, "g%u", i);
        supervisor(&g, path, 1, i % 3 ? "one_for_one" : "rest_for_one", 4);
        for (unsigned w = 0; w < 6; w++) {
            snprintf(path, sizeof path, "g%u/w%u", i, w);
            worker(&g, path, 2, NULL);
        }
        snprintf(path, sizeof path, "g%u/inner", i);
        supervisor(&g, path, 2, "one_for_all", 3);
        for (unsigned w = 0; w < 3 + i % 4; w++) {
            snprintf(path, sizeof path, "g%u/inner/leaf-%u", i, w);
            worker(&g, path, 3, NULL);
        }
        snprintf(path, sizeof path, "g%u/jobs", i);
        supervisor(&g, path, 2, "dynamic", 12);
        for (unsigned j = 1; j <= 12; j++) {
            snprintf(path, sizeof path, "g%u/jobs/job-%u", i, j);
            static const char *const a[] = {"\"user=ann id=", "\"name=\\\"x", "\"city=Z\xc3\xbcrich-",
                                            "\"bell=\\x07"};
            unsigned k = pick(&g, 4);
            snprintf(args, sizeof args, "%s%u%s", a[k], j, k == 1 ? "\\\"\"" : "\"");
            worker(&g, path, 3, pick(&g, 3) ? args : NULL);
        }
    }
    *len = g.len;
    return g.buf;
}

static void check(const char *what, const char *text, size_t len, const char *want_hex, size_t want_len) {
    struct nines_sha256 s;
    uint8_t digest[NINES_SHA256_SIZE];
    char hex[NINES_SHA256_HEX];
    nines_sha256_init(&s);
    nines_sha256_update(&s, text, len);
    nines_sha256_final(&s, digest);
    nines_sha256_hex(digest, hex);
    const char *dir = getenv("NINES_GOLDEN_DUMP");
    if (dir) {
        char file[4096];
        snprintf(file, sizeof file, "%s/status_mid.%s", dir, what);
        FILE *f = fopen(file, "w");
        assert_non_null(f);
        fwrite(text, 1, len, f);
        fclose(f);
    }
    printf("%s: %zu bytes, sha256 %s\n", what, len, hex);
    assert_int_equal(len, want_len);
    assert_string_equal(hex, want_hex);
}

static char *render_text(const char *recs, size_t len, bool color, size_t *out_len) {
    struct ctl_records rs = {0};
    for (const char *p = recs, *end = recs + len, *nl; p < end; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(end - p));
        assert_int_equal(ctl_records_add(&rs, p, (size_t)(nl - p)), 0);
    }
    char *text = NULL;
    FILE *f = open_memstream(&text, out_len);
    assert_int_equal(ctl_render_status_at(f, &rs, color, NOW_MS), 0);
    fclose(f);
    ctl_records_free(&rs);
    return text;
}

static void text_is_as_before(void **state) {
    size_t len, out_len;
    char *recs = tree_records(&len);
    char *text = render_text(recs, len, false, &out_len);
    check("txt", text, out_len, "c36fd8bdb09ffc5308714e2f4fd280d3da6a531cc0fa05ba48033b7b5a02754e", 102703);
    free(text);
    text = render_text(recs, len, true, &out_len);
    check("color.txt", text, out_len, "f7d69dca94b2586566cf2f2816d1e0b5e95ebacad41d35e60c7cb4d9dc42b951", 108136);
    free(text);
    free(recs);
}

/* --json through the output's path: DATA frames cut anywhere (7,001
 * bytes each, records straddling them), then the END. */
static void json_is_as_before(void **state) {
    size_t len, out_len;
    char *recs = tree_records(&len);
    static struct ctl_args a;
    assert_int_equal(ctl_args_parse(&a, 3, (char *const[]){"ninesctl", "status", "--json", NULL}), 0);
    char *text = NULL;
    FILE *out = open_memstream(&text, &out_len), *err = fopen("/dev/null", "w");
    struct ctl_output o;
    ctl_output_init(&o, &a, out, err, false, false);
    for (size_t at = 0; at < len; at += 7001)
        assert_int_equal(ctl_output_data(&o, (const uint8_t *)recs + at, len - at < 7001 ? len - at : 7001), 0);
    int code = ctl_output_end(&o, CTL_ST_OK, (const uint8_t *)"", 0);
    assert_int_equal(code, 3); /* CTL_EXIT_UNHEALTHY: some permanent children are down */
    ctl_output_free(&o);
    fclose(out);
    fclose(err);
    check("json", text, out_len, "ced36c7d9f3bf75d3c028640cc7838fde731cda0f966656b14e8f691d0045393", 187318);
    free(text);
    free(recs);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_is_as_before),
        cmocka_unit_test(json_is_as_before),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
