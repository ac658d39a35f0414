/*
 * Integration: the release handler of the real ninesd (`--releases DIR`),
 * with releases built by the real nines-release from the example modules.
 *
 *   t 1.0.0   counter 1.0.0, echo 1.0.0 (a TCP server)
 *   t 1.1.0   counter 2.0.0, echo 2.0.0: code swaps both ways
 *   t 1.2.0   echo 2.0.0, then counter 3.0.0 whose code_change fails: the
 *             echo swap done first must be undone
 *   t 1.3.0   counter 4.0.0 whose code_change sleeps: ninesd is killed in
 *             the middle of the upgrade
 *   t 2.0.0   a child added, one removed, the root's strategy changed
 *
 * Each test checks through the control socket (release-list, status,
 * call) and with a real TCP client that what the handler says is what the
 * tree does: the counter keeps its value, connections stay open, a failed
 * upgrade leaves every worker on the version it ran.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"

#define WAIT_MS 10000

static struct answer a;

/* --- building releases ------------------------------------------------------------ */

struct app {
    const char *name, *version, *so; /* so: relative to the build folder */
};

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int r = system(cmd);
    if (r != 0)
        fail_msg("'%s' failed (%d)", cmd, r);
}

static const char tree_1[] = "supervisor:\n"
                             "  strategy: one_for_one\n"
                             "  intensity: 5\n"
                             "  children:\n"
                             "    - {id: counter, module: apps/counter.so, args: {start: 40}}\n"
                             "    - {id: echo, module: apps/echo.so, args: {port: 0}}\n";

/* Appup of `app` going to `version` from and back to 1.0.0 by code swaps. */
static void swap_appup(const char *dir, const char *app, const char *version, const char *extra) {
    char path[512], text[1024];
    snprintf(path, sizeof path, "%s/appups/%s.appup.yaml", dir, app);
    snprintf(text, sizeof text,
             "application: %s\nversion: %s\n"
             "up:\n  - from: 1.0.0\n    steps:\n      - code_change: {extra: \"%s\"}\n"
             "down:\n  - to: 1.0.0\n    steps:\n      - code_change: {}\n",
             app, version, extra);
    write_file(path, text);
}

/* The test's folder, made on first use (as harness_write_tree does). */
static void ensure_dir(struct ninesd *n) {
    if (!n->dir[0]) {
        snprintf(n->dir, sizeof n->dir, "/tmp/nines-test-XXXXXX");
        assert_non_null(mkdtemp(n->dir));
    }
}

/* The spec folder DIR/src-VERSION and the built tarball in DIR/out. */
static void build_release(struct ninesd *n, const char *version, const struct app *apps, size_t n_apps,
                          const char *tree, const char *const *appups, size_t n_appups) {
    char src[400], spec[8192] = "";
    ensure_dir(n);
    snprintf(src, sizeof src, "%s/src-%s", n->dir, version);
    sh("mkdir -p %s/apps %s/appups %s/out", src, src, n->dir);
    size_t len = (size_t)snprintf(spec, sizeof spec, "release: t\nversion: %s\ntree: tree.yaml\napplications:\n",
                                  version);
    for (size_t i = 0; i < n_apps; i++) {
        len += (size_t)snprintf(spec + len, sizeof spec - len, "  - {name: %s, version: %s, module: apps/%s.so}\n",
                                apps[i].name, apps[i].version, apps[i].name);
        sh("ln -sf %s/%s %s/apps/%s.so", NINES_BUILD_DIR, apps[i].so, src, apps[i].name);
    }
    len += (size_t)snprintf(spec + len, sizeof spec - len, "appups: [");
    for (size_t i = 0; i < n_appups; i++)
        len += (size_t)snprintf(spec + len, sizeof spec - len, "%sappups/%s.appup.yaml", i ? ", " : "", appups[i]);
    snprintf(spec + len, sizeof spec - len, "]\n");
    char path[512];
    snprintf(path, sizeof path, "%s/release.yaml", src);
    write_file(path, spec);
    snprintf(path, sizeof path, "%s/tree.yaml", src);
    write_file(path, tree);
    sh("%s build --no-verify %s/release.yaml %s/out >/dev/null", BUILD_PATH("nines-release"), src, n->dir);
}

static const struct app v1[] = {{"counter", "1.0.0", "examples/counter.so"}, {"echo", "1.0.0", "examples/echo.so"}};

static void build_1_0_0(struct ninesd *n) { build_release(n, "1.0.0", v1, 2, tree_1, NULL, 0); }

