/* Unit tests of ninesctl's human output: the status tree (exact text,
 * with and without colour), its summary, uptimes, and event lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "render.h"

/* Records as the daemon's control_status.c writes them. */
static const char *const tree[] = {
    "path=/ kind=supervisor depth=0 state=running uptime_ms=11040000 strategy=one_for_one intensity=3 "
    "period_ms=5000 children=4",
    "path=counter kind=worker depth=1 state=running restart=permanent restarts=0 pid=4242 "
    "uptime_ms=11040000 module=/srv/counter.so name=counter version=1.0.0",
    "path=web kind=supervisor depth=1 state=running restart=permanent restarts=1 uptime_ms=723000 "
    "strategy=rest_for_one intensity=3 period_ms=5000 children=2",
    "path=web/listener kind=worker depth=2 state=running restart=permanent restarts=0 pid=4250 "
    "uptime_ms=723000 module=/srv/listener.so name=listener version=2.1.0",
    "path=web/cache kind=worker depth=2 state=idle restart=transient restarts=2 module=/srv/cache.so",
    "path=legacy kind=exec depth=1 state=restarting restart=permanent restarts=5 pid=0",
    "path=jobs kind=supervisor depth=1 state=running restart=permanent restarts=0 uptime_ms=45000 "
    "strategy=dynamic intensity=3 period_ms=5000 children=1 max_children=0",
    "path=jobs/1 kind=worker depth=2 state=running restart=temporary restarts=0 pid=4300 uptime_ms=45000 "
    "module=/srv/job.so version=0.3",
};

static const char tree_text[] =
    "NAME            KIND        STATE       PID   VERSION  UPTIME  RESTARTS\n"
    "/               supervisor  running     -     -        3h04m   -\n"
    "├─ counter      worker      running     4242  1.0.0    3h04m   0\n"
    "├─ web          supervisor  running     -     -        12m03s  1\n"
    "│  ├─ listener  worker      running     4250  2.1.0    12m03s  0\n"
    "│  └─ cache     worker      idle        -     -        -       2\n"
    "├─ legacy       exec        restarting  -     -        -       5\n"
    "└─ jobs         supervisor  running     -     -        45s     0\n"
    "   └─ 1         worker      running     4300  0.3      45s     0\n"
    "7 children, 1 permanent child not running\n";

static void load(struct ctl_records *rs, const char *const *lines, size_t n) {
    *rs = (struct ctl_records){0};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ctl_records_add(rs, lines[i], strlen(lines[i])), 0);
}

/* Render into memory; the caller frees. */
static char *render(const struct ctl_records *rs, bool color) {
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    assert_int_equal(ctl_render_status(f, rs, color), 0);
    fclose(f);
    return text;
}

static void test_tree(void **state) {
    struct ctl_records rs;
    load(&rs, tree, sizeof tree / sizeof tree[0]);
    char *text = render(&rs, false);
    assert_string_equal(text, tree_text);
    assert_null(strchr(text, '\033'));
    free(text);
    ctl_records_free(&rs);
}

/* A dynamic child's args (start-child KEY=VALUE...) follow its id. */
static void test_dynamic_args(void **state) {
    static const char *const lines[] = {
        "path=/ kind=supervisor depth=0 state=running strategy=dynamic intensity=3 period_ms=5000 children=1",
        "path=acme kind=worker depth=1 state=running restart=temporary restarts=0 pid=7 args=\"size=64 owner=a b\"",
    };
    struct ctl_records rs;
    load(&rs, lines, 2);
    char *text = render(&rs, false);
    assert_non_null(strstr(text, "\n└─ acme (size=64 owner=a b)  worker"));
    free(text);
    ctl_records_free(&rs);
}

/* Without the escapes, the coloured table is the plain one: colour never
 * shifts a column. */
static void test_colour(void **state) {
    struct ctl_records rs;
    load(&rs, tree, sizeof tree / sizeof tree[0]);
    char *text = render(&rs, true);
    assert_non_null(strstr(text, "\033[32mrunning\033[0m"));
    assert_non_null(strstr(text, "\033[33mrestarting\033[0m"));
    assert_non_null(strstr(text, "\033[2midle\033[0m")); /* transient: dim, not red */
    char *out = text;
    for (char *in = text; *in;) {
        if (*in == '\033') {
            in = strchr(in, 'm') + 1;
            continue;
        }
        *out++ = *in++;
    }
    *out = '\0';
    assert_string_equal(text, tree_text);
    free(text);
    ctl_records_free(&rs);
}

/* What is wrong, at a glance: health in STATE, the window, the last exit
 * and its age; CPU and memory when asked for (the columns come with the
 * fields, so an older daemon's records render as before). */
