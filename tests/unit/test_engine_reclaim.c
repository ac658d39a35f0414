/* Unit tests of reclaim (engine_reclaim.c): children added at run time
 * are freed once gone for good, their numbers reused, their supervisors'
 * children arrays compacted under a walk; a message about a freed node is
 * dropped, a request answered not_found; static children keep their slot.
 * Each expected line lists every action but ENGINE_ACT_NODE_FREED, which
 * the fixture counts (engine_fixture.h). */
#include "engine_fixture.h"

static struct fx f;

static struct nines_child_spec dyn_tmpl, dyn_kids[2];
static struct nines_sup_spec dyn_sup, dyn_root;

/* A root (one_for_one) with worker "a" and dynamic supervisor "jobs". */
static void boot_dynamic(struct nines_child_spec tmpl) {
    dyn_tmpl = tmpl;
    dyn_sup = sup(NINES_DYNAMIC, 1000000, 5000, NULL, 0);
    dyn_sup.child_template = &dyn_tmpl;
    dyn_kids[0] = w("a");
    dyn_kids[1] = sv("jobs", NINES_PERMANENT, &dyn_sup);
    dyn_root = sup(NINES_ONE_FOR_ONE, 5, 5000, dyn_kids, 2);
    fx_init(&f, &dyn_root);
    fx_boot(&f);
}

static void started_with(const char *out, const char *prefix) {
    if (strncmp(out, prefix, strlen(prefix)) != 0)
        fail_msg("got \"%s\"", out);
}

static void started(const char *out, const char *path) {
    char want[128];
    snprintf(want, sizeof want, "started %s; reply", path);
    if (!strstr(out, want))
        fail_msg("got \"%s\"", out);
}

/* 10,000 children started and terminated, one live beside them: the
 * table stays at its size with two, every one is freed, ids count on. */
static void churn_does_not_grow_the_table(void **unused) {
    boot_dynamic(wr("job", NINES_PERMANENT));
    size_t base = engine_node_count(f.e); /* root, a, jobs */
    assert_int_equal(base, 3);
    START_DYNAMIC(&f, 1, "jobs", NULL, 0);
    started(READY(&f, "jobs/job-1"), "jobs/job-1");
    char path[32];
    for (unsigned i = 2; i <= 10001; i++) {
        snprintf(path, sizeof path, "jobs/job-%u", i);
        START_DYNAMIC(&f, i * 2, "jobs", NULL, 0);
        started(READY(&f, path), path);
        TERMINATE_CHILD(&f, i * 2 + 1, path);
        EXIT(&f, path, R_SHUTDOWN());
        assert_int_equal(engine_find(f.e, path), ENGINE_NO_NODE);
        assert_true(engine_node_count(f.e) <= base + 2);
    }
    assert_int_equal(f.freed, 9999); /* the last is freed at the next call */
    READY(&f, "jobs/job-1");          /* any call: a stale one, ignored */
    assert_int_equal(f.freed, 10000);
    assert_int_equal(engine_node_count(f.e), base + 2);
    size_t n;
    const engine_node *kids = engine_node_children(f.e, fx_node(&f, "jobs"), &n);
    assert_int_equal(n, 1);
    assert_string_equal(engine_node_path(f.e, kids[0]), "jobs/job-1");
    assert_string_equal(START_DYNAMIC(&f, 30000, "jobs", NULL, 0), "added jobs/job-10002; spawn jobs/job-10002#10003");
    fx_done(&f);
}

/* A freed number is the next node's; the new node is found by its path,
 * the old path by none, and the new one starts afresh. */
static void a_freed_number_is_reused(void **unused) {
    boot_dynamic(wr("job", NINES_TRANSIENT));
    START_DYNAMIC(&f, 1, "jobs", NULL, 0);
    READY(&f, "jobs/job-1");
    engine_node old = engine_find(f.e, "jobs/job-1");
    assert_string_equal(EXIT(&f, "jobs/job-1", R_NORMAL()), "terminated jobs/job-1 (normal) remove");
    assert_int_equal(f.freed, 0); /* the report above still names it */
    assert_string_equal(START_DYNAMIC(&f, 2, "jobs", NULL, 0), "added jobs/job-2; spawn jobs/job-2#3");
    assert_int_equal(f.freed, 1);
    assert_int_equal(engine_find(f.e, "jobs/job-2"), old);
    assert_int_equal(engine_find(f.e, "jobs/job-1"), ENGINE_NO_NODE);
    assert_int_equal(engine_node_restarts(f.e, old), 0);
    /* the old incarnation's events are the old gen's: ignored */
    assert_string_equal(fx_feed(&f, ENGINE_EV_EXIT, old, 2, R_SEGV()), "");
    assert_string_equal(READY(&f, "jobs/job-2"), "started jobs/job-2; reply 2 ok jobs/job-2");
    fx_done(&f);
}

