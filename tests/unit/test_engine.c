/* Unit tests of the strategy engine: starting the tree, stopping it,
 * shutdown grace, stale events and the queries. Restarts are in
 * test_engine_restart.c. Each expected line lists every action, in order
 * (see engine_fixture.h for the notation). */
#include "engine_fixture.h"

/* ---- start ----------------------------------------------------------------- */

/* OTP start_children: one at a time, in order, each after the previous one's
 * init has returned (start_link is synchronous). */
static void children_start_in_order_one_at_a_time(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    assert_int_equal(fx_state(&f, "/"), ENGINE_NODE_IDLE);
    assert_string_equal(START(&f), "spawn a#1");
    assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_STARTING);
    assert_int_equal(fx_state(&f, "b"), ENGINE_NODE_IDLE);
    assert_int_equal(fx_state(&f, "/"), ENGINE_NODE_STARTING);
    assert_string_equal(READY(&f, "a"), "started a; spawn b#2");
    assert_string_equal(READY(&f, "b"), "started b; spawn c#3");
    assert_string_equal(READY(&f, "c"), "started c; tree_up");
    assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_RUNNING);
    assert_int_equal(fx_state(&f, "/"), ENGINE_NODE_RUNNING);
    assert_string_equal(START(&f), ""); /* a second start is ignored */
    fx_done(&f);
}

/* A nested supervisor is started (reported in its parent) once all its own
 * children are; the next sibling waits for it. */
