/* Unit tests of operator requests: OTP's restart_child, terminate_child,
 * delete_child and start_child, their place in the supervisor's mailbox,
 * and their one reply each. Dynamic supervisors are in
 * test_engine_requests_dynamic.c. Each expected line lists every action,
 * in order (see engine_fixture.h). */
#include "engine_fixture.h"

static struct fx f;

static void boot_flat(enum nines_strategy st, unsigned intensity, struct nines_child_spec *k, size_t n,
                      struct nines_sup_spec *root) {
    *root = sup(st, intensity, 5000, k, n);
    fx_init(&f, root);
    fx_boot(&f);
}

/* ---- terminate_child and restart_child ---------------------------------------------- */

/* terminate_child stops the child with its shutdown spec and the same
 * reports as a shutdown; it is not restarted. restart_child starts it
 * again, synchronously: the reply waits for its init. */
static void terminate_then_restart_child(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    assert_string_equal(TERMINATE_CHILD(&f, 1, "b"), "stop b#2; arm b#2 5000");
    assert_int_equal(fx_state(&f, "b"), ENGINE_NODE_STOPPING);
    assert_string_equal(EXIT(&f, "b", R_SHUTDOWN()), "cancel b#2; stopped b (shutdown); reply 1 ok b");
    assert_int_equal(fx_state(&f, "b"), ENGINE_NODE_IDLE);
    assert_string_equal(TERMINATE_CHILD(&f, 2, "b"), "reply 2 ok b"); /* OTP: ok when not running */
    assert_string_equal(RESTART_CHILD(&f, 3, "b"), "spawn b#4");
    assert_int_equal(fx_state(&f, "b"), ENGINE_NODE_STARTING);
    assert_string_equal(READY(&f, "b"), "started b; reply 3 ok b");
    assert_string_equal(RESTART_CHILD(&f, 4, "b"), "reply 4 running b");
    assert_int_equal(fx_restarts(&f, "b"), 1); /* counted for status, not for the intensity */
    fx_done(&f);
}

/* Neither terminate_child nor restart_child counts against the intensity:
 * with intensity 0, any counted restart would give up. */
static void operator_restarts_do_not_use_up_the_intensity(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 0, k, NKIDS(k), &root);
    for (uint64_t id = 1; id < 7; id += 2) {
        TERMINATE_CHILD(&f, id, "a");
        EXIT(&f, "a", R_SHUTDOWN());
        RESTART_CHILD(&f, id + 1, "a");
        READY(&f, "a");
    }
    assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_RUNNING);
    assert_int_equal(fx_restarts(&f, "a"), 3);
    assert_string_equal(EXIT(&f, "b", R_SEGV()),
                        "terminated b (killed by SIGSEGV) give_up; "
                        "shutdown / (shutdown: reached_max_restart_intensity); stop a#5; arm a#5 5000");
    fx_done(&f);
}

/* A failed restart_child is the caller's error: the child stays IDLE, is
 * not retried, and the supervisor does not give up. */
static void restart_child_start_failed_leaves_it_idle(void **unused) {
    struct nines_child_spec k[] = {wk("a", NINES_PERMANENT, BRUTAL), w("b")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 0, k, NKIDS(k), &root);
    assert_string_equal(TERMINATE_CHILD(&f, 1, "a"), "kill a#1");
    assert_string_equal(EXIT(&f, "a", R_KILLED()), "stopped a (killed by SIGKILL); reply 1 ok a");
    assert_string_equal(RESTART_CHILD(&f, 2, "a"), "spawn a#3");
    assert_string_equal(EXIT(&f, "a", R_INIT("no db")),
                        "start_error a (init failed: no db); reply 2 start_failed a (init failed: no db)");
    assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_IDLE);
    assert_int_equal(fx_state(&f, "/"), ENGINE_NODE_RUNNING);
    assert_string_equal(RESTART_CHILD(&f, 3, "a"), "spawn a#4");
    assert_string_equal(READY(&f, "a"), "started a; reply 3 ok a");
    fx_done(&f);
}

/* OTP's errors: running, restarting (a failed restart awaits its retry),
 * not_found (a temporary is gone once ended; numbers out of range), root. */