static void build_1_1_0(struct ninesd *n) {
    static const struct app apps[] = {{"counter", "2.0.0", "examples/counter-2.so"},
                                      {"echo", "2.0.0", "examples/echo-2.so"}};
    char src[400];
    ensure_dir(n);
    snprintf(src, sizeof src, "%s/src-1.1.0", n->dir);
    sh("mkdir -p %s/appups", src);
    swap_appup(src, "counter", "2.0.0", "");
    swap_appup(src, "echo", "2.0.0", "");
    static const char *const appups[] = {"counter", "echo"};
    build_release(n, "1.1.0", apps, 2, tree_1, appups, 2);
}

/* The releases folder DIR/releases with 1.0.0 in it, and ninesd on it. */
static char releases[400];

static void start_on(struct ninesd *n, const char *extra) {
    snprintf(releases, sizeof releases, "%s/releases", n->dir);
    ninesd_start(n, NULL, "--releases", releases, extra, NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=child_started", "child=echo", NULL));
}

static void first_boot(struct ninesd *n) {
    build_1_0_0(n);
    sh("mkdir -p %s/releases && cp %s/out/t-1.0.0.tar.gz %s/releases/", n->dir, n->dir, n->dir);
    start_on(n, NULL);
}

/* --- asking ------------------------------------------------------------------------ */

static void ask(struct ninesd *n, enum ctl_status want, const char *fragment, ...) {
    const char *argv[8];
    size_t k = 0;
    va_list ap;
    va_start(ap, fragment);
    for (const char *s; k < 7 && (s = va_arg(ap, const char *));)
        argv[k++] = s;
    va_end(ap);
    argv[k] = NULL;
    assert_int_equal(control_ask_once(n->socket, &a, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], NULL),
                     0);
    if (a.status != want || (fragment && !strstr(a.message, fragment) && !strstr(a.data, fragment)))
        fail_msg("%s %s: expected %s \"%s\", got %s \"%s\" data \"%s\"", argv[0], argv[1] ? argv[1] : "",
                 ctl_status_name(want), fragment ? fragment : "", ctl_status_name(a.status), a.message, a.data);
}

static void unpack(struct ninesd *n, const char *version) {
    char path[512];
    snprintf(path, sizeof path, "%s/out/t-%s.tar.gz", n->dir, version);
    ask(n, CTL_ST_OK, "unpacked t", "release-unpack", path, NULL);
}

/* release-list, as "VERSION:STATUS[*] ..." (* on the running one). */
static const char *listing(struct ninesd *n) {
    static char out[1024];
    ask(n, CTL_ST_OK, NULL, "release-list", NULL);
    out[0] = '\0';
    for (char *line = strtok(a.data, "\n"); line; line = strtok(NULL, "\n")) {
        char v[64], st[32], run[8] = "";
        assert_true(logfmt_field(line, "version", v, sizeof v));
        assert_true(logfmt_field(line, "status", st, sizeof st));
        logfmt_field(line, "running", run, sizeof run);
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s:%s%s", out[0] ? " " : "", v, st,
                 run[0] ? "*" : "");
    }
    return out;
}

static const char *call(struct ninesd *n, const char *path, const char *request) {
    assert_int_equal(control_ask_once(n->socket, &a, "call", path, request, NULL), 0);
    if (a.status != CTL_ST_OK)
        fail_msg("call %s %s: %s %s", path, request, ctl_status_name(a.status), a.message);
    return a.data;
}

static void version_is(struct ninesd *n, const char *path, const char *version) {
    char v[64];
    assert_int_equal(control_ask_once(n->socket, &a, "status", path, NULL), 0);
    assert_true(status_field(&a, path, "version", v, sizeof v));
    assert_string_equal(v, version);
}

/* --- a TCP client of echo ---------------------------------------------------------- */

static int connect_echo(struct ninesd *n) {
    int port = atoi(call(n, "echo", "port"));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static const char *exchange(int fd, const char *line) {
    static char reply[256];
    size_t len = strlen(line), got = 0;
    assert_int_equal(write(fd, line, len), (ssize_t)len);
    while (got < sizeof reply - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, WAIT_MS), 1);
        assert_int_equal(read(fd, reply + got, 1), 1);
        if (reply[got++] == '\n')
            break;
    }
    reply[got] = '\0';
    return reply;
}

/* --- the life cycle ---------------------------------------------------------------- */

/* The first boot makes the only release there permanent. */
static void the_first_boot_makes_the_only_release_permanent(void **state) {
    struct ninesd *n = *state;
    first_boot(n);
    assert_string_equal(listing(n), "1.0.0:permanent*");
    char path[512];
    snprintf(path, sizeof path, "%s/t/1.0.0/apps/counter.so", releases);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/t-1.0.0.tar.gz", releases);
    assert_int_equal(access(path, F_OK), -1); /* the arrival, unpacked, is gone */
    version_is(n, "counter", "1.0.0");
}

/* unpack, dry-run, upgrade, make-permanent, downgrade, remove: each
 * status as Erlang's release_handler gives it, the counter's value and an
 * open TCP connection kept across both ways. */
