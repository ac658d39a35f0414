/*
 * Unit tests of the appup generator (appup/appup_generate.h): every rule —
 * code_change or restart by the modules' callbacks, no code step for the
 * same file, children added, removed and changed by any field, walking
 * nested supervisors, supervisor flags, what carries the steps of
 * supervisors, programs and applications that do not change, the order
 * of the steps up and down — what makes generation impossible, and that
 * each appup written loads back to the same steps.
 *
 * Releases are built from text by the real loaders in a temporary folder
 * (OLD/ and NEW/, each with apps/NAME.so for the modules the trees name);
 * what the command line would find out about each module (its checksum,
 * its code_change) is given by each test.
 */
#include "appup_compare.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appup_generate.h"

#define MAX_APPS 8

static char dir[64];

static const char *const app_names[] = {"counter", "echo", "kv", "relay", "flaky"};

static void touch(const char *side, const char *name) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/apps/%s.so", dir, side, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

static int setup(void **unused) {
    char path[PATH_MAX];
    snprintf(dir, sizeof dir, "/tmp/nines-gen-XXXXXX");
    assert_non_null(mkdtemp(dir));
    for (int side = 0; side < 2; side++) {
        const char *s = side ? "new" : "old";
        snprintf(path, sizeof path, "%s/%s", dir, s);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof path, "%s/%s/apps", dir, s);
        assert_int_equal(mkdir(path, 0755), 0);
        for (size_t i = 0; i < sizeof app_names / sizeof app_names[0]; i++)
            touch(s, app_names[i]);
    }
    snprintf(path, sizeof path, "%s/new/appups", dir);
    return mkdir(path, 0755);
}

static int teardown(void **unused) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* An application of a test release: "NAME VERSION SHA CC", CC being '+'
 * when its module has code_change. */
struct rel {
    struct nines_manifest *m;
    struct nines_tree *tree;
    char paths[MAX_APPS][PATH_MAX], shas[MAX_APPS][8];
    struct nines_appup_gen_module mods[MAX_APPS];
    struct nines_appup_gen_release r;
};

static void rel_load(struct rel *x, const char *side, const char *version, const char *const *apps, const char *tree) {
    char text[2048], name[PATH_MAX], base[PATH_MAX];
    struct nines_error err;
    size_t used = (size_t)snprintf(text, sizeof text, "release: myapp\nversion: %s\ntree: tree.yaml\napplications:\n",
                                   version);
    memset(x, 0, sizeof *x);
    for (size_t i = 0; apps[i]; i++) {
        char app[32], vsn[32], cc[4];
        assert_int_equal(sscanf(apps[i], "%31s %31s %7s %3s", app, vsn, x->shas[i], cc), 4);
        used += (size_t)snprintf(text + used, sizeof text - used, "  - {name: %s, version: %s, module: apps/%s.so}\n",
                                 app, vsn, app);
        snprintf(name, sizeof name, "%s/%s/apps/%s.so", dir, side, app);
        assert_non_null(realpath(name, x->paths[i]));
        x->mods[i] = (struct nines_appup_gen_module){x->paths[i], x->shas[i], cc[0] == '+'};
    }
    snprintf(name, sizeof name, "%s/%s/release.yaml", dir, side);
    if (nines_manifest_load_string(name, text, strlen(text), &x->m, &err) < 0)
        fail_msg("manifest: %u:%u: %s", err.line, err.column, err.message);
    snprintf(base, sizeof base, "%s/%s", dir, side);
    snprintf(name, sizeof name, "%s/%s/tree.yaml", dir, side);
    if (nines_tree_load_string(name, base, tree, strlen(tree), &x->tree, &err) < 0)
        fail_msg("tree: %u:%u: %s", err.line, err.column, err.message);
    x->r = (struct nines_appup_gen_release){x->m, x->tree, x->mods};
}

static void rel_free(struct rel *x) {
    nines_manifest_free(x->m);
    nines_tree_free(x->tree);
}