/* A request that waited in the mailbox while the child it named ended,
 * was freed and had its number taken: not_found, and the new child is
 * left alone. */
static void a_request_about_a_freed_node_is_not_found(void **unused) {
    boot_dynamic(wr("job", NINES_TRANSIENT));
    START_DYNAMIC(&f, 1, "jobs", NULL, 0);
    READY(&f, "jobs/job-1");
    engine_node j1 = fx_node(&f, "jobs/job-1");
    assert_string_equal(START_DYNAMIC(&f, 2, "jobs", NULL, 0), "added jobs/job-2; spawn jobs/job-2#3");
    /* jobs waits for job-2's init: these queue behind it */
    assert_string_equal(EXIT(&f, "jobs/job-1", R_NORMAL()), "");
    assert_string_equal(START_DYNAMIC(&f, 3, "jobs", NULL, 0), "");
    assert_string_equal(START_DYNAMIC(&f, 4, "jobs", NULL, 0), "");
    assert_string_equal(fx_request(&f, ENGINE_REQ_TERMINATE_CHILD, 5, j1, NULL, NULL, 0), "");
    assert_string_equal(READY(&f, "jobs/job-2"), "started jobs/job-2; reply 2 ok jobs/job-2; "
                                                 "terminated jobs/job-1 (normal) remove; "
                                                 "added jobs/job-3; spawn jobs/job-3#4");
    assert_string_equal(READY(&f, "jobs/job-3"), "started jobs/job-3; reply 3 ok jobs/job-3; "
                                                 "added jobs/job-4; spawn jobs/job-4#5");
    assert_int_equal(engine_find(f.e, "jobs/job-4"), j1); /* job-1's number */
    assert_string_equal(READY(&f, "jobs/job-4"), "started jobs/job-4; reply 4 ok jobs/job-4; "
                                                 "reply 5 not_found -");
    assert_int_equal(fx_state(&f, "jobs/job-4"), ENGINE_NODE_RUNNING);
    fx_done(&f);
}

/* A number kept by the shell is checked against the node's uid: the new
 * node in a freed number has another, a free number none, and a request
 * carrying the old uid is not_found while the new node is left alone. */
static void a_request_with_a_stale_uid_is_not_found(void **unused) {
    boot_dynamic(wr("job", NINES_TRANSIENT));
    START_DYNAMIC(&f, 1, "jobs", NULL, 0);
    READY(&f, "jobs/job-1");
    engine_node j1 = fx_node(&f, "jobs/job-1");
    uint64_t uid1 = engine_node_uid(f.e, j1);
    assert_true(uid1 != 0);
    assert_true(engine_node_is(f.e, j1, uid1));
    assert_false(engine_node_is(f.e, j1, 0));
    assert_string_equal(EXIT(&f, "jobs/job-1", R_NORMAL()), "terminated jobs/job-1 (normal) remove");
    READY(&f, "jobs/job-1"); /* any call: job-1 is freed */
    assert_int_equal(engine_node_uid(f.e, j1), 0);
    assert_false(engine_node_is(f.e, j1, uid1));
    assert_string_equal(START_DYNAMIC(&f, 2, "jobs", NULL, 0), "added jobs/job-2; spawn jobs/job-2#3");
    assert_int_equal(fx_node(&f, "jobs/job-2"), j1);
    assert_string_equal(READY(&f, "jobs/job-2"), "started jobs/job-2; reply 2 ok jobs/job-2");
    uint64_t uid2 = engine_node_uid(f.e, j1);
    assert_true(uid2 != 0 && uid2 != uid1);
    struct engine_event ev = {.kind = ENGINE_EV_REQUEST,
                              .request = {.kind = ENGINE_REQ_TERMINATE_CHILD, .id = 3, .node = j1, .uid = uid1}};
    assert_string_equal(fx_feed_event(&f, ev), "reply 3 not_found -");
    assert_int_equal(fx_state(&f, "jobs/job-2"), ENGINE_NODE_RUNNING);
    ev.request.uid = uid2, ev.request.id = 4;
    assert_string_equal(fx_feed_event(&f, ev), "stop jobs/job-2#3; arm jobs/job-2#3 5000");
    fx_done(&f);
}

/* A supervisor added at run time goes with its whole subtree; the same
 * start again takes the same numbers. */
