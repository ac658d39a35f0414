/*
 * Unit tests of the appup parser, invalid files: every error path, with
 * its exact FILE:LINE:COLUMN and the words that say what was expected.
 */
#include "appup_fixture.h"

/* An appup whose one `up` entry's steps follow: the first step's line is
 * 7 and its instruction starts at column 9. */
#define STEPS HEAD "down: []\nup:\n  - from: 1.0.0\n    steps:\n"

static void syntax_and_shape(void **unused) {
    appup_err("", 0, 0, "the appup file is empty");
    appup_err("application: [echo\n", 2, 1, "invalid YAML");
    appup_err("- echo\n", 1, 1, "expected a mapping for an appup, got a sequence");
    appup_err(HEAD "up: []\ndown: []\n---\n" HEAD, 5, 1, "an appup file holds one YAML document, this is a second");
    appup_err(HEAD "up: []\ndown: []\nsteps: []\n", 5, 1,
              "unknown key 'steps' in an appup (allowed: application, version, up, down)");
    appup_err(HEAD "up: []\ndown: []\nup: []\n", 5, 1, "duplicate key 'up' in an appup");
}

static void missing_top_keys(void **unused) {
    appup_err("version: 1.1.0\nup: []\ndown: []\n", 1, 1, "an appup needs 'application'");
    appup_err("application: echo\nup: []\ndown: []\n", 1, 1, "an appup needs 'version'");
    appup_err(HEAD "down: []\n", 1, 1, "an appup needs 'up'");
    appup_err(HEAD "up: []\n", 1, 1, "an appup needs 'down' (its keys are application, version, up and down)");
}

static void application_and_version(void **unused) {
    appup_err("application: Echo\nversion: 1.1.0\nup: []\ndown: []\n", 1, 14,
              "invalid application 'Echo': expected its module's name, 1 to 64 of [a-z0-9_-]");
    appup_err("application: [echo]\nversion: 1.1.0\nup: []\ndown: []\n", 1, 14, "invalid application 'a sequence'");
    appup_err("application: \"ec\\0ho\"\nversion: 1.1.0\nup: []\ndown: []\n", 1, 14, "invalid application");
    appup_err("application: echo\nversion: 1.1 beta\nup: []\ndown: []\n", 2, 10,
              "invalid version '1.1 beta' in 'version': expected 1 to 64 printable characters without spaces");
    appup_err("application: echo\nversion: ''\nup: []\ndown: []\n", 2, 10, "invalid version ''");
    appup_err("application: echo\nversion: {a: 1}\nup: []\ndown: []\n", 2, 10,
              "'version' must be a version such as 1.2.0, got a mapping");
    char text[256];
    snprintf(text, sizeof text, "application: echo\nversion: %065d\nup: []\ndown: []\n", 1);
    appup_err(text, 2, 10, "invalid version '000");
}

/* NAME.appup.yaml is NAME's: a copied appup not renamed is caught. */
static void file_name_names_the_application(void **unused) {
    static const char text[] = "application: kv\nversion: 1.1.0\nup: []\ndown: []\n";
    struct nines_appup *a = NULL;
    struct nines_error err;
    assert_int_equal(nines_appup_load_string("rel/echo.appup.yaml", ".", text, strlen(text), &a, &err), -EINVAL);
    assert_null(a);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 14);
    assert_string_equal(err.message, "application 'kv' in a file named echo.appup.yaml: the appup of 'kv' is kv.appup.yaml");
    assert_int_equal(nines_appup_load_string(".appup.yaml", ".", text, strlen(text), &a, &err), -EINVAL);
    assert_int_equal(nines_appup_load_string("kv.appup.yml", ".", text, strlen(text), &a, &err), 0);
    nines_appup_free(a);
}

static void entries(void **unused) {
    appup_err(HEAD "down: []\nup: {from: 1.0.0}\n", 4, 5, "'up' must be a sequence of entries (possibly empty), got a mapping");
    appup_err(HEAD "up: []\ndown: 1.0.0\n", 4, 7, "'down' must be a sequence of entries");
    appup_err(HEAD "down: []\nup: [1.0.0]\n", 4, 6, "expected a mapping for an 'up' entry, got a scalar");
    appup_err(HEAD "down: []\nup:\n  - to: 1.0.0\n    steps: []\n", 5, 5,
              "unknown key 'to' in an 'up' entry (allowed: from, steps)");
    appup_err(HEAD "up: []\ndown:\n  - from: 1.0.0\n    steps: []\n", 5, 5,
              "unknown key 'from' in a 'down' entry (allowed: to, steps)");
    appup_err(HEAD "down: []\nup:\n  - steps: []\n", 5, 5, "an 'up' entry needs 'from': the version or versions it goes up from");
    appup_err(HEAD "up: []\ndown:\n  - steps: []\n", 5, 5, "a 'down' entry needs 'to': the version or versions it goes down to");
    appup_err(HEAD "down: []\nup:\n  - from: 1.0.0\n", 5, 5, "an 'up' entry needs 'steps' (a sequence, possibly empty)");
    appup_err(HEAD "down: []\nup:\n  - from: 1.0.0\n    steps: []\n    from: 1.0.1\n", 7, 5, "duplicate key 'from' in an 'up' entry");
}

