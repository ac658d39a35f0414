/*
 * Unit tests for worker/host_title.c: the command line a worker host
 * shows in ps, written into the room its argv area has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "host_title.h"

static void whole_words_that_fit_then_zeros(void **unused) {
    const char *w[] = {"nines-worker", "--module", "/m.so", "--child", "a"};
    char area[40];
    memset(area, 'x', sizeof area);
    assert_int_equal(host_title_compose(w, 5, area, sizeof area), 5);
    assert_memory_equal(area, "nines-worker\0--module\0/m.so\0--child\0a\0", 38);
    assert_int_equal(area[38], 0);
    assert_int_equal(area[39], 0);
}

static void a_word_that_does_not_fit_ends_it(void **unused) {
    const char *w[] = {"nines-worker", "--module", "/a/long/path/m.so", "--child", "a"};
    char area[30];
    memset(area, 'x', sizeof area);
    assert_int_equal(host_title_compose(w, 5, area, sizeof area), 2);
    assert_memory_equal(area, "nines-worker\0--module\0", 22);
    for (size_t i = 22; i < sizeof area; i++)
        assert_int_equal(area[i], 0);
    /* The last byte is room for the NUL: exactly full fits. */
    assert_int_equal(host_title_compose(w, 1, area, 13), 1);
    assert_int_equal(host_title_compose(w, 1, area, 12), 0);
    assert_int_equal(area[0], 0);
}

static void the_remembered_area_is_written(void **unused) {
    char a0[] = "/x/nines-worker", a1[] = "--launcher", a2[] = "                        ";
    char *argv[] = {a0, a1, a2, NULL};
    /* argv laid out as the kernel does: one after the other. */
    char area[sizeof a0 + sizeof a1 + sizeof a2];
    memcpy(area, a0, sizeof a0);
    memcpy(area + sizeof a0, a1, sizeof a1);
    memcpy(area + sizeof a0 + sizeof a1, a2, sizeof a2);
    argv[0] = area, argv[1] = area + sizeof a0, argv[2] = area + sizeof a0 + sizeof a1;
    host_title_init(3, argv);
    const char *w[] = {"/x/nines-worker", "--spare"};
    host_title_set(w, 2);
    assert_memory_equal(area, "/x/nines-worker\0--spare\0", 24);
    for (size_t i = 24; i < sizeof area; i++)
        assert_int_equal(area[i], 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_words_that_fit_then_zeros),
        cmocka_unit_test(a_word_that_does_not_fit_ends_it),
        cmocka_unit_test(the_remembered_area_is_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