static void nested_supervisor_is_started_after_its_children(void **unused) {
    struct nines_child_spec inner[] = {w("x"), w("y")};
    struct nines_sup_spec sub = sup(NINES_REST_FOR_ONE, 1, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {w("a"), sv("sub", NINES_PERMANENT, &sub), w("b")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    assert_string_equal(START(&f), "spawn a#1");
    assert_string_equal(READY(&f, "a"), "started a; spawn sub/x#2");
    assert_int_equal(fx_state(&f, "sub"), ENGINE_NODE_STARTING);
    assert_string_equal(READY(&f, "sub/x"), "started sub/x; spawn sub/y#3");
    assert_string_equal(READY(&f, "sub/y"), "started sub/y; started sub; spawn b#4");
    assert_int_equal(fx_state(&f, "sub"), ENGINE_NODE_RUNNING);
    assert_string_equal(READY(&f, "b"), "started b; tree_up");
    fx_done(&f);
}

/* A dynamic supervisor has no static children: started at once. */
static void dynamic_supervisor_starts_empty(void **unused) {
    struct nines_child_spec tmpl = w("job");
    struct nines_sup_spec dyn = sup(NINES_DYNAMIC, 1, 5000, NULL, 0);
    dyn.child_template = &tmpl;
    struct nines_child_spec k[] = {w("a"), sv("jobs", NINES_PERMANENT, &dyn), w("b")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    assert_string_equal(START(&f), "spawn a#1");
    assert_string_equal(READY(&f, "a"), "started a; started jobs; spawn b#2");
    assert_string_equal(READY(&f, "b"), "started b; tree_up");
    assert_int_equal(fx_state(&f, "jobs"), ENGINE_NODE_RUNNING);
    fx_done(&f);
}

static void empty_root_is_up_at_once(void **unused) {
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, NULL, 0);
    struct fx f;
    fx_init(&f, &root);
    assert_string_equal(START(&f), "tree_up");
    assert_string_equal(STOP(&f), "tree_down 0 (shutdown)");
    fx_done(&f);
}

/* OTP init_children: a child fails to start → start_error, the started
 * ones are terminated in reverse order, the supervisor's start fails. The
 * children after the failed one are never started. */
static void boot_failure_stops_started_siblings_in_reverse(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c"), w("d")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 5, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    START(&f);
    READY(&f, "a");
    READY(&f, "b");
    assert_string_equal(EXIT(&f, "c", R_INIT("cannot bind")),
                        "start_error c (init failed: cannot bind); stop b#2; arm b#2 5000");
    assert_int_equal(fx_state(&f, "c"), ENGINE_NODE_IDLE);
    assert_string_equal(EXIT(&f, "b", R_SHUTDOWN()),
                        "cancel b#2; stopped b (shutdown); stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()),
                        "cancel a#1; stopped a (shutdown); tree_down 1 (start failed: "
                        "failed to start child 'c': init failed: cannot bind)");
    assert_int_equal(fx_state(&f, "d"), ENGINE_NODE_IDLE);
    assert_int_equal(engine_node_gen(f.e, fx_node(&f, "d")), 0);
    assert_string_equal(STOP(&f), ""); /* the tree is down already */
    fx_done(&f);
}

static void spawn_failure_of_the_first_child_fails_the_root(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ALL, 5, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    START(&f);
    assert_string_equal(EXIT(&f, "a", nines_reason_make(NINES_REASON_SPAWN_FAILED, 2, "/w")),
                        "start_error a (spawn failed: No such file or directory: /w); "
                        "tree_down 1 (start failed: failed to start child 'a': "
                        "spawn failed: No such file or directory: /w)");
    fx_done(&f);
}

/* A nested supervisor's failed start is its parent's start failure:
 * reported as the parent's start_error for it, recursively. */
static void nested_start_failure_fails_the_parent(void **unused) {
    struct nines_child_spec inner[] = {w("x"), w("y")};
    struct nines_sup_spec sub = sup(NINES_ONE_FOR_ONE, 1, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {w("a"), sv("sub", NINES_PERMANENT, &sub), w("b")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    START(&f);
    READY(&f, "a");
    READY(&f, "sub/x");
    assert_string_equal(EXIT(&f, "sub/y", R_INIT("boom")),
                        "start_error sub/y (init failed: boom); stop sub/x#2; arm sub/x#2 5000");
    assert_string_equal(EXIT(&f, "sub/x", R_SHUTDOWN()),
                        "cancel sub/x#2; stopped sub/x (shutdown); "
                        "start_error sub (start failed: failed to start child 'y': init failed: boom); "
                        "stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()),
                        "cancel a#1; stopped a (shutdown); tree_down 1 (start failed: failed to start "
                        "child 'sub': start failed: failed to start child 'y': init failed: boom)");
    fx_done(&f);
}

/* ---- shutdown ------------------------------------------------------------- */

/* Reverse start order, one at a time; each child's own shutdown: infinity
 * (STOP, wait), brutal_kill (KILL), a timeout (STOP + timer, KILL when it
 * fires: a kill after the grace is a shutdown_error). */
static void stop_terminates_in_reverse_with_each_grace(void **unused) {
    struct nines_child_spec k[] = {wk("a", NINES_PERMANENT, grace(2000)),
                                   wk("b", NINES_PERMANENT, BRUTAL),
                                   wk("c", NINES_PERMANENT, INFINITE)};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(STOP(&f), "stop c#3");
    assert_int_equal(fx_state(&f, "c"), ENGINE_NODE_STOPPING);
    assert_int_equal(fx_state(&f, "/"), ENGINE_NODE_STOPPING);
    assert_string_equal(STOP(&f), ""); /* a second STOP is ignored */
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()), "stopped c (shutdown); kill b#2");
    assert_string_equal(EXIT(&f, "b", R_KILLED()), "stopped b (killed by SIGKILL); stop a#1; arm a#1 2000");
    assert_string_equal(TIMEOUT(&f, "a"), "kill a#1");
    assert_string_equal(TIMEOUT(&f, "a"), ""); /* the timer fired once */
    assert_string_equal(EXIT(&f, "a", R_KILLED()),
                        "shutdown_error a (killed by SIGKILL); tree_down 0 (shutdown)");
    assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_IDLE);
    assert_int_equal(fx_state(&f, "/"), ENGINE_NODE_IDLE);
    assert_string_equal(EXIT(&f, "a", R_KILLED()), "");
    fx_done(&f);
}

/* OTP shutdown/1 verdicts: shutdown is clean; normal is clean for a
 * non-permanent child only; anything else is a shutdown_error. */
static void shutdown_error_verdicts(void **unused) {
    struct nines_child_spec k[] = {wr("p", NINES_PERMANENT), wr("t", NINES_TRANSIENT),
                                   wr("q", NINES_PERMANENT), wr("r", NINES_PERMANENT)};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(STOP(&f), "stop r#4; arm r#4 5000");
    assert_string_equal(EXIT(&f, "r", R_SEGV()),
                        "cancel r#4; shutdown_error r (killed by SIGSEGV); stop q#3; arm q#3 5000");
    assert_string_equal(EXIT(&f, "q", R_NORMAL()),
                        "cancel q#3; shutdown_error q (normal); stop t#2; arm t#2 5000");
    assert_string_equal(EXIT(&f, "t", R_NORMAL()),
                        "cancel t#2; stopped t (normal); stop p#1; arm p#1 5000");
    assert_string_equal(EXIT(&f, "p", nines_reason_make(NINES_REASON_EXIT_STATUS, 3, NULL)),
                        "cancel p#1; shutdown_error p (exit status 3); tree_down 0 (shutdown)");
    fx_done(&f);
}

/* brutal_kill (OTP): killed is clean; shutdown and normal only for a
 * non-permanent child. */
static void brutal_kill_verdicts(void **unused) {
    struct nines_child_spec k[] = {wk("p", NINES_PERMANENT, BRUTAL), wk("t", NINES_TRANSIENT, BRUTAL),
                                   wk("s", NINES_TEMPORARY, BRUTAL)};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(STOP(&f), "kill s#3");
    assert_string_equal(EXIT(&f, "s", R_SEGV()), "shutdown_error s (killed by SIGSEGV); kill t#2");
    assert_string_equal(EXIT(&f, "t", R_SHUTDOWN()), "stopped t (shutdown); kill p#1");
    assert_string_equal(EXIT(&f, "p", R_SHUTDOWN()), "shutdown_error p (shutdown); tree_down 0 (shutdown)");
    fx_done(&f);
}

/* Nested supervisors stop their own children first, in reverse, then
 * count as ended with shutdown. */
static void stop_recurses_into_nested_supervisors(void **unused) {
    struct nines_child_spec inner[] = {w("x"), w("y")};
    struct nines_sup_spec sub = sup(NINES_ONE_FOR_ONE, 1, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {w("a"), sv("sub", NINES_PERMANENT, &sub), w("b")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(STOP(&f), "stop b#4; arm b#4 5000");
    assert_string_equal(EXIT(&f, "b", R_SHUTDOWN()),
                        "cancel b#4; stopped b (shutdown); stop sub/y#3; arm sub/y#3 5000");
    assert_int_equal(fx_state(&f, "sub"), ENGINE_NODE_STOPPING);
    assert_string_equal(EXIT(&f, "sub/y", R_SHUTDOWN()),
                        "cancel sub/y#3; stopped sub/y (shutdown); stop sub/x#2; arm sub/x#2 5000");
    assert_string_equal(EXIT(&f, "sub/x", R_SHUTDOWN()),
                        "cancel sub/x#2; stopped sub/x (shutdown); stopped sub (shutdown); "
                        "stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()),
                        "cancel a#1; stopped a (shutdown); tree_down 0 (shutdown)");
    fx_done(&f);
}

/* STOP mid-start is handled at once: the starting worker is stopped like a
 * running one, nothing more is started, its late READY changes nothing. */
static void stop_during_boot_stops_the_starting_child(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    START(&f);
    READY(&f, "a");
    assert_string_equal(STOP(&f), "stop b#2; arm b#2 5000");
    assert_string_equal(READY(&f, "b"), "");
    assert_string_equal(EXIT(&f, "b", R_SHUTDOWN()),
                        "cancel b#2; stopped b (shutdown); stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()),
                        "cancel a#1; stopped a (shutdown); tree_down 0 (shutdown)");
    assert_int_equal(engine_node_gen(f.e, fx_node(&f, "c")), 0);
    fx_done(&f);
}

/* The same inside a nested supervisor being started. */
static void stop_during_nested_start(void **unused) {
    struct nines_child_spec inner[] = {w("x"), w("y")};
    struct nines_sup_spec sub = sup(NINES_ONE_FOR_ONE, 1, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {w("a"), sv("sub", NINES_PERMANENT, &sub), w("b")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    START(&f);
    READY(&f, "a");
    READY(&f, "sub/x");
    assert_string_equal(STOP(&f), "stop sub/y#3; arm sub/y#3 5000");
    assert_string_equal(EXIT(&f, "sub/y", R_SHUTDOWN()),
                        "cancel sub/y#3; stopped sub/y (shutdown); stop sub/x#2; arm sub/x#2 5000");
    assert_string_equal(EXIT(&f, "sub/x", R_SHUTDOWN()),
                        "cancel sub/x#2; stopped sub/x (shutdown); stopped sub (shutdown); "
                        "stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()),
                        "cancel a#1; stopped a (shutdown); tree_down 0 (shutdown)");
    fx_done(&f);
}

/* STOP while a restart is stopping a child: that stop is waited for, then
 * everything else goes in reverse order, and nothing is restarted. */
static void stop_during_a_restart_restarts_nothing(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ALL, 3, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(EXIT(&f, "a", R_SEGV()),
                        "terminated a (killed by SIGSEGV) restart_all; stop c#3; arm c#3 5000");
    assert_string_equal(STOP(&f), "");
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()),
                        "cancel c#3; stopped c (shutdown); stop b#2; arm b#2 5000");
    assert_string_equal(EXIT(&f, "b", R_SHUTDOWN()),
                        "cancel b#2; stopped b (shutdown); tree_down 0 (shutdown)");
    fx_done(&f);
}

/* STOP while a restarted child is starting (one_for_one): later siblings
 * first, then the starting one. */
static void stop_while_a_restarted_child_starts(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 3, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(EXIT(&f, "b", R_SEGV()), "terminated b (killed by SIGSEGV) restart; spawn b#4");
    assert_string_equal(STOP(&f), "stop c#3; arm c#3 5000");
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()),
                        "cancel c#3; stopped c (shutdown); stop b#4; arm b#4 5000");
    assert_string_equal(EXIT(&f, "b", R_INIT("late")),
                        "cancel b#4; shutdown_error b (init failed: late); stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()),
                        "cancel a#1; stopped a (shutdown); tree_down 0 (shutdown)");
    fx_done(&f);
}

/* A child that died by itself before its turn: its exit is the answer
 * (OTP's unlink_flush), no STOP is sent to it. */
static void stop_uses_an_exit_already_received(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 3, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(STOP(&f), "stop c#3; arm c#3 5000");
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "");
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()),
                        "cancel c#3; stopped c (shutdown); stop b#2; arm b#2 5000");
    assert_string_equal(EXIT(&f, "b", R_SHUTDOWN()),
                        "cancel b#2; stopped b (shutdown); shutdown_error a (killed by SIGSEGV); "
                        "tree_down 0 (shutdown)");
    fx_done(&f);
}

