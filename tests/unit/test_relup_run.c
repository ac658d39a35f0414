/*
 * Unit tests of the release install's sequencing (appup/relup_run.h): for
 * every plan of up to 6 steps, every set of steps with and without an
 * undo, every kind (a swap that moves workers or an engine change), a
 * failure at every position k of n or none, and an undo failing at every
 * position, the actions come in the order the header states, and the
 * outcome counts exactly the undos that ran ok. Then the cases named one by
 * one: a step without undo, an undo that fails, a half-moved swap, a
 * failed swap that had moved nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "relup_run.h"

#define MAX_STEPS 6
#define NO_FAILURE ((size_t)-1)

struct plan_fixture {
    struct nines_relup_step steps[MAX_STEPS];
    struct nines_relup plan;
};

/* Step i has an undo when bit i of `undo_mask` is set, and is a swap when
 * bit i of `swap_mask` is, else a change of a child. */
static void make_plan(struct plan_fixture *f, size_t n, unsigned undo_mask, unsigned swap_mask) {
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < n; i++) {
        f->steps[i].has_undo = undo_mask >> i & 1;
        f->steps[i].op.kind = swap_mask >> i & 1 ? NINES_RELUP_SWAP : NINES_RELUP_CHANGE_CHILD;
    }
    f->plan = (struct nines_relup){.release = "t", .from_version = "1.0.0", .to_version = "2.0.0",
                                   .steps = f->steps, .n_steps = n};
}

struct expected {
    struct relup_run_next actions[2 * MAX_STEPS + 1];
    size_t n;
    size_t undone;
};

static void expect(struct expected *e, enum relup_run_action a, size_t step) {
    e->actions[e->n++] = (struct relup_run_next){a, step};
}

/* The order as the header states it, written out plainly. */
static struct expected reference(const struct plan_fixture *f, size_t fail_at, size_t moved,
                                 size_t failing_undo) {
    struct expected e = {0};
    size_t n = f->plan.n_steps;
    for (size_t i = 0; i < n && i <= fail_at; i++)
        expect(&e, RELUP_RUN_DO, i);
    if (fail_at == NO_FAILURE) {
        expect(&e, RELUP_RUN_SUCCEEDED, 0);
        return e;
    }
    bool own_undo = f->steps[fail_at].has_undo &&
                    !(f->steps[fail_at].op.kind == NINES_RELUP_SWAP && moved == 0);
    if (own_undo)
        expect(&e, RELUP_RUN_UNDO, fail_at), e.undone += failing_undo != fail_at;
    for (size_t j = fail_at; j-- > 0;)
        if (f->steps[j].has_undo)
            expect(&e, RELUP_RUN_UNDO, j), e.undone += failing_undo != j;
    expect(&e, RELUP_RUN_FAILED, 0);
    return e;
}

/* Runs the machine, answering each action as the scenario says. */
static struct expected drive(struct relup_run *run, const struct plan_fixture *f, size_t fail_at, size_t moved,
                             size_t failing_undo) {
    struct expected got = {0};
    struct relup_run_next next = relup_run_begin(run, &f->plan);
    while (got.n < sizeof got.actions / sizeof *got.actions) {
        got.actions[got.n++] = next;
        if (next.action == RELUP_RUN_SUCCEEDED || next.action == RELUP_RUN_FAILED)
            break;
        bool ok = next.action == RELUP_RUN_DO ? next.step != fail_at : next.step != failing_undo;
        size_t workers = next.step == fail_at ? moved : 1;
        next = relup_run_done(run, ok, workers);
    }
    return got;
}

static void check_scenario(size_t n, unsigned undo_mask, unsigned swap_mask, size_t fail_at, size_t moved,
                           size_t failing_undo) {
    struct plan_fixture f;
    make_plan(&f, n, undo_mask, swap_mask);
    struct relup_run run;
    struct expected want = reference(&f, fail_at, moved, failing_undo);
    struct expected got = drive(&run, &f, fail_at, moved, failing_undo);
    char where[160];
    snprintf(where, sizeof where, "n=%zu undo=%#x swap=%#x fail=%zd moved=%zu failing_undo=%zd", n, undo_mask,
             swap_mask, (ssize_t)fail_at, moved, (ssize_t)failing_undo);
    if (got.n != want.n)
        fail_msg("%s: %zu actions, expected %zu", where, got.n, want.n);
    for (size_t i = 0; i < want.n; i++)
        if (got.actions[i].action != want.actions[i].action || got.actions[i].step != want.actions[i].step)
            fail_msg("%s: action %zu is %d/%zu, expected %d/%zu", where, i, got.actions[i].action,
                     got.actions[i].step, want.actions[i].action, want.actions[i].step);
    if (fail_at != NO_FAILURE) {
        if (run.undone != want.undone)
            fail_msg("%s: %zu undone, expected %zu", where, run.undone, want.undone);
        bool undo_ran_and_failed = false;
        for (size_t i = 0; i < want.n; i++)
            undo_ran_and_failed |= want.actions[i].action == RELUP_RUN_UNDO && want.actions[i].step == failing_undo;
        if (run.undo_failed != undo_ran_and_failed)
            fail_msg("%s: undo_failed %d", where, run.undo_failed);
    }
}

