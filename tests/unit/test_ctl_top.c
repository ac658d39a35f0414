/* Unit tests of ninesctl top's model (ctl/top_model.c): rows from status
 * records, CPU shares between two samples, orders, keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "top_model.h"

static void load(struct ctl_records *rs, const char *const *lines, size_t n) {
    *rs = (struct ctl_records){0};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ctl_records_add(rs, lines[i], strlen(lines[i])), 0);
}

static const char *const first[] = {
    "path=/ kind=supervisor depth=0 state=running health=degraded",
    "path=a kind=worker depth=1 state=running health=ok restarts=0 pid=10 cpu_ms=100 rss_kib=2000 queued=3",
    "path=b kind=exec depth=1 state=running health=degraded restarts=4 pid=11 cpu_ms=5000 rss_kib=900 "
    "last_exit=\"killed by SIGSEGV\"",
    "path=c kind=worker depth=1 state=idle health=failed restarts=2 pid=0",
};
static const char *const second[] = {
    "path=/ kind=supervisor depth=0 state=running health=ok",
    "path=a kind=worker depth=1 state=running health=ok restarts=0 pid=10 cpu_ms=350 rss_kib=2100 queued=0",
    "path=b kind=exec depth=1 state=running health=ok restarts=5 pid=12 cpu_ms=20 rss_kib=800",
    "path=c kind=worker depth=1 state=idle health=failed restarts=2 pid=0",
};

static void cpu_is_a_share_of_one_core_since_the_last_sample(void **unused) {
    struct ctl_records r1, r2;
    load(&r1, first, 4);
    load(&r2, second, 4);
    struct top_sample s1, s2;
    assert_int_equal(top_sample_build(&s1, &r1, 1000, NULL), 0);
    assert_int_equal(s1.rows[1].cpu_permille, -1); /* nothing to compare with yet */
    assert_int_equal(top_sample_build(&s2, &r2, 1500, &s1), 0);
    assert_int_equal(s2.rows[1].cpu_permille, 500); /* 250 ms in 500 ms: 50.0% */
    assert_int_equal(s2.rows[2].cpu_permille, -1);  /* a new process (pid 12): no share yet */
    assert_int_equal(s2.rows[3].cpu_permille, -1);  /* no process */
    assert_int_equal(s2.rows[1].queued, 0);
    assert_int_equal(s1.rows[1].queued, 3);
    top_sample_free(&s1);
    top_sample_free(&s2);
    ctl_records_free(&r1);
    ctl_records_free(&r2);
}

static void state_says_health_as_status_does(void **unused) {
    struct ctl_records r;
    load(&r, first, 4);
    struct top_sample s;
    assert_int_equal(top_sample_build(&s, &r, 0, NULL), 0);
    assert_string_equal(s.rows[0].state, "degraded");
    assert_string_equal(s.rows[1].state, "running");
    assert_string_equal(s.rows[2].state, "degraded");
    assert_string_equal(s.rows[2].last_exit, "killed by SIGSEGV");
    assert_string_equal(s.rows[3].state, "failed");
    top_sample_free(&s);
    ctl_records_free(&r);
}

static const char *order(const struct top_sample *s, char *buf) {
    buf[0] = '\0';
    for (size_t i = 0; i < s->n; i++)
        strcat(buf, s->rows[i].path);
    return buf;
}

static void sorts_largest_first_ties_in_tree_order(void **unused) {
    struct ctl_records r1, r2;
    load(&r1, first, 4);
    load(&r2, second, 4);
    struct top_sample s1, s2;
    top_sample_build(&s1, &r1, 1000, NULL);
    top_sample_build(&s2, &r2, 2000, &s1);
    char buf[16];
    top_sample_sort(&s1, TOP_SORT_MEM);
    assert_string_equal(order(&s1, buf), "ab/c");
    top_sample_sort(&s1, TOP_SORT_RESTARTS);
    assert_string_equal(order(&s1, buf), "bc/a");
    top_sample_sort(&s1, TOP_SORT_QUEUED);
    assert_string_equal(order(&s1, buf), "a/bc");
    top_sample_sort(&s2, TOP_SORT_CPU);
    assert_string_equal(order(&s2, buf), "a/bc"); /* only a has a share */
    top_sample_sort(&s2, TOP_SORT_TREE);
    assert_string_equal(order(&s2, buf), "/abc");
    top_sample_free(&s1);
    top_sample_free(&s2);
    ctl_records_free(&r1);
    ctl_records_free(&r2);
}

static void keys_pick_orders(void **unused) {
    assert_int_equal(top_sort_for_key('c'), TOP_SORT_CPU);
    assert_int_equal(top_sort_for_key('m'), TOP_SORT_MEM);
    assert_int_equal(top_sort_for_key('r'), TOP_SORT_RESTARTS);
    assert_int_equal(top_sort_for_key('u'), TOP_SORT_QUEUED);
    assert_int_equal(top_sort_for_key('t'), TOP_SORT_TREE);
    assert_int_equal(top_sort_for_key('x'), -1);
    assert_string_equal(top_sort_name(TOP_SORT_MEM), "mem");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cpu_is_a_share_of_one_core_since_the_last_sample),
        cmocka_unit_test(state_says_health_as_status_does),
        cmocka_unit_test(sorts_largest_first_ties_in_tree_order),
        cmocka_unit_test(keys_pick_orders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