static void restart_child_refusals(void **unused) {
    struct nines_child_spec k[] = {w("a"), wr("t", NINES_TEMPORARY), w("c")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    assert_string_equal(RESTART_CHILD(&f, 1, "a"), "reply 1 running a");
    EXIT(&f, "t", R_SEGV());
    assert_string_equal(RESTART_CHILD(&f, 2, "t"), "reply 2 not_found t");
    assert_string_equal(fx_request(&f, ENGINE_REQ_RESTART_CHILD, 3, 99, NULL, NULL, 0), "reply 3 not_found -");
    assert_string_equal(fx_request(&f, ENGINE_REQ_RESTART_CHILD, 4, ENGINE_ROOT, NULL, NULL, 0), "reply 4 root /");
    assert_string_equal(fx_request(&f, ENGINE_REQ_TERMINATE_CHILD, 5, ENGINE_ROOT, NULL, NULL, 0), "reply 5 root /");
    assert_string_equal(fx_request(&f, ENGINE_REQ_DELETE_CHILD, 6, ENGINE_ROOT, NULL, NULL, 0), "reply 6 root /");
    /* c's restart fails: it waits for its retry, {restarting, _} */
    EXIT(&f, "c", R_SEGV());
    assert_string_equal(EXIT(&f, "c", R_INIT("no")), "start_error c (init failed: no); spawn c#5");
    assert_string_equal(EXIT(&f, "a", R_SEGV()), ""); /* queued: the retry goes first */
    assert_string_equal(RESTART_CHILD(&f, 7, "a"), "");
    assert_string_equal(DELETE_CHILD(&f, 8, "c"), "");
    assert_string_equal(EXIT(&f, "c", R_INIT("no")),
                        "start_error c (init failed: no); terminated a (killed by SIGSEGV) restart; "
                        "spawn a#6");
    assert_string_equal(READY(&f, "a"), "started a; reply 7 running a; reply 8 restarting c; spawn c#7");
    assert_string_equal(READY(&f, "c"), "started c");
    fx_done(&f);
}

/* Requests wait behind what is already in the mailbox: a terminate asked
 * while the supervisor restarts the child sees the restarted child. */
static void a_request_queued_during_a_restart_is_handled_after(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b"), w("c")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ALL, 5, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()),
                        "terminated a (killed by SIGSEGV) restart_all; stop c#3; arm c#3 5000");
    assert_string_equal(TERMINATE_CHILD(&f, 1, "a"), "");
    assert_string_equal(RESTART_CHILD(&f, 2, "c"), "");
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()), "cancel c#3; stopped c (shutdown); stop b#2; arm b#2 5000");
    assert_string_equal(EXIT(&f, "b", R_SHUTDOWN()), "cancel b#2; stopped b (shutdown); spawn a#4");
    READY(&f, "a");
    READY(&f, "b");
    assert_string_equal(READY(&f, "c"), "started c; stop a#4; arm a#4 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()),
                        "cancel a#4; stopped a (shutdown); reply 1 ok a; reply 2 running c");
    fx_done(&f);
}

/* The same with an exit already queued when the request comes: the exit
 * is handled first (the child is restarted), then the request. */
static void a_request_behind_a_queued_exit(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "a", R_SEGV()), "terminated a (killed by SIGSEGV) restart; spawn a#3");
    assert_string_equal(EXIT(&f, "b", R_SEGV()), "");
    assert_string_equal(TERMINATE_CHILD(&f, 1, "b"), "");
    assert_string_equal(READY(&f, "a"), "started a; terminated b (killed by SIGSEGV) restart; spawn b#4");
    assert_string_equal(READY(&f, "b"), "started b; stop b#4; arm b#4 5000");
    assert_string_equal(TIMEOUT(&f, "b"), "kill b#4");
    assert_string_equal(EXIT(&f, "b", R_KILLED()), "shutdown_error b (killed by SIGKILL); reply 1 ok b");
    fx_done(&f);
}

/* A child that dies by itself while the request waits: its exit, taken
 * out of the mailbox, is the answer to the stop (OTP's unlink_flush). */
