/* Unit tests of the strategy engine's restarts: strategies, restart types,
 * intensity and its sliding window, escalation, failed restarts and
 * try-again, and what waits in a busy supervisor's mailbox. Each expected
 * line lists every action, in order (see engine_fixture.h). */
#include "engine_fixture.h"

static struct fx f;

static void boot_flat(enum nines_strategy st, unsigned intensity, struct nines_child_spec *k, size_t n,
                      struct nines_sup_spec *root) {
    *root = sup(st, intensity, 5000, k, n);
    fx_init(&f, root);
    fx_boot(&f);
}

/* ---- strategies ----------------------------------------------------------------- */

static void one_for_one_restarts_only_the_failed_child(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 3, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "b", R_SEGV()), "terminated b (killed by SIGSEGV) restart; spawn b#4");
    assert_int_equal(fx_state(&f, "b"), ENGINE_NODE_STARTING);
    assert_string_equal(READY(&f, "b"), "started b");
    assert_int_equal(fx_restarts(&f, "a"), 0);
    assert_int_equal(fx_restarts(&f, "b"), 1);
    assert_int_equal(fx_restarts(&f, "c"), 0);
    fx_done(&f);
}

/* one_for_all: the others are terminated in reverse start order, then all
 * are started in start order. */
static void one_for_all_stops_others_in_reverse_then_starts_all(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ALL, 3, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "b", R_SEGV()),
                        "terminated b (killed by SIGSEGV) restart_all; stop c#3; arm c#3 5000");
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()),
                        "cancel c#3; stopped c (shutdown); stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()), "cancel a#1; stopped a (shutdown); spawn a#4");
    assert_string_equal(READY(&f, "a"), "started a; spawn b#5");
    assert_string_equal(READY(&f, "b"), "started b; spawn c#6");
    assert_string_equal(READY(&f, "c"), "started c");
    assert_int_equal(fx_restarts(&f, "a"), 1);
    assert_int_equal(fx_restarts(&f, "c"), 1);
    fx_done(&f);
}

/* rest_for_one: those after the failed child, in reverse; then the failed
 * one and those after it, in order; those before are untouched. */
static void rest_for_one_restarts_the_failed_and_later_ones(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c"), w("d")};
    struct nines_sup_spec root;
    boot_flat(NINES_REST_FOR_ONE, 3, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "b", R_SEGV()),
                        "terminated b (killed by SIGSEGV) restart_rest; stop d#4; arm d#4 5000");
    assert_string_equal(EXIT(&f, "d", R_SHUTDOWN()),
                        "cancel d#4; stopped d (shutdown); stop c#3; arm c#3 5000");
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()), "cancel c#3; stopped c (shutdown); spawn b#5");
    assert_string_equal(READY(&f, "b"), "started b; spawn c#6");
    assert_string_equal(READY(&f, "c"), "started c; spawn d#7");
    assert_string_equal(READY(&f, "d"), "started d");
    assert_int_equal(fx_restarts(&f, "a"), 0);
    assert_int_equal(engine_node_gen(f.e, fx_node(&f, "a")), 1);
    /* the last child has nobody after it */
    assert_string_equal(EXIT(&f, "d", R_SEGV()), "terminated d (killed by SIGSEGV) restart_rest; spawn d#8");
    fx_done(&f);
}

/* OTP's terminate_children removes temporaries: they are not restarted by
 * one_for_all or rest_for_one. */
static void one_for_all_removes_terminated_temporaries(void **unused) {
    struct nines_child_spec k[] = {w("a"), wr("t", NINES_TEMPORARY), w("c")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ALL, 3, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()),
                        "terminated a (killed by SIGSEGV) restart_all; stop c#3; arm c#3 5000");
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()),
                        "cancel c#3; stopped c (shutdown); stop t#2; arm t#2 5000");
    assert_string_equal(EXIT(&f, "t", R_SHUTDOWN()), "cancel t#2; stopped t (shutdown); spawn a#4");
    assert_int_equal(fx_state(&f, "t"), ENGINE_NODE_REMOVED);
    assert_string_equal(READY(&f, "a"), "started a; spawn c#5");
    assert_string_equal(READY(&f, "c"), "started c");
    fx_done(&f);
}

