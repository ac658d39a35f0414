/* Unit tests of exit reasons: OTP's normal/shutdown/abnormal split, the
 * texts operators read, and how a process's end is classified. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "reason.h"

static void only_normal_shutdown_and_giving_up_are_not_abnormal(void **unused) {
    for (int k = NINES_REASON_NORMAL; k <= NINES_REASON_START_FAILED; k++) {
        struct nines_reason r = nines_reason_make((enum nines_reason_kind)k, 0, NULL);
        bool expected = !(k == NINES_REASON_NORMAL || k == NINES_REASON_SHUTDOWN ||
                          k == NINES_REASON_MAX_INTENSITY);
        assert_int_equal(nines_reason_is_abnormal(&r), expected);
    }
}

static void check_text(struct nines_reason r, const char *expected) {
    char buf[300];
    nines_reason_format(&r, buf, sizeof buf);
    assert_string_equal(buf, expected);
}

static void texts_say_what_happened(void **unused) {
    check_text(nines_reason_make(NINES_REASON_NORMAL, 0, NULL), "normal");
    check_text(nines_reason_make(NINES_REASON_SHUTDOWN, 0, NULL), "shutdown");
    struct nines_reason segv = nines_reason_make(NINES_REASON_SIGNAL, SIGSEGV, NULL);
    check_text(segv, "killed by SIGSEGV");
    segv.core_dumped = true;
    check_text(segv, "killed by SIGSEGV (core dumped)");
    check_text(nines_reason_make(NINES_REASON_EXIT_STATUS, 3, NULL), "exit status 3");
    check_text(nines_reason_make(NINES_REASON_INIT_FAILED, 0, "cannot bind"), "init failed: cannot bind");
    check_text(nines_reason_make(NINES_REASON_INIT_FAILED, 0, NULL), "init failed: no reason given");
    check_text(nines_reason_make(NINES_REASON_ERROR, 0, "disk full"), "error: disk full");
    check_text(nines_reason_make(NINES_REASON_ABI_REFUSED, 0, "/x.so: ABI version 7"),
               "module refused: /x.so: ABI version 7");
    check_text(nines_reason_make(NINES_REASON_SPAWN_FAILED, 2, "/bin/w"),
               "spawn failed: No such file or directory: /bin/w");
    check_text(nines_reason_make(NINES_REASON_MAX_INTENSITY, 0, NULL),
               "shutdown: reached_max_restart_intensity");
}

static void a_signal_beats_what_the_worker_said(void **unused) {
    struct nines_reason said = nines_reason_make(NINES_REASON_SHUTDOWN, 0, NULL);
    struct nines_reason r = nines_reason_from_exit(CLD_DUMPED, SIGABRT, &said, true);
    assert_int_equal(r.kind, NINES_REASON_SIGNAL);
    assert_int_equal(r.value, SIGABRT);
    assert_true(r.core_dumped);
    r = nines_reason_from_exit(CLD_KILLED, SIGKILL, NULL, true);
    assert_int_equal(r.kind, NINES_REASON_SIGNAL);
    assert_false(r.core_dumped);
}

static void a_workers_report_is_trusted_when_it_exits(void **unused) {
    struct nines_reason said = nines_reason_make(NINES_REASON_INIT_FAILED, 0, "no config");
    struct nines_reason r = nines_reason_from_exit(CLD_EXITED, 1, &said, false);
    assert_int_equal(r.kind, NINES_REASON_INIT_FAILED);
    assert_string_equal(r.message, "no config");
}

static void plain_exits_are_classified(void **unused) {
    assert_int_equal(nines_reason_from_exit(CLD_EXITED, 0, NULL, false).kind, NINES_REASON_NORMAL);
    assert_int_equal(nines_reason_from_exit(CLD_EXITED, 0, NULL, true).kind, NINES_REASON_SHUTDOWN);
    struct nines_reason r = nines_reason_from_exit(CLD_EXITED, 7, NULL, true);
    assert_int_equal(r.kind, NINES_REASON_EXIT_STATUS);
    assert_int_equal(r.value, 7);
    /* One rule for SIGTERM: dying of it is a shutdown, asked for or not. */
    assert_int_equal(nines_reason_from_exit(CLD_KILLED, SIGTERM, NULL, true).kind, NINES_REASON_SHUTDOWN);
    assert_int_equal(nines_reason_from_exit(CLD_KILLED, SIGTERM, NULL, false).kind, NINES_REASON_SHUTDOWN);
    /* ...whatever the worker said; other signals stay abnormal. */
    struct nines_reason said = nines_reason_make(NINES_REASON_ERROR, 0, "x");
    assert_int_equal(nines_reason_from_exit(CLD_KILLED, SIGTERM, &said, false).kind, NINES_REASON_SHUTDOWN);
    assert_int_equal(nines_reason_from_exit(CLD_KILLED, SIGINT, NULL, true).kind, NINES_REASON_SIGNAL);
    assert_int_equal(nines_reason_from_exit(CLD_DUMPED, SIGTERM, NULL, false).kind, NINES_REASON_SIGNAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_normal_shutdown_and_giving_up_are_not_abnormal),
        cmocka_unit_test(texts_say_what_happened),
        cmocka_unit_test(a_signal_beats_what_the_worker_said),
        cmocka_unit_test(a_workers_report_is_trusted_when_it_exits),
        cmocka_unit_test(plain_exits_are_classified),
    };
    return cmocka_run_group_tests_name("reason", tests, NULL, NULL);
}