static void terminate_uses_an_exit_already_queued(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    EXIT(&f, "a", R_SEGV());
    assert_string_equal(TERMINATE_CHILD(&f, 1, "b"), "");
    assert_string_equal(EXIT(&f, "b", R_SEGV()), "");
    assert_string_equal(READY(&f, "a"), "started a; shutdown_error b (killed by SIGSEGV); reply 1 ok b");
    assert_int_equal(fx_state(&f, "b"), ENGINE_NODE_IDLE);
    fx_done(&f);
}

/* Temporaries are removed when terminated; a child awaiting its retry is
 * terminated by dropping the retry (OTP: pid {restarting,_} → undefined,
 * and try_again_restart then finds nothing to do). */
static void terminate_removes_temporaries_and_drops_retries(void **unused) {
    struct nines_child_spec k[] = {wr("t", NINES_TEMPORARY), w("b")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    assert_string_equal(TERMINATE_CHILD(&f, 1, "t"), "stop t#1; arm t#1 5000");
    assert_string_equal(EXIT(&f, "t", R_NORMAL()), "cancel t#1; stopped t (normal); reply 1 ok t");
    assert_int_equal(fx_state(&f, "t"), ENGINE_NODE_REMOVED);
    assert_int_equal(engine_find(f.e, "t"), ENGINE_NO_NODE);
    assert_string_equal(TERMINATE_CHILD(&f, 2, "t"), "reply 2 not_found t");
    assert_string_equal(EXIT(&f, "b", R_SEGV()), "terminated b (killed by SIGSEGV) restart; spawn b#3");
    assert_string_equal(TERMINATE_CHILD(&f, 3, "b"), ""); /* queued: b is being started */
    /* the failed start queues b's retry behind the request */
    assert_string_equal(EXIT(&f, "b", R_INIT("no")), "start_error b (init failed: no); reply 3 ok b");
    assert_int_equal(fx_state(&f, "b"), ENGINE_NODE_IDLE);
    assert_string_equal(RESTART_CHILD(&f, 4, "b"), "spawn b#4");
    fx_done(&f);
}

/* terminate_child on a nested supervisor stops its subtree in reverse,
 * then the supervisor itself; restart_child starts it all again. */
static void terminate_a_nested_supervisor_stops_its_subtree(void **unused) {
    struct nines_child_spec inner[] = {w("x"), wk("y", NINES_PERMANENT, BRUTAL), w("z")};
    struct nines_sup_spec sub = sup(NINES_ONE_FOR_ONE, 1, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {w("a"), sv("sub", NINES_PERMANENT, &sub)};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 1, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    fx_boot(&f);
    assert_string_equal(TERMINATE_CHILD(&f, 1, "sub"), "stop sub/z#4; arm sub/z#4 5000");
    assert_string_equal(EXIT(&f, "sub/z", R_SHUTDOWN()), "cancel sub/z#4; stopped sub/z (shutdown); kill sub/y#3");
    assert_string_equal(EXIT(&f, "sub/y", R_KILLED()), "stopped sub/y (killed by SIGKILL); stop sub/x#2; arm sub/x#2 5000");
    assert_string_equal(EXIT(&f, "sub/x", R_SHUTDOWN()),
                        "cancel sub/x#2; stopped sub/x (shutdown); stopped sub (shutdown); reply 1 ok sub");
    assert_int_equal(fx_state(&f, "sub"), ENGINE_NODE_IDLE);
    assert_string_equal(TERMINATE_CHILD(&f, 2, "sub/x"), "reply 2 shutting_down sub/x");
    assert_string_equal(RESTART_CHILD(&f, 3, "sub"), "spawn sub/x#5");
    READY(&f, "sub/x");
    READY(&f, "sub/y");
    assert_string_equal(READY(&f, "sub/z"), "started sub/z; started sub; reply 3 ok sub");
    fx_done(&f);
}

/* ---- delete_child and start_child ------------------------------------------------------- */

static void delete_child_then_start_child_with_the_same_id(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    engine_node a = fx_node(&f, "a");
    assert_string_equal(DELETE_CHILD(&f, 1, "a"), "reply 1 running a");
    TERMINATE_CHILD(&f, 2, "a");
    EXIT(&f, "a", R_SHUTDOWN());
    assert_string_equal(DELETE_CHILD(&f, 3, "a"), "reply 3 ok a");
    assert_int_equal(engine_node_state(f.e, a), ENGINE_NODE_REMOVED);
    assert_int_equal(engine_find(f.e, "a"), ENGINE_NO_NODE);
    assert_string_equal(DELETE_CHILD(&f, 4, "a"), "reply 4 not_found a");
    assert_string_equal(RESTART_CHILD(&f, 5, "a"), "reply 5 not_found a");
    size_t n;
    const engine_node *kids = engine_node_children(f.e, ENGINE_ROOT, &n);
    assert_int_equal(n, 1);
    assert_int_equal(kids[0], fx_node(&f, "b"));
    /* the id is free again: a new node, last in start order */
    struct nines_child_spec a2 = wk("a", NINES_TRANSIENT, grace(100));
    assert_string_equal(START_CHILD(&f, 6, "/", &a2), "added a; spawn a#3");
    engine_node a_new = engine_find(f.e, "a");
    assert_int_not_equal(a_new, a);
    assert_int_equal(engine_node_parent(f.e, a_new), ENGINE_ROOT);
    assert_string_equal(READY(&f, "a"), "started a; reply 6 ok a");
    kids = engine_node_children(f.e, ENGINE_ROOT, &n);
    assert_int_equal(n, 2);
    assert_int_equal(kids[1], a_new);
    assert_string_equal(START_CHILD(&f, 7, "/", &a2), "reply 7 already_started a");
    TERMINATE_CHILD(&f, 8, "a");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()), "cancel a#3; stopped a (shutdown); reply 8 ok a");
    assert_string_equal(START_CHILD(&f, 9, "/", &a2), "reply 9 already_present a");
    fx_done(&f);
}