static void rest_for_one_removes_terminated_temporaries(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), wr("t", NINES_TEMPORARY), w("d")};
    struct nines_sup_spec root;
    boot_flat(NINES_REST_FOR_ONE, 3, k, NKIDS(k), &root);
    EXIT(&f, "b", R_SEGV());
    assert_string_equal(EXIT(&f, "d", R_SHUTDOWN()),
                        "cancel d#4; stopped d (shutdown); stop t#3; arm t#3 5000");
    assert_string_equal(EXIT(&f, "t", R_SHUTDOWN()), "cancel t#3; stopped t (shutdown); spawn b#5");
    assert_string_equal(READY(&f, "b"), "started b; spawn d#6");
    assert_string_equal(READY(&f, "d"), "started d");
    assert_int_equal(fx_state(&f, "t"), ENGINE_NODE_REMOVED);
    fx_done(&f);
}

/* one_for_all starts every child it holds, a transient that had ended
 * normally included (OTP's start_children over the whole list). */
static void one_for_all_starts_a_transient_that_had_ended(void **unused) {
    struct nines_child_spec k[] = {w("a"), wr("tr", NINES_TRANSIENT), w("c")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ALL, 3, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "tr", R_NORMAL()), "terminated tr (normal) none");
    assert_int_equal(fx_state(&f, "tr"), ENGINE_NODE_IDLE);
    assert_string_equal(EXIT(&f, "c", R_SEGV()),
                        "terminated c (killed by SIGSEGV) restart_all; stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()), "cancel a#1; stopped a (shutdown); spawn a#4");
    assert_string_equal(READY(&f, "a"), "started a; spawn tr#5");
    assert_string_equal(READY(&f, "tr"), "started tr; spawn c#6");
    fx_done(&f);
}

/* ---- restart types ----------------------------------------------------------------- */

static void permanent_is_restarted_whatever_the_reason(void **unused) {
    struct nines_child_spec k[] = {w("p"), w("q")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 10, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "p", R_NORMAL()), "terminated p (normal) restart; spawn p#3");
    READY(&f, "p");
    assert_string_equal(EXIT(&f, "p", R_SHUTDOWN()), "terminated p (shutdown) restart; spawn p#4");
    READY(&f, "p");
    assert_string_equal(EXIT(&f, "p", nines_reason_make(NINES_REASON_EXIT_STATUS, 2, NULL)),
                        "terminated p (exit status 2) restart; spawn p#5");
    fx_done(&f);
}

/* transient: a normal or shutdown exit leaves it down (still in the
 * supervisor); an abnormal one restarts it. */
static void transient_is_restarted_only_after_an_abnormal_exit(void **unused) {
    struct nines_child_spec k[] = {wr("t1", NINES_TRANSIENT), wr("t2", NINES_TRANSIENT),
                                   wr("t3", NINES_TRANSIENT), w("p")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 10, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "t1", R_NORMAL()), "terminated t1 (normal) none");
    assert_int_equal(fx_state(&f, "t1"), ENGINE_NODE_IDLE);
    assert_string_equal(EXIT(&f, "t2", R_SHUTDOWN()), "terminated t2 (shutdown) none");
    assert_int_equal(fx_state(&f, "t2"), ENGINE_NODE_IDLE);
    assert_string_equal(EXIT(&f, "t3", R_INIT("x")), "terminated t3 (init failed: x) restart; spawn t3#5");
    assert_int_equal(fx_state(&f, "p"), ENGINE_NODE_RUNNING);
    fx_done(&f);
}

/* temporary: never restarted, whatever the reason; removed; siblings
 * untouched even under one_for_all. */
static void temporary_is_removed_never_restarted(void **unused) {
    struct nines_child_spec k[] = {w("a"), wr("t1", NINES_TEMPORARY), wr("t2", NINES_TEMPORARY)};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ALL, 10, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "t1", R_SEGV()), "terminated t1 (killed by SIGSEGV) remove");
    assert_string_equal(EXIT(&f, "t2", R_NORMAL()), "terminated t2 (normal) remove");
    assert_int_equal(fx_state(&f, "t1"), ENGINE_NODE_REMOVED);
    assert_int_equal(fx_state(&f, "t2"), ENGINE_NODE_REMOVED);
    assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_RUNNING);
    /* a removed child takes no part in the next one_for_all restart */
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart_all; spawn a#4");
    fx_done(&f);
}

/* ---- intensity ------------------------------------------------------------------- */

/* More than `intensity` restarts within `period`: report, terminate the
 * children in reverse, exit; the root's exit ends the tree with 1. */