static void test_what_is_wrong(void **state) {
    static const char *const lines[] = {
        "path=/ kind=supervisor depth=0 state=running health=degraded strategy=one_for_one intensity=3 "
        "period_ms=5000 children=3 window_restarts=2",
        "path=web kind=worker depth=1 state=running health=degraded restart=permanent restarts=2 pid=41 "
        "last_exit=\"killed by SIGSEGV\" last_exit_at=2026-12-03T09:59:48.500Z cpu_ms=1250 rss_kib=4200 pss_kib=1100",
        "path=job kind=exec depth=1 state=idle health=failed restart=transient restarts=0 "
        "last_exit=\"exited with status 3\" last_exit_at=2026-12-03T09:00:00.000Z",
        "path=once kind=worker depth=1 state=idle health=stopped restart=temporary restarts=0 "
        "last_exit=normal last_exit_at=2026-12-03T09:59:59.000Z",
    };
    static const char want[] =
        "NAME     KIND        STATE     PID  VERSION  UPTIME  RESTARTS  WINDOW     LAST EXIT                        CPU    MEM\n"
        "/        supervisor  degraded  -    -        -       -         2/3 in 5s  -                                -      -\n"
        "├─ web   worker      degraded  41   -        -       2         -          killed by SIGSEGV, 11s ago       1.25s  4.1M/1.0M\n"
        "├─ job   exec        failed    -    -        -       0         -          exited with status 3, 1h00m ago  -      -\n"
        "└─ once  worker      stopped   -    -        -       0         -          normal, 1s ago                   -      -\n"
        "3 children, all permanent children running\n"; /* web runs; job is transient */
    struct ctl_records rs;
    load(&rs, lines, sizeof lines / sizeof lines[0]);
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_int_equal(ctl_render_status_at(f, &rs, false, 1796292000000), 0); /* 10:00:00.000Z */
    fclose(f);
    assert_string_equal(text, want);
    free(text);
    f = open_memstream(&text, &size);
    assert_int_equal(ctl_render_status_at(f, &rs, true, 1796292000000), 0);
    fclose(f);
    assert_non_null(strstr(text, "\033[33mdegraded\033[0m"));
    assert_non_null(strstr(text, "\033[31mfailed\033[0m"));
    assert_non_null(strstr(text, "\033[2mstopped\033[0m")); /* temporary: dim */
    free(text);
    ctl_records_free(&rs);
}

/* What ninesd dropped or refused for a worker: a DROPS column, only when
 * some count is above 0, each count said in words. */
static void test_drops(void **state) {
    static const char *const lines[] = {
        "path=/ kind=supervisor depth=0 state=running health=ok strategy=one_for_one intensity=3 "
        "period_ms=5000 children=2 window_restarts=0",
        "path=a kind=worker depth=1 state=running health=ok restart=permanent restarts=0 pid=7 version=1 "
        "casts_queued=0 casts_dropped=3 casts_refused=1 answers_dropped=0 answers_lost=2",
        "path=b kind=worker depth=1 state=running health=ok restart=permanent restarts=0 pid=8 version=1 "
        "casts_queued=0 casts_dropped=0 casts_refused=0 answers_dropped=0 answers_lost=0",
    };
    static const char want[] =
        "NAME  KIND        STATE    PID  VERSION  UPTIME  RESTARTS  WINDOW     DROPS\n"
        "/     supervisor  running  -    -        -       -         0/3 in 5s  -\n"
        "├─ a  worker      running  7    1        -       0         -          3 casts dropped, 1 cast refused, 2 answers lost\n"
        "└─ b  worker      running  8    1        -       0         -          -\n"
        "2 children, all permanent children running\n";
    struct ctl_records rs;
    load(&rs, lines, sizeof lines / sizeof lines[0]);
    char *text = render(&rs, false);
    assert_string_equal(text, want);
    free(text);
    ctl_records_free(&rs);
    load(&rs, lines + 2, 1); /* nothing dropped: no column */
    text = render(&rs, false);
    assert_null(strstr(text, "DROPS"));
    free(text);
    ctl_records_free(&rs);
}

