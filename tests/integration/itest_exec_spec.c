/*
 * Integration: an exec child's spec with the real ninesd and real
 * programs — its environment, working directory and user; a program that
 * wants SIGQUIT to stop (as nginx does: a shell script trapping QUIT)
 * stopped by it, cleanly and without waiting out its grace; an unknown
 * user refused with FILE:LINE:COLUMN by ninesd --check, nothing started;
 * ninesctl signal to a program that reloads on HUP.
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
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "harness_run.h"

#define WAIT_MS 5000

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The program says where, as whom and with what it runs. */
static void env_cwd_and_user_reach_the_program(void **state) {
    struct ninesd *n = *state;
    if (geteuid() != 0)
        skip();
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: show\n      exec: [/bin/sh, -c, 'echo \"mode=$MODE port=$PORT cwd=$(pwd) uid=$(id -u) "
        "gid=$(id -g) user=$USER\"; exec sleep 1000']\n"
        "      env: {MODE: fast, PORT: 8080}\n      cwd: /usr\n      user: nobody\n      group: daemon\n"
        "    - id: plain\n      exec: [/bin/sh, -c, 'echo \"plain mode=$MODE cwd=$(pwd) uid=$(id -u)\"; exec sleep 1000']\n");
    ninesd_start(n, tree, NULL);
    const char *line = ninesd_wait(n, WAIT_MS, "event=output", "child=show ", "mode=", NULL);
    assert_non_null(line);
    if (!strstr(line, "mode=fast port=8080 cwd=/usr uid=65534 gid=1 user=nobody"))
        fail_msg("got: %s", line);
    /* Another child keeps ninesd's own. */
    n->cursor = 0;
    line = ninesd_wait(n, WAIT_MS, "event=output", "child=plain ", "plain mode=", NULL);
    assert_non_null(line);
    char cwd[256];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char want[400];
    snprintf(want, sizeof want, "plain mode= cwd=%s uid=0", cwd);
    if (!strstr(line, want))
        fail_msg("got: %s (wanted %s)", line, want);
}

/* stop_signal: QUIT is what the program is asked to stop with, and dying
 * of it (or exiting 0 on it) is a clean stop; TERM never arrives. */
