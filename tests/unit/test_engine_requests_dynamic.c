/* Unit tests of operator requests on dynamic supervisors (OTP's
 * simple_one_for_one, Elixir's DynamicSupervisor): children from the
 * template, their ids, args and limit, how they end, and what a restart
 * of the supervisor leaves. Each expected line lists every action, in
 * order (see engine_fixture.h). */
#include "engine_fixture.h"

static struct fx f;

/* A root (one_for_one, intensity 5) with worker "a" and a dynamic
 * supervisor "jobs" of template `tmpl`. */
static struct nines_child_spec dyn_tmpl, dyn_kids[2];
static struct nines_sup_spec dyn_sup, dyn_root;

static void boot_dynamic(struct nines_child_spec tmpl, unsigned max_children) {
    dyn_tmpl = tmpl;
    dyn_sup = sup(NINES_DYNAMIC, 5, 5000, NULL, 0);
    dyn_sup.child_template = &dyn_tmpl;
    dyn_sup.max_children = max_children;
    dyn_kids[0] = w("a");
    dyn_kids[1] = sv("jobs", NINES_PERMANENT, &dyn_sup);
    dyn_root = sup(NINES_ONE_FOR_ONE, 5, 5000, dyn_kids, 2);
    fx_init(&f, &dyn_root);
    fx_boot(&f);
}

static void start_dynamic_children_from_the_template(void **unused) {
    struct nines_arg targs[] = {{(char *)"size", (char *)"1"}};
    struct nines_child_spec tmpl = wr("job", NINES_PERMANENT);
    tmpl.args = targs, tmpl.n_args = 1;
    boot_dynamic(tmpl, 0);
    struct nines_arg args[] = {{(char *)"size", (char *)"2"}, {(char *)"name", (char *)"x"}};
    assert_string_equal(START_DYNAMIC(&f, 1, "jobs", args, 2), "added jobs/job-1; spawn jobs/job-1#2");
    assert_string_equal(READY(&f, "jobs/job-1"), "started jobs/job-1; reply 1 ok jobs/job-1");
    assert_string_equal(START_DYNAMIC(&f, 2, "jobs", NULL, 0), "added jobs/job-2; spawn jobs/job-2#3");
    assert_string_equal(EXIT(&f, "jobs/job-2", R_INIT("no")),
                        "start_error jobs/job-2 (init failed: no); reply 2 start_failed - (init failed: no)");
    assert_string_equal(START_DYNAMIC(&f, 3, "jobs", NULL, 0), "added jobs/job-3; spawn jobs/job-3#4");
    READY(&f, "jobs/job-3");
    const struct nines_child_spec *j1 = engine_node_spec(f.e, fx_node(&f, "jobs/job-1"));
    assert_int_equal(j1->n_args, 2);
    assert_string_equal(j1->args[0].value, "2");
    assert_string_equal(j1->args[1].key, "name");
    assert_string_equal(j1->module, "/apps/x.so");
    assert_int_equal(engine_node_spec(f.e, fx_node(&f, "jobs/job-3"))->n_args, 0);
    assert_string_equal(dyn_tmpl.args[0].value, "1"); /* the template is untouched */
    /* a permanent dynamic child is restarted like one_for_one */
    assert_string_equal(EXIT(&f, "jobs/job-1", R_SEGV()),
                        "terminated jobs/job-1 (killed by SIGSEGV) restart; spawn jobs/job-1#5");
    READY(&f, "jobs/job-1");
    /* OTP: restart_child and delete_child are for static supervisors */
    assert_string_equal(RESTART_CHILD(&f, 4, "jobs/job-1"), "reply 4 simple_one_for_one jobs/job-1");
    assert_string_equal(DELETE_CHILD(&f, 5, "jobs/job-1"), "reply 5 simple_one_for_one jobs/job-1");
    struct nines_child_spec c = w("c");
    assert_string_equal(START_CHILD(&f, 6, "jobs", &c), "reply 6 simple_one_for_one -");
    assert_string_equal(START_DYNAMIC(&f, 7, "/", NULL, 0), "reply 7 not_dynamic -");
    assert_string_equal(START_DYNAMIC(&f, 8, "a", NULL, 0), "reply 8 not_a_supervisor -");
    /* terminate_child removes a dynamic child */
    assert_string_equal(TERMINATE_CHILD(&f, 9, "jobs/job-3"), "stop jobs/job-3#4; arm jobs/job-3#4 5000");
    assert_string_equal(EXIT(&f, "jobs/job-3", R_SHUTDOWN()),
                        "cancel jobs/job-3#4; stopped jobs/job-3 (shutdown); reply 9 ok jobs/job-3");
    assert_int_equal(fx_state(&f, "jobs/job-3"), ENGINE_NODE_REMOVED);
    size_t n;
    engine_node_children(f.e, fx_node(&f, "jobs"), &n);
    assert_int_equal(n, 1);
    fx_done(&f);
}

