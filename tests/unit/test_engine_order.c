/* Unit tests of engine_actions_spawn_first (engine.h): a restart's SPAWN
 * goes ahead of the report of the end it follows, and nothing else moves.
 * Lists built by hand (every case of the rule), then the real engine's
 * restarts (the pairs it makes are the ones the rule takes). */
#include "engine_fixture.h"

static struct engine_action report(enum engine_report_kind kind, engine_node child) {
    return (struct engine_action){.kind = ENGINE_ACT_REPORT, .node = ENGINE_NO_NODE,
                                  .report = {.kind = kind, .child = child}};
}

static struct engine_action act(enum engine_action_kind kind, engine_node node) {
    return (struct engine_action){.kind = kind, .node = node};
}

/* "S3 T3 ..." for the list: S spawn, T terminated, P stopped, R started,
 * E start_error, C cancel, K kill; the node's number after each. */
static const char *render(const struct engine_action *v, size_t n) {
    static char line[256];
    size_t len = 0;
    line[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char c = '?';
        engine_node node = v[i].node;
        if (v[i].kind == ENGINE_ACT_SPAWN)
            c = 'S';
        else if (v[i].kind == ENGINE_ACT_TIMER_CANCEL)
            c = 'C';
        else if (v[i].kind == ENGINE_ACT_KILL)
            c = 'K';
        else if (v[i].kind == ENGINE_ACT_REPORT) {
            node = v[i].report.child;
            c = v[i].report.kind == ENGINE_REPORT_CHILD_TERMINATED ? 'T'
                : v[i].report.kind == ENGINE_REPORT_CHILD_STOPPED ? 'P'
                : v[i].report.kind == ENGINE_REPORT_CHILD_STARTED ? 'R'
                : v[i].report.kind == ENGINE_REPORT_START_ERROR   ? 'E'
                                                                   : 'O';
        }
        len += (size_t)snprintf(line + len, sizeof line - len, "%s%c%u", i ? " " : "", c, (unsigned)node);
    }
    return line;
}

static const char *reorder(struct engine_action *v, size_t n) {
    struct engine_actions a = {.v = v, .n = n, .cap = n};
    engine_actions_spawn_first(&a);
    assert_int_equal(a.n, n);
    return render(v, n);
}

static void the_spawn_of_a_restart_goes_before_the_report_of_its_end(void **unused) {
    struct engine_action v[] = {report(ENGINE_REPORT_CHILD_TERMINATED, 3), act(ENGINE_ACT_SPAWN, 3)};
    assert_string_equal(reorder(v, 2), "S3 T3");
    struct engine_action p[] = {act(ENGINE_ACT_TIMER_CANCEL, 1), report(ENGINE_REPORT_CHILD_STOPPED, 1),
                                act(ENGINE_ACT_SPAWN, 1)};
    assert_string_equal(reorder(p, 3), "C1 S1 P1");
}

static void every_other_order_stays(void **unused) {
    assert_string_equal(reorder(NULL, 0), "");
    struct engine_action one[] = {act(ENGINE_ACT_SPAWN, 2)};
    assert_string_equal(reorder(one, 1), "S2");
    /* another child's end */
    struct engine_action other[] = {report(ENGINE_REPORT_CHILD_TERMINATED, 2), act(ENGINE_ACT_SPAWN, 3)};
    assert_string_equal(reorder(other, 2), "T2 S3");
    /* reports that are no end */
    struct engine_action started[] = {report(ENGINE_REPORT_CHILD_STARTED, 3), act(ENGINE_ACT_SPAWN, 3)};
    assert_string_equal(reorder(started, 2), "R3 S3");
    struct engine_action error[] = {report(ENGINE_REPORT_START_ERROR, 3), act(ENGINE_ACT_SPAWN, 3)};
    assert_string_equal(reorder(error, 2), "E3 S3");
    /* not side by side */
    struct engine_action apart[] = {report(ENGINE_REPORT_CHILD_TERMINATED, 3), act(ENGINE_ACT_KILL, 4),
                                    act(ENGINE_ACT_SPAWN, 3)};
    assert_string_equal(reorder(apart, 3), "T3 K4 S3");
    /* already spawn first */
    struct engine_action done[] = {act(ENGINE_ACT_SPAWN, 3), report(ENGINE_REPORT_CHILD_TERMINATED, 3)};
    assert_string_equal(reorder(done, 2), "S3 T3");
}

static void each_pair_trades_places_once(void **unused) {
    struct engine_action v[] = {report(ENGINE_REPORT_CHILD_TERMINATED, 1), act(ENGINE_ACT_SPAWN, 1),
                                report(ENGINE_REPORT_CHILD_TERMINATED, 2), act(ENGINE_ACT_SPAWN, 2),
                                act(ENGINE_ACT_SPAWN, 2)};
    assert_string_equal(reorder(v, 5), "S1 T1 S2 T2 S2");
    /* a report before the pair stays before it */
    struct engine_action w3[] = {report(ENGINE_REPORT_START_ERROR, 4), report(ENGINE_REPORT_CHILD_TERMINATED, 3),
                                 act(ENGINE_ACT_SPAWN, 3)};
    assert_string_equal(reorder(w3, 3), "E4 S3 T3");
}

/* What the engine gives for a one_for_one restart and for the last stop of
 * a one_for_all one is what the rule takes. */
static void the_engines_restarts_spawn_first(void **unused) {
    static struct fx f;
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 3, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(EXIT(&f, "b", R_SEGV()), "terminated b (killed by SIGSEGV) restart; spawn b#3");
    engine_node b = fx_node(&f, "b");
    char want[32];
    snprintf(want, sizeof want, "S%u T%u", (unsigned)b, (unsigned)b);
    assert_string_equal(reorder(f.acts.v, f.acts.n), want);
    fx_done(&f);

    struct nines_sup_spec all = sup(NINES_ONE_FOR_ALL, 3, 5000, k, NKIDS(k));
    fx_init(&f, &all);
    fx_boot(&f);
    assert_string_equal(EXIT(&f, "b", R_SEGV()), "terminated b (killed by SIGSEGV) restart_all; stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()), "cancel a#1; stopped a (shutdown); spawn a#3");
    engine_node a = fx_node(&f, "a");
    snprintf(want, sizeof want, "C%u S%u P%u", (unsigned)a, (unsigned)a, (unsigned)a);
    assert_string_equal(reorder(f.acts.v, f.acts.n), want);
    fx_done(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_spawn_of_a_restart_goes_before_the_report_of_its_end),
        cmocka_unit_test(every_other_order_stays),
        cmocka_unit_test(each_pair_trades_places_once),
        cmocka_unit_test(the_engines_restarts_spawn_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
