/*
 * Unit tests for reaper_sweep_delay (supervisord/reaper.h): when the walk
 * over every child that follows an end comes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "reaper.h"

static void the_first_walk_comes_soon(void **unused) {
    assert_int_equal(reaper_sweep_delay(0, 0), REAPER_SWEEP_DELAY_MS);
}

/* Walks that find nothing come later and later, never past the cap. */
static void empty_walks_back_off_to_the_cap(void **unused) {
    unsigned d = reaper_sweep_delay(0, 0);
    unsigned seen[8];
    for (int i = 0; i < 8; i++)
        seen[i] = d = reaper_sweep_delay(d, 0);
    assert_int_equal(seen[0], 2 * REAPER_SWEEP_DELAY_MS);
    assert_int_equal(seen[1], 4 * REAPER_SWEEP_DELAY_MS);
    assert_int_equal(seen[7], REAPER_SWEEP_MAX_MS);
    assert_int_equal(reaper_sweep_delay(REAPER_SWEEP_MAX_MS, 0), REAPER_SWEEP_MAX_MS);
}

/* A walk that found merged ends brings the next one back to soon. */
static void a_walk_that_finds_ends_comes_soon_again(void **unused) {
    assert_int_equal(reaper_sweep_delay(REAPER_SWEEP_MAX_MS, 1), REAPER_SWEEP_DELAY_MS);
    assert_int_equal(reaper_sweep_delay(40, 300), REAPER_SWEEP_DELAY_MS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_first_walk_comes_soon),
        cmocka_unit_test(empty_walks_back_off_to_the_cap),
        cmocka_unit_test(a_walk_that_finds_ends_comes_soon_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
