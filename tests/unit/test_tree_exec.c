/*
 * Unit tests of an exec child's keys (env, cwd, user, group, stop_signal):
 * what a valid tree holds, each error at its FILE:LINE:COLUMN, the copy
 * and comparison of specs with them, signal names, and the stop signal's
 * exit rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "reason.h"
#include "tree.h"
#include "tree_spec.h"

#define HEAD "supervisor:\n  children:\n    - id: web\n      exec: [/bin/sh, -c, 'exit 0']\n"

static struct nines_tree *load(const char *yaml, struct nines_error *err) {
    struct nines_tree *t = NULL;
    nines_tree_load_string("t.yaml", "/tmp", yaml, strlen(yaml), &t, err);
    return t;
}

static void load_err(const char *yaml, unsigned line, unsigned column, const char *fragment) {
    struct nines_error err;
    struct nines_tree *t = load(yaml, &err);
    assert_null(t);
    if (!strstr(err.message, fragment) || err.line != line || err.column != column)
        fail_msg("got %u:%u: %s — wanted %u:%u: ...%s...", err.line, err.column, err.message, line, column, fragment);
}

static void every_key_loaded(void **unused) {
    struct nines_error err;
    struct nines_tree *t = load(HEAD "      env: {PORT: 8080, MODE: fast}\n      cwd: /\n"
                                     "      user: nobody\n      group: root\n      stop_signal: QUIT\n", &err);
    if (!t)
        fail_msg("%u:%u: %s", err.line, err.column, err.message);
    const struct nines_exec_opts *o = &t->root.children[0].exec;
    assert_int_equal(o->n_env, 2);
    assert_string_equal(o->env[0].key, "PORT");
    assert_string_equal(o->env[0].value, "8080");
    assert_string_equal(o->env[1].key, "MODE");
    assert_string_equal(o->cwd, "/");
    assert_string_equal(o->user, "nobody");
    assert_int_equal(o->uid, 65534);
    assert_int_equal(o->gid, 0);
    assert_int_equal(o->stop_signal, SIGQUIT);
    nines_tree_free(t);
    /* A relative cwd is relative to the file; the user's own group by default. */
    t = load(HEAD "      cwd: .\n      user: root\n      stop_signal: SIGINT\n", &err);
    assert_non_null(t);
    assert_string_equal(t->root.children[0].exec.cwd, "/tmp/.");
    assert_int_equal(t->root.children[0].exec.gid, 0);
    assert_int_equal(t->root.children[0].exec.stop_signal, SIGINT);
    nines_tree_free(t);
    /* Unset: nothing changes (0: SIGTERM). */
    t = load(HEAD, &err);
    assert_non_null(t);
    assert_int_equal(t->root.children[0].exec.stop_signal, 0);
    assert_null(t->root.children[0].exec.user);
    nines_tree_free(t);
}

static void errors_at_their_place(void **unused) {
    load_err(HEAD "      user: no-such-user-here\n", 5, 13, "unknown user 'no-such-user-here'");
    load_err(HEAD "      user: root\n      group: no-such-group\n", 6, 14, "unknown group 'no-such-group'");
    load_err(HEAD "      group: root\n", 5, 14, "'group' needs 'user'");
    load_err(HEAD "      user: 4000001\n", 5, 13, "say its group with 'group'");
    load_err(HEAD "      stop_signal: SIGFOO\n", 5, 20, "invalid stop_signal 'SIGFOO'");
    load_err(HEAD "      stop_signal: STOP\n", 5, 20, "invalid stop_signal 'STOP'");
    load_err(HEAD "      stop_signal: [QUIT]\n", 5, 20, "invalid stop_signal 'a sequence'");
    load_err(HEAD "      env: [A]\n", 5, 12, "'env' must be a mapping");
    load_err(HEAD "      env: {1A: x}\n", 5, 13, "invalid variable name '1A'");
    load_err(HEAD "      env: {NOTIFY_SOCKET: x}\n", 5, 13, "'NOTIFY_SOCKET' is set by ninesd itself");
    load_err(HEAD "      env: {A: [1]}\n", 5, 16, "variable 'A' must be a scalar");
    load_err(HEAD "      env: {A: 1, B: 2, A: 3}\n", 5, 25, "duplicate variable 'A' in 'env'");
    load_err(HEAD "      cwd: /no/such/dir\n", 5, 12, "cwd '/no/such/dir' is not a directory");
    load_err(HEAD "      cwd: /bin/sh\n", 5, 12, "is not a directory");
    load_err("supervisor:\n  children:\n    - id: s\n      supervisor: {children: []}\n      stop_signal: QUIT\n", 5,
             20, "'stop_signal' is only for 'exec' children");
    load_err("supervisor:\n  children:\n    - id: s\n      supervisor: {children: []}\n      env: {A: 1}\n", 5, 12,
             "'env' is only for 'exec' children");
}