static void entry_versions(void **unused) {
    appup_err(HEAD "down: []\nup:\n  - from: []\n    steps: []\n", 5, 11,
              "'from' must be a version or a non-empty list of versions, got an empty list");
    appup_err(HEAD "down: []\nup:\n  - from: {a: b}\n    steps: []\n", 5, 11, "got a mapping");
    appup_err(HEAD "down: []\nup:\n  - from: [1.0.0, [1]]\n    steps: []\n", 5, 19, "'from' must be a version such as 1.2.0, got a sequence");
    appup_err(HEAD "down: []\nup:\n  - from: 1.0 0\n    steps: []\n", 5, 11, "invalid version '1.0 0' in 'from'");
    appup_err(HEAD "up: []\ndown:\n  - to: \"\\t\"\n    steps: []\n", 5, 9, "in 'to': expected 1 to 64 printable characters");
}

/* One entry per version and direction: nines_appup_find has one answer. */
static void versions_are_unique(void **unused) {
    appup_err(HEAD "down: []\nup:\n  - from: 1.1.0\n    steps: []\n", 5, 11,
              "'from: 1.1.0' is this appup's own version: 'up' goes to it from older versions");
    appup_err("up: []\ndown:\n  - to: [1.0.0, 1.1.0]\n    steps: []\nversion: 1.1.0\napplication: echo\n", 3, 17,
              "'to: 1.1.0' is this appup's own version: 'down' goes from it to older versions");
    appup_err(HEAD "down: []\nup:\n  - from: [1.0.0, 0.9.0, 1.0.0]\n    steps: []\n", 5, 26,
              "version '1.0.0' is listed twice in this entry");
    appup_err(HEAD "down: []\nup:\n  - from: 1.0.0\n    steps: []\n  - from: [0.9.0, 1.0.0]\n    steps: []\n", 7, 19,
              "version '1.0.0' is already in the 'up' entry at line 5");
    appup_err(HEAD "up: []\ndown:\n  - to: 1.0.0\n    steps: []\n  - to: 1.0.0\n    steps: []\n", 7, 9,
              "version '1.0.0' is already in the 'down' entry at line 5");
}

static void step_shape(void **unused) {
    appup_err(HEAD "down: []\nup:\n  - from: 1.0.0\n    steps: {restart: {}}\n", 6, 12,
              "'steps' must be a sequence of steps (possibly empty), got a mapping");
    appup_err(STEPS "      - restart\n", 7, 9,
              "a step is a mapping with one instruction, such as 'restart: {}' (one of code_change, restart, add_child, "
              "remove_child, change_child, supervisor_flags), got a scalar");
    appup_err(STEPS "      - {}\n", 7, 9, "got an empty mapping");
    appup_err(STEPS "      - restart: {}\n        code_change: {}\n", 8, 9,
              "a step holds one instruction: put 'code_change' in a step of its own");
    appup_err(STEPS "      - reload: {}\n", 7, 9,
              "unknown step 'reload' (allowed: code_change, restart, add_child, remove_child, change_child, supervisor_flags)");
    appup_err(STEPS "      - restart:\n", 7, 17, "restart takes a mapping, such as restart: {}; got a scalar");
    appup_err(STEPS "      - code_change: reformat\n", 7, 22,
              "code_change takes a mapping, such as code_change: {extra: TEXT} or code_change: {}; got a scalar");
    appup_err(STEPS "      - restart: {now: yes}\n", 7, 19, "restart takes no keys: write restart: {}");
}

/* After an entry one version runs: swapped to or restarted on, once. */
static void one_swap_or_restart(void **unused) {
    appup_err(STEPS "      - code_change: {}\n      - remove_child: {supervisor: /, id: a}\n      - restart: {}\n", 9, 9,
              "'restart' here and 'code_change' at line 7: an entry swaps the application's code or restarts its "
              "workers, once");
    appup_err(STEPS "      - code_change: {}\n      - code_change: {extra: again}\n", 8, 9,
              "'code_change' here and 'code_change' at line 7");
    appup_err(HEAD "up: []\ndown:\n  - to: 1.0.0\n    steps: [restart: {}, restart: {}]\n", 6, 26,
              "'restart' here and 'restart' at line 6");
}