static void more_than_intensity_restarts_give_up(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 1, k, NKIDS(k), &root);
    f.now = 1000;
    assert_string_equal(EXIT(&f, "b", R_SEGV()), "terminated b (killed by SIGSEGV) restart; spawn b#4");
    READY(&f, "b");
    f.now = 2000;
    assert_string_equal(EXIT(&f, "b", R_SEGV()),
                        "terminated b (killed by SIGSEGV) give_up; "
                        "shutdown / (shutdown: reached_max_restart_intensity); stop c#3; arm c#3 5000");
    assert_int_equal(fx_state(&f, "/"), ENGINE_NODE_STOPPING);
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()),
                        "cancel c#3; stopped c (shutdown); stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()),
                        "cancel a#1; stopped a (shutdown); "
                        "tree_down 1 (shutdown: reached_max_restart_intensity)");
    fx_done(&f);
}

static void intensity_zero_gives_up_at_the_first_restart(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 0, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()),
                        "terminated a (killed by SIGSEGV) give_up; "
                        "shutdown / (shutdown: reached_max_restart_intensity); "
                        "tree_down 1 (shutdown: reached_max_restart_intensity)");
    fx_done(&f);
}

/* Restarts spread beyond the period never add up; a burst does. */
static void restarts_older_than_the_period_are_forgotten(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 2, k, NKIDS(k), &root);
    char want[64];
    for (int i = 0; i < 6; i++) {
        f.now = (uint64_t)i * 3000; /* two restarts per 5 s window at most */
        snprintf(want, sizeof want, "terminated a (killed by SIGSEGV) restart; spawn a#%d", i + 2);
        assert_string_equal(EXIT(&f, "a", R_SEGV()), want);
        READY(&f, "a");
    }
    assert_int_equal(fx_restarts(&f, "a"), 6);
    f.now = 15001; /* window (10001..15001): 12000, 15000, 15001: three */
    assert_string_equal(EXIT(&f, "a", R_SEGV()),
                        "terminated a (killed by SIGSEGV) give_up; "
                        "shutdown / (shutdown: reached_max_restart_intensity); "
                        "tree_down 1 (shutdown: reached_max_restart_intensity)");
    fx_done(&f);
}

/* OTP keeps a restart made exactly `period` ago (R >= Now - Period). */
static void a_restart_exactly_one_period_ago_still_counts(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 1, k, NKIDS(k), &root);
    f.now = 1000;
    EXIT(&f, "a", R_SEGV());
    READY(&f, "a");
    f.now = 6000;
    assert_string_equal(EXIT(&f, "a", R_SEGV()),
                        "terminated a (killed by SIGSEGV) give_up; "
                        "shutdown / (shutdown: reached_max_restart_intensity); "
                        "tree_down 1 (shutdown: reached_max_restart_intensity)");
    fx_done(&f);
    boot_flat(NINES_ONE_FOR_ONE, 1, k, NKIDS(k), &root);
    f.now = 1000;
    EXIT(&f, "a", R_SEGV());
    READY(&f, "a");
    f.now = 6001;
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart; spawn a#3");
    fx_done(&f);
}

/* What status shows as "2/3 in 5s": the restarts the next one would be
 * counted with, forgetting those older than the period as time passes. */
static void the_window_counts_restarts_within_the_period(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 3, k, NKIDS(k), &root);
    assert_int_equal(engine_sup_window_restarts(f.e, ENGINE_ROOT, 0), 0);
    f.now = 1000;
    EXIT(&f, "a", R_SEGV());
    READY(&f, "a");
    f.now = 4000;
    EXIT(&f, "b", R_SEGV());
    READY(&f, "b");
    assert_int_equal(engine_sup_window_restarts(f.e, ENGINE_ROOT, 4000), 2);
    assert_int_equal(engine_sup_window_restarts(f.e, ENGINE_ROOT, 6000), 2); /* 1000 + 5000 >= 6000 */
    assert_int_equal(engine_sup_window_restarts(f.e, ENGINE_ROOT, 6001), 1);
    assert_int_equal(engine_sup_window_restarts(f.e, ENGINE_ROOT, 9001), 0);
    assert_int_equal(engine_sup_window_restarts(f.e, fx_node(&f, "a"), 4000), 0); /* a worker */
    fx_done(&f);
}

/* ---- escalation ------------------------------------------------------------------- */

/* A nested supervisor that gives up exits; its parent treats that as a
 * child's exit (permanent: restarted, counted in the parent's intensity),
 * up to the root, which ends the tree with 1. */