/* engine_find through its index: dozens of children (the index grows
 * several times), half deleted, their ids taken again by new nodes: each
 * path names exactly the node that holds it now. */
static void find_names_the_current_node_among_many(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    enum { N = 40 }; /* the fixture knows 64 nodes; the index grows from 8 buckets to 64 */
    engine_node first[N];
    char id[16];
    uint64_t req = 1;
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "c%d", i);
        struct nines_child_spec c = wk(id, NINES_TRANSIENT, grace(100));
        START_CHILD(&f, req++, "/", &c);
        READY(&f, id);
        first[i] = engine_find(f.e, id);
        assert_int_not_equal(first[i], ENGINE_NO_NODE);
        assert_string_equal(engine_node_path(f.e, first[i]), id);
    }
    for (int i = 0; i < N; i += 2) {
        snprintf(id, sizeof id, "c%d", i);
        TERMINATE_CHILD(&f, req++, id);
        EXIT(&f, id, R_SHUTDOWN());
        DELETE_CHILD(&f, req++, id);
        assert_int_equal(engine_find(f.e, id), ENGINE_NO_NODE);
    }
    for (int i = 0; i < N; i += 4) {
        snprintf(id, sizeof id, "c%d", i);
        struct nines_child_spec c = wk(id, NINES_TRANSIENT, grace(100));
        START_CHILD(&f, req++, "/", &c);
        READY(&f, id);
    }
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "c%d", i);
        engine_node n = engine_find(f.e, id);
        if (i % 2)
            assert_int_equal(n, first[i]);
        else if (i % 4 == 0) {
            assert_int_not_equal(n, ENGINE_NO_NODE);
            assert_int_not_equal(n, first[i]);
            assert_int_equal(engine_node_state(f.e, n), ENGINE_NODE_RUNNING);
        } else
            assert_int_equal(n, ENGINE_NO_NODE);
    }
    assert_int_equal(engine_find(f.e, "a"), fx_node(&f, "a"));
    assert_int_equal(engine_find(f.e, "c1/x"), ENGINE_NO_NODE);
    fx_done(&f);
}