/* One test's two releases and what came of them. */
struct world {
    struct rel from, to;
    struct nines_appup_gen *g;
};

#define APPS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void generate(struct world *w, const char *const *from_apps, const char *from_tree,
                     const char *const *to_apps, const char *to_tree) {
    struct nines_error err;
    rel_load(&w->from, "old", "1.0.0", from_apps, from_tree);
    rel_load(&w->to, "new", "2.0.0", to_apps, to_tree);
    w->g = NULL;
    if (nines_appup_generate(&w->from.r, &w->to.r, &w->g, &err) < 0)
        fail_msg("generate: %s: %s", err.file, err.message);
}

/* Generation fails, with `fragment` in the message. */
static void generate_fails(const char *const *from_apps, const char *from_tree, const char *to_version,
                           const char *const *to_apps, const char *to_tree, const char *fragment) {
    struct rel from, to;
    struct nines_appup_gen *g = (struct nines_appup_gen *)1;
    struct nines_error err;
    rel_load(&from, "old", "1.0.0", from_apps, from_tree);
    rel_load(&to, "new", to_version, to_apps, to_tree);
    assert_int_equal(nines_appup_generate(&from.r, &to.r, &g, &err), -EINVAL);
    assert_null(g);
    if (!strstr(err.message, fragment))
        fail_msg("got '%s', wanted ...%s...", err.message, fragment);
    rel_free(&from);
    rel_free(&to);
}

static void world_free(struct world *w) {
    nines_appup_gen_free(w->g);
    rel_free(&w->from);
    rel_free(&w->to);
}

/* The appup of `name`; it must be there. */
static const struct nines_appup *appup_of(const struct world *w, const char *name) {
    for (size_t i = 0; i < w->g->n_appups; i++)
        if (strcmp(w->g->appups[i]->application, name) == 0)
            return w->g->appups[i];
    fail_msg("no appup for %s", name);
    return NULL;
}

/* An entry's steps in a line: "add_child store/relay; code_change;
 * supervisor_flags store strategy=rest_for_one". */
static const char *steps_line(const struct nines_appup_entry *e) {
    static char line[1024];
    size_t used = 0;
    line[0] = '\0';
    for (size_t i = 0; i < e->n_steps; i++) {
        const struct nines_appup_step *s = &e->steps[i];
        const char *id = s->child ? s->child->id : s->id;
        used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", i ? "; " : "", nines_appup_step_name(s->kind));
        if (s->supervisor)
            used += (size_t)snprintf(line + used, sizeof line - used, " %s", s->supervisor);
        if (id)
            used += (size_t)snprintf(line + used, sizeof line - used, " %s", id);
        if (s->flags.has_strategy)
            used += (size_t)snprintf(line + used, sizeof line - used, " strategy=%s",
                                     nines_strategy_name(s->flags.strategy));
        if (s->flags.has_intensity)
            used += (size_t)snprintf(line + used, sizeof line - used, " intensity=%u", s->flags.intensity);
        if (s->flags.has_period)
            used += (size_t)snprintf(line + used, sizeof line - used, " period=%llu",
                                     (unsigned long long)s->flags.period_ms);
    }
    return line;
}

/* The appup of `name` leads to its new version, up from its old one by
 * `up` and down to it by `down`, and writes to a text that loads back to
 * the same. */
static void expect_appup(const struct world *w, const char *name, const char *up, const char *down) {
    const struct nines_appup *a = appup_of(w, name);
    const char *old = NULL, *now = NULL;
    char base[PATH_MAX];
    for (size_t i = 0; i < w->from.m->n_apps; i++)
        if (strcmp(w->from.m->apps[i].name, name) == 0)
            old = w->from.m->apps[i].version;
    for (size_t i = 0; i < w->to.m->n_apps; i++)
        if (strcmp(w->to.m->apps[i].name, name) == 0)
            now = w->to.m->apps[i].version;
    assert_string_equal(a->version, now);
    assert_int_equal(a->n_up, 1);
    assert_int_equal(a->n_down, 1);
    assert_int_equal(a->up[0].n_versions, 1);
    assert_int_equal(a->down[0].n_versions, 1);
    assert_string_equal(a->up[0].versions[0], old);
    assert_string_equal(a->down[0].versions[0], old);
    assert_string_equal(steps_line(&a->up[0]), up);
    assert_string_equal(steps_line(&a->down[0]), down);
    snprintf(base, sizeof base, "%s/new/appups", dir);
    round_trip(a, base);
}