static void copied_and_compared(void **unused) {
    struct nines_error err;
    struct nines_tree *a = load(HEAD "      env: {A: 1, B: 2}\n      cwd: /\n      user: nobody\n      stop_signal: QUIT\n", &err);
    struct nines_tree *b = load(HEAD "      env: {B: 2, A: 1}\n      cwd: /\n      user: nobody\n      stop_signal: QUIT\n", &err);
    struct nines_tree *c = load(HEAD "      env: {A: 1, B: 3}\n      cwd: /\n      user: nobody\n      stop_signal: QUIT\n", &err);
    struct nines_tree *d = load(HEAD "      env: {A: 1, B: 2}\n      cwd: /\n      user: nobody\n      stop_signal: HUP\n", &err);
    assert_non_null(a), assert_non_null(b), assert_non_null(c), assert_non_null(d);
    const struct nines_child_spec *sa = &a->root.children[0];
    assert_true(nines_child_spec_equal(sa, &b->root.children[0], NULL, NULL));
    assert_false(nines_child_spec_equal(sa, &c->root.children[0], NULL, NULL));
    assert_false(nines_child_spec_equal(sa, &d->root.children[0], NULL, NULL));
    struct nines_child_spec *copy = nines_child_spec_copy(sa);
    assert_non_null(copy);
    assert_true(nines_child_spec_equal(sa, copy, NULL, NULL));
    assert_ptr_not_equal(copy->exec.env, sa->exec.env);
    assert_string_equal(copy->exec.user, "nobody");
    nines_child_spec_free(copy);
    nines_tree_free(a), nines_tree_free(b), nines_tree_free(c), nines_tree_free(d);
}

static void signal_names(void **unused) {
    int sig = 0;
    char buf[32];
    assert_int_equal(nines_signal_parse("SIGQUIT", &sig), 0);
    assert_int_equal(sig, SIGQUIT);
    assert_int_equal(nines_signal_parse("HUP", &sig), 0);
    assert_int_equal(sig, SIGHUP);
    assert_int_equal(nines_signal_parse("RTMIN+2", &sig), 0);
    assert_int_equal(sig, SIGRTMIN + 2);
    assert_int_equal(nines_signal_parse("quit", &sig), -EINVAL);
    assert_int_equal(nines_signal_parse("SIG", &sig), -EINVAL);
    assert_int_equal(nines_signal_parse("9", &sig), -EINVAL);
    assert_int_equal(nines_signal_parse("RTMIN+999", &sig), -EINVAL);
    assert_string_equal(nines_signal_name(SIGUSR1, buf, sizeof buf), "SIGUSR1");
    assert_string_equal(nines_signal_name(SIGRTMIN + 1, buf, sizeof buf), "SIGRTMIN+1");
}

/* Dying of its own stop signal is a shutdown, as SIGTERM is for everyone. */
static void stop_signal_is_a_shutdown(void **unused) {
    assert_int_equal(nines_reason_from_exit_sig(CLD_KILLED, SIGQUIT, NULL, true, SIGQUIT).kind, NINES_REASON_SHUTDOWN);
    assert_int_equal(nines_reason_from_exit_sig(CLD_KILLED, SIGQUIT, NULL, false, SIGQUIT).kind, NINES_REASON_SHUTDOWN);
    assert_int_equal(nines_reason_from_exit_sig(CLD_DUMPED, SIGQUIT, NULL, true, SIGQUIT).kind, NINES_REASON_SHUTDOWN);
    assert_int_equal(nines_reason_from_exit_sig(CLD_DUMPED, SIGQUIT, NULL, false, SIGQUIT).kind, NINES_REASON_SIGNAL);
    assert_int_equal(nines_reason_from_exit_sig(CLD_KILLED, SIGQUIT, NULL, true, SIGTERM).kind, NINES_REASON_SIGNAL);
    assert_int_equal(nines_reason_from_exit_sig(CLD_KILLED, SIGTERM, NULL, false, SIGQUIT).kind, NINES_REASON_SHUTDOWN);
    assert_int_equal(nines_reason_from_exit_sig(CLD_KILLED, SIGKILL, NULL, true, SIGQUIT).kind, NINES_REASON_SIGNAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_key_loaded),   cmocka_unit_test(errors_at_their_place),
        cmocka_unit_test(copied_and_compared), cmocka_unit_test(signal_names),
        cmocka_unit_test(stop_signal_is_a_shutdown),
    };
    return cmocka_run_group_tests_name("tree_exec", tests, NULL, NULL);
}
