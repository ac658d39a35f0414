/*
 * Integration: restart backoff with the real ninesd and a real program
 * that crashes at once, again and again. The waits ninesd decides grow
 * (100, 200, 400 ms, then the 800 ms max), and no restart comes before its
 * wait is over, where a child without backoff is restarted at once;
 * status shows a waiting child as `backoff` with when it starts; the
 * intensity still counts. What is asserted of the clock is what backoff
 * promises, a lower bound: a loaded machine makes every gap longer (a
 * 100 ms wait was seen as a 223 ms gap), never shorter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "control_client.h"
#include "harness.h"

#define WAIT_MS 5000

static struct answer a;

/* The ts= of a log line as milliseconds of its day. */
static int64_t line_ms(const char *line) {
    char ts[64];
    unsigned h, m, s, ms;
    if (!logfmt_field(line, "ts", ts, sizeof ts) || sscanf(ts, "%*d-%*d-%*dT%u:%u:%u.%uZ", &h, &m, &s, &ms) != 4)
        fail_msg("no ts in %s", line);
    return ((int64_t)h * 3600 + m * 60 + s) * 1000 + ms;
}

/* The backoff_ms= of the first `count` child_terminated lines of `id`
 * (from the log's start): the waits ninesd decided. */
static void decided_waits(struct ninesd *n, const char *id, int64_t *w, int count) {
    char child[64], v[32];
    snprintf(child, sizeof child, "child=%s ", id);
    n->cursor = 0;
    for (int i = 0; i < count; i++) {
        const char *line = ninesd_wait(n, WAIT_MS, "event=child_terminated", child, NULL);
        if (!line)
            fail_msg("end %d of %s never came", i + 1, id);
        if (!logfmt_field(line, "backoff_ms", v, sizeof v))
            fail_msg("end %d of %s has no backoff_ms: %s", i + 1, id, line);
        w[i] = strtoll(v, NULL, 10);
    }
}

/* The times of the first `n` child_started lines of `id`. */
static void start_times(struct ninesd *n, const char *id, int64_t *t, int count) {
    char child[64];
    snprintf(child, sizeof child, "child=%s ", id);
    for (int i = 0; i < count; i++) {
        const char *line = ninesd_wait(n, WAIT_MS, "event=child_started", child, NULL);
        if (!line)
            fail_msg("start %d of %s never came", i + 1, id);
        t[i] = line_ms(line);
    }
}

static void gaps_between_restarts_grow_to_max(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  intensity: 100\n  period: 1m\n  children:\n"
        "    - id: crashy\n      exec: [/bin/sh, -c, 'exit 3']\n"
        "      backoff: {initial: 100ms, max: 800ms, reset: 1m}\n");
    ninesd_start(n, tree, NULL);
    int64_t t[7];
    start_times(n, "crashy", t, 7);
    int64_t wait[6], gap[6];
    decided_waits(n, "crashy", wait, 6);
    for (int i = 0; i < 6; i++) {
        gap[i] = t[i + 1] - t[i];
        print_message("wait %d: %lld ms, gap %lld ms\n", i + 1, (long long)wait[i], (long long)gap[i]);
    }
    /* The waits double from initial and stop at max... */
    static const int64_t rule[] = {100, 200, 400, 800, 800, 800};
    for (int i = 0; i < 6; i++)
        if (wait[i] != rule[i])
            fail_msg("wait %d is %lld ms, the rule says %lld", i + 1, (long long)wait[i], (long long)rule[i]);
    /* ...and each is kept: no start comes before its wait is over (the
     * gap from start to start also holds the program's run). With no
     * wait, or a wait that did not grow, gap 4 would be far below its
     * 800 ms. */
    for (int i = 0; i < 6; i++)
        if (gap[i] < wait[i])
            fail_msg("start %d came %lld ms after the one before, within its %lld ms wait", i + 2,
                     (long long)gap[i], (long long)wait[i]);
}

/* Without the key the same program is restarted at once (until the
 * intensity gives up): the gaps above are the backoff's doing. */
static void without_backoff_restarts_are_immediate(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  intensity: 4\n  period: 1m\n  children:\n"
        "    - id: crashy\n      exec: [/bin/sh, -c, 'exit 3']\n");
    ninesd_start(n, tree, NULL);
    int64_t t[5];
    start_times(n, "crashy", t, 5);
    print_message("without backoff: 5 starts in %lld ms\n", (long long)(t[4] - t[0]));
    assert_true(t[4] - t[0] < 1500);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_int_equal(ninesd_count(n, "backoff_ms=", NULL), 0);
}

/* A waiting child: state backoff, the time until it starts, the count;
 * health degraded (it will be started), and ninesctl shows it. */
static void status_shows_a_waiting_child(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  intensity: 100\n  period: 1m\n  children:\n"
        "    - id: slow\n      exec: [/bin/sh, -c, 'sleep 0.2; exit 3']\n"
        "      backoff: {initial: 20s, reset: 1m}\n"
        "    - id: fine\n      exec: [/bin/sleep, '1000']\n");
    ninesd_start(n, tree, NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=child_terminated", "child=slow ", "backoff_ms=20000", NULL));
    assert_int_equal(control_ask_once(n->socket, &a, "status", NULL), 0);
    char v[64];
    assert_true(status_field(&a, "slow", "state", v, sizeof v));
    assert_string_equal(v, "backoff");
    assert_true(status_field(&a, "slow", "backoff_ms", v, sizeof v));
    long left = strtol(v, NULL, 10);
    assert_true(left > 15000 && left <= 20000);
    assert_true(status_field(&a, "slow", "backoff_count", v, sizeof v));
    assert_string_equal(v, "1");
    assert_true(status_field(&a, "slow", "health", v, sizeof v));
    assert_string_equal(v, "degraded");
    assert_false(status_field(&a, "fine", "backoff_ms", v, sizeof v));
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd, "%s --socket %s status --json 2>&1", BUILD_PATH("ninesctl"), n->socket);
    FILE *p = popen(cmd, "r");
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = '\0';
    pclose(p);
    if (!strstr(out, "\"state\":\"backoff\"") && !strstr(out, "\"state\": \"backoff\""))
        fail_msg("no backoff in: %s", out);
    /* A stop while it waits is prompt: nothing is waited for. */
    kill(n->pid, SIGTERM);
    assert_true(ninesd_wait_exit(n, 3000));
    assert_int_equal(WEXITSTATUS(n->status), 0);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=slow ", NULL), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(gaps_between_restarts_grow_to_max, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(without_backoff_restarts_are_immediate, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(status_shows_a_waiting_child, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