static void code_change_fields(void **unused) {
    appup_err(STEPS "      - code_change: {extr: x}\n", 7, 23, "unknown key 'extr' in code_change (allowed: extra)");
    appup_err(STEPS "      - code_change: {extra: [x]}\n", 7, 30, "'extra' must be a string, got a sequence");
    appup_err(STEPS "      - code_change: {extra: \"a\\0b\"}\n", 7, 30, "'extra' must not contain a NUL character");
    appup_err(STEPS "      - code_change: {extra: a, extra: b}\n", 7, 33, "duplicate key 'extra' in code_change");
    size_t n = 5000;
    char *text = malloc(sizeof STEPS + n + 64);
    assert_non_null(text);
    int at = sprintf(text, STEPS "      - code_change: {extra: ");
    memset(text + at, 'x', n);
    strcpy(text + at + n, "}\n");
    appup_err(text, 7, 30, "'extra' is 5000 bytes long, at most 4096");
    free(text);
}

static void supervisor_paths(void **unused) {
    static const char *const bad[] = {"web//pool", "web/", "//", "/web/", "'a b'", "''", "'web/p ool'", "[web]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, STEPS "      - remove_child: {supervisor: %s, id: a}\n", bad[i]);
        appup_err(text, 7, 36, "invalid supervisor path");
    }
    appup_err(STEPS "      - remove_child: {supervisor: web//pool, id: a}\n", 7, 36,
              "invalid supervisor path 'web//pool' (/ for the root, else ids joined by '/', such as web/pool)");
    appup_err(STEPS "      - remove_child: {supervisor: {a: 1}, id: a}\n", 7, 36, "invalid supervisor path 'a mapping'");
}

static void add_remove_change_fields(void **unused) {
    appup_err(STEPS "      - add_child: {supervisor: web}\n", 7, 20,
              "add_child needs 'child' (add_child: {supervisor: PATH, child: {id: ID, ...}})");
    appup_err(STEPS "      - add_child: {child: {id: a, module: apps/cache.so}}\n", 7, 20, "add_child needs 'supervisor'");
    appup_err(STEPS "      - add_child: {supervisor: web, id: a}\n", 7, 38,
              "unknown key 'id' in add_child (allowed: supervisor, child)");
    appup_err(STEPS "      - remove_child: {supervisor: web}\n", 7, 23, "remove_child needs 'id'");
    appup_err(STEPS "      - remove_child: {supervisor: web, id: a/b}\n", 7, 45,
              "invalid id 'a/b' (letters, digits, '_', '.' and '-' only)");
    appup_err(STEPS "      - remove_child: {supervisor: web, id: [a]}\n", 7, 45, "invalid id 'a sequence'");
    appup_err(STEPS "      - change_child: {supervisor: web, id: a}\n", 7, 23, "change_child needs 'child'");
    appup_err(STEPS "      - change_child: {supervisor: web, child: {id: a, module: apps/cache.so}}\n", 7, 23,
              "change_child needs 'id'");
    appup_err(STEPS "      - change_child: {supervisor: web, id: a, child: {id: b, module: apps/cache.so}}\n", 7, 55,
              "change_child of 'a' with a spec whose id is 'b': a change keeps the id (to rename, remove_child then add_child)");
}

/* A child spec is a tree file's: the tree loader's errors, positions in the appup. */
static void child_spec_errors(void **unused) {
    appup_err(STEPS "      - add_child: {supervisor: web, child: cache}\n", 7, 45, "expected a mapping for a child, got a scalar");
    appup_err(STEPS "      - add_child: {supervisor: web, child: {module: apps/cache.so}}\n", 7, 45, "a child needs an 'id'");
    appup_err(STEPS "      - add_child: {supervisor: web, child: {id: c, module: apps/nope.so}}\n", 7, 61,
              "module 'apps/nope.so' not found");
    appup_err(STEPS "      - add_child: {supervisor: web, child: {id: c, modul: x.so}}\n", 7, 53,
              "unknown key 'modul' in a child (allowed: id, module, exec, supervisor, args, restart, shutdown, ready, "
              "max_queued_casts, start_timeout, swap_timeout, env, cwd, user, group, stop_signal, backoff, sockets)");
    appup_err(STEPS "      - add_child: {supervisor: web, child: {id: c, exec: [sh], restart: often}}\n", 7, 74,
              "invalid restart 'often'");
    appup_err(STEPS "      - add_child:\n          supervisor: web\n          child:\n            id: s\n"
                    "            supervisor: {children: [{id: a, exec: [sh]}, {id: a, exec: [sh]}]}\n", 11, 58,
              "duplicate id 'a'");
}