static void escalation_from_nested_supervisor_to_the_root(void **unused) {
    struct nines_child_spec inner[] = {w("x"), w("y")};
    struct nines_sup_spec sub = sup(NINES_ONE_FOR_ONE, 0, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {w("a"), sv("sub", NINES_PERMANENT, &sub)};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(EXIT(&f, "sub/x", R_SEGV()),
                        "terminated sub/x (killed by SIGSEGV) give_up; "
                        "shutdown sub (shutdown: reached_max_restart_intensity); "
                        "stop sub/y#3; arm sub/y#3 5000");
    assert_string_equal(EXIT(&f, "sub/y", R_SHUTDOWN()),
                        "cancel sub/y#3; stopped sub/y (shutdown); "
                        "terminated sub (shutdown: reached_max_restart_intensity) restart; spawn sub/x#4");
    assert_string_equal(READY(&f, "sub/x"), "started sub/x; spawn sub/y#5");
    assert_string_equal(READY(&f, "sub/y"), "started sub/y; started sub");
    assert_int_equal(fx_restarts(&f, "sub"), 1);
    assert_int_equal(fx_restarts(&f, "sub/x"), 1);
    /* the second time the root's own intensity (1) is exceeded */
    EXIT(&f, "sub/y", R_SEGV());
    assert_string_equal(EXIT(&f, "sub/x", R_SHUTDOWN()),
                        "cancel sub/x#4; stopped sub/x (shutdown); "
                        "terminated sub (shutdown: reached_max_restart_intensity) give_up; "
                        "shutdown / (shutdown: reached_max_restart_intensity); stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()),
                        "cancel a#1; stopped a (shutdown); "
                        "tree_down 1 (shutdown: reached_max_restart_intensity)");
    fx_done(&f);
}

/* Giving up is a shutdown-like exit: a transient supervisor child that
 * gives up is not restarted. */
static void a_transient_supervisor_that_gives_up_stays_down(void **unused) {
    struct nines_child_spec inner[] = {w("x")};
    struct nines_sup_spec sub = sup(NINES_ONE_FOR_ONE, 0, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {w("a"), sv("sub", NINES_TRANSIENT, &sub)};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ALL, 1, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(EXIT(&f, "sub/x", R_SEGV()),
                        "terminated sub/x (killed by SIGSEGV) give_up; "
                        "shutdown sub (shutdown: reached_max_restart_intensity); "
                        "terminated sub (shutdown: reached_max_restart_intensity) none");
    assert_int_equal(fx_state(&f, "sub"), ENGINE_NODE_IDLE);
    assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_RUNNING);
    fx_done(&f);
}

/* one_for_all over a nested supervisor: it is stopped (its children in
 * reverse) and started again (its children in order); its temporaries come
 * back with the new incarnation, as OTP's init runs again. */
static void restarting_a_nested_supervisor_restarts_its_subtree(void **unused) {
    struct nines_child_spec inner[] = {w("x"), wr("t", NINES_TEMPORARY)};
    struct nines_sup_spec sub = sup(NINES_ONE_FOR_ONE, 1, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {sv("sub", NINES_PERMANENT, &sub), w("b")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ALL, 1, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(EXIT(&f, "sub/t", R_NORMAL()), "terminated sub/t (normal) remove");
    assert_string_equal(EXIT(&f, "b", R_SEGV()),
                        "terminated b (killed by SIGSEGV) restart_all; stop sub/x#1; arm sub/x#1 5000");
    assert_string_equal(EXIT(&f, "sub/x", R_SHUTDOWN()),
                        "cancel sub/x#1; stopped sub/x (shutdown); stopped sub (shutdown); spawn sub/x#4");
    assert_string_equal(READY(&f, "sub/x"), "started sub/x; spawn sub/t#5");
    assert_string_equal(READY(&f, "sub/t"), "started sub/t; started sub; spawn b#6");
    fx_done(&f);
}

/* ---- failed restarts: try again --------------------------------------------------------- */

/* A restart whose start fails is tried again from the supervisor's own
 * mailbox, each try counting as a restart: a child whose init always fails
 * makes its supervisor give up. */
static void failing_restart_is_retried_until_the_intensity(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 2, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart; spawn a#3");
    assert_string_equal(EXIT(&f, "a", R_INIT("no db")), "start_error a (init failed: no db); spawn a#4");
    assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_STARTING);
    assert_string_equal(EXIT(&f, "a", R_INIT("no db")),
                        "start_error a (init failed: no db); "
                        "shutdown / (shutdown: reached_max_restart_intensity); stop b#2; arm b#2 5000");
    assert_string_equal(EXIT(&f, "b", R_SHUTDOWN()),
                        "cancel b#2; stopped b (shutdown); "
                        "tree_down 1 (shutdown: reached_max_restart_intensity)");
    fx_done(&f);
}

/* The retry waits behind what is already in the mailbox. */
static void retry_comes_after_exits_already_queued(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart; spawn a#3");
    assert_string_equal(EXIT(&f, "b", R_SEGV()), ""); /* queued: the supervisor waits for a */
    assert_string_equal(EXIT(&f, "a", R_INIT("no")),
                        "start_error a (init failed: no); terminated b (killed by SIGSEGV) restart; spawn b#4");
    assert_string_equal(READY(&f, "b"), "started b; spawn a#5");
    assert_string_equal(READY(&f, "a"), "started a");
    assert_int_equal(fx_restarts(&f, "a"), 2);
    fx_done(&f);
}

/* one_for_all: children started before the failure stay up until the
 * retry, which is a one_for_all restart again, from the failed child. */
static void one_for_all_retry_restarts_all_again(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ALL, 5, k, NKIDS(k), &root);
    EXIT(&f, "a", R_SEGV());
    EXIT(&f, "c", R_SHUTDOWN());
    assert_string_equal(EXIT(&f, "b", R_SHUTDOWN()), "cancel b#2; stopped b (shutdown); spawn a#4");
    assert_string_equal(READY(&f, "a"), "started a; spawn b#5");
    assert_string_equal(EXIT(&f, "b", R_INIT("no")),
                        "start_error b (init failed: no); stop a#4; arm a#4 5000");
    assert_int_equal(fx_state(&f, "c"), ENGINE_NODE_IDLE);
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()), "cancel a#4; stopped a (shutdown); spawn a#6");
    assert_string_equal(READY(&f, "a"), "started a; spawn b#7");
    assert_string_equal(READY(&f, "b"), "started b; spawn c#8");
    assert_string_equal(READY(&f, "c"), "started c");
    fx_done(&f);
}

