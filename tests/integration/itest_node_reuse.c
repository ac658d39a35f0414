/*
 * Integration: a node's number is reused once the child it named is gone
 * for good (engine_reclaim.c, issue 11). What ninesd keeps of a child over
 * time (an upgrade of every child of a dynamic supervisor, a release step
 * over an application's workers) must not act on the new child that took
 * the number: it is not swapped in the old one's place, not blamed for a
 * crash after the old one's swap, and is itself upgraded when it should
 * be. Numbers are reused latest freed first, so "terminate a, start c"
 * puts c in a's number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"

#define WAIT_MS 10000
#define KVSLOW BUILD_PATH("tests/apps/kvslow.so")
#define KVSLOW_2 BUILD_PATH("tests/apps/kvslow_2.so") /* its code_change takes 700 ms */

static struct answer a;

static void ask(struct ninesd *n, enum ctl_status want, const char *fragment, ...) {
    const char *argv[8] = {0};
    va_list ap;
    va_start(ap, fragment);
    for (int i = 0; i < 7 && (argv[i] = va_arg(ap, const char *)); i++)
        ;
    va_end(ap);
    assert_int_equal(control_ask_once(n->socket, &a, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], NULL), 0);
    if (a.status != want || (fragment && !strstr(a.message, fragment) && !strstr(a.data, fragment)))
        fail_msg("%s %s: expected %s \"%s\", got %s \"%s\" data \"%s\"", argv[0], argv[1] ? argv[1] : "",
                 ctl_status_name(want), fragment ? fragment : "", ctl_status_name(a.status), a.message, a.data);
}

static const char *call(struct ninesd *n, const char *path, const char *request) {
    assert_int_equal(control_ask_once(n->socket, &a, "call", path, request, NULL), 0);
    if (a.status != CTL_ST_OK)
        fail_msg("call %s %s: %s %s", path, request, ctl_status_name(a.status), a.message);
    return a.data;
}

static const char *field(struct ninesd *n, const char *path, const char *key) {
    static char v[512];
    assert_int_equal(control_ask_once(n->socket, &a, "status", path, NULL), 0);
    assert_true(status_field(&a, path, key, v, sizeof v));
    return v;
}

static void start_child(struct ninesd *n, const char *sup, const char *id) {
    ask(n, CTL_ST_OK, NULL, "start-child", sup, "--id", id, NULL);
}

static void start_tenants(struct ninesd *n) {
    ninesd_start(n, harness_write_tree(n,
        "supervisor:\n  children:\n"
        "    - id: tenants\n      supervisor:\n        strategy: dynamic\n        intensity: 10\n"
        "        child: {id: t, module: @BUILD@/tests/apps/kvslow.so}\n"), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    start_child(n, "tenants", "a");
    start_child(n, "tenants", "b");
}

/* `upgrade tenants` under way: a has swapped, b swaps (700 ms). Then a
 * goes and c takes its number. Returns the connection the answer comes on. */
static int swap_a_then_reuse_its_number(struct ninesd *n) {
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    assert_int_equal(control_request(fd, "upgrade", "tenants", KVSLOW_2, NULL), 0);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_done", "child=tenants/a ", NULL));
    ask(n, CTL_ST_OK, NULL, "terminate", "tenants/a", NULL);
    start_child(n, "tenants", "c");
    assert_string_equal(call(n, "tenants/c", "version"), "1.0.0");
    return fd;
}

/* A child started while the upgrade runs is swapped too, at the end, even
 * in the number of a child already swapped. */
static void a_child_in_a_swapped_childs_number_is_upgraded_too(void **state) {
    struct ninesd *n = *state;
    start_tenants(n);
    int fd = swap_a_then_reuse_its_number(n);
    static struct answer up;
    assert_int_equal(control_answer(fd, &up), 0);
    close(fd);
    if (up.status != CTL_ST_OK || !strstr(up.message, "upgraded 3 children of tenants"))
        fail_msg("upgrade: %s %s\n%s", ctl_status_name(up.status), up.message, up.data);
    assert_string_equal(call(n, "tenants/b", "version"), "2.0.0");
    assert_string_equal(call(n, "tenants/c", "version"), "2.0.0");
}

/* The crash of the new child is not the swapped child's crash after its
 * swap: the upgrade goes on and succeeds. */
static void a_crash_in_a_reused_number_is_not_blamed_on_the_swap(void **state) {
    struct ninesd *n = *state;
    start_tenants(n);
    int fd = swap_a_then_reuse_its_number(n);
    pid_t c = (pid_t)atoi(field(n, "tenants/c", "pid"));
    assert_true(c > 1);
    assert_int_equal(kill(c, SIGKILL), 0);
    static struct answer up;
    assert_int_equal(control_answer(fd, &up), 0);
    close(fd);
    if (up.status != CTL_ST_OK || strstr(up.message, "crashed after its swap"))
        fail_msg("upgrade: %s %s\n%s", ctl_status_name(up.status), up.message, up.data);
    assert_string_equal(call(n, "tenants/b", "version"), "2.0.0");
    assert_null(strstr(up.data, "phase=undo"));
}

/* --- a release step -------------------------------------------------------------- */

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("'%s' failed", cmd);
}