/* STOP while a nested supervisor gives up: its stop in progress is waited
 * for, it then counts as stopped, and the root goes on. */
static void stop_while_a_nested_supervisor_gives_up(void **unused) {
    struct nines_child_spec inner[] = {w("x"), w("y")};
    struct nines_sup_spec sub = sup(NINES_ONE_FOR_ONE, 0, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {w("a"), sv("sub", NINES_PERMANENT, &sub)};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(EXIT(&f, "sub/y", R_SEGV()),
                        "terminated sub/y (killed by SIGSEGV) give_up; "
                        "shutdown sub (shutdown: reached_max_restart_intensity); stop sub/x#2; arm sub/x#2 5000");
    assert_string_equal(STOP(&f), "");
    assert_string_equal(EXIT(&f, "sub/x", R_SHUTDOWN()),
                        "cancel sub/x#2; stopped sub/x (shutdown); stopped sub (shutdown); stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()),
                        "cancel a#1; stopped a (shutdown); tree_down 0 (shutdown)");
    fx_done(&f);
}

static void stop_before_start_ends_at_once(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    assert_string_equal(STOP(&f), "tree_down 0 (shutdown)");
    assert_string_equal(START(&f), "");
    fx_done(&f);
}

/* ---- stale events ------------------------------------------------------------ */

static void events_of_other_incarnations_are_ignored(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 5, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    engine_node a = fx_node(&f, "a");
    assert_string_equal(fx_feed(&f, ENGINE_EV_READY, a, 1, R_NORMAL()), ""); /* before start */
    assert_string_equal(START(&f), "spawn a#1");
    assert_string_equal(fx_feed(&f, ENGINE_EV_READY, a, 7, R_NORMAL()), "");
    assert_string_equal(fx_feed(&f, ENGINE_EV_READY, a, 0, R_NORMAL()), "");
    assert_string_equal(READY(&f, "a"), "started a; spawn b#2");
    READY(&f, "b");
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart; spawn a#3");
    READY(&f, "a");
    /* the first incarnation's exit, again, and a timer it had */
    assert_string_equal(fx_feed(&f, ENGINE_EV_EXIT, a, 1, R_SEGV()), "");
    assert_string_equal(fx_feed(&f, ENGINE_EV_TIMEOUT, a, 1, R_NORMAL()), "");
    /* a timeout for a running child is not a grace expiry */
    assert_string_equal(TIMEOUT(&f, "a"), "");
    /* events about supervisors or unknown nodes */
    assert_string_equal(fx_feed(&f, ENGINE_EV_EXIT, ENGINE_ROOT, 0, R_SEGV()), "");
    assert_string_equal(fx_feed(&f, ENGINE_EV_EXIT, 99, 1, R_SEGV()), "");
    assert_string_equal(fx_feed(&f, ENGINE_EV_EXIT, ENGINE_NO_NODE, 1, R_SEGV()), "");
    assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_RUNNING);
    assert_int_equal(fx_restarts(&f, "a"), 1);
    fx_done(&f);
}

