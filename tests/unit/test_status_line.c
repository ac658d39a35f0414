/* Unit tests of the STATUS= text (status_line.h): healthy, one child in
 * trouble, the worst named first, the rest counted, the looping rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "status_line.h"

static const char *render(size_t children, size_t troubled, const struct status_trouble *kept, size_t named) {
    static char buf[STATUS_LINE_MAX];
    status_line_render(children, troubled, kept, named, buf, sizeof buf);
    return buf;
}

static void healthy_is_running(void **unused) {
    assert_string_equal(render(12, 0, NULL, 0), "running 12 children");
}

static void one_degraded(void **unused) {
    struct status_trouble t = {"db", NINES_HEALTH_DEGRADED, false, "killed by SIGKILL"};
    assert_string_equal(render(3, 1, &t, 1), "degraded: db degraded (killed by SIGKILL); 1 of 3 children in trouble");
}

static void looping_comes_first_and_names_the_line(void **unused) {
    struct status_trouble kept[STATUS_LINE_NAMED];
    size_t n = 0;
    struct status_trouble a = {"a", NINES_HEALTH_DEGRADED, false, "killed by SIGKILL"};
    struct status_trouble b = {"jobs/b", NINES_HEALTH_FAILED, false, "exit status 1"};
    struct status_trouble c = {"web/c", NINES_HEALTH_DEGRADED, true, "killed by SIGSEGV"};
    struct status_trouble e = {"e", NINES_HEALTH_DEGRADED, false, ""};
    status_line_keep(kept, &n, &a);
    status_line_keep(kept, &n, &b);
    status_line_keep(kept, &n, &e);
    status_line_keep(kept, &n, &c);
    assert_int_equal(n, 3);
    assert_string_equal(kept[0].path, "web/c");
    assert_string_equal(kept[1].path, "jobs/b");
    assert_string_equal(kept[2].path, "a"); /* ties in the order seen: e is dropped */
    assert_string_equal(render(9, 4, kept, n),
                        "crash-looping: web/c crash-looping (killed by SIGSEGV), jobs/b failed (exit status 1), "
                        "a degraded (killed by SIGKILL) and 1 more; 4 of 9 children in trouble");
}

static void a_worse_one_after_three_pushes_out_the_least(void **unused) {
    struct status_trouble kept[STATUS_LINE_NAMED];
    size_t n = 0;
    struct status_trouble d = {"d", NINES_HEALTH_DEGRADED, false, ""};
    for (int i = 0; i < 5; i++)
        status_line_keep(kept, &n, &d);
    struct status_trouble f = {"f", NINES_HEALTH_FAILED, false, ""};
    status_line_keep(kept, &n, &f);
    assert_int_equal(n, 3);
    assert_string_equal(kept[0].path, "f");
    assert_string_equal(kept[1].path, "d");
    assert_string_equal(kept[2].path, "d");
    assert_string_equal(render(6, 6, kept, n), "degraded: f failed, d degraded, d degraded and 3 more; 6 of 6 children in trouble");
}

static void looping_is_two_troubles_within_the_period(void **unused) {
    assert_false(status_is_looping(0, 1000, 5000));        /* one end in trouble only */
    assert_true(status_is_looping(1000, 1000, 5000));
    assert_true(status_is_looping(1000, 6000, 5000));
    assert_false(status_is_looping(1000, 6001, 5000));     /* the earlier one no longer counts */
}

static void a_long_text_is_cut_not_overrun(void **unused) {
    char why[400];
    memset(why, 'x', sizeof why - 1);
    why[sizeof why - 1] = '\0';
    struct status_trouble kept[3] = {{"a", NINES_HEALTH_FAILED, false, why}, {"b", NINES_HEALTH_FAILED, false, why},
                                     {"c", NINES_HEALTH_FAILED, false, why}};
    char buf[STATUS_LINE_MAX];
    status_line_render(3, 3, kept, 3, buf, sizeof buf);
    assert_int_equal(strlen(buf), sizeof buf - 1);
    assert_memory_equal(buf, "degraded: a failed (xxx", 23);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(healthy_is_running),
        cmocka_unit_test(one_degraded),
        cmocka_unit_test(looping_comes_first_and_names_the_line),
        cmocka_unit_test(a_worse_one_after_three_pushes_out_the_least),
        cmocka_unit_test(looping_is_two_troubles_within_the_period),
        cmocka_unit_test(a_long_text_is_cut_not_overrun),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