/* rest_for_one: the retry restarts from the child that failed to start,
 * not from the one that crashed first. */
static void rest_for_one_retry_starts_from_the_failed_child(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c"), w("d")};
    struct nines_sup_spec root;
    boot_flat(NINES_REST_FOR_ONE, 5, k, NKIDS(k), &root);
    EXIT(&f, "b", R_SEGV());
    EXIT(&f, "d", R_SHUTDOWN());
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()), "cancel c#3; stopped c (shutdown); spawn b#5");
    assert_string_equal(READY(&f, "b"), "started b; spawn c#6");
    assert_string_equal(EXIT(&f, "c", R_INIT("no")), "start_error c (init failed: no); spawn c#7");
    assert_string_equal(READY(&f, "c"), "started c; spawn d#8");
    assert_string_equal(READY(&f, "d"), "started d");
    assert_int_equal(engine_node_gen(f.e, fx_node(&f, "b")), 5);
    fx_done(&f);
}

/* ---- the mailbox -------------------------------------------------------------------- */

/* Exits that arrive while the supervisor waits for a start are handled
 * afterwards, in order. */
static void exits_wait_while_the_supervisor_is_busy(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart; spawn a#4");
    assert_string_equal(EXIT(&f, "c", R_SEGV()), "");
    assert_string_equal(EXIT(&f, "b", R_NORMAL()), "");
    assert_int_equal(fx_state(&f, "c"), ENGINE_NODE_RUNNING); /* not handled yet */
    assert_string_equal(READY(&f, "a"), "started a; terminated c (killed by SIGSEGV) restart; spawn c#5");
    assert_string_equal(READY(&f, "c"), "started c; terminated b (normal) restart; spawn b#6");
    fx_done(&f);
}

/* A nested supervisor's exit is a message like any other: it waits while
 * its parent is busy. */
static void a_nested_supervisors_exit_waits_for_a_busy_parent(void **unused) {
    struct nines_child_spec inner[] = {w("x")};
    struct nines_sup_spec sub = sup(NINES_ONE_FOR_ONE, 0, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {w("a"), sv("sub", NINES_PERMANENT, &sub)};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 5, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart; spawn a#3");
    assert_string_equal(EXIT(&f, "sub/x", R_SEGV()),
                        "terminated sub/x (killed by SIGSEGV) give_up; "
                        "shutdown sub (shutdown: reached_max_restart_intensity)");
    assert_string_equal(READY(&f, "a"),
                        "started a; terminated sub (shutdown: reached_max_restart_intensity) restart; "
                        "spawn sub/x#4");
    assert_string_equal(READY(&f, "sub/x"), "started sub/x; started sub");
    fx_done(&f);
}

/* Exits queued during boot are handled once the tree is up. */
static void exits_during_boot_are_handled_after_it(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 5, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    START(&f);
    READY(&f, "a");
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "");
    assert_string_equal(READY(&f, "b"), "started b; tree_up; terminated a (killed by SIGSEGV) restart; spawn a#3");
    fx_done(&f);
}