/* The engine keeps its own deep copy of the spec. */
static void start_child_copies_the_spec(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    char id[] = "e", prog[] = "/bin/prog", arg1[] = "--x", key[] = "port", value[] = "80";
    char *argv[] = {prog, arg1, NULL};
    struct nines_arg args[] = {{key, value}};
    struct nines_child_spec e = {.id = id, .kind = NINES_CHILD_EXEC, .restart = NINES_PERMANENT,
                                 .shutdown = {NINES_SHUTDOWN_TIMEOUT, 1000}, .exec_argv = argv,
                                 .args = args, .n_args = 1};
    assert_string_equal(START_CHILD(&f, 1, "/", &e), "added e; spawn e#2");
    memset(id, 'X', 1), memset(prog, 'X', 5), memset(value, 'X', 2);
    const struct nines_child_spec *c = engine_node_spec(f.e, fx_node(&f, "e"));
    assert_ptr_not_equal(c, &e);
    assert_string_equal(c->id, "e");
    assert_string_equal(c->exec_argv[0], "/bin/prog");
    assert_string_equal(c->exec_argv[1], "--x");
    assert_null(c->exec_argv[2]);
    assert_int_equal(c->n_args, 1);
    assert_string_equal(c->args[0].value, "80");
    assert_string_equal(READY(&f, "e"), "started e; reply 1 ok e");
    fx_done(&f);
}

/* A failed start: the child is not added (OTP saves it only once started). */
static void start_child_that_fails_is_not_added(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 0, k, NKIDS(k), &root);
    struct nines_child_spec n = w("n");
    assert_string_equal(START_CHILD(&f, 1, "/", &n), "added n; spawn n#2");
    assert_string_equal(EXIT(&f, "n", R_INIT("bad")),
                        "start_error n (init failed: bad); reply 1 start_failed - (init failed: bad)");
    assert_int_equal(fx_state(&f, "n"), ENGINE_NODE_REMOVED);
    assert_int_equal(engine_find(f.e, "n"), ENGINE_NO_NODE);
    assert_int_equal(fx_state(&f, "/"), ENGINE_NODE_RUNNING);
    assert_string_equal(START_CHILD(&f, 2, "/", &n), "added n; spawn n#3");
    assert_string_equal(READY(&f, "n"), "started n; reply 2 ok n");
    /* the failed one was freed and its number taken by the second */
    assert_int_equal(f.freed, 1);
    assert_int_equal(engine_node_count(f.e), 3);
    /* refusals: a worker is no supervisor; an unusable spec */
    assert_string_equal(START_CHILD(&f, 3, "a", &n), "reply 3 not_a_supervisor -");
    struct nines_child_spec bad = w("x/y");
    assert_string_equal(START_CHILD(&f, 4, "/", &bad),
                        "reply 4 start_failed - (start failed: invalid child spec: id must be [A-Za-z0-9_.-]+)");
    assert_string_equal(fx_request(&f, ENGINE_REQ_START_CHILD, 5, ENGINE_ROOT, NULL, NULL, 0),
                        "reply 5 start_failed - (start failed: invalid child spec: id must be [A-Za-z0-9_.-]+)");
    fx_done(&f);
}

/* An added child is last in start order: one_for_all stops it first and
 * starts it last; rest_for_one restarts it after any earlier child. */
static void start_child_is_last_for_one_for_all(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ALL, 5, k, NKIDS(k), &root);
    struct nines_child_spec c = w("c");
    START_CHILD(&f, 1, "/", &c);
    assert_string_equal(READY(&f, "c"), "started c; reply 1 ok c");
    assert_string_equal(EXIT(&f, "a", R_SEGV()),
                        "terminated a (killed by SIGSEGV) restart_all; stop c#3; arm c#3 5000");
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()), "cancel c#3; stopped c (shutdown); stop b#2; arm b#2 5000");
    assert_string_equal(EXIT(&f, "b", R_SHUTDOWN()), "cancel b#2; stopped b (shutdown); spawn a#4");
    assert_string_equal(READY(&f, "a"), "started a; spawn b#5");
    assert_string_equal(READY(&f, "b"), "started b; spawn c#6");
    assert_string_equal(READY(&f, "c"), "started c");
    fx_done(&f);
}

static void start_child_is_last_for_rest_for_one(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root;
    boot_flat(NINES_REST_FOR_ONE, 5, k, NKIDS(k), &root);
    struct nines_child_spec c = w("c");
    START_CHILD(&f, 1, "/", &c);
    READY(&f, "c");
    assert_string_equal(EXIT(&f, "b", R_SEGV()),
                        "terminated b (killed by SIGSEGV) restart_rest; stop c#3; arm c#3 5000");
    assert_string_equal(EXIT(&f, "c", R_SHUTDOWN()), "cancel c#3; stopped c (shutdown); spawn b#4");
    assert_string_equal(READY(&f, "b"), "started b; spawn c#5");
    assert_string_equal(READY(&f, "c"), "started c");
    assert_int_equal(engine_node_gen(f.e, fx_node(&f, "a")), 1);
    fx_done(&f);
}