static void stop_signal_quit_stops_the_program(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: web\n      stop_signal: SIGQUIT\n      shutdown: 20s\n"
        "      exec: [/bin/sh, -c, 'trap \"echo got-quit; exit 0\" QUIT; trap \"echo got-term\" TERM; "
        "echo waiting; while :; do sleep 0.05; done']\n");
    ninesd_start(n, tree, NULL);
    assert_true(ninesd_wait_started(n, "web", WAIT_MS) > 0);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=output", "child=web ", "waiting", NULL));
    uint64_t t0 = now_ms();
    kill(n->pid, SIGTERM);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    uint64_t took = now_ms() - t0;
    assert_true(WIFEXITED(n->status));
    assert_int_equal(WEXITSTATUS(n->status), 0);
    assert_int_equal(ninesd_count(n, "event=output", "child=web ", "got-quit", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=output", "child=web ", "got-term", NULL), 0);
    assert_int_equal(ninesd_count(n, "event=child_stopped", "child=web ", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=shutdown_error", NULL), 0);
    print_message("stop by SIGQUIT took %llu ms (grace 20 s)\n", (unsigned long long)took);
    assert_true(took < 3000);
}

/* A program killed by its own stop signal from outside has shut down: a
 * transient one is not restarted. */
static void dying_of_the_stop_signal_is_a_shutdown(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: prog\n      restart: transient\n      stop_signal: INT\n      exec: [/bin/sleep, '1000']\n");
    ninesd_start(n, tree, NULL);
    pid_t prog = ninesd_wait_started(n, "prog", WAIT_MS);
    assert_true(prog > 0);
    kill(prog, SIGINT);
    const char *line = ninesd_wait_event(n, "child_terminated", "prog", WAIT_MS);
    assert_non_null(line);
    assert_non_null(strstr(line, "reason=shutdown"));
    ninesd_pump(n, 300);
    assert_int_equal(ninesd_count(n, "event=child_started", "child=prog ", NULL), 1);
}

/* What a program writes just before it dies is logged, all of it and
 * before its end: more than a pipe holds (it waits on ninesd's reads),
 * then a last line on each stream and a SIGKILL of itself. Whatever is
 * still in the pipes when the SIGCHLD comes is read before the end is
 * reported (child_proc.c: end_process), so a change to how the pipes'
 * hang-ups are handled must keep these lines first. */
static void last_output_is_logged_before_the_end(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: prog\n      restart: temporary\n"
        "      exec: [/bin/sh, -c, 'head -c 200000 /dev/zero | tr \"\\0\" x; echo; echo last-out; "
        "echo last-err >&2; kill -9 $$']\n");
    ninesd_start(n, tree, NULL);
    assert_non_null(ninesd_wait_event(n, "child_terminated", "prog", WAIT_MS));
    const char *end = strstr(n->log, "event=child_terminated");
    const char *out = strstr(n->log, "last-out"), *err = strstr(n->log, "last-err");
    assert_non_null(out);
    assert_non_null(err);
    assert_true(out < end);
    assert_true(err < end);
    assert_non_null(strstr(end, "killed by SIGKILL"));
    /* 200,000 bytes in lines of at most 4,096: 49 lines of x before. */
    size_t xs = 0;
    for (const char *at = n->log; (at = strstr(at, "xxxxxxxxxxxxxxxx")) && at < end; at = strchr(at, '\n'))
        xs++;
    assert_int_equal(xs, 49);
}

/* ninesctl signal: the program's own handling (a reload on HUP), no
 * restart; bad names and supervisors refused. */
static void ninesctl_signal_reaches_the_program(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: web\n      exec: [/bin/sh, -c, 'trap \"echo reloaded\" HUP; echo waiting; "
        "while :; do sleep 0.05; done']\n");
    ninesd_start(n, tree, NULL);
    pid_t web = ninesd_wait_started(n, "web", WAIT_MS);
    assert_true(web > 0);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=output", "child=web ", "waiting", NULL));
    char out[1024], want[128];
    assert_int_equal(harness_ctl(n, "signal web HUP", out, sizeof out), 0);
    snprintf(want, sizeof want, "sent SIGHUP to web (pid %d)", (int)web);
    if (!strstr(out, want))
        fail_msg("got: %s", out);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=output", "child=web ", "reloaded", NULL));
    assert_int_equal(harness_ctl(n, "signal web SIGUSR1X", out, sizeof out) != 0, 1);
    assert_non_null(strstr(out, "unknown signal 'SIGUSR1X'"));
    assert_int_equal(harness_ctl(n, "signal / HUP", out, sizeof out) != 0, 1);
    assert_int_equal(harness_ctl(n, "signal nobody HUP", out, sizeof out) != 0, 1);
    assert_non_null(strstr(out, "no child 'nobody'"));
    ninesd_pump(n, 200);
    assert_true(process_alive(web));
    assert_int_equal(ninesd_count(n, "event=child_started", "child=web ", NULL), 1);
}

static void unknown_names_are_refused_at_their_place(void **state) {
    struct ninesd *n = *state;
    char out[2048];
    const char *bad = harness_write_tree(n,
        "supervisor:\n  children:\n    - id: web\n      exec: [/bin/true]\n      user: no-such-user-here\n");
    assert_int_equal(harness_check(bad, out, sizeof out), 2);
    if (!strstr(out, "tree.yaml:5:13:") || !strstr(out, "unknown user 'no-such-user-here'"))
        fail_msg("got: %s", out);
    bad = harness_write_tree(n,
        "supervisor:\n  children:\n    - id: web\n      exec: [/bin/true]\n      stop_signal: SIGNOPE\n");
    assert_int_equal(harness_check(bad, out, sizeof out), 2);
    if (!strstr(out, "tree.yaml:5:20:") || !strstr(out, "invalid stop_signal 'SIGNOPE'"))
        fail_msg("got: %s", out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(env_cwd_and_user_reach_the_program, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(stop_signal_quit_stops_the_program, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(dying_of_the_stop_signal_is_a_shutdown, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(unknown_names_are_refused_at_their_place, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(ninesctl_signal_reaches_the_program, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(last_output_is_logged_before_the_end, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
