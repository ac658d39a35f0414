/* Unit tests of the child output budget and rate limit (issue 16). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "output_limit.h"

static void read_size_stops_at_the_budget(void **unused) {
    assert_int_equal(output_read_size(0, 65536, 8192), 8192);
    assert_int_equal(output_read_size(61440, 65536, 8192), 4096);
    assert_int_equal(output_read_size(65536, 65536, 8192), 0);
    assert_int_equal(output_read_size(70000, 65536, 8192), 0); /* never wraps */
    assert_int_equal(output_read_size(0, 100, 8192), 100);
}

static void a_burst_is_logged_then_dropped_and_counted(void **unused) {
    struct output_rate r = {0};
    uint64_t ended;
    for (int i = 1; i < NINES_OUTPUT_BURST; i++) {
        assert_int_equal(output_rate_line(&r, 1000, &ended), OUTPUT_LOG);
        assert_int_equal(ended, 0);
    }
    assert_int_equal(output_rate_line(&r, 1000, &ended), OUTPUT_LOG_LIMIT);
    for (int i = 0; i < 5; i++)
        assert_int_equal(output_rate_line(&r, 1000 + NINES_OUTPUT_INTERVAL_MS - 1, &ended), OUTPUT_DROP);
    assert_int_equal(ended, 0);
    /* The interval ends: its drops are reported, the new line is logged. */
    assert_int_equal(output_rate_line(&r, 1000 + NINES_OUTPUT_INTERVAL_MS, &ended), OUTPUT_LOG);
    assert_int_equal(ended, 5);
    assert_int_equal(output_rate_line(&r, 1000 + NINES_OUTPUT_INTERVAL_MS, &ended), OUTPUT_LOG);
    assert_int_equal(ended, 0);
}

static void flush_reports_what_is_left_once(void **unused) {
    struct output_rate r = {0};
    uint64_t ended;
    assert_int_equal(output_rate_flush(&r), 0);
    for (int i = 0; i < NINES_OUTPUT_BURST + 3; i++)
        output_rate_line(&r, 7, &ended);
    assert_int_equal(output_rate_flush(&r), 3);
    assert_int_equal(output_rate_flush(&r), 0);
}

static void a_clock_going_back_starts_a_new_interval(void **unused) {
    struct output_rate r = {0};
    uint64_t ended;
    for (int i = 0; i < NINES_OUTPUT_BURST + 2; i++)
        output_rate_line(&r, 50000, &ended);
    assert_int_equal(output_rate_line(&r, 10, &ended), OUTPUT_LOG);
    assert_int_equal(ended, 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_size_stops_at_the_budget),
        cmocka_unit_test(a_burst_is_logged_then_dropped_and_counted),
        cmocka_unit_test(flush_reports_what_is_left_once),
        cmocka_unit_test(a_clock_going_back_starts_a_new_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