/* The comment of step `i` of `name`'s up entry has `fragment` (NULL: the
 * step has no comment); the same step undone going down says the same. */
static void expect_comment(const struct world *w, const char *name, size_t i, const char *fragment) {
    const struct nines_appup *a = appup_of(w, name);
    const char *up = a->up[0].steps[i].comment, *down = a->down[0].steps[a->down[0].n_steps - 1 - i].comment;
    if (!fragment) {
        assert_null(up);
        assert_null(down);
        return;
    }
    if (!up || !strstr(up, fragment) || !down || !strstr(down, fragment))
        fail_msg("step %zu of %s: comment '%s' / '%s', wanted ...%s...", i, name, up ? up : "(none)",
                 down ? down : "(none)", fragment);
}

#define OLD_APPS "counter 1.0.0 c1 +", "echo 1.0.0 e1 +", "kv 1.0.0 k1 -"
#define TREE                                                                                                           \
    "supervisor:\n"                                                                                                    \
    "  children:\n"                                                                                                    \
    "    - {id: counter, module: apps/counter.so, args: {start: 10}}\n"                                               \
    "    - {id: echo, module: apps/echo.so}\n"                                                                         \
    "    - id: store\n"                                                                                                \
    "      supervisor:\n"                                                                                              \
    "        children:\n"                                                                                              \
    "          - {id: kv, module: apps/kv.so}\n"

/* --- the code step -------------------------------------------------------- */

static void code_change_both_ways(void **unused) {
    struct world w;
    generate(&w, APPS(OLD_APPS), TREE, APPS("counter 2.0.0 c2 +", "echo 1.0.0 e1 +", "kv 1.0.0 k1 -"), TREE);
    assert_int_equal(w.g->n_appups, 1);
    assert_string_equal(w.g->notes, "");
    expect_appup(&w, "counter", "code_change", "code_change");
    const char *c = appup_of(&w, "counter")->comment;
    assert_non_null(strstr(c, "counter 1.0.0 -> 2.0.0: generated by nines-appup generate from myapp 1.0.0 -> 2.0.0. "
                              "Review it"));
    assert_non_null(strstr(c, "Review it"));
    assert_non_null(strstr(c, "has code_change: its workers swap to it live; going down, the old one has "
                              "code_change: they swap back live"));
    assert_null(appup_of(&w, "counter")->up[0].steps[0].extra);
    world_free(&w);
}

/* Each way goes by the callback of the module the workers go to. */
static void restart_without_code_change(void **unused) {
    struct world w;
    generate(&w, APPS(OLD_APPS), TREE, APPS("counter 2.0.0 c2 -", "echo 1.0.0 e1 +", "kv 2.0.0 k2 +"), TREE);
    assert_int_equal(w.g->n_appups, 2);
    assert_string_equal(w.g->appups[0]->application, "counter");
    assert_string_equal(w.g->appups[1]->application, "kv");
    expect_appup(&w, "counter", "restart", "code_change");
    expect_appup(&w, "kv", "code_change", "restart");
    assert_non_null(strstr(appup_of(&w, "counter")->comment, "has no code_change: its workers restart on it"));
    assert_non_null(strstr(appup_of(&w, "kv")->comment, "the old one has none: they restart on it"));
    world_free(&w);
}

/* A new version of the very same file: nothing to swap, but the planner
 * still needs an entry for the way. */
static void same_file_has_no_code_step(void **unused) {
    struct world w;
    generate(&w, APPS(OLD_APPS), TREE, APPS("counter 2.0.0 c1 +", "echo 1.0.0 e1 +", "kv 1.0.0 k1 -"), TREE);
    expect_appup(&w, "counter", "", "");
    assert_non_null(strstr(appup_of(&w, "counter")->comment, "the same file in both releases: no code step"));
    world_free(&w);
}