/* A supervisor added at run time: every node of its subtree is announced,
 * parents first, before any of them is spawned. Its restart forgets what
 * was added to it and brings back what was deleted (init/1's specs). */
static void start_child_of_a_supervisor_subtree(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ALL, 5, k, NKIDS(k), &root);
    struct nines_child_spec inner[] = {w("x"), w("y")};
    struct nines_sup_spec s = sup(NINES_ONE_FOR_ONE, 1, 5000, inner, NKIDS(inner));
    struct nines_child_spec web = sv("web", NINES_PERMANENT, &s);
    assert_string_equal(START_CHILD(&f, 1, "/", &web), "added web; added web/x; added web/y; spawn web/x#2");
    READY(&f, "web/x");
    assert_string_equal(READY(&f, "web/y"), "started web/y; started web; reply 1 ok web");
    struct nines_child_spec z = w("z");
    START_CHILD(&f, 2, "web", &z);
    assert_string_equal(READY(&f, "web/z"), "started web/z; reply 2 ok web/z");
    TERMINATE_CHILD(&f, 3, "web/x");
    EXIT(&f, "web/x", R_SHUTDOWN());
    assert_string_equal(DELETE_CHILD(&f, 4, "web/x"), "reply 4 ok web/x");
    /* one_for_all at the root restarts web: a fresh init */
    EXIT(&f, "a", R_SEGV());
    EXIT(&f, "web/z", R_SHUTDOWN());
    assert_string_equal(EXIT(&f, "web/y", R_SHUTDOWN()),
                        "cancel web/y#3; stopped web/y (shutdown); stopped web (shutdown); spawn a#5");
    assert_string_equal(READY(&f, "a"), "started a; spawn web/x#6");
    READY(&f, "web/x");
    assert_string_equal(READY(&f, "web/y"), "started web/y; started web");
    /* web/z, added at run time, is gone with web's restart, and freed;
     * web/x, deleted but in web's spec, is back */
    assert_int_equal(engine_find(f.e, "web/z"), ENGINE_NO_NODE);
    assert_int_equal(f.freed, 1);
    assert_int_equal(fx_state(&f, "web/x"), ENGINE_NODE_RUNNING);
    fx_done(&f);
}

/* ---- stopping ----------------------------------------------------------------------------- */

/* ENGINE_EV_STOP answers every request, under way or waiting, at once. */
static void stop_answers_every_pending_request(void **unused) {
    struct nines_child_spec inner[] = {w("x")};
    struct nines_sup_spec s = sup(NINES_ONE_FOR_ONE, 1, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {w("a"), w("b"), sv("sub", NINES_PERMANENT, &s)};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    TERMINATE_CHILD(&f, 1, "a");
    EXIT(&f, "a", R_SHUTDOWN());
    assert_string_equal(RESTART_CHILD(&f, 2, "a"), "spawn a#4");
    assert_string_equal(TERMINATE_CHILD(&f, 3, "b"), "");
    struct nines_child_spec c = w("c");
    assert_string_equal(START_CHILD(&f, 4, "/", &c), "");
    assert_string_equal(TERMINATE_CHILD(&f, 5, "sub/x"), "stop sub/x#3; arm sub/x#3 5000");
    assert_string_equal(RESTART_CHILD(&f, 6, "sub/x"), "");
    assert_string_equal(STOP(&f), "reply 2 shutting_down a; reply 3 shutting_down b; reply 4 shutting_down -; "
                                  "reply 5 shutting_down sub/x; reply 6 shutting_down sub/x");
    assert_string_equal(TERMINATE_CHILD(&f, 7, "b"), "reply 7 shutting_down b");
    assert_string_equal(EXIT(&f, "sub/x", R_SHUTDOWN()),
                        "cancel sub/x#3; stopped sub/x (shutdown); stopped sub (shutdown); stop b#2; arm b#2 5000");
    EXIT(&f, "b", R_SHUTDOWN());
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()),
                        "cancel a#4; stopped a (shutdown); tree_down 0 (shutdown)");
    assert_string_equal(RESTART_CHILD(&f, 8, "a"), "reply 8 shutting_down a");
    fx_done(&f);
}