/* start-child --id: the operator names the child; a sibling's id or an
 * invalid one is refused; numbered children skip the ids so taken. */
static void an_operator_names_a_dynamic_child(void **unused) {
    boot_dynamic(wr("job", NINES_PERMANENT), 0);
    assert_string_equal(START_NAMED(&f, 1, "jobs", "acme"), "added jobs/acme; spawn jobs/acme#2");
    assert_string_equal(READY(&f, "jobs/acme"), "started jobs/acme; reply 1 ok jobs/acme");
    assert_string_equal(START_NAMED(&f, 2, "jobs", "acme"), "reply 2 already_started jobs/acme");
    assert_string_equal(START_NAMED(&f, 3, "jobs", "job-2"), "added jobs/job-2; spawn jobs/job-2#3");
    READY(&f, "jobs/job-2");
    assert_string_equal(START_DYNAMIC(&f, 4, "jobs", NULL, 0), "added jobs/job-1; spawn jobs/job-1#4");
    READY(&f, "jobs/job-1");
    assert_string_equal(START_DYNAMIC(&f, 5, "jobs", NULL, 0), "added jobs/job-3; spawn jobs/job-3#5");
    READY(&f, "jobs/job-3");
    assert_string_equal(START_NAMED(&f, 6, "jobs", "a/b"),
                        "reply 6 start_failed - (start failed: invalid child id: it must be [A-Za-z0-9_.-]+)");
    assert_string_equal(START_NAMED(&f, 7, "jobs", ""),
                        "reply 7 start_failed - (start failed: invalid child id: it must be [A-Za-z0-9_.-]+)");
    fx_done(&f);
}

/* set_flags on a dynamic supervisor (a reload's): its intensity and
 * period, never a strategy that makes it static. */
static void set_flags_of_a_dynamic_supervisor(void **unused) {
    boot_dynamic(wr("job", NINES_PERMANENT), 0);
    struct engine_event ev = {.kind = ENGINE_EV_REQUEST,
                              .request = {.kind = ENGINE_REQ_SET_FLAGS, .id = 1, .node = fx_node(&f, "jobs"),
                                          .flags = {.has_strategy = true, .strategy = NINES_ONE_FOR_ONE}}};
    assert_string_equal(fx_feed_event(&f, ev), "reply 1 unsupported -");
    ev.request = (struct engine_request){.kind = ENGINE_REQ_SET_FLAGS, .id = 2, .node = fx_node(&f, "jobs"),
                                         .flags = {.has_intensity = true, .intensity = 0}};
    assert_string_equal(fx_feed_event(&f, ev), "reply 2 ok jobs");
    struct engine_sup_flags got;
    assert_true(engine_sup_flags(f.e, fx_node(&f, "jobs"), &got));
    assert_int_equal(got.intensity, 0);
    assert_int_equal(got.strategy, NINES_DYNAMIC);
    START_DYNAMIC(&f, 3, "jobs", NULL, 0);
    READY(&f, "jobs/job-1");
    assert_non_null(strstr(EXIT(&f, "jobs/job-1", R_SEGV()), "give_up"));
    fx_done(&f);
}