static const char release_tree[] = "supervisor:\n  intensity: 50\n  children:\n"
                                   "    - id: tenants\n      supervisor:\n        strategy: dynamic\n"
                                   "        intensity: 50\n        child: {id: t, module: apps/kvslow.so}\n"
                                   "    - id: others\n      supervisor:\n        strategy: dynamic\n"
                                   "        child: {id: o, module: apps/kvlite.so}\n";

/* DIR/out/t-VERSION.tar.gz: kvslow at `kvslow` (its .so), kvlite 1.0.0,
 * and with `appup` kvslow's swap from and back to 1.0.0. */
static void build_release(struct ninesd *n, const char *version, const char *kv_version, const char *kvslow,
                          bool appup) {
    char src[400];
    snprintf(src, sizeof src, "%s/src-%s", n->dir, version);
    sh("mkdir -p %s/apps %s/appups %s/out", src, src, n->dir);
    sh("ln -sf %s/%s %s/apps/kvslow.so && ln -sf %s/tests/apps/kvlite.so %s/apps/kvlite.so", NINES_BUILD_DIR,
       kvslow, src, NINES_BUILD_DIR, src);
    char path[512], text[2048];
    snprintf(path, sizeof path, "%s/tree.yaml", src);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(release_tree, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/release.yaml", src);
    snprintf(text, sizeof text,
             "release: t\nversion: %s\ntree: tree.yaml\napplications:\n"
             "  - {name: kvslow, version: %s, module: apps/kvslow.so}\n"
             "  - {name: kvlite, version: 1.0.0, module: apps/kvlite.so}\n"
             "appups: [%s]\n",
             version, kv_version, appup ? "appups/kvslow.appup.yaml" : "");
    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
    if (appup) {
        snprintf(path, sizeof path, "%s/appups/kvslow.appup.yaml", src);
        assert_non_null(f = fopen(path, "w"));
        fprintf(f, "application: kvslow\nversion: %s\n"
                   "up:\n  - from: 1.0.0\n    steps:\n      - code_change: {}\n"
                   "down:\n  - to: 1.0.0\n    steps:\n      - code_change: {}\n", kv_version);
        fclose(f);
    }
    sh("%s build --no-verify %s/release.yaml %s/out >/dev/null", BUILD_PATH("nines-release"), src, n->dir);
}

/* A release swaps kvslow's workers a few at a time (twice the CPUs); one
 * still waiting its turn goes, and a kvlite child takes its number: the
 * swap is not asked of it, and the release goes through. */
static void a_release_step_leaves_a_new_child_in_a_listed_number_alone(void **state) {
    struct ninesd *n = *state;
    snprintf(n->dir, sizeof n->dir, "/tmp/nines-test-XXXXXX");
    assert_non_null(mkdtemp(n->dir));
    build_release(n, "1.0.0", "1.0.0", "tests/apps/kvslow.so", false);
    char releases[400], path[512];
    snprintf(releases, sizeof releases, "%s/releases", n->dir);
    sh("mkdir -p %s && cp %s/out/t-1.0.0.tar.gz %s/", releases, n->dir, releases);
    ninesd_start(n, NULL, "--releases", releases, NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int window = cpus > 0 ? 2 * (int)cpus : 2, count = window + 2;
    char id[16], last[32];
    for (int i = 1; i <= count; i++) {
        snprintf(id, sizeof id, "t%d", i);
        start_child(n, "tenants", id);
    }
    snprintf(last, sizeof last, "tenants/t%d", count);
    build_release(n, "1.1.0", "2.0.0", "tests/apps/kvslow_2.so", true);
    snprintf(path, sizeof path, "%s/out/t-1.1.0.tar.gz", n->dir);
    ask(n, CTL_ST_OK, "unpacked t", "release-unpack", path, NULL);
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    assert_int_equal(control_request(fd, "release-install", "1.1.0", "up", NULL), 0);
    /* the first window swaps for 700 ms; the last tenant waits its turn */
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_started", "child=tenants/t1 ", NULL));
    ask(n, CTL_ST_OK, NULL, "terminate", last, NULL);
    start_child(n, "others", "x");
    static struct answer up;
    assert_int_equal(control_answer(fd, &up), 0);
    close(fd);
    if (up.status != CTL_ST_OK)
        fail_msg("release-install: %s %s\n%s", ctl_status_name(up.status), up.message, up.data);
    assert_non_null(strstr(field(n, "others/x", "module"), "kvlite.so"));
    assert_string_equal(call(n, "tenants/t1", "version"), "2.0.0");
    snprintf(last, sizeof last, "tenants/t%d", count - 1);
    assert_string_equal(call(n, last, "version"), "2.0.0");
    assert_int_equal(ninesd_count(n, "event=upgrade_started", "child=others/x", NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_child_in_a_swapped_childs_number_is_upgraded_too, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_crash_in_a_reused_number_is_not_blamed_on_the_swap, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_release_step_leaves_a_new_child_in_a_listed_number_alone, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