static void unpack_upgrade_permanent_downgrade_remove(void **state) {
    struct ninesd *n = *state;
    first_boot(n);
    build_1_1_0(n);
    unpack(n, "1.1.0");
    assert_string_equal(listing(n), "1.0.0:permanent* 1.1.0:unpacked");
    ask(n, CTL_ST_OK, "upgrade t 1.0.0 -> 1.1.0: 2 steps", "release-install", "1.1.0", "up", "dry-run", NULL);
    assert_non_null(strstr(a.data, "counter: swap workers 1.0.0 -> 2.0.0"));
    ask(n, CTL_ST_OK, "\"steps\":[", "release-install", "1.1.0", "up", "dry-run", "json", NULL);
    version_is(n, "counter", "1.0.0"); /* a dry run changes nothing */

    call(n, "counter", "add 2");
    int fd = connect_echo(n);
    assert_string_equal(exchange(fd, "one\n"), "one\n");
    ask(n, CTL_ST_OK, "upgraded t 1.0.0 -> 1.1.0: 2 steps", "release-install", "1.1.0", "up", NULL);
    assert_non_null(strstr(a.data, "phase=step n=1 of=2 kind=swap application=counter"));
    assert_non_null(strstr(a.data, "result=ok"));
    assert_null(strstr(a.data, "result=failed"));
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=release_upgrade_done", "to=1.1.0", NULL));
    version_is(n, "counter", "2.0.0");
    version_is(n, "echo", "2.0.0");
    assert_string_equal(call(n, "counter", "get"), "42");
    const char *two = exchange(fd, "two\n"); /* the same connection, echo 2's format: "[N] two" */
    assert_true(two[0] == '[' && strstr(two, "] two\n"));
    assert_string_equal(listing(n), "1.0.0:permanent 1.1.0:current*");

    ask(n, CTL_ST_REFUSED, "running", "release-remove", "1.1.0", NULL);
    ask(n, CTL_ST_REFUSED, NULL, "release-make-permanent", "1.0.0", NULL);
    ask(n, CTL_ST_OK, "t 1.1.0 is permanent", "release-make-permanent", "1.1.0", NULL);
    assert_string_equal(listing(n), "1.0.0:old 1.1.0:permanent*");

    ask(n, CTL_ST_OK, "downgraded t 1.1.0 -> 1.0.0", "release-install", "1.0.0", "down", NULL);
    version_is(n, "counter", "1.0.0");
    version_is(n, "echo", "1.0.0");
    assert_string_equal(call(n, "counter", "get"), "42");
    assert_string_equal(exchange(fd, "three\n"), "three\n");
    assert_string_equal(listing(n), "1.0.0:current* 1.1.0:permanent");
    ask(n, CTL_ST_OK, "1.0.0 is permanent", "release-make-permanent", "1.0.0", NULL);
    ask(n, CTL_ST_OK, "removed t 1.1.0", "release-remove", "1.1.0", NULL);
    assert_string_equal(listing(n), "1.0.0:permanent*");
    char path[512];
    snprintf(path, sizeof path, "%s/t/1.1.0", releases);
    assert_int_equal(access(path, F_OK), -1);
    close(fd);
}

/* A restart of a worker after the upgrade runs the release's module. */
static void a_crash_after_the_upgrade_restarts_on_the_new_release(void **state) {
    struct ninesd *n = *state;
    first_boot(n);
    build_1_1_0(n);
    unpack(n, "1.1.0");
    ask(n, CTL_ST_OK, "upgraded", "release-install", "1.1.0", "up", NULL);
    char p[32];
    assert_int_equal(control_ask_once(n->socket, &a, "status", "counter", NULL), 0);
    assert_true(status_field(&a, "counter", "pid", p, sizeof p));
    pid_t pid = atoi(p);
    sleep(1); /* past the live upgrade's rollback window: this is a plain crash */
    kill(pid, SIGKILL);
    assert_true(ninesd_wait_started(n, "counter", WAIT_MS) > 0);
    version_is(n, "counter", "2.0.0");
}

/* Children started after the upgrade run the release's module too: a
 * dynamic supervisor's template names the old release's path, and its
 * child started after the swap must be counter 2.0.0. */
