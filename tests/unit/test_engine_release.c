/* Unit tests of the engine requests a release upgrade uses (doc/relup.md):
 * change_child, retire_child, set_flags and start_child in_init. What
 * sets them apart from the operator's calls is that they change what the
 * supervisor's init returns: each test restarts the supervisor and checks
 * the change is still there. Lines list every action (engine_fixture.h). */
#include "engine_fixture.h"

static struct fx f;

static const char *request(enum engine_request_kind kind, uint64_t id, const char *path,
                           const struct nines_child_spec *spec, bool in_init, struct engine_sup_flags flags) {
    struct engine_event ev = {.kind = ENGINE_EV_REQUEST,
                              .request = {.kind = kind, .id = id, .node = fx_node(&f, path), .spec = spec,
                                          .in_init = in_init, .flags = flags}};
    return fx_feed_event(&f, ev);
}

static const char *CHANGE(uint64_t id, const char *path, const struct nines_child_spec *spec) {
    return request(ENGINE_REQ_CHANGE_CHILD, id, path, spec, false, (struct engine_sup_flags){0});
}
static const char *RETIRE(uint64_t id, const char *path) {
    return request(ENGINE_REQ_RETIRE_CHILD, id, path, NULL, false, (struct engine_sup_flags){0});
}
static const char *SET_FLAGS(uint64_t id, const char *path, struct engine_sup_flags flags) {
    return request(ENGINE_REQ_SET_FLAGS, id, path, NULL, false, flags);
}
static const char *ADD(uint64_t id, const char *path, const struct nines_child_spec *spec) {
    return request(ENGINE_REQ_START_CHILD, id, path, spec, true, (struct engine_sup_flags){0});
}

/* A root (one_for_all, so a crash of `a` restarts `web` afresh) with a
 * worker `a` and a supervisor `web` of x, y. */
static struct nines_child_spec inner[2], top[2];
static struct nines_sup_spec web_spec, root;

static void boot_web(enum nines_strategy web_strategy) {
    inner[0] = w("x"), inner[1] = w("y");
    web_spec = sup(web_strategy, 1, 5000, inner, NKIDS(inner));
    top[0] = w("a"), top[1] = sv("web", NINES_PERMANENT, &web_spec);
    root = sup(NINES_ONE_FOR_ALL, 5, 5000, top, NKIDS(top));
    fx_init(&f, &root);
    fx_boot(&f);
}

/* Crash `a`: the root stops web's children (newest first) and starts all
 * again; every start is answered READY. Returns the spawns seen. */
static void restart_web(void) {
    const char *out = EXIT(&f, "a", R_SEGV());
    for (int i = 0; i < 16 && !strstr(out, "spawn a#"); i++) {
        const char *st = strstr(out, "stop web/");
        assert_non_null(st);
        char path[64];
        assert_int_equal(sscanf(st, "stop %63[^#]", path), 1);
        out = EXIT(&f, path, R_SHUTDOWN());
    }
    out = READY(&f, "a");
    while (strstr(out, "spawn ")) {
        char path[64];
        assert_int_equal(sscanf(strstr(out, "spawn "), "spawn %63[^#]", path), 1);
        out = READY(&f, path);
    }
}

static void children_are(const char *sup_path, const char *expected) {
    size_t n;
    const engine_node *kids = engine_node_children(f.e, fx_node(&f, sup_path), &n);
    char got[256] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "",
                 engine_node_path(f.e, kids[i]));
    assert_string_equal(got, expected);
}

/* change_child of a running child: stopped with the old shutdown (5 s),
 * started again with the new spec, in place; the new spec stays after the
 * supervisor's restart. */
