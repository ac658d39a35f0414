/* Unit tests of a node's health (health.h): every state against its last
 * exit, the crash window, and a supervisor's view of what is below it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "health.h"

static enum nines_health of(bool running, bool has_exit, bool troubled, uint64_t age, unsigned window,
                            enum nines_health below) {
    struct health_input in = {.running = running, .has_exit = has_exit, .exit_troubled = troubled,
                              .exit_age_ms = age, .period_ms = 5000, .window_restarts = window,
                              .worst_below = below};
    return nines_health_of(&in);
}

static void running_without_trouble_is_ok(void **unused) {
    assert_int_equal(of(true, false, false, 0, 0, NINES_HEALTH_OK), NINES_HEALTH_OK);
    assert_int_equal(of(true, true, false, 10, 0, NINES_HEALTH_OK), NINES_HEALTH_OK); /* restarted by the operator */
}

/* Degraded while the crash still counts in the supervisor's window. */
static void a_recent_crash_is_degraded_until_the_period_passes(void **unused) {
    assert_int_equal(of(true, true, true, 0, 0, NINES_HEALTH_OK), NINES_HEALTH_DEGRADED);
    assert_int_equal(of(true, true, true, 5000, 0, NINES_HEALTH_OK), NINES_HEALTH_DEGRADED);
    assert_int_equal(of(true, true, true, 5001, 0, NINES_HEALTH_OK), NINES_HEALTH_OK);
}

static void down_after_trouble_is_failed_else_stopped(void **unused) {
    assert_int_equal(of(false, true, true, 99999, 0, NINES_HEALTH_OK), NINES_HEALTH_FAILED);
    assert_int_equal(of(false, true, false, 0, 0, NINES_HEALTH_OK), NINES_HEALTH_STOPPED);
    assert_int_equal(of(false, false, false, 0, 0, NINES_HEALTH_OK), NINES_HEALTH_STOPPED);
}

/* A supervisor: degraded by restarts in its window or trouble below; a
 * child stopped below it (terminated, a finished temporary) is not trouble. */
static void a_supervisor_sees_its_window_and_below(void **unused) {
    assert_int_equal(of(true, false, false, 0, 1, NINES_HEALTH_OK), NINES_HEALTH_DEGRADED);
    assert_int_equal(of(true, false, false, 0, 0, NINES_HEALTH_FAILED), NINES_HEALTH_DEGRADED);
    assert_int_equal(of(true, false, false, 0, 0, NINES_HEALTH_DEGRADED), NINES_HEALTH_DEGRADED);
    assert_int_equal(of(true, false, false, 0, 0, NINES_HEALTH_STOPPED), NINES_HEALTH_OK);
    /* a supervisor that gave up is down: failed, whatever is below */
    assert_int_equal(of(false, true, true, 0, 0, NINES_HEALTH_STOPPED), NINES_HEALTH_FAILED);
}

static void worse_orders_failed_degraded_stopped_ok(void **unused) {
    enum nines_health all[] = {NINES_HEALTH_OK, NINES_HEALTH_STOPPED, NINES_HEALTH_DEGRADED, NINES_HEALTH_FAILED};
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            assert_int_equal(nines_health_worse(all[a], all[b]), all[a > b ? a : b]);
    assert_string_equal(nines_health_name(NINES_HEALTH_DEGRADED), "degraded");
    assert_string_equal(nines_health_name(NINES_HEALTH_FAILED), "failed");
    assert_string_equal(nines_health_name(NINES_HEALTH_STOPPED), "stopped");
    assert_string_equal(nines_health_name(NINES_HEALTH_OK), "ok");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(running_without_trouble_is_ok),
        cmocka_unit_test(a_recent_crash_is_degraded_until_the_period_passes),
        cmocka_unit_test(down_after_trouble_is_failed_else_stopped),
        cmocka_unit_test(a_supervisor_sees_its_window_and_below),
        cmocka_unit_test(worse_orders_failed_degraded_stopped_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