static void supervisor_flags_fields(void **unused) {
    appup_err(STEPS "      - supervisor_flags: {supervisor: web}\n", 7, 27,
              "supervisor_flags changes nothing: give strategy, intensity or period");
    appup_err(STEPS "      - supervisor_flags: {intensity: 3}\n", 7, 27, "supervisor_flags needs 'supervisor'");
    appup_err(STEPS "      - supervisor_flags: {supervisor: web, children: []}\n", 7, 45,
              "unknown key 'children' in supervisor_flags (allowed: supervisor, strategy, intensity, period)");
    appup_err(STEPS "      - supervisor_flags: {supervisor: web, strategy: one_for_two}\n", 7, 55,
              "invalid strategy 'one_for_two' (allowed: one_for_one, one_for_all, rest_for_one, dynamic)");
    appup_err(STEPS "      - supervisor_flags: {supervisor: web, strategy: dynamic}\n", 7, 55,
              "strategy dynamic cannot be set on a supervisor that exists: replace the supervisor with change_child");
    appup_err(STEPS "      - supervisor_flags: {supervisor: web, intensity: -1}\n", 7, 56,
              "intensity must be an integer from 0 to 1000000, got '-1'");
    appup_err(STEPS "      - supervisor_flags: {supervisor: web, period: 0s}\n", 7, 53, "period must be a positive duration");
    appup_err(STEPS "      - supervisor_flags: {supervisor: web, period: 5}\n", 7, 53, "got '5'");
}

/* Bounds against files that cost more than they say (aliases repeat nodes). */
static void bounds(void **unused) {
    size_t n = 10001, size = sizeof STEPS + n * 48;
    char *text = malloc(size);
    assert_non_null(text);
    size_t at = (size_t)sprintf(text, STEPS);
    for (size_t i = 0; i < n; i++)
        at += (size_t)sprintf(text + at, "      - remove_child: {supervisor: /, id: a}\n");
    appup_err(text, 7, 7, "too many steps in the file (at most 10000)");
    at = (size_t)sprintf(text, HEAD "down: []\nup:\n  - steps: []\n    from:\n");
    for (size_t i = 0; i < 1001; i++)
        at += (size_t)sprintf(text + at, "      - v%zu\n", i);
    appup_err(text, 7, 7, "too many versions in 'up' (at most 1000)");
    free(text);
    /* An alias is read as often as it is used, each use its own steps. */
    struct nines_appup *a = appup_ok(HEAD "down: []\nup:\n  - from: 1.0.0\n    steps: &s [remove_child: {supervisor: /, id: a}]\n"
                                          "  - from: 1.0.1\n    steps: *s\n");
    assert_int_equal(a->up[1].n_steps, 1);
    assert_ptr_not_equal(a->up[0].steps[0].id, a->up[1].steps[0].id);
    nines_appup_free(a);
}

static void file_errors(void **unused) {
    struct nines_appup *a = (struct nines_appup *)1;
    struct nines_error err;
    assert_int_equal(nines_appup_load("/nonexistent/echo.appup.yaml", &a, &err), -ENOENT);
    assert_null(a);
    assert_string_equal(err.file, "/nonexistent/echo.appup.yaml");
    assert_int_equal(err.line, 0);
    assert_string_equal(err.message, "cannot read the appup file: No such file or directory");
    assert_int_equal(nines_appup_load(fixture_dir, &a, &err), -EISDIR);
    assert_string_equal(err.message, "cannot read the appup file: Is a directory");
    char text[600];
    nines_error_format(&err, text, sizeof text);
    assert_non_null(strstr(text, ": cannot read"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(syntax_and_shape),
        cmocka_unit_test(missing_top_keys),
        cmocka_unit_test(application_and_version),
        cmocka_unit_test(file_name_names_the_application),
        cmocka_unit_test(entries),
        cmocka_unit_test(entry_versions),
        cmocka_unit_test(versions_are_unique),
        cmocka_unit_test(step_shape),
        cmocka_unit_test(one_swap_or_restart),
        cmocka_unit_test(code_change_fields),
        cmocka_unit_test(supervisor_paths),
        cmocka_unit_test(add_remove_change_fields),
        cmocka_unit_test(child_spec_errors),
        cmocka_unit_test(supervisor_flags_fields),
        cmocka_unit_test(bounds),
        cmocka_unit_test(file_errors),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