/* Applications that come, go, or change their file but not their version
 * have no appup: the notes say so. */
static void notes_for_what_has_no_appup(void **unused) {
    struct world w;
    const char *tree = "supervisor:\n  children:\n    - {id: echo, module: apps/echo.so}\n";
    generate(&w, APPS("counter 1.0.0 c1 +", "echo 1.0.0 e1 +", "flaky 1.0.0 f1 -"), tree,
             APPS("relay 1.0.0 r1 -", "counter 1.0.0 c9 +", "echo 2.0.0 e2 +"), tree);
    assert_int_equal(w.g->n_appups, 1);
    expect_appup(&w, "echo", "code_change", "code_change");
    assert_string_equal(w.g->notes, "relay 1.0.0 is new in myapp 2.0.0: it has no appup (no old version to go up "
                                    "from); its children start with the add_child steps of the appups\n"
                                    "counter 1.0.0: its module differs between the releases but its version does "
                                    "not: no appup can swap it (give it a new version)\n"
                                    "flaky 1.0.0 is not in myapp 2.0.0: it has no appup; its children stop with "
                                    "the remove_child steps of the appups\n");
    world_free(&w);
}

/* --- children ----------------------------------------------------------- */

/* Up: added, the code step, changed, removed; down: the same undone, in
 * the reverse order. The specs name the new release's module, relative
 * to appups/; the steps of the application's own children need no
 * comment. */
static void own_children_added_changed_removed(void **unused) {
    struct world w;
    const char *old = "supervisor:\n  children:\n    - id: store\n      supervisor:\n        children:\n"
                      "          - {id: kv, module: apps/kv.so, args: {preload: '10'}}\n"
                      "          - {id: kv-old, module: apps/kv.so, shutdown: 1s}\n";
    const char *now = "supervisor:\n  children:\n    - id: store\n      supervisor:\n        children:\n"
                      "          - {id: kv, module: apps/kv.so, args: {preload: '20'}}\n"
                      "          - {id: kv-b, module: apps/kv.so}\n"
                      "          - {id: kv-c, module: apps/kv.so}\n";
    generate(&w, APPS(OLD_APPS), old, APPS("counter 1.0.0 c1 +", "echo 1.0.0 e1 +", "kv 2.0.0 k2 +"), now);
    expect_appup(&w, "kv", "add_child store kv-b; add_child store kv-c; code_change; change_child store kv; "
                           "remove_child store kv-old",
                 "add_child store kv-old; change_child store kv; restart; remove_child store kv-c; "
                 "remove_child store kv-b");
    const struct nines_appup *a = appup_of(&w, "kv");
    assert_string_equal(a->up[0].steps[0].child->module, "../apps/kv.so");
    assert_string_equal(a->up[0].steps[3].child->args[0].value, "20");
    assert_string_equal(a->down[0].steps[0].child->module, "../apps/kv.so");
    assert_int_equal(a->down[0].steps[0].child->shutdown.ms, 1000);
    assert_string_equal(a->down[0].steps[1].child->args[0].value, "10");
    for (size_t i = 0; i < 5; i++)
        expect_comment(&w, "kv", i, NULL);
    world_free(&w);
}

/* Generate with one child of the root, spec `a` going to spec `b`. */
static void generate_child(struct world *w, const char *a, const char *b, const char *const *to_apps) {
    char old[512], now[512];
    snprintf(old, sizeof old, "supervisor:\n  children:\n    - %s\n", a);
    snprintf(now, sizeof now, "supervisor:\n  children:\n    - %s\n", b);
    generate(w, APPS(OLD_APPS), old, to_apps, now);
}

/* The number of change_child steps made for child `x` of the root going
 * from spec `a` to spec `b` (both counter and echo change). */