/* Dynamic children stop together (OTP's simple_one_for_one): every one
 * is asked at once, newest first, each with its own grace, and the
 * supervisor ends when the last has; then the static siblings go on one
 * at a time. */
static void dynamic_children_stop_together(void **unused) {
    boot_dynamic(wr("job", NINES_PERMANENT), 0);
    for (int i = 0; i < 3; i++) {
        START_DYNAMIC(&f, (uint64_t)i + 1, "jobs", NULL, 0);
        char path[32];
        snprintf(path, sizeof path, "jobs/job-%d", i + 1);
        READY(&f, path);
    }
    assert_string_equal(STOP(&f), "stop jobs/job-3#4; arm jobs/job-3#4 5000; stop jobs/job-2#3; "
                                  "arm jobs/job-2#3 5000; stop jobs/job-1#2; arm jobs/job-1#2 5000");
    assert_string_equal(EXIT(&f, "jobs/job-1", R_SHUTDOWN()), "cancel jobs/job-1#2; stopped jobs/job-1 (shutdown)");
    /* the graces run out together: each is killed, none waits for another */
    assert_string_equal(TIMEOUT(&f, "jobs/job-3"), "kill jobs/job-3#4");
    assert_string_equal(TIMEOUT(&f, "jobs/job-2"), "kill jobs/job-2#3");
    assert_string_equal(EXIT(&f, "jobs/job-3", R_KILLED()), "shutdown_error jobs/job-3 (killed by SIGKILL)");
    assert_string_equal(EXIT(&f, "jobs/job-2", R_KILLED()),
                        "shutdown_error jobs/job-2 (killed by SIGKILL); stopped jobs (shutdown); stop a#1; arm a#1 5000");
    assert_string_equal(EXIT(&f, "a", R_SHUTDOWN()), "cancel a#1; stopped a (shutdown); tree_down 0 (shutdown)");
    fx_done(&f);
}

/* terminate_child still stops one dynamic child, and a give-up stops the
 * others together. */
static void one_terminate_and_a_give_up(void **unused) {
    boot_dynamic(wr("job", NINES_PERMANENT), 0);
    for (int i = 0; i < 4; i++) {
        START_DYNAMIC(&f, (uint64_t)i + 1, "jobs", NULL, 0);
        char path[32];
        snprintf(path, sizeof path, "jobs/job-%d", i + 1);
        READY(&f, path);
    }
    assert_string_equal(TERMINATE_CHILD(&f, 9, "jobs/job-2"), "stop jobs/job-2#3; arm jobs/job-2#3 5000");
    assert_string_equal(EXIT(&f, "jobs/job-2", R_SHUTDOWN()),
                        "cancel jobs/job-2#3; stopped jobs/job-2 (shutdown); reply 9 ok jobs/job-2");
    for (int i = 0; i < 5; i++) { /* intensity 5: the sixth crash gives up */
        EXIT(&f, "jobs/job-1", R_SEGV());
        READY(&f, "jobs/job-1");
    }
    const char *out = EXIT(&f, "jobs/job-1", R_SEGV());
    if (!strstr(out, "give_up; shutdown jobs (shutdown: reached_max_restart_intensity); stop jobs/job-4#5; arm jobs/job-4#5 5000; "
                     "stop jobs/job-3#4; arm jobs/job-3#4 5000"))
        fail_msg("got \"%s\"", out);
    fx_done(&f);
}