static void a_child_started_after_the_upgrade_runs_the_new_release(void **state) {
    struct ninesd *n = *state;
    static const char tree_pool[] = "supervisor:\n"
                                    "  children:\n"
                                    "    - id: pool\n"
                                    "      supervisor:\n"
                                    "        strategy: dynamic\n"
                                    "        child: {id: c, module: apps/counter.so}\n";
    static const struct app apps_2[] = {{"counter", "2.0.0", "examples/counter-2.so"}};
    build_release(n, "1.0.0", v1, 1, tree_pool, NULL, 0);
    char src[400];
    snprintf(src, sizeof src, "%s/src-1.1.0", n->dir);
    sh("mkdir -p %s/appups", src);
    swap_appup(src, "counter", "2.0.0", "");
    static const char *const appups[] = {"counter"};
    build_release(n, "1.1.0", apps_2, 1, tree_pool, appups, 1);
    sh("mkdir -p %s/releases && cp %s/out/t-1.0.0.tar.gz %s/releases/", n->dir, n->dir, n->dir);
    snprintf(releases, sizeof releases, "%s/releases", n->dir);
    ninesd_start(n, NULL, "--releases", releases, NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
    ask(n, CTL_ST_OK, NULL, "start-child", "pool", NULL);
    unpack(n, "1.1.0");
    ask(n, CTL_ST_OK, "upgraded t 1.0.0 -> 1.1.0: 1 step", "release-install", "1.1.0", "up", NULL);
    version_is(n, "pool/c-1", "2.0.0"); /* swapped live */
    ask(n, CTL_ST_OK, NULL, "start-child", "pool", NULL);
    version_is(n, "pool/c-2", "2.0.0"); /* started from the template, on the new module */
}

/* ninesd restarted before make-permanent boots the permanent release. */
static void a_restart_before_make_permanent_boots_the_permanent(void **state) {
    struct ninesd *n = *state;
    first_boot(n);
    build_1_1_0(n);
    unpack(n, "1.1.0");
    ask(n, CTL_ST_OK, "upgraded", "release-install", "1.1.0", "up", NULL);
    ninesd_stop(n);
    start_on(n, NULL);
    version_is(n, "counter", "1.0.0");
    assert_string_equal(listing(n), "1.0.0:permanent* 1.1.0:unpacked");
}

/* --- faults --------------------------------------------------------------------------- */

/* The second application's code_change fails: the first one's swap is
 * undone, every worker is on 1.0.0 with its state. */
static void a_failing_second_swap_undoes_the_first(void **state) {
    struct ninesd *n = *state;
    first_boot(n);
    static const struct app apps[] = {{"echo", "2.0.0", "examples/echo-2.so"},
                                      {"counter", "3.0.0", "tests/apps/counter_cc_error.so"}};
    char src[400];
    snprintf(src, sizeof src, "%s/src-1.2.0", n->dir);
    sh("mkdir -p %s/appups", src);
    swap_appup(src, "echo", "2.0.0", "");
    swap_appup(src, "counter", "3.0.0", "");
    static const char *const appups[] = {"echo", "counter"};
    build_release(n, "1.2.0", apps, 2, tree_1, appups, 2);
    unpack(n, "1.2.0");
    call(n, "counter", "add 5");
    int fd = connect_echo(n);
    ask(n, CTL_ST_FAILED, "step 2 of 2 (counter: swap workers 1.0.0 -> 3.0.0", "release-install", "1.2.0", "up",
        NULL);
    if (!strstr(a.message, "1 step undone, t stays on 1.0.0"))
        fail_msg("message: %s", a.message);
    assert_non_null(strstr(a.data, "phase=step n=1 of=2 kind=swap application=echo"));
    assert_non_null(strstr(a.data, "phase=undo n=1 of=2 kind=swap application=echo"));
    /* the failed swap had moved no worker: no undo of it is reported (the
     * count above matches the undo records) */
    assert_null(strstr(a.data, "phase=undo n=2"));
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=release_upgrade_failed", NULL));
    version_is(n, "echo", "1.0.0");
    version_is(n, "counter", "1.0.0");
    assert_string_equal(call(n, "counter", "get"), "45");
    assert_string_equal(exchange(fd, "still\n"), "still\n"); /* echo 1's format, same connection */
    assert_string_equal(listing(n), "1.0.0:permanent* 1.2.0:unpacked");
    close(fd);
}

/* The rollback rule in a release (issue 10): the first step's worker takes
 * input on its new code and crashes 200 ms later, while the second step
 * still runs: an ordinary crash of the new release, so the install fails
 * and both steps are undone, for the worker that did not crash too. */
static void a_crash_after_a_swap_undoes_the_release_in_progress(void **state) {
    struct ninesd *n = *state;
    static const char tree[] = "supervisor:\n  intensity: 5\n  children:\n"
                               "    - {id: kv, module: apps/kvlite.so}\n"
                               "    - {id: slow, module: apps/kvslow.so}\n";
    static const struct app one[] = {{"kvlite", "1.0.0", "tests/apps/kvlite.so"},
                                     {"kvslow", "1.0.0", "tests/apps/kvslow.so"}};
    static const struct app two[] = {{"kvlite", "2.0.0", "tests/apps/kvlite_crash_200ms.so"},
                                     {"kvslow", "2.0.0", "tests/apps/kvslow_2.so"}};
    build_release(n, "1.0.0", one, 2, tree, NULL, 0);
    sh("mkdir -p %s/releases && cp %s/out/t-1.0.0.tar.gz %s/releases/", n->dir, n->dir, n->dir);
    snprintf(releases, sizeof releases, "%s/releases", n->dir);
    ninesd_start(n, NULL, "--releases", releases, NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=child_started", "child=slow", NULL));
    char src[400];
    snprintf(src, sizeof src, "%s/src-1.1.0", n->dir);
    sh("mkdir -p %s/appups", src);
    swap_appup(src, "kvlite", "2.0.0", "");
    swap_appup(src, "kvslow", "2.0.0", "");
    static const char *const appups[] = {"kvlite", "kvslow"};
    build_release(n, "1.1.0", two, 2, tree, appups, 2);
    unpack(n, "1.1.0");
    ask(n, CTL_ST_FAILED, "kv crashed after its swap", "release-install", "1.1.0", "up", NULL);
    if (!strstr(a.message, "t stays on 1.0.0"))
        fail_msg("message: %s", a.message);
    assert_non_null(strstr(a.data, "phase=undo n=2 of=2 kind=swap application=kvslow"));
    assert_non_null(strstr(a.data, "phase=undo n=1 of=2 kind=swap application=kvlite"));
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_crashed_after_swap", "child=kv ", NULL));
    version_is(n, "slow", "1.0.0");
    version_is(n, "kv", "1.0.0");
    assert_string_equal(listing(n), "1.0.0:permanent* 1.1.0:unpacked");
}

/* A step fails half-way: of three counters swapped together, the one
 * whose value is 13 refuses; the two that had swapped are sent back, and
 * every counter is on 1.0.0 with its value. */
static void a_step_that_fails_half_way_sends_back_the_workers_it_moved(void **state) {
    struct ninesd *n = *state;
    static const char tree_3[] = "supervisor:\n"
                                 "  children:\n"
                                 "    - {id: c1, module: apps/counter.so, args: {start: 1}}\n"
                                 "    - {id: c2, module: apps/counter.so, args: {start: 13}}\n"
                                 "    - {id: c3, module: apps/counter.so, args: {start: 3}}\n";
    static const struct app v1_only[] = {{"counter", "1.0.0", "examples/counter.so"}};
    build_release(n, "1.0.0", v1_only, 1, tree_3, NULL, 0);
    sh("mkdir -p %s/releases && cp %s/out/t-1.0.0.tar.gz %s/releases/", n->dir, n->dir, n->dir);
    snprintf(releases, sizeof releases, "%s/releases", n->dir);
    ninesd_start(n, NULL, "--releases", releases, NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=child_started", "child=c3", NULL));
    static const struct app picky[] = {{"counter", "5.0.0", "tests/apps/counter_cc_picky.so"}};
    char src[400];
    snprintf(src, sizeof src, "%s/src-1.5.0", n->dir);
    sh("mkdir -p %s/appups", src);
    swap_appup(src, "counter", "5.0.0", "");
    static const char *const appups[] = {"counter"};
    build_release(n, "1.5.0", picky, 1, tree_3, appups, 1);
    unpack(n, "1.5.0");
    ask(n, CTL_ST_FAILED, "c2 stays on 1.0.0: code_change", "release-install", "1.5.0", "up", NULL);
    if (!strstr(a.message, "its 2 workers that had moved and 0 earlier steps undone, t stays on 1.0.0"))
        fail_msg("message: %s", a.message);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=release_upgrade_failed", NULL));
    assert_int_equal(ninesd_count(n, "event=upgrade_done", "to=5.0.0", NULL), 2);
    assert_int_equal(ninesd_count(n, "event=upgrade_done", "to=1.0.0", NULL), 2);
    const char *paths[] = {"c1", "c2", "c3"}, *values[] = {"1", "13", "3"};
    for (int i = 0; i < 3; i++) {
        version_is(n, paths[i], "1.0.0");
        assert_string_equal(call(n, paths[i], "get"), values[i]);
    }
}

/* An appup that restarts instead of swapping: each worker of the
 * application is terminated and started on the new module, one after the
 * other (new pids, the state of a fresh init), and back down. */
static void a_restart_step_restarts_each_worker_on_the_other_module(void **state) {
    struct ninesd *n = *state;
    first_boot(n);
    pid_t before;
    char p[32];
    assert_int_equal(control_ask_once(n->socket, &a, "status", "counter", NULL), 0);
    assert_true(status_field(&a, "counter", "pid", p, sizeof p));
    before = atoi(p);
    call(n, "counter", "add 5");
    static const struct app apps[] = {{"counter", "2.0.0", "examples/counter-2.so"},
                                      {"echo", "1.0.0", "examples/echo.so"}};
    char src[400], path[512];
    snprintf(src, sizeof src, "%s/src-1.6.0", n->dir);
    sh("mkdir -p %s/appups", src);
    snprintf(path, sizeof path, "%s/appups/counter.appup.yaml", src);
    write_file(path, "application: counter\nversion: 2.0.0\n"
                     "up: [{from: 1.0.0, steps: [restart: {}]}]\n"
                     "down: [{to: 1.0.0, steps: [restart: {}]}]\n");
    static const char *const appups[] = {"counter"};
    build_release(n, "1.6.0", apps, 2, tree_1, appups, 1);
    unpack(n, "1.6.0");
    ask(n, CTL_ST_OK, "upgraded t 1.0.0 -> 1.6.0: 1 step", "release-install", "1.6.0", "up", NULL);
    assert_non_null(strstr(a.data, "kind=restart application=counter"));
    version_is(n, "counter", "2.0.0");
    assert_string_equal(call(n, "counter", "get"), "40"); /* a fresh init: args start: 40 */
    assert_int_equal(control_ask_once(n->socket, &a, "status", "counter", NULL), 0);
    assert_true(status_field(&a, "counter", "pid", p, sizeof p));
    assert_int_not_equal(atoi(p), before);
    assert_false(process_alive(before));
    version_is(n, "echo", "1.0.0"); /* not its application: untouched */
    ask(n, CTL_ST_OK, "downgraded t 1.6.0 -> 1.0.0: 1 step", "release-install", "1.0.0", "down", NULL);
    version_is(n, "counter", "1.0.0");
}

/* ninesd killed in the middle of an upgrade comes back on the permanent
 * release; the state file is the one before the upgrade. */
static void ninesd_killed_mid_upgrade_comes_back_on_the_permanent(void **state) {
    struct ninesd *n = *state;
    first_boot(n);
    static const struct app apps[] = {{"counter", "4.0.0", "tests/apps/counter_slow_cc.so"},
                                      {"echo", "1.0.0", "examples/echo.so"}};
    char src[400], state_file[512], before[4096], after[4096];
    snprintf(src, sizeof src, "%s/src-1.3.0", n->dir);
    sh("mkdir -p %s/appups", src);
    swap_appup(src, "counter", "4.0.0", "5000");
    static const char *const appups[] = {"counter"};
    build_release(n, "1.3.0", apps, 2, tree_1, appups, 1);
    unpack(n, "1.3.0");
    snprintf(state_file, sizeof state_file, "%s/state.yaml", releases);
    FILE *f = fopen(state_file, "r");
    before[fread(before, 1, sizeof before - 1, f)] = '\0';
    fclose(f);
    int fd = control_connect(n->socket);
    assert_true(fd >= 0);
    uint8_t buf[256];
    const char *argv[] = {"release-install", "1.3.0", "up"};
    int len = ctl_argv_encode(buf, sizeof buf, 3, argv);
    assert_int_equal(ctl_send(fd, CTL_REQUEST, CTL_ST_OK, buf, (size_t)len), 0);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=upgrade_started", "child=counter", NULL));
    kill(n->pid, SIGKILL);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    close(fd);
    f = fopen(state_file, "r");
    after[fread(after, 1, sizeof after - 1, f)] = '\0';
    fclose(f);
    assert_string_equal(after, before);
    start_on(n, NULL);
    version_is(n, "counter", "1.0.0");
    assert_string_equal(listing(n), "1.0.0:permanent* 1.3.0:unpacked");
}

/* A release whose .so was changed after it was built is refused at unpack
 * and nothing of it is kept. */
static void a_checksum_mismatch_is_refused_at_unpack(void **state) {
    struct ninesd *n = *state;
    first_boot(n);
    build_1_1_0(n);
    sh("cd %s/out && rm -f t-1.1.0.tar.gz && echo x >> t-1.1.0/apps/echo.so && tar -czf t-1.1.0.tar.gz t-1.1.0",
       n->dir);
    char path[512];
    snprintf(path, sizeof path, "%s/out/t-1.1.0.tar.gz", n->dir);
    ask(n, CTL_ST_FAILED, "checksum mismatch", "release-unpack", path, NULL);
    assert_string_equal(listing(n), "1.0.0:permanent*");
    snprintf(path, sizeof path, "%s/t/1.1.0", releases);
    assert_int_equal(access(path, F_OK), -1);
}

/* ninesd's --tarball-limits reach the nines-release it runs: a release
 * of more members than allowed is refused at unpack, naming the limit. */
static void a_tarball_beyond_the_limits_is_refused_at_unpack(void **state) {
    struct ninesd *n = *state;
    first_boot(n); /* 1.0.0 unpacked within the default limits */
    ninesd_stop(n);
    start_on(n, "--tarball-limits=members=4");
    build_1_1_0(n);
    char path[512];
    snprintf(path, sizeof path, "%s/out/t-1.1.0.tar.gz", n->dir);
    ask(n, CTL_ST_FAILED, "the tarball holds more than 4 members (a limit: raise it with --tarball-limits members=N)",
        "release-unpack", path, NULL);
    assert_string_equal(listing(n), "1.0.0:permanent*");
}

/* A release whose module the worker host refuses is refused at unpack. */
static void a_module_that_does_not_load_is_refused_at_unpack(void **state) {
    struct ninesd *n = *state;
    first_boot(n);
    static const struct app apps[] = {{"counter", "1.0.0", "tests/apps/bad_abi.so"},
                                      {"echo", "1.0.0", "examples/echo.so"}};
    build_release(n, "1.4.0", apps, 2, tree_1, NULL, 0);
    char path[512];
    snprintf(path, sizeof path, "%s/out/t-1.4.0.tar.gz", n->dir);
    ask(n, CTL_ST_FAILED, "ABI version", "release-unpack", path, NULL);
    assert_string_equal(listing(n), "1.0.0:permanent*");
}

/* A tarball written in two halves into the watched folder: the first
 * half is not a release (it fails and is not listed), the whole one is. */
static void a_half_copied_release_is_not_picked_up(void **state) {
    struct ninesd *n = *state;
    first_boot(n);
    build_1_1_0(n);
    char tarball[512], dest[512];
    snprintf(tarball, sizeof tarball, "%s/out/t-1.1.0.tar.gz", n->dir);
    snprintf(dest, sizeof dest, "%s/t-1.1.0.tar.gz", releases);
    struct stat st;
    assert_int_equal(stat(tarball, &st), 0);
    sh("head -c %lld %s > %s", (long long)st.st_size / 2, tarball, dest);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=release_unpack_failed", NULL));
    assert_string_equal(listing(n), "1.0.0:permanent*");
    sh("cat %s > %s", tarball, dest); /* the copy completes */
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=release_unpacked", "version=1.1.0", NULL));
    assert_string_equal(listing(n), "1.0.0:permanent* 1.1.0:unpacked");
    assert_int_equal(access(dest, F_OK), -1); /* unpacked: the arrival is gone */
    /* so a release removed does not come back at the next start */
    ask(n, CTL_ST_OK, "removed t 1.1.0", "release-remove", "1.1.0", NULL);
    ninesd_stop(n);
    start_on(n, NULL);
    assert_string_equal(listing(n), "1.0.0:permanent*");
}

/* With --auto-upgrade a release that arrives is installed. */
static void auto_upgrade_installs_an_arrival(void **state) {
    struct ninesd *n = *state;
    build_1_0_0(n);
    build_1_1_0(n);
    sh("mkdir -p %s/releases && cp %s/out/t-1.0.0.tar.gz %s/releases/", n->dir, n->dir, n->dir);
    start_on(n, "--auto-upgrade");
    call(n, "counter", "incr");
    sh("cp %s/out/t-1.1.0.tar.gz %s/releases/.t-1.1.0.part && mv %s/releases/.t-1.1.0.part %s/releases/t-1.1.0.tar.gz",
       n->dir, n->dir, n->dir, n->dir);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=release_upgrade_done", "to=1.1.0", NULL));
    version_is(n, "counter", "2.0.0");
    assert_string_equal(call(n, "counter", "get"), "41");
    assert_string_equal(listing(n), "1.0.0:permanent 1.1.0:current*");
}

/* --- the tree changes ---------------------------------------------------------------- */

static const char tree_2[] = "supervisor:\n"
                             "  strategy: rest_for_one\n"
                             "  intensity: 5\n"
                             "  children:\n"
                             "    - {id: counter, module: apps/counter.so, args: {start: 99}}\n"
                             "    - {id: kv, module: apps/kv.so}\n";

/* 2.0.0: echo removed, kv added, the root's strategy changed, counter's
 * spec changed; carried by counter's appup (2.0.0 changes counter). And
 * back down. */
static void children_and_flags_change_and_come_back(void **state) {
    struct ninesd *n = *state;
    first_boot(n);
    /* echo stays an application of 2.0.0, not run by its tree: its .so
     * is what the way down starts again. */
    static const struct app apps[] = {{"counter", "2.0.0", "examples/counter-2.so"},
                                      {"echo", "1.0.0", "examples/echo.so"},
                                      {"kv", "1.0.0", "examples/kv.so"}};
    char src[400], path[512];
    snprintf(src, sizeof src, "%s/src-2.0.0", n->dir);
    sh("mkdir -p %s/appups", src);
    snprintf(path, sizeof path, "%s/appups/counter.appup.yaml", src);
    write_file(path, "application: counter\nversion: 2.0.0\n"
                     "up:\n  - from: 1.0.0\n    steps:\n"
                     "      - code_change: {}\n"
                     "      - remove_child: {supervisor: /, id: echo}\n"
                     "      - add_child: {supervisor: /, child: {id: kv, module: ../apps/kv.so}}\n"
                     "      - supervisor_flags: {supervisor: /, strategy: rest_for_one}\n"
                     "      - change_child: {supervisor: /, id: counter,\n"
                     "                       child: {id: counter, module: ../apps/counter.so, args: {start: 99}}}\n"
                     "down:\n  - to: 1.0.0\n    steps:\n"
                     "      - change_child: {supervisor: /, id: counter,\n"
                     "                       child: {id: counter, module: ../apps/counter.so, args: {start: 40}}}\n"
                     "      - supervisor_flags: {supervisor: /, strategy: one_for_one}\n"
                     "      - remove_child: {supervisor: /, id: kv}\n"
                     "      - add_child: {supervisor: /, child: {id: echo, module: ../apps/echo.so, args: {port: 0}}}\n"
                     "      - code_change: {}\n");
    static const char *const appups[] = {"counter"};
    build_release(n, "2.0.0", apps, 3, tree_2, appups, 1);
    unpack(n, "2.0.0");
    ask(n, CTL_ST_OK, "upgraded t 1.0.0 -> 2.0.0: 5 steps", "release-install", "2.0.0", "up", NULL);
    assert_string_equal(call(n, "counter", "get"), "99"); /* changed: started again with the new args */
    version_is(n, "counter", "2.0.0");
    char v[64];
    assert_int_equal(control_ask_once(n->socket, &a, "status", NULL), 0);
    assert_true(status_field(&a, "/", "strategy", v, sizeof v));
    assert_string_equal(v, "rest_for_one");
    assert_false(status_field(&a, "echo", "state", v, sizeof v));
    assert_true(status_field(&a, "kv", "state", v, sizeof v));
    assert_string_equal(v, "running");
    ask(n, CTL_ST_OK, "downgraded t 2.0.0 -> 1.0.0: 5 steps", "release-install", "1.0.0", "down", NULL);
    assert_string_equal(call(n, "counter", "get"), "40");
    assert_int_equal(control_ask_once(n->socket, &a, "status", NULL), 0);
    assert_true(status_field(&a, "/", "strategy", v, sizeof v));
    assert_string_equal(v, "one_for_one");
    assert_false(status_field(&a, "kv", "state", v, sizeof v));
    assert_true(status_field(&a, "echo", "state", v, sizeof v));
    version_is(n, "counter", "1.0.0");
}

/* What the handler refuses, and a ninesd without --releases. */
static void refusals(void **state) {
    struct ninesd *n = *state;
    first_boot(n);
    ask(n, CTL_ST_NOT_FOUND, "no release 9.9.9", "release-install", "9.9.9", "up", NULL);
    ask(n, CTL_ST_REFUSED, "is the release running now", "release-install", "1.0.0", "up", NULL);
    ask(n, CTL_ST_BAD_REQUEST, "expected 'up' or 'down'", "release-install", "1.0.0", "sideways", NULL);
    ask(n, CTL_ST_BAD_REQUEST, "must be absolute", "release-unpack", "t-1.1.0.tar.gz", NULL);
    ask(n, CTL_ST_NOT_FOUND, NULL, "release-remove", "9.9.9", NULL);
    ninesd_stop(n);
    ninesd_start(n, harness_write_tree(n, "supervisor:\n  children:\n"
                                          "    - {id: counter, module: @BUILD@/examples/counter.so}\n"), NULL);
    assert_true(ninesd_wait_started(n, "counter", WAIT_MS) > 0);
    ask(n, CTL_ST_REFUSED, "start it with --releases DIR", "release-list", NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_first_boot_makes_the_only_release_permanent, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(unpack_upgrade_permanent_downgrade_remove, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_crash_after_the_upgrade_restarts_on_the_new_release, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_child_started_after_the_upgrade_runs_the_new_release, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_restart_before_make_permanent_boots_the_permanent, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_failing_second_swap_undoes_the_first, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_crash_after_a_swap_undoes_the_release_in_progress, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_step_that_fails_half_way_sends_back_the_workers_it_moved, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_restart_step_restarts_each_worker_on_the_other_module, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(ninesd_killed_mid_upgrade_comes_back_on_the_permanent, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_checksum_mismatch_is_refused_at_unpack, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_tarball_beyond_the_limits_is_refused_at_unpack, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_module_that_does_not_load_is_refused_at_unpack, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_half_copied_release_is_not_picked_up, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(auto_upgrade_installs_an_arrival, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(children_and_flags_change_and_come_back, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(refusals, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