/* A supervisor that gives up, or is stopped by its parent's strategy,
 * answers what waited in its mailbox; while it stops it takes no calls. */
static void a_supervisor_that_ends_answers_its_mailbox(void **unused) {
    struct nines_child_spec inner[] = {w("x"), w("y")};
    struct nines_sup_spec s = sup(NINES_ONE_FOR_ONE, 0, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {w("a"), sv("sub", NINES_PERMANENT, &s)};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ALL, 5, k, NKIDS(k), &root);
    assert_string_equal(TERMINATE_CHILD(&f, 1, "sub/y"), "stop sub/y#3; arm sub/y#3 5000");
    assert_string_equal(RESTART_CHILD(&f, 2, "sub/x"), "");
    assert_string_equal(EXIT(&f, "a", R_SEGV()),
                        "terminated a (killed by SIGSEGV) restart_all; reply 1 shutting_down sub/y");
    assert_string_equal(TERMINATE_CHILD(&f, 3, "sub/x"), "reply 3 shutting_down sub/x");
    assert_string_equal(EXIT(&f, "sub/y", R_SHUTDOWN()),
                        "cancel sub/y#3; stopped sub/y (shutdown); stop sub/x#2; arm sub/x#2 5000");
    assert_string_equal(EXIT(&f, "sub/x", R_SHUTDOWN()),
                        "cancel sub/x#2; stopped sub/x (shutdown); reply 2 shutting_down sub/x; "
                        "stopped sub (shutdown); spawn a#4");
    fx_done(&f);
}

/* A supervisor that gives up answers what waited in its mailbox once it
 * has stopped its children, and takes no calls meanwhile. */