static void dynamic_children_end_per_their_restart_type(void **unused) {
    boot_dynamic(wr("job", NINES_TRANSIENT), 0);
    START_DYNAMIC(&f, 1, "jobs", NULL, 0);
    READY(&f, "jobs/job-1");
    START_DYNAMIC(&f, 2, "jobs", NULL, 0);
    READY(&f, "jobs/job-2");
    assert_string_equal(EXIT(&f, "jobs/job-1", R_NORMAL()), "terminated jobs/job-1 (normal) remove");
    assert_int_equal(fx_state(&f, "jobs/job-1"), ENGINE_NODE_REMOVED);
    assert_string_equal(EXIT(&f, "jobs/job-2", R_SEGV()),
                        "terminated jobs/job-2 (killed by SIGSEGV) restart; spawn jobs/job-2#4");
    READY(&f, "jobs/job-2");
    assert_string_equal(EXIT(&f, "jobs/job-2", R_SHUTDOWN()), "terminated jobs/job-2 (shutdown) remove");
    fx_done(&f);
    boot_dynamic(wr("job", NINES_TEMPORARY), 0);
    START_DYNAMIC(&f, 1, "jobs", NULL, 0);
    READY(&f, "jobs/job-1");
    assert_string_equal(EXIT(&f, "jobs/job-1", R_SEGV()), "terminated jobs/job-1 (killed by SIGSEGV) remove");
    fx_done(&f);
}

/* max_children counts the children not removed. */
static void max_children_is_enforced(void **unused) {
    boot_dynamic(wr("job", NINES_TEMPORARY), 2);
    START_DYNAMIC(&f, 1, "jobs", NULL, 0);
    START_DYNAMIC(&f, 2, "jobs", NULL, 0); /* waits: the supervisor starts job-1 */
    assert_string_equal(START_DYNAMIC(&f, 3, "jobs", NULL, 0), "");
    assert_string_equal(READY(&f, "jobs/job-1"),
                        "started jobs/job-1; reply 1 ok jobs/job-1; added jobs/job-2; spawn jobs/job-2#3");
    assert_string_equal(READY(&f, "jobs/job-2"),
                        "started jobs/job-2; reply 2 ok jobs/job-2; reply 3 max_children -");
    EXIT(&f, "jobs/job-1", R_NORMAL());
    assert_string_equal(START_DYNAMIC(&f, 4, "jobs", NULL, 0), "added jobs/job-3; spawn jobs/job-3#4");
    fx_done(&f);
}

/* A dynamic supervisor that starts again has no children (a new process:
 * its dynamic children died with the old one). */
static void a_restarted_dynamic_supervisor_starts_empty(void **unused) {
    boot_dynamic(w("job"), 0);
    START_DYNAMIC(&f, 1, "jobs", NULL, 0);
    READY(&f, "jobs/job-1");
    assert_string_equal(TERMINATE_CHILD(&f, 2, "jobs"), "stop jobs/job-1#2; arm jobs/job-1#2 5000");
    assert_string_equal(EXIT(&f, "jobs/job-1", R_SHUTDOWN()),
                        "cancel jobs/job-1#2; stopped jobs/job-1 (shutdown); stopped jobs (shutdown); "
                        "reply 2 ok jobs");
    assert_int_equal(fx_state(&f, "jobs/job-1"), ENGINE_NODE_REMOVED);
    assert_string_equal(RESTART_CHILD(&f, 3, "jobs"), "started jobs; reply 3 ok jobs");
    assert_string_equal(START_DYNAMIC(&f, 4, "jobs", NULL, 0), "added jobs/job-2; spawn jobs/job-2#3");
    fx_done(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(start_dynamic_children_from_the_template),
        cmocka_unit_test(an_operator_names_a_dynamic_child),
        cmocka_unit_test(set_flags_of_a_dynamic_supervisor),
        cmocka_unit_test(dynamic_children_stop_together),
        cmocka_unit_test(one_terminate_and_a_give_up),
        cmocka_unit_test(dynamic_children_end_per_their_restart_type),
        cmocka_unit_test(max_children_is_enforced),
        cmocka_unit_test(a_restarted_dynamic_supervisor_starts_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