/* A queued exit of a child the supervisor then stops itself is the
 * answer to that stop (no STOP sent), and is not handled a second time. */
static void a_queued_exit_answers_the_stop_of_a_restart(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ALL, 5, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "c", R_SEGV()),
                        "terminated c (killed by SIGSEGV) restart_all; stop b#2; arm b#2 5000");
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "");
    assert_string_equal(EXIT(&f, "b", R_SHUTDOWN()),
                        "cancel b#2; stopped b (shutdown); shutdown_error a (killed by SIGSEGV); spawn a#4");
    assert_string_equal(READY(&f, "a"), "started a; spawn b#5");
    assert_string_equal(READY(&f, "b"), "started b; spawn c#6");
    assert_string_equal(READY(&f, "c"), "started c");
    assert_int_equal(fx_restarts(&f, "a"), 1);
    fx_done(&f);
}

/* A retry is dropped when something else has started the child since
 * (OTP: only a child still {restarting, _} is tried again). */
static void a_retry_is_dropped_once_the_child_runs_again(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root;
    boot_flat(NINES_REST_FOR_ONE, 5, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "b", R_SEGV()),
                        "terminated b (killed by SIGSEGV) restart_rest; stop c#3; arm c#3 5000");
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()), "cancel c#3; stopped c (shutdown); spawn b#4");
    assert_string_equal(EXIT(&f, "a", R_SEGV()), ""); /* queued before b's retry */
    assert_string_equal(EXIT(&f, "b", R_INIT("no")),
                        "start_error b (init failed: no); terminated a (killed by SIGSEGV) restart_rest; "
                        "spawn a#5");
    assert_string_equal(READY(&f, "a"), "started a; spawn b#6");
    assert_string_equal(READY(&f, "b"), "started b; spawn c#7");
    assert_string_equal(READY(&f, "c"), "started c"); /* and no retry of b */
    assert_int_equal(fx_restarts(&f, "b"), 2);
    fx_done(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_for_one_restarts_only_the_failed_child),
        cmocka_unit_test(one_for_all_stops_others_in_reverse_then_starts_all),
        cmocka_unit_test(rest_for_one_restarts_the_failed_and_later_ones),
        cmocka_unit_test(one_for_all_removes_terminated_temporaries),
        cmocka_unit_test(rest_for_one_removes_terminated_temporaries),
        cmocka_unit_test(one_for_all_starts_a_transient_that_had_ended),
        cmocka_unit_test(permanent_is_restarted_whatever_the_reason),
        cmocka_unit_test(transient_is_restarted_only_after_an_abnormal_exit),
        cmocka_unit_test(temporary_is_removed_never_restarted),
        cmocka_unit_test(more_than_intensity_restarts_give_up),
        cmocka_unit_test(intensity_zero_gives_up_at_the_first_restart),
        cmocka_unit_test(restarts_older_than_the_period_are_forgotten),
        cmocka_unit_test(a_restart_exactly_one_period_ago_still_counts),
        cmocka_unit_test(the_window_counts_restarts_within_the_period),
        cmocka_unit_test(escalation_from_nested_supervisor_to_the_root),
        cmocka_unit_test(a_transient_supervisor_that_gives_up_stays_down),
        cmocka_unit_test(restarting_a_nested_supervisor_restarts_its_subtree),
        cmocka_unit_test(failing_restart_is_retried_until_the_intensity),
        cmocka_unit_test(retry_comes_after_exits_already_queued),
        cmocka_unit_test(one_for_all_retry_restarts_all_again),
        cmocka_unit_test(rest_for_one_retry_starts_from_the_failed_child),
        cmocka_unit_test(exits_wait_while_the_supervisor_is_busy),
        cmocka_unit_test(a_nested_supervisors_exit_waits_for_a_busy_parent),
        cmocka_unit_test(exits_during_boot_are_handled_after_it),
        cmocka_unit_test(a_queued_exit_answers_the_stop_of_a_restart),
        cmocka_unit_test(a_retry_is_dropped_once_the_child_runs_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