static size_t changes_for(const char *a, const char *b) {
    struct world w;
    generate_child(&w, a, b, APPS("counter 2.0.0 c2 +", "echo 2.0.0 e2 +", "kv 1.0.0 k1 -"));
    size_t n = 0;
    for (size_t i = 0; i < w.g->n_appups; i++)
        for (size_t j = 0; j < w.g->appups[i]->up[0].n_steps; j++)
            n += w.g->appups[i]->up[0].steps[j].kind == NINES_STEP_CHANGE_CHILD;
    world_free(&w);
    return n;
}

/* Any field that differs is a change; the module is its application. */
static void any_field_changes_a_child(void **unused) {
    static const struct {
        const char *a, *b;
        size_t changes;
    } cases[] = {
        {"{id: x, module: apps/counter.so}", "{id: x, module: apps/counter.so}", 0},
        {"{id: x, module: apps/counter.so, args: {a: '1', b: '2'}}", "{id: x, module: apps/counter.so, args: {b: '2', a: '1'}}", 0},
        {"{id: x, module: apps/counter.so, shutdown: 5s}", "{id: x, module: apps/counter.so, shutdown: 5000ms}", 0},
        {"{id: x, module: apps/counter.so, args: {a: '1'}}", "{id: x, module: apps/counter.so, args: {a: '2'}}", 1},
        {"{id: x, module: apps/counter.so, args: {a: '1'}}", "{id: x, module: apps/counter.so, args: {b: '1'}}", 1},
        {"{id: x, module: apps/counter.so}", "{id: x, module: apps/counter.so, args: {a: '1'}}", 1},
        {"{id: x, module: apps/counter.so}", "{id: x, module: apps/counter.so, restart: transient}", 1},
        {"{id: x, module: apps/counter.so}", "{id: x, module: apps/counter.so, shutdown: 6s}", 1},
        {"{id: x, module: apps/counter.so}", "{id: x, module: apps/counter.so, shutdown: brutal_kill}", 1},
        {"{id: x, module: apps/counter.so, shutdown: infinity}", "{id: x, module: apps/counter.so, shutdown: brutal_kill}", 1},
        {"{id: x, module: apps/counter.so}", "{id: x, module: apps/echo.so}", 1},
        {"{id: x, module: apps/counter.so}", "{id: x, exec: [/bin/sh]}", 1},
        {"{id: x, exec: [/bin/sh, -c, a]}", "{id: x, exec: [/bin/sh, -c, a]}", 0},
        {"{id: x, exec: [/bin/sh, -c, a]}", "{id: x, exec: [/bin/sh, -c, b]}", 1},
        {"{id: x, exec: [/bin/sh, -c]}", "{id: x, exec: [/bin/sh, -c, b]}", 1},
        {"{id: x, exec: [/bin/sh]}", "{id: x, exec: [/bin/sh], ready: notify}", 1},
        {"{id: x, exec: [/bin/sh], args: {a: b}}", "{id: x, exec: [/bin/sh]}", 1},
        {"{id: x, supervisor: {children: []}}", "{id: x, exec: [/bin/sh]}", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (changes_for(cases[i].a, cases[i].b) != cases[i].changes)
            fail_msg("%s -> %s: expected %zu change_child", cases[i].a, cases[i].b, cases[i].changes);
}

/* A child whose new spec runs an application that does not change, but
 * whose old one runs one that does, is that one's. */
static void change_goes_to_the_old_application(void **unused) {
    struct world w;
    const char *old = "supervisor:\n  children:\n    - {id: x, module: apps/kv.so}\n";
    const char *now = "supervisor:\n  children:\n    - {id: x, module: apps/counter.so}\n";
    generate(&w, APPS(OLD_APPS), old, APPS("counter 1.0.0 c1 +", "echo 1.0.0 e1 +", "kv 2.0.0 k1 -"), now);
    assert_int_equal(w.g->n_appups, 1);
    expect_appup(&w, "kv", "change_child / x", "change_child / x");
    expect_comment(&w, "kv", 0, NULL);
    assert_string_equal(appup_of(&w, "kv")->up[0].steps[0].child->module, "../apps/counter.so");
    assert_string_equal(appup_of(&w, "kv")->down[0].steps[0].child->module, "../apps/kv.so");
    world_free(&w);
}

/* --- supervisors ---------------------------------------------------------- */

/* A supervisor in both trees is walked: its flags (only those that
 * differ) and its children, at their path. */
static void nested_supervisors_are_walked(void **unused) {
    struct world w;
    const char *old = "supervisor:\n  children:\n    - id: store\n      supervisor:\n        children:\n"
                      "          - id: pool\n            supervisor:\n              intensity: 2\n"
                      "              children: [{id: w1, module: apps/kv.so}]\n";
    const char *now = "supervisor:\n  intensity: 3\n  children:\n    - id: store\n      supervisor:\n"
                      "        strategy: rest_for_one\n        period: 10s\n        children:\n"
                      "          - id: pool\n            supervisor:\n              intensity: 2\n"
                      "              children: [{id: w1, module: apps/kv.so, restart: transient}, "
                      "{id: w2, module: apps/kv.so}]\n";
    generate(&w, APPS(OLD_APPS), old, APPS("counter 1.0.0 c1 +", "echo 1.0.0 e1 +", "kv 2.0.0 k2 +"), now);
    expect_appup(&w, "kv", "add_child store/pool w2; supervisor_flags / intensity=3; "
                           "supervisor_flags store strategy=rest_for_one period=10000; code_change; "
                           "change_child store/pool w1",
                 "change_child store/pool w1; restart; supervisor_flags store strategy=one_for_one period=5000; "
                 "supervisor_flags / intensity=1; remove_child store/pool w2");
    expect_comment(&w, "kv", 0, NULL);
    expect_comment(&w, "kv", 1, "Carried here: the flags of supervisor / belong to no application.");
    expect_comment(&w, "kv", 2, "Carried here: the flags of supervisor store belong to no application.");
    assert_non_null(strstr(appup_of(&w, "kv")->comment, "\nThe steps 'carried here' are about supervisors, "
                                                         "programs, or applications that come, go or keep their "
                                                         "version: kv carries them as the first application of "
                                                         "the new release that changes (the planner reads only "
                                                         "the appups of applications whose version changes)."));
    expect_comment(&w, "kv", 4, NULL);
    world_free(&w);
}

/* The up line of kv's appup going from supervisor spec `a` to `b` (child
 * `s` of the root; kv changes, with the same file). */
static void expect_supervisor_change(const char *a, const char *b, const char *up) {
    struct world w;
    char base[PATH_MAX];
    generate_child(&w, a, b, APPS("counter 1.0.0 c1 +", "echo 1.0.0 e1 +", "kv 2.0.0 k1 +"));
    assert_string_equal(steps_line(&appup_of(&w, "kv")->up[0]), up);
    snprintf(base, sizeof base, "%s/new/appups", dir);
    round_trip(appup_of(&w, "kv"), base);
    world_free(&w);
}

/* A supervisor that cannot be walked as the same one is replaced whole. */
static void supervisors_replaced_whole(void **unused) {
    const char *dyn = "{id: s, supervisor: {strategy: dynamic, child: {id: t, module: apps/kv.so}}}";
    expect_supervisor_change("{id: s, supervisor: {children: []}}",
                             "{id: s, restart: transient, supervisor: {children: []}}", "change_child / s");
    expect_supervisor_change("{id: s, supervisor: {children: []}}", dyn, "change_child / s");
    expect_supervisor_change(dyn, "{id: s, supervisor: {children: []}}", "change_child / s");
    expect_supervisor_change(dyn, "{id: s, supervisor: {strategy: dynamic, child: {id: t, module: apps/counter.so}}}",
                             "change_child / s");
    expect_supervisor_change(dyn, "{id: s, supervisor: {strategy: dynamic, max_children: 4, child: {id: t, "
                                  "module: apps/kv.so}}}", "change_child / s");
    expect_supervisor_change(dyn, "{id: s, supervisor: {strategy: dynamic, intensity: 4, period: 1m, child: {id: t, "
                                  "module: apps/kv.so}}}", "supervisor_flags s intensity=4 period=60000");
    expect_supervisor_change("{id: s, supervisor: {children: [{id: a, exec: [/bin/sh]}]}}",
                             "{id: s, supervisor: {children: [{id: a, exec: [/bin/sh]}]}}", "");
}

static void the_root_changes_flags_only(void **unused) {
    const char *dyn = "supervisor:\n  strategy: dynamic\n  child: {id: t, module: apps/kv.so}\n";
    const char *apps[] = {"counter 1.0.0 c1 +", "echo 1.0.0 e1 +", "kv 2.0.0 k2 +", NULL};
    generate_fails(APPS(OLD_APPS), TREE, "2.0.0", apps, dyn,
                   "the root supervisor changes from one_for_one to dynamic: no appup step can change the root's kind");
    generate_fails(APPS(OLD_APPS), dyn, "2.0.0", apps,
                   "supervisor:\n  strategy: dynamic\n  child: {id: t, module: apps/counter.so}\n",
                   "the root supervisor changes from dynamic to dynamic with another template");
    struct world w;
    generate(&w, APPS(OLD_APPS), dyn, apps, "supervisor:\n  strategy: dynamic\n  period: 2s\n"
                                            "  child: {id: t, module: apps/kv.so}\n");
    expect_appup(&w, "kv", "supervisor_flags / period=2000; code_change",
                 "restart; supervisor_flags / period=5000");
    world_free(&w);
}

/* --- what carries what ---------------------------------------------------- */

/* Supervisors, programs, and children of applications that are new, gone
 * or unchanged go in the appup of the first application of the new
 * manifest that changes (kv here, not counter), each with why. */
static void the_first_changed_application_carries(void **unused) {
    struct world w;
    const char *old = "supervisor:\n  children:\n    - {id: counter, module: apps/counter.so}\n"
                      "    - {id: echo, module: apps/echo.so}\n    - {id: tick, exec: [/bin/sh, -c, 'sleep 9']}\n"
                      "    - {id: flaky, module: apps/flaky.so, args: {how: abort}}\n";
    const char *now = "supervisor:\n  children:\n    - {id: counter, module: apps/counter.so}\n"
                      "    - {id: echo, module: apps/echo.so, args: {port: '0'}}\n"
                      "    - {id: relay, module: apps/relay.so}\n"
                      "    - {id: more, supervisor: {children: [{id: c2, module: apps/counter.so}]}}\n";
    generate(&w, APPS("counter 1.0.0 c1 +", "echo 1.0.0 e1 +", "kv 1.0.0 k1 -", "flaky 1.0.0 f1 -"), old,
             APPS("echo 1.0.0 e1 +", "kv 2.0.0 k2 +", "counter 2.0.0 c2 +", "relay 1.0.0 r1 -"), now);
    assert_int_equal(w.g->n_appups, 2);
    assert_string_equal(w.g->appups[0]->application, "kv");
    expect_appup(&w, "counter", "code_change", "code_change");
    expect_appup(&w, "kv", "add_child / relay; add_child / more; code_change; change_child / echo; "
                           "remove_child / flaky; remove_child / tick",
                 "add_child / tick; add_child / flaky; change_child / echo; restart; remove_child / more; "
                 "remove_child / relay");
    expect_comment(&w, "kv", 0, "Carried here: relay runs relay 1.0.0, an application new in this release.");
    expect_comment(&w, "kv", 1, "Carried here: more is a supervisor.");
    expect_comment(&w, "kv", 2, NULL);
    expect_comment(&w, "kv", 3, "Carried here: echo runs echo 1.0.0, whose version does not change.");
    expect_comment(&w, "kv", 4, "Carried here: flaky runs flaky 1.0.0, an application the new release does not have.");
    expect_comment(&w, "kv", 5, "Carried here: tick is a program, not an application.");
    assert_null(strstr(appup_of(&w, "counter")->comment, "carried here"));
    /* flaky's module is in no release to come: its path stays absolute. */
    const struct nines_appup_step *back = &appup_of(&w, "kv")->down[0].steps[1];
    assert_string_equal(back->child->module, w.from.paths[3]);
    assert_non_null(strstr(back->comment, "The spec names the module"));
    assert_null(strstr(appup_of(&w, "kv")->up[0].steps[4].comment, "The spec names the module"));
    assert_string_equal(appup_of(&w, "kv")->up[0].steps[1].child->supervisor->children[0].module,
                        "../apps/counter.so");
    world_free(&w);
}

/* A module that is none of the release's applications keeps its path. */
static void a_module_of_no_application(void **unused) {
    struct world w;
    const char *now = "supervisor:\n  children:\n    - {id: x, module: apps/flaky.so}\n";
    generate(&w, APPS(OLD_APPS), "supervisor:\n  children: []\n",
             APPS("counter 2.0.0 c2 +", "echo 1.0.0 e1 +", "kv 1.0.0 k1 -"), now);
    expect_appup(&w, "counter", "add_child / x; code_change", "code_change; remove_child / x");
    expect_comment(&w, "counter", 0, "Carried here: x runs ");
    const struct nines_appup_step *s = &appup_of(&w, "counter")->up[0].steps[0];
    assert_string_equal(s->child->module, w.to.tree->root.children[0].module);
    assert_non_null(strstr(s->comment, "none of the release's applications"));
    assert_non_null(strstr(s->comment, "The spec names the module"));
    world_free(&w);
}

/* --- what cannot be generated ------------------------------------------- */

static void a_tree_change_needs_an_application_change(void **unused) {
    const char *now = "supervisor:\n  children: [{id: t, exec: [/bin/sh]}]\n";
    generate_fails(APPS(OLD_APPS), "supervisor:\n  children: []\n", "2.0.0", APPS(OLD_APPS), now,
                   "the trees differ in 1 step but no application changes version");
    struct world w;
    generate(&w, APPS(OLD_APPS), TREE, APPS(OLD_APPS), TREE);
    assert_int_equal(w.g->n_appups, 0);
    assert_string_equal(w.g->notes, "");
    world_free(&w);
}

static void two_versions_of_one_release(void **unused) {
    generate_fails(APPS(OLD_APPS), TREE, "1.0.0", APPS(OLD_APPS), TREE,
                   "both releases are myapp 1.0.0: an appup goes between two versions");
    struct rel from, to;
    struct nines_appup_gen *g = NULL;
    struct nines_error err;
    rel_load(&from, "old", "1.0.0", APPS(OLD_APPS), TREE);
    rel_load(&to, "new", "2.0.0", APPS(OLD_APPS), TREE);
    free(to.m->release);
    to.m->release = strdup("other");
    assert_int_equal(nines_appup_generate(&from.r, &to.r, &g, &err), -EINVAL);
    assert_string_equal(err.message, "myapp 1.0.0 and other 2.0.0 are not versions of one release: an appup goes "
                                     "between versions of one release");
    assert_string_equal(err.file, to.m->path);
    rel_free(&from);
    rel_free(&to);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(code_change_both_ways),
        cmocka_unit_test(restart_without_code_change),
        cmocka_unit_test(same_file_has_no_code_step),
        cmocka_unit_test(notes_for_what_has_no_appup),
        cmocka_unit_test(own_children_added_changed_removed),
        cmocka_unit_test(any_field_changes_a_child),
        cmocka_unit_test(change_goes_to_the_old_application),
        cmocka_unit_test(nested_supervisors_are_walked),
        cmocka_unit_test(supervisors_replaced_whole),
        cmocka_unit_test(the_root_changes_flags_only),
        cmocka_unit_test(the_first_changed_application_carries),
        cmocka_unit_test(a_module_of_no_application),
        cmocka_unit_test(a_tree_change_needs_an_application_change),
        cmocka_unit_test(two_versions_of_one_release),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