static void a_subtree_added_at_run_time_is_freed_whole(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 5, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    fx_boot(&f);
    struct nines_child_spec inner[] = {w("x"), w("y")};
    struct nines_sup_spec s = sup(NINES_ONE_FOR_ONE, 1, 5000, inner, NKIDS(inner));
    struct nines_child_spec web = sv("web", NINES_TEMPORARY, &s);
    for (int round = 0; round < 3; round++) {
        started_with(START_CHILD(&f, 1, "/", &web), "added web; added web/x; added web/y; spawn web/x#");
        READY(&f, "web/x");
        READY(&f, "web/y");
        TERMINATE_CHILD(&f, 2, "web");
        EXIT(&f, "web/y", R_SHUTDOWN());
        const char *out = EXIT(&f, "web/x", R_SHUTDOWN());
        if (!strstr(out, "; stopped web/x (shutdown); stopped web (shutdown); reply 2 ok web"))
            fail_msg("got \"%s\"", out);
        assert_int_equal(engine_node_count(f.e), 5);
    }
    READY(&f, "a");
    assert_int_equal(f.freed, 9);
    fx_done(&f);
}

/* Static children keep their slot: a temporary that ended and a deleted
 * child are back when their supervisor starts again. */
static void static_children_are_not_freed(void **unused) {
    struct nines_child_spec inner[] = {wr("t", NINES_TEMPORARY), w("d")};
    struct nines_sup_spec s = sup(NINES_ONE_FOR_ONE, 5, 5000, inner, NKIDS(inner));
    struct nines_child_spec k[] = {sv("sub", NINES_PERMANENT, &s)};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ONE, 5, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    fx_boot(&f);
    EXIT(&f, "sub/t", R_SEGV());
    TERMINATE_CHILD(&f, 1, "sub/d");
    EXIT(&f, "sub/d", R_SHUTDOWN());
    DELETE_CHILD(&f, 2, "sub/d");
    RESTART_CHILD(&f, 3, "sub"); /* refused: running; a restart is what brings them back */
    TERMINATE_CHILD(&f, 4, "sub");
    assert_string_equal(RESTART_CHILD(&f, 5, "sub"), "spawn sub/t#3");
    READY(&f, "sub/t");
    assert_string_equal(READY(&f, "sub/d"), "started sub/d; started sub; reply 5 ok sub");
    assert_int_equal(f.freed, 0);
    assert_int_equal(engine_node_count(f.e), 4);
    fx_done(&f);
}

/* A run-time child freed while its supervisor walks (one_for_all's
 * terminate walk reached a before the freed temporary's slot goes): the
 * walk goes on over the compacted array, starting a and c, not the
 * temporary. */
static void a_walk_goes_on_over_the_compacted_children(void **unused) {
    struct nines_child_spec k[] = {w("a")};
    struct nines_sup_spec root = sup(NINES_ONE_FOR_ALL, 5, 5000, k, NKIDS(k));
    fx_init(&f, &root);
    fx_boot(&f);
    struct nines_child_spec t = wr("t", NINES_TEMPORARY), c = w("c");
    START_CHILD(&f, 1, "/", &t);
    READY(&f, "t");
    START_CHILD(&f, 2, "/", &c);
    READY(&f, "c");
    assert_string_equal(EXIT(&f, "c", R_SEGV()),
                        "terminated c (killed by SIGSEGV) restart_all; stop t#2; arm t#2 5000");
    assert_string_equal(EXIT(&f, "t", R_SHUTDOWN()),
                        "cancel t#2; stopped t (shutdown); stop a#1; arm a#1 5000");
    assert_int_equal(f.freed, 0);
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()), "cancel a#1; stopped a (shutdown); spawn a#4");
    assert_int_equal(f.freed, 1);
    assert_string_equal(READY(&f, "a"), "started a; spawn c#5");
    assert_string_equal(READY(&f, "c"), "started c");
    size_t n;
    engine_node_children(f.e, ENGINE_ROOT, &n);
    assert_int_equal(n, 2);
    fx_done(&f);
}

/* A dynamic supervisor restarted: its children are gone and freed. */
static void a_restarted_dynamic_supervisor_frees_its_children(void **unused) {
    boot_dynamic(wr("job", NINES_PERMANENT));
    for (int i = 1; i <= 3; i++) {
        char path[32];
        snprintf(path, sizeof path, "jobs/job-%d", i);
        START_DYNAMIC(&f, (uint64_t)i, "jobs", NULL, 0);
        READY(&f, path);
    }
    TERMINATE_CHILD(&f, 4, "jobs");
    EXIT(&f, "jobs/job-1", R_SHUTDOWN());
    EXIT(&f, "jobs/job-2", R_SHUTDOWN());
    EXIT(&f, "jobs/job-3", R_SHUTDOWN());
    assert_string_equal(RESTART_CHILD(&f, 5, "jobs"), "started jobs; reply 5 ok jobs");
    READY(&f, "a");
    assert_int_equal(f.freed, 3);
    assert_int_equal(engine_node_count(f.e), 6);
    START_DYNAMIC(&f, 6, "jobs", NULL, 0);
    assert_int_equal(engine_node_count(f.e), 6);
    fx_done(&f);
}

