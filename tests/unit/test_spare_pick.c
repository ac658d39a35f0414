/*
 * Unit tests for supervisord/spare_pick.c: which module a spare preloads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "spare_pick.h"

static void nothing_started_picks_nothing(void **unused) {
    struct spare_pick p = {0};
    assert_null(spare_pick_choose(&p, 1000));
}

/* The module started most often in the window wins, whatever came last. */
static void the_most_started_in_the_window_wins(void **unused) {
    struct spare_pick p = {0};
    for (int i = 0; i < 3; i++)
        assert_int_equal(spare_pick_note(&p, "/m/a.so", 1000 + (uint64_t)i), 0);
    spare_pick_note(&p, "/m/b.so", 1010);
    assert_string_equal(spare_pick_choose(&p, 1020), "/m/a.so");
    spare_pick_note(&p, "/m/b.so", 1011);
    spare_pick_note(&p, "/m/b.so", 1012);
    /* 3 each: the tie goes to the one started last. */
    assert_string_equal(spare_pick_choose(&p, 1020), "/m/b.so");
    spare_pick_free(&p);
}

/* Starts out of the window no longer count; with none in it, the last
 * one started is the pick. */
static void old_starts_fade(void **unused) {
    struct spare_pick p = {0};
    for (int i = 0; i < 10; i++)
        spare_pick_note(&p, "/m/a.so", 1000);
    spare_pick_note(&p, "/m/b.so", 1000 + SPARE_PICK_WINDOW_MS);
    assert_string_equal(spare_pick_choose(&p, 1000 + SPARE_PICK_WINDOW_MS), "/m/b.so");
    assert_string_equal(spare_pick_choose(&p, 1000 + 5 * SPARE_PICK_WINDOW_MS), "/m/b.so");
    spare_pick_free(&p);
}

/* The history is bounded: the oldest starts drop out. */
static void the_history_is_bounded(void **unused) {
    struct spare_pick p = {0};
    for (int i = 0; i < SPARE_PICK_HISTORY - 1; i++)
        spare_pick_note(&p, "/m/a.so", 1000);
    for (int i = 0; i < SPARE_PICK_HISTORY; i++)
        spare_pick_note(&p, i % 2 ? "/m/b.so" : "/m/c.so", 1001);
    assert_int_equal(p.n, SPARE_PICK_HISTORY);
    /* a's starts are gone: b and c have half each, c... b started last. */
    assert_string_equal(spare_pick_choose(&p, 1002), "/m/b.so");
    spare_pick_free(&p);
    assert_int_equal(p.n, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_started_picks_nothing),
        cmocka_unit_test(the_most_started_in_the_window_wins),
        cmocka_unit_test(old_starts_fade),
        cmocka_unit_test(the_history_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
