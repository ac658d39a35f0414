/*
 * Unit tests of the tree loader: every default, every field of a full
 * tree, and every error with its exact FILE:LINE:COLUMN and message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree.h"

static char dir[64];

/* A folder with apps/a.so (a regular file) and bin/tool (executable). */
static int make_dir(void **unused) {
    snprintf(dir, sizeof dir, "/tmp/nines-tree-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/apps", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/apps/a.so", dir);
    fclose(fopen(path, "w"));
    snprintf(path, sizeof path, "%s/bin", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/bin/tool", dir);
    fclose(fopen(path, "w"));
    chmod(path, 0755);
    return 0;
}

static int remove_dir(void **unused) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct nines_tree *load_ok(const char *yaml) {
    struct nines_tree *t = NULL;
    struct nines_error err;
    int r = nines_tree_load_string("t.yaml", dir, yaml, strlen(yaml), &t, &err);
    if (r < 0) {
        char text[1024];
        nines_error_format(&err, text, sizeof text);
        fail_msg("unexpected error: %s", text);
    }
    return t;
}

/* Load, expect failure at line:column with `fragment` in the message. */
static void load_err(const char *yaml, unsigned line, unsigned column, const char *fragment) {
    struct nines_tree *t = (struct nines_tree *)1;
    struct nines_error err;
    int r = nines_tree_load_string("t.yaml", dir, yaml, strlen(yaml), &t, &err);
    assert_int_equal(r, -EINVAL);
    assert_null(t);
    assert_string_equal(err.file, "t.yaml");
    if (!strstr(err.message, fragment) || err.line != line || err.column != column)
        fail_msg("got %u:%u: %s — wanted %u:%u: ...%s...", err.line, err.column, err.message, line, column, fragment);
}

#define CHILD_A "    - id: a\n      module: apps/a.so\n"

static void defaults_are_otps(void **unused) {
    struct nines_tree *t = load_ok("supervisor:\n  children:\n" CHILD_A);
    assert_int_equal(t->root.strategy, NINES_ONE_FOR_ONE);
    assert_int_equal(t->root.intensity, 1);
    assert_int_equal(t->root.period_ms, 5000);
    assert_int_equal(t->root.n_children, 1);
    const struct nines_child_spec *a = &t->root.children[0];
    assert_string_equal(a->id, "a");
    assert_int_equal(a->kind, NINES_CHILD_MODULE);
    assert_int_equal(a->restart, NINES_PERMANENT);
    assert_int_equal(a->shutdown.kind, NINES_SHUTDOWN_TIMEOUT);
    assert_int_equal(a->shutdown.ms, 5000);
    assert_int_equal(a->n_args, 0);
    assert_int_equal(a->mark.line, 3);
    assert_int_equal(a->mark.column, 7);
    char expected[128];
    snprintf(expected, sizeof expected, "%s/apps/a.so", dir);
    assert_string_equal(a->module, expected);
    assert_string_equal(t->path, "t.yaml");
    nines_tree_free(t);
}

static void full_tree_field_by_field(void **unused) {
    struct nines_tree *t = load_ok(
        "supervisor:\n"
        "  strategy: rest_for_one\n  intensity: 3\n  period: 2m\n"
        "  children:\n"
        "    - id: counter\n      module: apps/a.so\n      args: {start: 10, name: x y, on: true}\n"
        "      restart: transient\n      shutdown: 250ms\n      max_queued_casts: 100\n"
        "      start_timeout: 2m\n      swap_timeout: infinity\n"
        "    - id: legacy\n      exec: [bin/tool, --foreground, '2']\n      ready: notify\n"
        "      shutdown: brutal_kill\n      restart: temporary\n"
        "    - id: shell\n      exec: [sh, -c, 'exit 0']\n      shutdown: infinity\n"
        "    - id: web\n      supervisor:\n        strategy: one_for_all\n        children: []\n"
        "    - id: pool\n      supervisor:\n        strategy: dynamic\n        max_children: 7\n"
        "        child:\n          id: session\n          module: apps/a.so\n          restart: temporary\n");
    const struct nines_sup_spec *r = &t->root;
    assert_int_equal(r->strategy, NINES_REST_FOR_ONE);
    assert_int_equal(r->intensity, 3);
    assert_int_equal(r->period_ms, 120000);
    assert_int_equal(r->n_children, 5);
    const struct nines_child_spec *c = &r->children[0];
    assert_int_equal(c->n_args, 3);
    assert_string_equal(c->args[0].key, "start");
    assert_string_equal(c->args[0].value, "10");
    assert_string_equal(c->args[1].value, "x y");
    assert_string_equal(c->args[2].value, "true");
    assert_int_equal(c->restart, NINES_TRANSIENT);
    assert_int_equal(c->shutdown.ms, 250);
    assert_int_equal(c->max_queued_casts, 100);
    assert_int_equal(c->start_timeout_ms, 120000);
    assert_int_equal(c->swap_timeout_ms, 0); /* infinity */
    c = &r->children[1];
    assert_int_equal(c->start_timeout_ms, NINES_START_TIMEOUT_MS); /* it waits for READY=1 */
    assert_int_equal(c->swap_timeout_ms, 0); /* not a module: none */
    assert_int_equal(c->kind, NINES_CHILD_EXEC);
    char tool[128];
    snprintf(tool, sizeof tool, "%s/bin/tool", dir);
    assert_string_equal(c->exec_argv[0], tool);
    assert_string_equal(c->exec_argv[1], "--foreground");
    assert_string_equal(c->exec_argv[2], "2");
    assert_null(c->exec_argv[3]);
    assert_true(c->notify);
    assert_int_equal(c->shutdown.kind, NINES_SHUTDOWN_BRUTAL_KILL);
    assert_int_equal(c->restart, NINES_TEMPORARY);
    c = &r->children[2];
    assert_non_null(strstr(c->exec_argv[0], "/sh"));
    assert_int_equal(access(c->exec_argv[0], X_OK), 0);
    assert_false(c->notify);
    assert_int_equal(c->start_timeout_ms, 0); /* started once running: nothing to wait for */
    assert_int_equal(c->shutdown.kind, NINES_SHUTDOWN_INFINITY);
    c = &r->children[3];
    assert_int_equal(c->kind, NINES_CHILD_SUPERVISOR);
    assert_int_equal(c->shutdown.kind, NINES_SHUTDOWN_INFINITY);
    assert_int_equal(c->supervisor->strategy, NINES_ONE_FOR_ALL);
    assert_int_equal(c->supervisor->n_children, 0);
    c = &r->children[4];
    assert_int_equal(c->supervisor->strategy, NINES_DYNAMIC);
    assert_int_equal(c->supervisor->max_children, 7);
    assert_string_equal(c->supervisor->child_template->id, "session");
    assert_int_equal(c->supervisor->child_template->restart, NINES_TEMPORARY);
    assert_int_equal(c->supervisor->child_template->max_queued_casts, NINES_MAX_QUEUED_CASTS); /* the default */
    assert_int_equal(c->supervisor->child_template->start_timeout_ms, NINES_START_TIMEOUT_MS);
    assert_int_equal(c->supervisor->child_template->swap_timeout_ms, NINES_SWAP_TIMEOUT_MS);
    nines_tree_free(t);
}

static void syntax_and_shape_errors(void **unused) {
    load_err("", 0, 0, "the tree file is empty");
    load_err("supervisor: [a, b\n", 2, 1, "invalid YAML");
    /* libyaml's reader finds a bad byte while it fills its buffer, before
     * the first token: the place is the byte's, from its offset. */
    load_err("supervisor:\n  children:\n    - {id: \xc3\xa9t\xe9, module: a.so}\n", 3, 15,
             "invalid YAML: invalid trailing UTF-8 octet (0x2c)");
    load_err("supervisor:\r\n  children: []\r\n  strategy: \x01\n", 3, 13,
             "invalid YAML: control characters are not allowed (0x01)");
    load_err("- a\n", 1, 1, "expected a mapping with the key 'supervisor', got a sequence");
    load_err("supervisr:\n  children: []\n", 1, 1, "unknown key 'supervisr' at the top (allowed: supervisor)");
    load_err("supervisor: 3\n", 1, 13, "expected a mapping for a supervisor, got a scalar");
    load_err("supervisor:\n  children: []\n---\nsupervisor: {}\n", 3, 1, "one YAML document");
    load_err("supervisor:\n  strategy: one_for_one\n", 2, 3, "needs 'children:'");
}

static void supervisor_key_errors(void **unused) {
    load_err("supervisor:\n  strat: one_for_one\n  children: []\n", 2, 3,
             "unknown key 'strat' in a supervisor (allowed: strategy, intensity, period, children, child, max_children)");
    load_err("supervisor:\n  strategy: one_for_two\n  children: []\n", 2, 13,
             "invalid strategy 'one_for_two' (allowed: one_for_one, one_for_all, rest_for_one, dynamic)");
    load_err("supervisor:\n  intensity: -1\n  children: []\n", 2, 14, "intensity must be an integer from 0 to 1000000, got '-1'");
    load_err("supervisor:\n  intensity: lots\n  children: []\n", 2, 14, "got 'lots'");
    load_err("supervisor:\n  period: 0s\n  children: []\n", 2, 11, "period must be a positive duration");
    load_err("supervisor:\n  period: 5\n  children: []\n", 2, 11, "got '5'");
    load_err("supervisor:\n  children: []\n  children: []\n", 3, 3, "duplicate key 'children' in a supervisor");
    load_err("supervisor:\n  children: {a: 1}\n", 2, 13, "'children' must be a sequence of children, got a mapping");
    load_err("supervisor:\n  strategy: dynamic\n  children: []\n", 3, 13, "not 'children:'");
    load_err("supervisor:\n  strategy: dynamic\n", 2, 3, "needs a template 'child:'");
    load_err("supervisor:\n  child: {id: a, module: apps/a.so}\n", 2, 10, "only for strategy: dynamic");
    load_err("supervisor:\n  max_children: 3\n  children: []\n", 2, 17, "'max_children' is only for strategy: dynamic");
    load_err("supervisor:\n  strategy: dynamic\n  child: {id: s, supervisor: {children: []}}\n", 3, 10,
             "template must be a worker");
}

static void child_errors(void **unused) {
    load_err("supervisor:\n  children:\n    - 3\n", 3, 7, "expected a mapping for a child, got a scalar");
    load_err("supervisor:\n  children:\n    - module: apps/a.so\n", 3, 7, "a child needs an 'id'");
    load_err("supervisor:\n  children:\n    - id: a b\n      module: apps/a.so\n", 3, 11, "invalid id 'a b'");
    load_err("supervisor:\n  children:\n    - id: a\n      modul: apps/a.so\n", 4, 7,
             "unknown key 'modul' in a child (allowed: id, module, exec, supervisor, args, restart, shutdown, ready, "
             "max_queued_casts, start_timeout, swap_timeout, env, cwd, user, group, stop_signal, backoff, sockets)");
    load_err("supervisor:\n  children:\n    - id: a\n", 3, 7, "exactly one of 'module', 'exec', 'supervisor' (it has 0)");
    load_err("supervisor:\n  children:\n    - id: a\n      module: apps/a.so\n      exec: [sh]\n", 3, 7, "(it has 2)");
    load_err("supervisor:\n  children:\n" CHILD_A CHILD_A, 5, 7, "duplicate id 'a' (first declared at line 3)");
    load_err("supervisor:\n  children:\n    - id: a\n      module: apps/missing.so\n", 4, 15, "module 'apps/missing.so' not found");
    load_err("supervisor:\n  children:\n    - id: a\n      module: apps\n", 4, 15, "module 'apps' not found");
    load_err("supervisor:\n  children:\n    - id: a\n      exec: []\n", 4, 13, "'exec' must be a non-empty sequence");
    load_err("supervisor:\n  children:\n    - id: a\n      exec: [no-such-program-here]\n", 4, 14, "not found in PATH");
    load_err("supervisor:\n  children:\n    - id: a\n      exec: [apps/a.so]\n", 4, 14, "not found or not executable");
    load_err("supervisor:\n  children:\n    - id: a\n      exec: [sh, [x]]\n", 4, 18, "'exec' items must be strings");
    load_err("supervisor:\n  children:\n" CHILD_A "      restart: sometimes\n", 5, 16,
             "invalid restart 'sometimes' (allowed: permanent, transient, temporary)");
    load_err("supervisor:\n  children:\n" CHILD_A "      shutdown: soon\n", 5, 17, "invalid shutdown 'soon'");
    load_err("supervisor:\n  children:\n" CHILD_A "      ready: notify\n", 5, 14, "'ready' is only for 'exec' children");
    load_err("supervisor:\n  children:\n" CHILD_A "      max_queued_casts: 0\n", 5, 25,
             "max_queued_casts must be an integer from 1 to 1000000, got '0'");
    load_err("supervisor:\n  children:\n" CHILD_A "      max_queued_casts: 1000001\n", 5, 25, "got '1000001'");
    load_err("supervisor:\n  children:\n" CHILD_A "      max_queued_casts: lots\n", 5, 25, "got 'lots'");
    load_err("supervisor:\n  children:\n" CHILD_A "      max_queued_casts: -5\n", 5, 25, "got '-5'");
    load_err("supervisor:\n  children:\n    - id: a\n      exec: [sh]\n      max_queued_casts: 10\n", 5, 25,
             "'max_queued_casts' is only for 'module' children");
    load_err("supervisor:\n  children:\n" CHILD_A "      start_timeout: 0s\n", 5, 22,
             "invalid start_timeout '0s' (allowed: a duration such as 500ms, 30s or 2m; infinity)");
    load_err("supervisor:\n  children:\n" CHILD_A "      swap_timeout: soon\n", 5, 21, "invalid swap_timeout 'soon'");
    load_err("supervisor:\n  children:\n    - id: a\n      exec: [sh]\n      start_timeout: 1s\n", 5, 22,
             "'start_timeout' is only for 'module' children and 'exec' children with 'ready: notify'");
    load_err("supervisor:\n  children:\n    - id: a\n      exec: [sh]\n      ready: notify\n      swap_timeout: 1s\n",
             6, 21, "'swap_timeout' is only for 'module' children (it bounds code_change)");
    load_err("supervisor:\n  children:\n    - id: a\n      supervisor: {children: []}\n      swap_timeout: 1s\n",
             5, 21, "'swap_timeout' is only for 'module' children");
    load_err("supervisor:\n  children:\n    - id: a\n      exec: [sh]\n      ready: later\n", 5, 14,
             "invalid ready 'later' (allowed: spawn, notify)");
    load_err("supervisor:\n  children:\n" CHILD_A "      args: [1]\n", 5, 13, "'args' must be a mapping");
    load_err("supervisor:\n  children:\n" CHILD_A "      args: {x: [1]}\n", 5, 17, "argument 'x' must be a scalar");
    load_err("supervisor:\n  children:\n" CHILD_A "      args: {x: 1, x: 2}\n", 5, 20, "duplicate argument 'x'");
    load_err("supervisor:\n  children:\n" CHILD_A "      id: b\n", 5, 7, "duplicate key 'id' in a child");
    load_err("supervisor:\n  children:\n    - id: s\n      supervisor: {children: []}\n      shutdown: 5s\n", 5, 17,
             "a supervisor's shutdown must be infinity");
    load_err("supervisor:\n  children:\n    - id: s\n      supervisor: {children: []}\n      args: {a: 1}\n", 5, 13,
             "'args' is only for 'module' and 'exec' children");
    /* Errors deep inside a nested supervisor point there. */
    load_err("supervisor:\n  children:\n    - id: s\n      supervisor:\n        children:\n"
             "          - id: x\n            restart: never\n            module: apps/a.so\n",
             7, 22, "invalid restart 'never'");
}

static void nesting_is_bounded(void **unused) {
    static char yaml[65536] = "supervisor:\n  children:\n";
    size_t len = strlen(yaml);
    for (int depth = 0; depth < 40; depth++)
        len += (size_t)snprintf(yaml + len, sizeof yaml - len, "%*s- id: s%d\n%*s  supervisor:\n%*s    children:\n",
                                4 + depth * 6, "", depth, 4 + depth * 6, "", 4 + depth * 6, "");
    snprintf(yaml + len, sizeof yaml - len, "%*s[]\n", 4 + 40 * 6, "");
    struct nines_tree *t = NULL;
    struct nines_error err;
    assert_int_equal(nines_tree_load_string("t.yaml", dir, yaml, strlen(yaml), &t, &err), -EINVAL);
    assert_non_null(strstr(err.message, "nested deeper than 32"));
}

static void durations(void **unused) {
    static const struct {
        const char *text;
        int ok;
        uint64_t ms;
    } cases[] = {
        {"250ms", 1, 250}, {"5s", 1, 5000}, {"2m", 1, 120000}, {"0ms", 1, 0}, {"007s", 1, 7000},
        {"", 0, 0}, {"5", 0, 0}, {"-1s", 0, 0}, {"5h", 0, 0}, {"1.5s", 0, 0}, {"s", 0, 0},
        {"5 s", 0, 0}, {"5sec", 0, 0}, {"99999999999999999999ms", 0, 0}, {"18446744073709551615m", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t ms = 12345;
        int r = nines_duration_parse(cases[i].text, &ms);
        if (cases[i].ok) {
            assert_int_equal(r, 0);
            assert_int_equal(ms, cases[i].ms);
        } else if (r != -EINVAL) {
            fail_msg("'%s' should be refused", cases[i].text);
        }
    }
}

static void file_level_loading(void **unused) {
    char path[128], text[256];
    struct nines_tree *t = NULL;
    struct nines_error err;
    snprintf(path, sizeof path, "%s/missing.yaml", dir);
    assert_int_equal(nines_tree_load(path, &t, &err), -ENOENT);
    nines_error_format(&err, text, sizeof text);
    assert_non_null(strstr(text, "missing.yaml: cannot open the tree file: No such file or directory"));
    /* Relative module paths are relative to the file, not the cwd. */
    snprintf(path, sizeof path, "%s/tree.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("supervisor:\n  children:\n" CHILD_A, f);
    fclose(f);
    assert_int_equal(nines_tree_load(path, &t, &err), 0);
    assert_string_equal(t->path, path);
    assert_non_null(strstr(t->root.children[0].module, "/apps/a.so"));
    assert_int_equal(t->root.children[0].module[0], '/');
    nines_tree_free(t);
    nines_error_format(&(struct nines_error){.file = "f.yaml", .line = 3, .column = 9, .message = "bad"}, text, sizeof text);
    assert_string_equal(text, "f.yaml:3:9: bad");
}

/* One child from text, for ninesctl start: same rules, positions in the text. */
static void a_single_child_spec(void **unused) {
    struct nines_child_spec *c = NULL;
    struct nines_error err;
    const char *ok = "{id: extra, module: apps/a.so, args: {n: 3}, restart: transient}";
    assert_int_equal(nines_child_load_string("spec", dir, ok, strlen(ok), &c, &err), 0);
    assert_string_equal(c->id, "extra");
    assert_int_equal(c->restart, NINES_TRANSIENT);
    assert_string_equal(c->args[0].key, "n");
    assert_int_equal(c->module[0], '/');
    nines_child_spec_free(c);
    const char *bad = "{id: x, modul: y}";
    assert_int_equal(nines_child_load_string("spec", dir, bad, strlen(bad), &c, &err), -EINVAL);
    assert_null(c);
    char text[512];
    nines_error_format(&err, text, sizeof text);
    assert_non_null(strstr(text, "spec:1:9: unknown key 'modul' in a child"));
    assert_int_equal(nines_child_load_string("spec", dir, "[1]", 3, &c, &err), -EINVAL);
    assert_non_null(strstr(err.message, "expected a mapping for a child, got a sequence"));
    assert_int_equal(nines_child_load_string("spec", dir, "", 0, &c, &err), -EINVAL);
    assert_int_equal(nines_child_load_string("spec", dir, "{id: a", 6, &c, &err), -EINVAL);
    assert_non_null(strstr(err.message, "invalid YAML"));
    const char *two = "{id: a, module: apps/a.so}\n---\n{id: b}\n";
    assert_int_equal(nines_child_load_string("spec", dir, two, strlen(two), &c, &err), -EINVAL);
    assert_non_null(strstr(err.message, "a child spec holds one YAML document"));
    nines_child_spec_free(NULL);
}

static void names(void **unused) {
    assert_string_equal(nines_strategy_name(NINES_REST_FOR_ONE), "rest_for_one");
    assert_string_equal(nines_strategy_name(NINES_DYNAMIC), "dynamic");
    assert_string_equal(nines_restart_name(NINES_TRANSIENT), "transient");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_otps),     cmocka_unit_test(full_tree_field_by_field),
        cmocka_unit_test(syntax_and_shape_errors), cmocka_unit_test(supervisor_key_errors),
        cmocka_unit_test(child_errors),          cmocka_unit_test(nesting_is_bounded),
        cmocka_unit_test(durations),             cmocka_unit_test(file_level_loading),
        cmocka_unit_test(names),                 cmocka_unit_test(a_single_child_spec),
    };
    return cmocka_run_group_tests_name("tree", tests, make_dir, remove_dir);
}