static void every_plan_every_failure_every_failing_undo(void **unused) {
    size_t scenarios = 0;
    for (size_t n = 0; n <= MAX_STEPS; n++)
        for (unsigned undo = 0; undo < 1u << n; undo++)
            for (unsigned swap = 0; swap < 1u << n; swap++) {
                check_scenario(n, undo, swap, NO_FAILURE, 0, NO_FAILURE), scenarios++;
                for (size_t k = 0; k < n; k++)
                    for (size_t moved = 0; moved <= 1; moved++) {
                        check_scenario(n, undo, swap, k, moved, NO_FAILURE), scenarios++;
                        for (size_t u = 0; u <= k; u++)
                            check_scenario(n, undo, swap, k, moved, u), scenarios++;
                    }
            }
    assert_true(scenarios > 100000);
}

static void outcome_of(size_t n, unsigned undo_mask, unsigned swap_mask, size_t fail_at, size_t moved,
                       size_t failing_undo, char *buf, size_t size) {
    static struct plan_fixture f; /* the run borrows it past this call */
    make_plan(&f, n, undo_mask, swap_mask);
    struct relup_run run;
    struct expected got = drive(&run, &f, fail_at, moved, failing_undo);
    assert_int_equal(got.actions[got.n - 1].action, RELUP_RUN_FAILED);
    relup_run_outcome(&run, "swap refused", buf, size);
}

static void a_step_without_undo_is_skipped_and_not_counted(void **unused) {
    char msg[300];
    /* steps 1 and 3 have an undo, 2 not; 4 (a child change with an undo) fails */
    outcome_of(4, 0x5 | 0x8, 0, 3, 0, NO_FAILURE, msg, sizeof msg);
    assert_string_equal(msg, "3 steps undone (the failed one included), t stays on 1.0.0");
    outcome_of(3, 0x1, 0, 2, 0, NO_FAILURE, msg, sizeof msg);
    assert_string_equal(msg, "1 step undone, t stays on 1.0.0");
}

static void an_undo_that_fails_leaves_the_tree_between_releases(void **unused) {
    char msg[300];
    outcome_of(3, 0x7, 0, 2, 0, 1, msg, sizeof msg);
    assert_string_equal(msg, "undo of step 2 failed: swap refused: the tree is between 1.0.0 and 2.0.0, see the log");
}

static void a_half_moved_swap_names_the_workers_sent_back(void **unused) {
    char msg[300];
    /* 2 steps, both swaps with an undo, the second fails after moving workers */
    outcome_of(2, 0x3, 0x3, 1, 1, NO_FAILURE, msg, sizeof msg);
    assert_string_equal(msg, "its 1 worker that had moved and 1 earlier step undone, t stays on 1.0.0");
}

/* The case the old executor got wrong ("undo 1/1 ok", then "0 steps
 * undone"): a swap that failed before moving anyone runs no undo, and a
 * failed step whose undo did run is counted. */
static void the_count_matches_the_undos_reported(void **unused) {
    char msg[300];
    struct plan_fixture f;
    make_plan(&f, 1, 0x1, 0x1);
    struct relup_run run;
    struct expected got = drive(&run, &f, 0, 0, NO_FAILURE);
    assert_int_equal(got.n, 2); /* DO 1, FAILED: no undo record at all */
    relup_run_outcome(&run, NULL, msg, sizeof msg);
    assert_string_equal(msg, "0 steps undone, t stays on 1.0.0");
    outcome_of(1, 0x1, 0, 0, 0, NO_FAILURE, msg, sizeof msg);
    assert_string_equal(msg, "1 step undone (the failed one included), t stays on 1.0.0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_plan_every_failure_every_failing_undo),
        cmocka_unit_test(a_step_without_undo_is_skipped_and_not_counted),
        cmocka_unit_test(an_undo_that_fails_leaves_the_tree_between_releases),
        cmocka_unit_test(a_half_moved_swap_names_the_workers_sent_back),
        cmocka_unit_test(the_count_matches_the_undos_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
