/*
 * Unit tests of the order of an upgrade of every child of a dynamic
 * supervisor (supervisord/release/upgrade_all_run.h): for every count of
 * up to 7 children, a failure at every position or none, and every set
 * of swaps back that fail, the actions come in the header's order (one
 * child after the other; on a failure the swapped ones back, latest
 * first, each once), and the outcome counts what went back. Then the
 * cases named one by one: no children, children found after success, a
 * crash after a swap (abort), and the outcome's wording.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "upgrade_all_run.h"

#define MAX 7
#define NONE ((size_t)-1)

struct trace {
    struct upgrade_all_next v[3 * MAX + 2];
    size_t n;
};

/* Run n children; child `fail_at` refuses (NONE: none does); swap back i
 * fails when bit i of `back_fails` is set. */
static struct trace run_it(size_t n, size_t fail_at, unsigned back_fails, struct upgrade_all_run *run) {
    struct trace t = {0};
    struct upgrade_all_next nx = upgrade_all_begin(run, n);
    for (;;) {
        assert_true(t.n < sizeof t.v / sizeof t.v[0]);
        t.v[t.n++] = nx;
        if (nx.action == UPGRADE_ALL_SUCCEEDED || nx.action == UPGRADE_ALL_FAILED)
            return t;
        bool ok = nx.action == UPGRADE_ALL_SWAP ? nx.child != fail_at : !(back_fails >> nx.child & 1);
        nx = upgrade_all_done(run, ok);
    }
}

static void every_order(void **state) {
    for (size_t n = 0; n <= MAX; n++)
        for (size_t f = 0; f <= n; f++) {
            size_t fail_at = f == n ? NONE : f;
            unsigned masks = fail_at == NONE ? 1 : 1u << fail_at;
            for (unsigned back_fails = 0; back_fails < masks; back_fails++) {
                struct upgrade_all_run run;
                struct trace t = run_it(n, fail_at, back_fails, &run);
                size_t k = 0;
                size_t forward = fail_at == NONE ? n : fail_at + 1;
                for (size_t i = 0; i < forward; i++, k++) {
                    assert_int_equal(t.v[k].action, UPGRADE_ALL_SWAP);
                    assert_int_equal(t.v[k].child, i);
                }
                if (fail_at == NONE) {
                    assert_int_equal(t.v[k].action, UPGRADE_ALL_SUCCEEDED);
                    assert_int_equal(run.swapped, n);
                    assert_int_equal(t.n, n + 1);
                    continue;
                }
                size_t failed_backs = 0;
                for (size_t i = fail_at; i-- > 0; k++) {
                    assert_int_equal(t.v[k].action, UPGRADE_ALL_SWAP_BACK);
                    assert_int_equal(t.v[k].child, i);
                    failed_backs += back_fails >> i & 1;
                }
                assert_int_equal(t.v[k].action, UPGRADE_ALL_FAILED);
                assert_int_equal(t.n, k + 1);
                assert_int_equal(run.failed, fail_at);
                assert_int_equal(run.swapped, fail_at);
                assert_int_equal(run.back_failed, failed_backs);
                assert_int_equal(run.sent_back, fail_at - failed_backs);
                /* once ended, a stray result changes nothing */
                assert_int_equal(upgrade_all_done(&run, true).action, UPGRADE_ALL_FAILED);
                assert_int_equal(run.sent_back, fail_at - failed_backs);
            }
        }
}

static void no_children_is_success(void **state) {
    struct upgrade_all_run run;
    assert_int_equal(upgrade_all_begin(&run, 0).action, UPGRADE_ALL_SUCCEEDED);
    assert_int_equal(upgrade_all_extend(&run, 0).action, UPGRADE_ALL_SUCCEEDED);
}

/* Children started while the upgrade ran are swapped after the others. */
static void children_found_later_swap_too(void **state) {
    struct upgrade_all_run run;
    assert_int_equal(upgrade_all_begin(&run, 1).action, UPGRADE_ALL_SWAP);
    assert_int_equal(upgrade_all_done(&run, true).action, UPGRADE_ALL_SUCCEEDED);
    struct upgrade_all_next nx = upgrade_all_extend(&run, 2);
    assert_int_equal(nx.action, UPGRADE_ALL_SWAP);
    assert_int_equal(nx.child, 1);
    nx = upgrade_all_done(&run, true);
    assert_int_equal(nx.child, 2);
    /* the last of them refuses: all before it go back, the first included */
    nx = upgrade_all_done(&run, false);
    assert_int_equal(nx.action, UPGRADE_ALL_SWAP_BACK);
    assert_int_equal(nx.child, 1);
    nx = upgrade_all_done(&run, true);
    assert_int_equal(nx.child, 0);
    assert_int_equal(upgrade_all_done(&run, true).action, UPGRADE_ALL_FAILED);
    assert_int_equal(run.sent_back, 2);
    /* after a failure, nothing is extended */
    assert_int_equal(upgrade_all_extend(&run, 3).action, UPGRADE_ALL_FAILED);
}

/* A swapped child crashed: the run fails there and sends back all swapped. */
static void abort_sends_back_every_swapped_child(void **state) {
    struct upgrade_all_run run;
    upgrade_all_begin(&run, 4);
    upgrade_all_done(&run, true);                              /* 0 swapped */
    struct upgrade_all_next nx = upgrade_all_done(&run, true); /* 1 swapped, 2 next */
    assert_int_equal(nx.child, 2);
    nx = upgrade_all_abort(&run);
    assert_int_equal(nx.action, UPGRADE_ALL_SWAP_BACK);
    assert_int_equal(nx.child, 1);
    assert_int_equal(run.failed, 2);
    /* abort again while undoing: the swap back under way, nothing new */
    nx = upgrade_all_abort(&run);
    assert_int_equal(nx.action, UPGRADE_ALL_SWAP_BACK);
    assert_int_equal(nx.child, 1);
    nx = upgrade_all_done(&run, true);
    assert_int_equal(nx.child, 0);
    assert_int_equal(upgrade_all_done(&run, true).action, UPGRADE_ALL_FAILED);
    assert_int_equal(upgrade_all_abort(&run).action, UPGRADE_ALL_FAILED);
    assert_int_equal(run.sent_back, 2);
}

static void outcome_wording(void **state) {
    char buf[200];
    struct upgrade_all_run run;
    run_it(3, 0, 0, &run);
    upgrade_all_outcome(&run, "1.0.0", "2.0.0", buf, sizeof buf);
    assert_string_equal(buf, "no child had swapped: every child runs 1.0.0");
    run_it(3, 1, 0, &run);
    upgrade_all_outcome(&run, "1.0.0", "2.0.0", buf, sizeof buf);
    assert_string_equal(buf, "1 child sent back: every child runs 1.0.0");
    run_it(4, 3, 0, &run);
    upgrade_all_outcome(&run, "1.0.0", "2.0.0", buf, sizeof buf);
    assert_string_equal(buf, "3 children sent back: every child runs 1.0.0");
    run_it(4, 3, 2, &run);
    upgrade_all_outcome(&run, "1.0.0", "2.0.0", buf, sizeof buf);
    assert_string_equal(buf, "2 of 3 children sent back, 1 could not be: the children run 1.0.0 and 2.0.0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_order),
        cmocka_unit_test(no_children_is_success),
        cmocka_unit_test(children_found_later_swap_too),
        cmocka_unit_test(abort_sends_back_every_swapped_child),
        cmocka_unit_test(outcome_wording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