/* A live upgrade under way (status' upgrading=) is STATE upgrading. */
static void test_upgrade_under_way(void **state) {
    static const char *const lines[] = {
        "path=/ kind=supervisor depth=0 state=running health=ok strategy=one_for_one intensity=3 "
        "period_ms=5000 children=2 window_restarts=0",
        "path=counter kind=worker depth=1 state=running health=ok restart=permanent restarts=0 pid=7 "
        "version=1.0.0 upgrading=/srv/counter-2.so upgrading_from=1.0.0",
        "path=other kind=worker depth=1 state=running health=ok restart=permanent restarts=0 pid=8 version=1.0.0",
    };
    struct ctl_records rs;
    load(&rs, lines, sizeof lines / sizeof lines[0]);
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_int_equal(ctl_render_status_at(f, &rs, false, 1796292000000), 0);
    fclose(f);
    assert_non_null(strstr(text, "├─ counter  worker      upgrading  7 "));
    assert_non_null(strstr(text, "└─ other    worker      running    8 "));
    free(text);
    ctl_records_free(&rs);
}

static void test_idle_permanent_is_red(void **state) {
    const char *lines[] = {
        "path=web kind=supervisor depth=0 state=running restart=permanent restarts=0",
        "path=web/listener kind=worker depth=1 state=idle restart=permanent restarts=3",
    };
    struct ctl_records rs;
    load(&rs, lines, 2);
    char *text = render(&rs, true);
    assert_non_null(strstr(text, "\033[31midle\033[0m"));
    free(text);
    text = render(&rs, false);
    /* A subtree: its top is a child too, shown by its whole path. */
    assert_string_equal(text, "NAME         KIND        STATE    PID  VERSION  UPTIME  RESTARTS\n"
                              "web          supervisor  running  -    -        -       0\n"
                              "└─ listener  worker      idle     -    -        -       3\n"
                              "2 children, 1 permanent child not running\n");
    free(text);
    ctl_records_free(&rs);
}

static void test_summary(void **state) {
    struct ctl_records rs;
    struct ctl_status_summary s;
    load(&rs, tree, 4); /* root, counter, web, web/listener: all running */
    ctl_status_summarize(&rs, &s);
    assert_int_equal(s.children, 3);
    assert_int_equal(s.down, 0);
    char *text = render(&rs, false);
    assert_non_null(strstr(text, "\n3 children, all permanent children running\n"));
    free(text);
    ctl_records_free(&rs);
    load(&rs, tree, 1); /* a root alone */
    text = render(&rs, false);
    assert_non_null(strstr(text, "\n0 children, all permanent children running\n"));
    free(text);
    ctl_records_free(&rs);
    const char *two_down[] = {"path=/ depth=0 state=running", "path=a depth=1 state=idle restart=permanent",
                              "path=b depth=1 state=starting restart=permanent"};
    load(&rs, two_down, 3);
    ctl_status_summarize(&rs, &s);
    assert_int_equal(s.down, 2);
    text = render(&rs, false);
    assert_non_null(strstr(text, "\n2 children, 2 permanent children not running\n"));
    free(text);
    ctl_records_free(&rs);
}

/* Records the client does not expect still draw: missing keys are "-",
 * unknown keys ignored, impossible depths clamped, control bytes '?'. */
static void test_odd_records(void **state) {
    const char *lines[] = {
        "path=/ depth=0 future_key=1",
        "path=a depth=5 state=running restart=temporary",
        "path=a/b depth=0 state=running restart=temporary version=\"\\x1b[31m\"",
    };
    struct ctl_records rs;
    load(&rs, lines, 3);
    char *text = render(&rs, false);
    assert_string_equal(text, "NAME  KIND  STATE    PID  VERSION  UPTIME  RESTARTS\n"
                              "/     -     -        -    -        -       -\n"
                              "├─ a  -     running  -    -        -       -\n"
                              "└─ b  -     running  -    ?[31m    -       -\n"
                              "2 children, all permanent children running\n");
    free(text);
    ctl_records_free(&rs);
}