static void change_child_restarts_it_with_the_new_spec(void **unused) {
    boot_web(NINES_ONE_FOR_ONE);
    struct nines_child_spec x2 = wk("x", NINES_TRANSIENT, grace(100));
    x2.module = (char *)"/apps/x-2.so";
    assert_string_equal(CHANGE(1, "web/x", &x2), "stop web/x#2; arm web/x#2 5000");
    assert_string_equal(EXIT(&f, "web/x", R_SHUTDOWN()),
                        "cancel web/x#2; stopped web/x (shutdown); spawn web/x#4");
    assert_string_equal(engine_node_spec(f.e, fx_node(&f, "web/x"))->module, "/apps/x-2.so");
    assert_string_equal(READY(&f, "web/x"), "started web/x; reply 1 ok web/x");
    children_are("web", "web/x web/y");
    restart_web();
    const struct nines_child_spec *now = engine_node_spec(f.e, fx_node(&f, "web/x"));
    assert_string_equal(now->module, "/apps/x-2.so");
    assert_int_equal(now->restart, NINES_TRANSIENT);
    /* the new shutdown spec is the one used from now on */
    TERMINATE_CHILD(&f, 2, "web/x");
    assert_int_equal(f.acts.v[1].ms, 100);
    fx_done(&f);
}

/* A child that is not running just gets the spec: nothing is started. */
static void change_child_of_a_stopped_child_starts_nothing(void **unused) {
    boot_web(NINES_ONE_FOR_ONE);
    TERMINATE_CHILD(&f, 1, "web/y");
    EXIT(&f, "web/y", R_SHUTDOWN());
    struct nines_child_spec y2 = w("y");
    y2.module = (char *)"/apps/y-2.so";
    assert_string_equal(CHANGE(2, "web/y", &y2), "reply 2 ok web/y");
    assert_int_equal(fx_state(&f, "web/y"), ENGINE_NODE_IDLE);
    assert_string_equal(RESTART_CHILD(&f, 3, "web/y"), "spawn web/y#4");
    assert_string_equal(engine_node_spec(f.e, fx_node(&f, "web/y"))->module, "/apps/y-2.so");
    fx_done(&f);
}

/* What change_child refuses: a supervisor, a spec turning into one, another
 * id, a child awaiting a retry, the root, a child of a dynamic supervisor. */
static void change_child_refusals(void **unused) {
    boot_web(NINES_ONE_FOR_ONE);
    struct nines_child_spec other = w("z"), web2 = sv("x", NINES_PERMANENT, &web_spec), same = w("web");
    assert_string_equal(CHANGE(1, "web/x", &other), "reply 1 unsupported web/x");
    assert_string_equal(CHANGE(2, "web/x", &web2), "reply 2 unsupported web/x");
    assert_string_equal(CHANGE(3, "web", &same), "reply 3 unsupported web");
    assert_string_equal(CHANGE(4, "/", &same), "reply 4 root /");
    struct nines_child_spec bad = w("x");
    bad.module = NULL;
    assert_true(strstr(CHANGE(5, "web/x", &bad), "reply 5 start_failed -") != NULL);
    assert_int_equal(fx_state(&f, "web/x"), ENGINE_NODE_RUNNING);
    fx_done(&f);
}

/* retire_child stops a running child and removes it for good: unlike
 * terminate + delete, it does not come back when its supervisor restarts. */
static void retire_child_survives_the_supervisors_restart(void **unused) {
    boot_web(NINES_ONE_FOR_ONE);
    assert_string_equal(RETIRE(1, "web/x"), "stop web/x#2; arm web/x#2 5000");
    assert_string_equal(EXIT(&f, "web/x", R_SHUTDOWN()), "cancel web/x#2; stopped web/x (shutdown); reply 1 ok web/x");
    assert_int_equal(engine_find(f.e, "web/x"), ENGINE_NO_NODE);
    children_are("web", "web/y");
    restart_web();
    children_are("web", "web/y");
    assert_int_equal(engine_find(f.e, "web/x"), ENGINE_NO_NODE);
    /* the id is free for a child added later */
    struct nines_child_spec x2 = w("x");
    assert_string_equal(ADD(2, "web", &x2), "added web/x; spawn web/x#6");
    fx_done(&f);
}

/* terminate + delete, the operator's way, is undone by a restart (OTP:
 * init's specs come back); retire of a stopped child is immediate. */