static void a_supervisor_giving_up_takes_no_calls(void **unused) {
    struct nines_child_spec inner[] = {w("x"), w("y")};
    struct nines_sup_spec s = sup(NINES_ONE_FOR_ONE, 1, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {sv("sub", NINES_PERMANENT, &s)};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    assert_string_equal(EXIT(&f, "sub/x", R_SEGV()), "terminated sub/x (killed by SIGSEGV) restart; spawn sub/x#3");
    assert_string_equal(EXIT(&f, "sub/y", R_SEGV()), "");
    assert_string_equal(RESTART_CHILD(&f, 1, "sub/x"), "");
    assert_string_equal(READY(&f, "sub/x"),
                        "started sub/x; terminated sub/y (killed by SIGSEGV) give_up; "
                        "shutdown sub (shutdown: reached_max_restart_intensity); stop sub/x#3; arm sub/x#3 5000");
    assert_string_equal(RESTART_CHILD(&f, 2, "sub/y"), "reply 2 shutting_down sub/y");
    struct nines_child_spec c = w("c");
    assert_string_equal(START_CHILD(&f, 3, "sub", &c), "reply 3 shutting_down -");
    assert_string_equal(EXIT(&f, "sub/x", R_SHUTDOWN()),
                        "cancel sub/x#3; stopped sub/x (shutdown); reply 1 shutting_down sub/x; "
                        "terminated sub (shutdown: reached_max_restart_intensity) restart; spawn sub/x#4");
    fx_done(&f);
}

/* Requests to a supervisor still starting wait for its init; if the init
 * fails, they are answered when it has stopped what it had started. */
static void requests_during_boot_wait_for_the_start(void **unused) {
    struct nines_child_spec k[] = {w("a"), w("b")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 5, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    assert_string_equal(RESTART_CHILD(&f, 1, "a"), "reply 1 shutting_down a"); /* not started */
    START(&f);
    assert_string_equal(TERMINATE_CHILD(&f, 2, "a"), "");
    READY(&f, "a");
    assert_string_equal(READY(&f, "b"), "started b; tree_up; stop a#1; arm a#1 5000");
    fx_done(&f);
    fx_init(&f, &root);
    START(&f);
    READY(&f, "a");
    assert_string_equal(TERMINATE_CHILD(&f, 3, "a"), "");
    assert_string_equal(EXIT(&f, "b", R_INIT("x")), "start_error b (init failed: x); stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()),
                        "cancel a#1; stopped a (shutdown); reply 3 shutting_down a; "
                        "tree_down 1 (start failed: failed to start child 'b': init failed: x)");
    fx_done(&f);
}

/* Requests still waiting when the engine is freed are freed too (ASan). */
static void free_with_requests_waiting(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 5, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    START(&f);
    struct nines_child_spec c = w("c");
    struct nines_arg args[] = {{(char *)"k", (char *)"v"}};
    assert_string_equal(START_CHILD(&f, 1, "/", &c), "");
    assert_string_equal(fx_request(&f, ENGINE_REQ_START_DYNAMIC, 2, ENGINE_ROOT, NULL, args, 1),
                        "reply 2 not_dynamic -");
    fx_done(&f);
}

/* ---- incarnations and names ------------------------------------------------------------- */

static void stale_gens_are_still_ignored(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root;
    boot_flat(NINES_ONE_FOR_ONE, 5, k, NKIDS(k), &root);
    engine_node a = fx_node(&f, "a");
    TERMINATE_CHILD(&f, 1, "a");
    EXIT(&f, "a", R_SHUTDOWN());
    RESTART_CHILD(&f, 2, "a");
    assert_string_equal(fx_feed(&f, ENGINE_EV_READY, a, 1, R_NORMAL()), "");
    assert_string_equal(fx_feed(&f, ENGINE_EV_EXIT, a, 1, R_SEGV()), "");
    assert_string_equal(READY(&f, "a"), "started a; reply 2 ok a");
    assert_string_equal(fx_feed(&f, ENGINE_EV_TIMEOUT, a, 1, R_NORMAL()), "");
    assert_int_equal(fx_state(&f, "a"), ENGINE_NODE_RUNNING);
    fx_done(&f);
}

static void request_result_names_are_otps(void **unused) {
    static const char *const names[] = {
        "ok", "not_found", "running", "restarting", "already_present", "already_started",
        "not_a_supervisor", "simple_one_for_one", "not_dynamic", "max_children", "start_failed",
        "shutting_down", "root"};
    for (int r = ENGINE_REQ_OK; r <= ENGINE_REQ_ROOT; r++)
        assert_string_equal(engine_request_result_name((enum engine_request_result)r), names[r]);
    size_t n = 7;
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 5, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    assert_null(engine_node_children(f.e, fx_node(&f, "a"), &n));
    assert_int_equal(n, 0);
    assert_null(engine_node_children(f.e, 42, &n));
    fx_done(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(terminate_then_restart_child),
        cmocka_unit_test(operator_restarts_do_not_use_up_the_intensity),
        cmocka_unit_test(restart_child_start_failed_leaves_it_idle),
        cmocka_unit_test(restart_child_refusals),
        cmocka_unit_test(a_request_queued_during_a_restart_is_handled_after),
        cmocka_unit_test(a_request_behind_a_queued_exit),
        cmocka_unit_test(terminate_uses_an_exit_already_queued),
        cmocka_unit_test(terminate_removes_temporaries_and_drops_retries),
        cmocka_unit_test(terminate_a_nested_supervisor_stops_its_subtree),
        cmocka_unit_test(delete_child_then_start_child_with_the_same_id),
        cmocka_unit_test(find_names_the_current_node_among_many),
        cmocka_unit_test(start_child_copies_the_spec),
        cmocka_unit_test(start_child_that_fails_is_not_added),
        cmocka_unit_test(start_child_is_last_for_one_for_all),
        cmocka_unit_test(start_child_is_last_for_rest_for_one),
        cmocka_unit_test(start_child_of_a_supervisor_subtree),
        cmocka_unit_test(stop_answers_every_pending_request),
        cmocka_unit_test(a_supervisor_that_ends_answers_its_mailbox),
        cmocka_unit_test(a_supervisor_giving_up_takes_no_calls),
        cmocka_unit_test(requests_during_boot_wait_for_the_start),
        cmocka_unit_test(free_with_requests_waiting),
        cmocka_unit_test(stale_gens_are_still_ignored),
        cmocka_unit_test(request_result_names_are_otps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
