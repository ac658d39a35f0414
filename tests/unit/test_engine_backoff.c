/* Unit tests of restart backoff (a worker's `backoff:`): the delay rule
 * for every k, and the engine carrying it out: the wait is a restart's
 * start, the supervisor stays free meanwhile, a long run resets the count,
 * the intensity still counts, a stop or a newer start forgets the wait.
 * Each expected line lists every action, in order (engine_fixture.h). */
#include "engine_fixture.h"

static struct fx f;

/* The rule written the slow way: double from `initial`, k-1 times, never
 * past max. */
static uint64_t reference(uint64_t initial, uint64_t max, unsigned k) {
    if (initial == 0 || k == 0)
        return 0;
    uint64_t d = initial;
    for (unsigned i = 1; i < k && d < max; i++)
        d = d > max / 2 ? max : d * 2;
    return d < max ? d : max;
}

static void delay_is_initial_doubled_and_capped_for_every_k(void **unused) {
    static const uint64_t initials[] = {1, 3, 100, 250, 1000, 30000, 86400000};
    static const uint64_t maxes[] = {1, 100, 999, 1000, 30000, 86400000, UINT64_MAX};
    for (size_t i = 0; i < NKIDS(initials); i++)
        for (size_t j = 0; j < NKIDS(maxes); j++) {
            if (maxes[j] < initials[i])
                continue;
            struct nines_backoff b = {initials[i], maxes[j], 60000};
            uint64_t last = 0;
            for (unsigned k = 0; k < 300; k++) {
                uint64_t d = engine_backoff_delay(&b, k);
                if (d != reference(b.initial_ms, b.max_ms, k))
                    fail_msg("initial %llu max %llu k %u: %llu", (unsigned long long)b.initial_ms,
                             (unsigned long long)b.max_ms, k, (unsigned long long)d);
                assert_true(d >= last && d <= b.max_ms);
                last = d;
            }
        }
    struct nines_backoff b = {100, 30000, 60000};
    assert_int_equal(engine_backoff_delay(&b, 0), 0);
    assert_int_equal(engine_backoff_delay(&b, 1), 100);
    assert_int_equal(engine_backoff_delay(&b, 2), 200);
    assert_int_equal(engine_backoff_delay(&b, 9), 25600);
    assert_int_equal(engine_backoff_delay(&b, 10), 30000);
    assert_int_equal(engine_backoff_delay(&b, UINT32_MAX), 30000);
    struct nines_backoff none = {0, 0, 0};
    assert_int_equal(engine_backoff_delay(&none, 5), 0);
    assert_int_equal(engine_backoff_delay(NULL, 5), 0);
}

static struct nines_child_spec bw(const char *id, uint64_t initial, uint64_t max, uint64_t reset) {
    struct nines_child_spec c = w(id);
    c.backoff = (struct nines_backoff){initial, max, reset};
    return c;
}

static const char *BACKOFF(struct fx *fx, const char *path) {
    engine_node n = fx_node(fx, path);
    return fx_feed(fx, ENGINE_EV_BACKOFF, n, engine_node_gen(fx->e, n), R_NORMAL());
}

static void boot(struct nines_child_spec *k, size_t n, enum nines_strategy st, unsigned intensity,
                 struct nines_sup_spec *root) {
    *root = sup(st, intensity, 60000, k, n);
    fx_init(&f, root);
    fx_boot(&f);
}

/* 100, 200, 400, 800, then max (1000); each wait shows in the report and
 * in engine_node_backoff, and its end is the restart's spawn. */
static void restarts_wait_longer_each_time_up_to_max(void **unused) {
    struct nines_child_spec k[] = {bw("a", 100, 1000, 60000)};
    struct nines_sup_spec root;
    boot(k, 1, NINES_ONE_FOR_ONE, 100, &root);
    static const uint64_t waits[] = {100, 200, 400, 800, 1000, 1000};
    for (size_t i = 0; i < NKIDS(waits); i++) {
        char want[200];
        unsigned long long gen = i + 1, ms = (unsigned long long)waits[i];
        f.now += 10;
        snprintf(want, sizeof want, "terminated a (killed by SIGSEGV) restart +%llums; backoff a#%llu %llu", ms, gen,
                 ms);
        assert_string_equal(EXIT(&f, "a", R_SEGV()), want);
        uint64_t until = 0;
        unsigned count = 0;
        assert_true(engine_node_backoff(f.e, fx_node(&f, "a"), &until, &count));
        assert_int_equal(until, f.now + waits[i]);
        assert_int_equal(count, i + 1);
        assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_IDLE);
        f.now += waits[i];
        snprintf(want, sizeof want, "spawn a#%llu", gen + 1);
        assert_string_equal(BACKOFF(&f, "a"), want);
        assert_false(engine_node_backoff(f.e, fx_node(&f, "a"), NULL, NULL));
        assert_string_equal(READY(&f, "a"), "started a");
    }
    assert_int_equal(fx_restarts(&f, "a"), NKIDS(waits));
    fx_done(&f);
}