static void delete_child_comes_back_but_retire_does_not(void **unused) {
    boot_web(NINES_ONE_FOR_ONE);
    TERMINATE_CHILD(&f, 1, "web/x");
    EXIT(&f, "web/x", R_SHUTDOWN());
    DELETE_CHILD(&f, 2, "web/x");
    TERMINATE_CHILD(&f, 3, "web/y");
    EXIT(&f, "web/y", R_SHUTDOWN());
    assert_string_equal(RETIRE(4, "web/y"), "reply 4 ok web/y");
    children_are("web", "");
    restart_web();
    children_are("web", "web/x");
    fx_done(&f);
}

/* start_child in_init: the new child stays after a restart of its
 * supervisor, where an operator's start_child is forgotten. */
static void start_child_in_init_survives_the_restart(void **unused) {
    boot_web(NINES_ONE_FOR_ONE);
    struct nines_child_spec z = w("z"), t = w("t");
    assert_string_equal(ADD(1, "web", &z), "added web/z; spawn web/z#4");
    READY(&f, "web/z");
    START_CHILD(&f, 2, "web", &t);
    READY(&f, "web/t");
    children_are("web", "web/x web/y web/z web/t");
    restart_web();
    children_are("web", "web/x web/y web/z");
    assert_int_equal(fx_state(&f, "web/z"), ENGINE_NODE_RUNNING);
    fx_done(&f);
}

/* set_flags: the new strategy decides the next restart; the intensity and
 * period count from then on; a restart of the supervisor keeps them. */
static void set_flags_changes_the_strategy_and_intensity(void **unused) {
    boot_web(NINES_ONE_FOR_ONE);
    struct engine_sup_flags got;
    assert_true(engine_sup_flags(f.e, fx_node(&f, "web"), &got));
    assert_int_equal(got.strategy, NINES_ONE_FOR_ONE);
    assert_string_equal(SET_FLAGS(1, "web", (struct engine_sup_flags){.has_strategy = true,
                                                                      .strategy = NINES_ONE_FOR_ALL}),
                        "reply 1 ok web");
    assert_true(engine_sup_flags(f.e, fx_node(&f, "web"), &got));
    assert_int_equal(got.strategy, NINES_ONE_FOR_ALL);
    assert_int_equal(got.intensity, 1); /* unchanged: not given */
    assert_int_equal(got.period_ms, 5000);
    assert_string_equal(EXIT(&f, "web/x", R_SEGV()),
                        "terminated web/x (killed by SIGSEGV) restart_all; stop web/y#3; arm web/y#3 5000");
    EXIT(&f, "web/y", R_SHUTDOWN());
    READY(&f, "web/x");
    READY(&f, "web/y");
    SET_FLAGS(2, "web", (struct engine_sup_flags){.has_intensity = true, .intensity = 0, .has_period = true,
                                                  .period_ms = 1000});
    assert_true(strstr(EXIT(&f, "web/y", R_SEGV()), "give_up") != NULL);
    fx_done(&f);
}

static void set_flags_refusals(void **unused) {
    boot_web(NINES_ONE_FOR_ONE);
    assert_string_equal(SET_FLAGS(1, "web", (struct engine_sup_flags){.has_strategy = true,
                                                                      .strategy = NINES_DYNAMIC}),
                        "reply 1 unsupported -");
    assert_string_equal(SET_FLAGS(2, "a", (struct engine_sup_flags){.has_intensity = true}),
                        "reply 2 not_a_supervisor -");
    struct engine_sup_flags got;
    assert_false(engine_sup_flags(f.e, fx_node(&f, "a"), &got));
    fx_done(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(change_child_restarts_it_with_the_new_spec),
        cmocka_unit_test(change_child_of_a_stopped_child_starts_nothing),
        cmocka_unit_test(change_child_refusals),
        cmocka_unit_test(retire_child_survives_the_supervisors_restart),
        cmocka_unit_test(delete_child_comes_back_but_retire_does_not),
        cmocka_unit_test(start_child_in_init_survives_the_restart),
        cmocka_unit_test(set_flags_changes_the_strategy_and_intensity),
        cmocka_unit_test(set_flags_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
