/* Unit tests of the control connections' cap and idle rule (issue 16). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "control_limits.h"

static void under_the_cap_admits(void **unused) {
    assert_int_equal(control_admit(0, 256, false), CONTROL_ADMIT);
    assert_int_equal(control_admit(255, 256, false), CONTROL_ADMIT);
}

static void at_the_cap_evicts_an_idle_one_or_refuses(void **unused) {
    assert_int_equal(control_admit(256, 256, true), CONTROL_ADMIT_EVICT);
    assert_int_equal(control_admit(256, 256, false), CONTROL_REFUSE);
    assert_int_equal(control_admit(300, 256, true), CONTROL_ADMIT_EVICT);
}

static void only_a_connection_doing_nothing_is_idle(void **unused) {
    assert_true(control_conn_idle(false, false, false));
    assert_false(control_conn_idle(true, false, false));  /* a request in flight */
    assert_false(control_conn_idle(false, true, false));  /* events --follow */
    assert_false(control_conn_idle(false, false, true));  /* an answer to write */
}

static void idle_expires_after_the_timeout_unless_zero(void **unused) {
    assert_false(control_idle_expired(1999, 1000, 1000));
    assert_true(control_idle_expired(2000, 1000, 1000));
    assert_false(control_idle_expired(999999, 0, 0));
    assert_false(control_idle_expired(500, 1000, 1000)); /* a clock behind */
}

/* Only a connection with an answer waiting stalls, after the timeout
 * without the socket taking anything; 0 never. */
static void a_reader_stalls_only_with_an_answer_waiting(void **unused) {
    assert_true(control_stalled(true, 2000, 1000, 1000));
    assert_false(control_stalled(true, 1999, 1000, 1000));
    assert_false(control_stalled(false, 999999, 0, 1000)); /* nothing to write: idle, not stalled */
    assert_false(control_stalled(true, 999999, 0, 0));
    assert_false(control_stalled(true, 500, 1000, 1000));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(under_the_cap_admits),
        cmocka_unit_test(at_the_cap_evicts_an_idle_one_or_refuses),
        cmocka_unit_test(only_a_connection_doing_nothing_is_idle),
        cmocka_unit_test(idle_expires_after_the_timeout_unless_zero),
        cmocka_unit_test(a_reader_stalls_only_with_an_answer_waiting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