/* A run of `reset` or more starts the count again; a shorter one does not. */
static void a_long_run_resets_the_count(void **unused) {
    struct nines_child_spec k[] = {bw("a", 100, 30000, 5000)};
    struct nines_sup_spec root;
    boot(k, 1, NINES_ONE_FOR_ONE, 100, &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart +100ms; backoff a#1 100");
    f.now += 100;
    assert_string_equal(BACKOFF(&f, "a"), "spawn a#2");
    assert_string_equal(READY(&f, "a"), "started a");
    f.now += 4999; /* just short of reset */
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart +200ms; backoff a#2 200");
    f.now += 200;
    assert_string_equal(BACKOFF(&f, "a"), "spawn a#3");
    assert_string_equal(READY(&f, "a"), "started a");
    f.now += 5000; /* exactly reset */
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart +100ms; backoff a#3 100");
    fx_done(&f);
}

/* No backoff key: restarts at once, as OTP. */
static void without_the_key_restarts_are_immediate(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root;
    boot(k, 1, NINES_ONE_FOR_ONE, 100, &root);
    for (int i = 0; i < 5; i++) {
        char want[120];
        snprintf(want, sizeof want, "terminated a (killed by SIGSEGV) restart; spawn a#%d", i + 2);
        assert_string_equal(EXIT(&f, "a", R_SEGV()), want);
        assert_string_equal(READY(&f, "a"), "started a");
    }
    fx_done(&f);
}

/* While a waits, its supervisor handles a sibling's crash at once, and
 * operator requests; a's wait then ends in its restart. */
static void the_supervisor_is_free_while_a_child_waits(void **unused) {
    struct nines_child_spec k[] = {bw("a", 1000, 30000, 60000), w("b")};
    struct nines_sup_spec root;
    boot(k, 2, NINES_ONE_FOR_ONE, 100, &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart +1000ms; backoff a#1 1000");
    f.now += 10;
    assert_string_equal(EXIT(&f, "b", R_SEGV()), "terminated b (killed by SIGSEGV) restart; spawn b#3");
    assert_string_equal(READY(&f, "b"), "started b");
    assert_string_equal(RESTART_CHILD(&f, 7, "a"), "reply 7 restarting a");
    f.now += 990;
    assert_string_equal(BACKOFF(&f, "a"), "spawn a#4");
    assert_string_equal(READY(&f, "a"), "started a");
    fx_done(&f);
}

/* one_for_all: the strategy is carried out when the wait is over. */
static void one_for_all_restarts_everything_after_the_wait(void **unused) {
    struct nines_child_spec k[] = {w("a"), bw("b", 500, 30000, 60000)};
    struct nines_sup_spec root;
    boot(k, 2, NINES_ONE_FOR_ALL, 100, &root);
    assert_string_equal(EXIT(&f, "b", R_SEGV()), "terminated b (killed by SIGSEGV) restart_all +500ms; backoff b#2 500");
    assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_RUNNING);
    f.now += 500;
    assert_string_equal(BACKOFF(&f, "b"), "stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()), "cancel a#1; stopped a (shutdown); spawn a#3");
    assert_string_equal(READY(&f, "a"), "started a; spawn b#4");
    fx_done(&f);
}

/* The intensity counts each restart when it is decided; the wait does not
 * hide a crash loop from it. */
static void the_intensity_still_gives_up(void **unused) {
    struct nines_child_spec k[] = {bw("a", 100, 1000, 60000)};
    struct nines_sup_spec root;
    boot(k, 1, NINES_ONE_FOR_ONE, 2, &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart +100ms; backoff a#1 100");
    f.now += 100;
    assert_string_equal(BACKOFF(&f, "a"), "spawn a#2");
    assert_string_equal(READY(&f, "a"), "started a");
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart +200ms; backoff a#2 200");
    f.now += 200;
    assert_string_equal(BACKOFF(&f, "a"), "spawn a#3");
    assert_string_equal(READY(&f, "a"), "started a");
    assert_string_equal(EXIT(&f, "a", R_SEGV()),
                        "terminated a (killed by SIGSEGV) give_up; shutdown / (shutdown: reached_max_restart_intensity); "
                        "tree_down 1 (shutdown: reached_max_restart_intensity)");
    fx_done(&f);
}

/* A restart that fails to start waits too, and its retry is counted. */
static void a_failed_restart_waits_before_its_retry(void **unused) {
    struct nines_child_spec k[] = {bw("a", 100, 1000, 60000)};
    struct nines_sup_spec root;
    boot(k, 1, NINES_ONE_FOR_ONE, 100, &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart +100ms; backoff a#1 100");
    f.now += 100;
    assert_string_equal(BACKOFF(&f, "a"), "spawn a#2");
    assert_string_equal(EXIT(&f, "a", R_INIT("no port")), "start_error a (init failed: no port) +200ms; backoff a#2 200");
    assert_int_equal(engine_sup_window_restarts(f.e, ENGINE_ROOT, f.now), 1);
    f.now += 200;
    assert_string_equal(BACKOFF(&f, "a"), "spawn a#3");
    assert_int_equal(engine_sup_window_restarts(f.e, ENGINE_ROOT, f.now), 2);
    assert_string_equal(READY(&f, "a"), "started a");
    fx_done(&f);
}

/* The tree stops while a child waits: nothing is started, and the wait's
 * end, or an end of another incarnation's wait, does nothing. */
static void a_stop_or_a_stale_wait_starts_nothing(void **unused) {
    struct nines_child_spec k[] = {bw("a", 100, 1000, 60000), w("b")};
    struct nines_sup_spec root;
    boot(k, 2, NINES_ONE_FOR_ONE, 100, &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart +100ms; backoff a#1 100");
    engine_node a = fx_node(&f, "a");
    assert_string_equal(fx_feed(&f, ENGINE_EV_BACKOFF, a, 7, R_NORMAL()), "");
    assert_string_equal(STOP(&f), "stop b#2; arm b#2 5000");
    assert_string_equal(BACKOFF(&f, "a"), "");
    assert_string_equal(EXIT(&f, "b", R_SHUTDOWN()), "cancel b#2; stopped b (shutdown); tree_down 0 (shutdown)");
    assert_false(engine_node_backoff(f.e, a, NULL, NULL));
    fx_done(&f);
}

/* terminate_child of a waiting child: it stays stopped. */
static void terminate_child_cancels_the_wait(void **unused) {
    struct nines_child_spec k[] = {bw("a", 100, 1000, 60000)};
    struct nines_sup_spec root;
    boot(k, 1, NINES_ONE_FOR_ONE, 100, &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart +100ms; backoff a#1 100");
    assert_string_equal(TERMINATE_CHILD(&f, 3, "a"), "reply 3 ok a");
    assert_false(engine_node_backoff(f.e, fx_node(&f, "a"), NULL, NULL));
    f.now += 100;
    assert_string_equal(BACKOFF(&f, "a"), "");
    assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_IDLE);
    assert_string_equal(RESTART_CHILD(&f, 4, "a"), "spawn a#2");
    fx_done(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delay_is_initial_doubled_and_capped_for_every_k),
        cmocka_unit_test(restarts_wait_longer_each_time_up_to_max),
        cmocka_unit_test(a_long_run_resets_the_count),
        cmocka_unit_test(without_the_key_restarts_are_immediate),
        cmocka_unit_test(the_supervisor_is_free_while_a_child_waits),
        cmocka_unit_test(one_for_all_restarts_everything_after_the_wait),
        cmocka_unit_test(the_intensity_still_gives_up),
        cmocka_unit_test(a_failed_restart_waits_before_its_retry),
        cmocka_unit_test(a_stop_or_a_stale_wait_starts_nothing),
        cmocka_unit_test(terminate_child_cancels_the_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