/* ---- queries --------------------------------------------------------------------- */

static void queries_describe_the_tree(void **unused) {
    struct nines_child_spec inner[] = {w("x"), wr("y", NINES_TEMPORARY)};
    struct nines_sup_spec sub = sup(NINES_ONE_FOR_ONE, 1, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {w("a"), sv("web", NINES_TRANSIENT, &sub), w("b")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    struct fx f;
    fx_init(&f, &root);
    assert_int_equal(engine_node_count(f.e), 6);
    engine_node web = engine_find(f.e, "web"), y = engine_find(f.e, "web/y");
    assert_int_equal(engine_find(f.e, "/"), ENGINE_ROOT);
    assert_int_equal(engine_find(f.e, ""), ENGINE_ROOT);
    assert_int_equal(engine_find(f.e, "/web/y"), y);
    assert_int_equal(engine_find(f.e, "y"), ENGINE_NO_NODE);
    assert_int_equal(engine_find(f.e, "web/z"), ENGINE_NO_NODE);
    assert_int_equal(engine_find(f.e, NULL), ENGINE_NO_NODE);
    assert_string_equal(engine_node_path(f.e, ENGINE_ROOT), "/");
    assert_string_equal(engine_node_path(f.e, y), "web/y");
    assert_int_equal(engine_node_parent(f.e, ENGINE_ROOT), ENGINE_NO_NODE);
    assert_int_equal(engine_node_parent(f.e, y), web);
    assert_int_equal(engine_node_parent(f.e, web), ENGINE_ROOT);
    assert_true(engine_node_is_supervisor(f.e, ENGINE_ROOT));
    assert_true(engine_node_is_supervisor(f.e, web));
    assert_false(engine_node_is_supervisor(f.e, y));
    assert_null(engine_node_spec(f.e, ENGINE_ROOT));
    assert_ptr_equal(engine_node_spec(f.e, web), &k[1]);
    assert_ptr_equal(engine_node_spec(f.e, y), &inner[1]);
    assert_int_equal(engine_node_gen(f.e, web), 0);
    fx_boot(&f);
    assert_int_equal(engine_node_gen(f.e, y), 3);
    assert_int_equal(engine_node_gen(f.e, web), 0);
    assert_int_equal(engine_node_state(f.e, web), ENGINE_NODE_RUNNING);
    assert_string_equal(EXIT(&f, "web/y", R_SEGV()), "terminated web/y (killed by SIGSEGV) remove");
    assert_int_equal(engine_node_state(f.e, y), ENGINE_NODE_REMOVED);
    assert_string_equal(engine_node_state_name(ENGINE_NODE_REMOVED), "removed");
    assert_string_equal(engine_node_state_name(ENGINE_NODE_RUNNING), "running");
    assert_string_equal(engine_node_state_name(ENGINE_NODE_STARTING), "starting");
    assert_string_equal(engine_node_state_name(ENGINE_NODE_STOPPING), "stopping");
    assert_string_equal(engine_node_state_name(ENGINE_NODE_IDLE), "idle");
    fx_done(&f);
}

static void report_and_followup_names_are_otps(void **unused) {
    assert_string_equal(engine_report_name(ENGINE_REPORT_CHILD_STARTED), "child_started");
    assert_string_equal(engine_report_name(ENGINE_REPORT_CHILD_TERMINATED), "child_terminated");
    assert_string_equal(engine_report_name(ENGINE_REPORT_START_ERROR), "start_error");
    assert_string_equal(engine_report_name(ENGINE_REPORT_SHUTDOWN_ERROR), "shutdown_error");
    assert_string_equal(engine_report_name(ENGINE_REPORT_SHUTDOWN), "shutdown");
    assert_string_equal(engine_report_name(ENGINE_REPORT_CHILD_STOPPED), "child_stopped");
    assert_string_equal(engine_followup_name(ENGINE_FOLLOWUP_NONE), "none");
    assert_string_equal(engine_followup_name(ENGINE_FOLLOWUP_REMOVE), "remove");
    assert_string_equal(engine_followup_name(ENGINE_FOLLOWUP_RESTART), "restart");
    assert_string_equal(engine_followup_name(ENGINE_FOLLOWUP_RESTART_ALL), "restart_all");
    assert_string_equal(engine_followup_name(ENGINE_FOLLOWUP_RESTART_REST), "restart_rest");
    assert_string_equal(engine_followup_name(ENGINE_FOLLOWUP_GIVE_UP), "give_up");
    assert_string_equal(engine_followup_name(ENGINE_FOLLOWUP_IGNORED), "ignored");
}

static void free_accepts_null(void **unused) {
    engine_free(NULL);
    struct engine_actions a = {0};
    engine_actions_clear(&a);
    engine_actions_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(children_start_in_order_one_at_a_time),
        cmocka_unit_test(nested_supervisor_is_started_after_its_children),
        cmocka_unit_test(dynamic_supervisor_starts_empty),
        cmocka_unit_test(empty_root_is_up_at_once),
        cmocka_unit_test(boot_failure_stops_started_siblings_in_reverse),
        cmocka_unit_test(spawn_failure_of_the_first_child_fails_the_root),
        cmocka_unit_test(nested_start_failure_fails_the_parent),
        cmocka_unit_test(stop_terminates_in_reverse_with_each_grace),
        cmocka_unit_test(shutdown_error_verdicts),
        cmocka_unit_test(brutal_kill_verdicts),
        cmocka_unit_test(stop_recurses_into_nested_supervisors),
        cmocka_unit_test(stop_during_boot_stops_the_starting_child),
        cmocka_unit_test(stop_during_nested_start),
        cmocka_unit_test(stop_during_a_restart_restarts_nothing),
        cmocka_unit_test(stop_while_a_restarted_child_starts),
        cmocka_unit_test(stop_uses_an_exit_already_received),
        cmocka_unit_test(stop_while_a_nested_supervisor_gives_up),
        cmocka_unit_test(stop_before_start_ends_at_once),
        cmocka_unit_test(events_of_other_incarnations_are_ignored),
        cmocka_unit_test(queries_describe_the_tree),
        cmocka_unit_test(report_and_followup_names_are_otps),
        cmocka_unit_test(free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