/* The path index after numbers are freed and reused: every live child is
 * found by its path, none that ended is, an id taken again names the new
 * child, whatever shares a bucket. */
static void paths_are_found_through_reuse(void **unused) {
    boot_dynamic(wr("job", NINES_PERMANENT));
    char path[32], id[16];
    uint64_t req = 1;
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "c%d", i);
        snprintf(path, sizeof path, "jobs/c%d", i);
        START_NAMED(&f, req++, "jobs", id);
        READY(&f, path);
    }
    for (int i = 0; i < 50; i += 2) {
        snprintf(path, sizeof path, "jobs/c%d", i);
        TERMINATE_CHILD(&f, req++, path);
        EXIT(&f, path, R_SHUTDOWN());
    }
    for (int i = 0; i < 25; i++) { /* into the freed numbers, c0 again among them */
        snprintf(id, sizeof id, i == 0 ? "c0" : "d%d", i);
        snprintf(path, sizeof path, "jobs/%s", id);
        START_NAMED(&f, req++, "jobs", id);
        READY(&f, path);
    }
    assert_int_equal(engine_node_count(f.e), 3 + 50);
    for (int i = 0; i < 50; i++) {
        snprintf(path, sizeof path, "jobs/c%d", i);
        engine_node n = engine_find(f.e, path);
        if (i % 2 == 0 && i != 0) {
            assert_int_equal(n, ENGINE_NO_NODE);
            continue;
        }
        assert_int_not_equal(n, ENGINE_NO_NODE);
        assert_string_equal(engine_node_path(f.e, n), path);
        assert_int_equal(engine_node_state(f.e, n), ENGINE_NODE_RUNNING);
    }
    for (int i = 1; i < 25; i++) {
        snprintf(path, sizeof path, "jobs/d%d", i);
        engine_node n = engine_find(f.e, path);
        assert_int_not_equal(n, ENGINE_NO_NODE);
        assert_string_equal(engine_node_path(f.e, n), path);
    }
    assert_int_equal(engine_find(f.e, "jobs/d25"), ENGINE_NO_NODE);
    fx_done(&f);
}

/* A walk that goes on across calls (a status streamed) finds its place
 * among a supervisor's children by uid: they are held in the order they
 * were added, uids growing, with numbers reused and the array compacted
 * under it. */
static void children_are_held_in_the_order_of_their_uids(void **unused) {
    boot_dynamic(wr("job", NINES_TRANSIENT));
    char path[32];
    unsigned t = 1;
    for (unsigned i = 1; i <= 40; i++) {
        snprintf(path, sizeof path, "jobs/job-%u", i);
        START_DYNAMIC(&f, t++, "jobs", NULL, 0);
        READY(&f, path);
        if (i % 3 == 0) { /* every third ends: its number goes to a later one */
            snprintf(path, sizeof path, "jobs/job-%u", i - 1);
            EXIT(&f, path, R_NORMAL());
        }
    }
    size_t n, live;
    const engine_node *kids = engine_node_kids(f.e, fx_node(&f, "jobs"), &n);
    engine_node_children(f.e, fx_node(&f, "jobs"), &live);
    assert_true(n >= live && live == 40 - 13);
    for (size_t i = 1; i < n; i++)
        assert_true(engine_node_uid(f.e, kids[i]) > engine_node_uid(f.e, kids[i - 1]));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(engine_node_parent(f.e, kids[i]), fx_node(&f, "jobs"));
    assert_null(engine_node_kids(f.e, fx_node(&f, "a"), &n));
    assert_int_equal(n, 0);
    fx_done(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(churn_does_not_grow_the_table),
        cmocka_unit_test(children_are_held_in_the_order_of_their_uids),
        cmocka_unit_test(a_freed_number_is_reused),
        cmocka_unit_test(a_request_about_a_freed_node_is_not_found),
        cmocka_unit_test(a_request_with_a_stale_uid_is_not_found),
        cmocka_unit_test(a_subtree_added_at_run_time_is_freed_whole),
        cmocka_unit_test(static_children_are_not_freed),
        cmocka_unit_test(a_walk_goes_on_over_the_compacted_children),
        cmocka_unit_test(a_restarted_dynamic_supervisor_frees_its_children),
        cmocka_unit_test(paths_are_found_through_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