static void test_uptime(void **state) {
    static const struct {
        uint64_t ms;
        const char *text;
    } cases[] = {
        {0, "0s"},
        {999, "0s"},
        {45000, "45s"},
        {59999, "59s"},
        {60000, "1m00s"},
        {723000, "12m03s"},
        {3599999, "59m59s"},
        {3600000, "1h00m"},
        {11040000, "3h04m"},
        {86399999, "23h59m"},
        {86400000, "1d00h"},
        {190800000, "2d05h"},
        {UINT64_C(8640000000000), "100000d00h"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        ctl_format_uptime(cases[i].ms, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
    }
}

static char *render_event(const char *line) {
    struct ctl_record r;
    assert_int_equal(ctl_record_from_line(&r, line, strlen(line)), 0);
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    ctl_render_event(f, &r);
    fclose(f);
    ctl_record_free(&r);
    return text;
}

static void test_events(void **state) {
    char *text = render_event("ts=2024-05-01T10:00:00.123Z level=warning event=child_terminated supervisor=web "
                              "child=web/listener pid=4250 reason=\"exit status 1\" action=restart "
                              "msg=\"web/listener terminated (exit status 1); restart\"");
    assert_string_equal(text, "2024-05-01T10:00:00.123Z warning child_terminated    web/listener         "
                              "exit status 1    restart      web/listener terminated (exit status 1); restart\n");
    free(text);
    /* A supervisor's own report names no child; missing fields are "-". */
    text = render_event("ts=2024-05-01T10:00:01.000Z level=error event=shutdown supervisor=web");
    assert_string_equal(text, "2024-05-01T10:00:01.000Z error   shutdown            web                  "
                              "-                -            -\n");
    free(text);
    /* A long value pushes the next column along; control bytes are '?'. */
    text = render_event("ts=T level=info event=child_started child=a/very/long/path/to/a/child "
                        "msg=\"\\x1b[2Jcleared\\nnext\"");
    assert_string_equal(text, "T info    child_started       a/very/long/path/to/a/child -                -    "
                              "        ?[2Jcleared?next\n");
    free(text);
}

/* A record's key is found wherever it is: ctl_record_value looks first
 * where the same key was in the record before, which a record of another
 * layout, or one without the key, must not fool. */
static void test_record_lookup_any_layout(void **state) {
    static const char *const lines[] = {
        "path=a kind=worker pid=1 state=running",
        "state=idle path=b pid=2",
        "path=c kind=exec",
        "pid=4 path=d kind=worker state=running pids=9",
    };
    struct ctl_records rs;
    load(&rs, lines, 4);
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < 4; i++) {
            char want[4] = {(char)('a' + i), 0};
            assert_string_equal(ctl_record_value(&rs.v[i], "path"), want);
            const char *pid = ctl_record_value(&rs.v[i], "pid");
            if (i == 2)
                assert_null(pid);
            else
                assert_int_equal(atoi(pid), (int)i + 1);
            const char *st = ctl_record_value(&rs.v[i], "state");
            assert_true(i == 2 ? st == NULL : st != NULL);
        }
    assert_string_equal(ctl_record_value(&rs.v[3], "pids"), "9");
    assert_null(ctl_record_value(&rs.v[0], "pids"));
    ctl_records_free(&rs);
}

/* Keys are kept once each, up to CTL_KEYS_MAX of them: records parsed
 * after the table is full keep their own keys, and lookups, JSON and
 * the table still find them, alongside records of interned keys. */
static void test_record_keys_past_the_table(void **state) {
    struct ctl_records rs = {0};
    char line[128], *keys[CTL_KEYS_MAX / 7 + 2] = {0};
    for (int i = 0; i < CTL_KEYS_MAX + 10; i++) {
        int n = snprintf(line, sizeof line, "path=n%d key%d=%d", i, i, i);
        assert_int_equal(ctl_records_add(&rs, line, (size_t)n), 0);
    }
    assert_true(rs.v[0].interned);
    assert_false(rs.v[CTL_KEYS_MAX + 9].interned);
    for (int i = 0; i < CTL_KEYS_MAX + 10; i += 7) {
        snprintf(line, sizeof line, "key%d", i);
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        keys[i / 7] = strdup(line); /* an address of its own, kept: lookups keep hints by the key's address */
        assert_string_equal(ctl_record_value(&rs.v[i], keys[i / 7]), want);
        snprintf(want, sizeof want, "n%d", i);
        assert_string_equal(ctl_record_value(&rs.v[i], "path"), want);
    }
    assert_null(ctl_record_value(&rs.v[CTL_KEYS_MAX + 9], "pid"));
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    ctl_json_record(f, &rs.v[CTL_KEYS_MAX + 9]);
    ctl_json_record(f, &rs.v[1]);
    fclose(f);
    snprintf(line, sizeof line, "{\"path\":\"n%d\",\"key%d\":%d}{\"path\":\"n1\",\"key1\":1}", CTL_KEYS_MAX + 9,
             CTL_KEYS_MAX + 9, CTL_KEYS_MAX + 9);
    assert_string_equal(text, line);
    free(text);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        free(keys[i]);
    ctl_records_free(&rs);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_lookup_any_layout),
        cmocka_unit_test(test_dynamic_args),
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_colour),
        cmocka_unit_test(test_idle_permanent_is_red),
        cmocka_unit_test(test_what_is_wrong),
        cmocka_unit_test(test_upgrade_under_way),
        cmocka_unit_test(test_drops),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_odd_records),
        cmocka_unit_test(test_uptime),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_record_keys_past_the_table), /* last: it fills the table of keys */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
