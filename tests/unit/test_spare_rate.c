/*
 * Unit tests for supervisord/spare_rate.c: how many warm hosts to keep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "spare_rate.h"

static void one_spare_for_rare_starts(void **unused) {
    struct spare_rate r = {0};
    assert_int_equal(spare_rate_target(spare_rate_recent(&r, 5000)), 1);
    spare_rate_note(&r, 5000);
    assert_int_equal(spare_rate_recent(&r, 5000), 1);
    assert_int_equal(spare_rate_target(spare_rate_recent(&r, 5000)), 1);
    assert_int_equal(spare_rate_target(15), 1);
    assert_int_equal(spare_rate_target(16), 2);
}

/* A burst asks for more, never more than SPARE_MAX; it fades within two
 * windows. */
static void a_burst_asks_for_more_then_fades(void **unused) {
    struct spare_rate r = {0};
    for (int i = 0; i < 1000; i++)
        spare_rate_note(&r, 10000 + (uint64_t)i / 10); /* 1,000 in 100 ms */
    assert_int_equal(spare_rate_recent(&r, 10100), 1000);
    assert_int_equal(spare_rate_target(spare_rate_recent(&r, 10100)), SPARE_MAX);
    /* Half of the next window gone: the burst counts half. */
    assert_int_equal(spare_rate_recent(&r, 11500), 500);
    assert_int_equal(spare_rate_recent(&r, 12000), 0);
    assert_int_equal(spare_rate_recent(&r, 60000), 0);
    assert_int_equal(spare_rate_target(spare_rate_recent(&r, 60000)), 1);
}

/* Starts long apart are never summed. */
static void windows_long_past_are_forgotten(void **unused) {
    struct spare_rate r = {0};
    for (int i = 0; i < 40; i++)
        spare_rate_note(&r, 1000);
    spare_rate_note(&r, 9000);
    assert_int_equal(spare_rate_recent(&r, 9000), 1);
    for (int i = 0; i < 20; i++)
        spare_rate_note(&r, 9500);
    spare_rate_note(&r, 10200); /* the next window: 21 before, weighed */
    assert_int_equal(spare_rate_recent(&r, 10200), 1 + 21 * 800 / 1000);
}

/* After a START the pool's next step waits, but not at boot, not with
 * the pool empty, and never longer than SPARE_REFILL_AFTER_US. */
static void the_refill_waits_a_little_after_a_start(void **unused) {
    uint64_t t = 5000000;
    assert_int_equal(spare_refill_wait_us(true, 1, t, t), SPARE_REFILL_AFTER_US);
    assert_int_equal(spare_refill_wait_us(true, 1, t, t + 300), SPARE_REFILL_AFTER_US - 300);
    assert_int_equal(spare_refill_wait_us(true, 3, t, t + SPARE_REFILL_AFTER_US - 1), 1);
    assert_int_equal(spare_refill_wait_us(true, 1, t, t + SPARE_REFILL_AFTER_US), 0);
    assert_int_equal(spare_refill_wait_us(true, 1, t, t + 60000000), 0);
    assert_int_equal(spare_refill_wait_us(false, 1, t, t), 0); /* boot */
    assert_int_equal(spare_refill_wait_us(true, 0, t, t), 0);  /* nothing left for the next start */
    assert_int_equal(spare_refill_wait_us(true, 1, 0, t), 0);  /* no START yet */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_refill_waits_a_little_after_a_start),
        cmocka_unit_test(one_spare_for_rare_starts),
        cmocka_unit_test(a_burst_asks_for_more_then_fades),
        cmocka_unit_test(windows_long_past_are_forgotten),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
