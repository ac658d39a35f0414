/* Unit tests of ninesctl's release commands against a scripted daemon
 * (ctl_fixture.h): the request each sends, what it prints for people and
 * with --json, on success and on each kind of failure, and its exit code.
 * The answers are those of doc/control-protocol.md, "Releases". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctl_fixture.h"

#define RUN_COLOR(...) run_colored(pair[0], pair[1], true, true, (const char *[]){"ninesctl", __VA_ARGS__, NULL})

static const char rel_old[] = "release=myapp version=1.0.0 status=old dir=/var/lib/nines/releases/myapp/1.0.0\n";
static const char rel_perm[] =
    "release=myapp version=1.1.0 status=permanent dir=/var/lib/nines/releases/myapp/1.1.0 running=yes\n";

static void test_list(void **state) {
    data(pair[1], rel_old);
    data(pair[1], rel_perm);
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "release", "list");
    expect_run(0, "release-list",
               "  NAME   VERSION  STATUS\n"
               "  myapp  1.0.0    old\n"
               "* myapp  1.1.0    permanent\n"
               "2 releases, * the one the tree runs\n");
    assert_string_equal(last.err, "");
}

/* Every release says whether it runs; versions stay strings. */
static void test_list_json(void **state) {
    data(pair[1], rel_old);
    data(pair[1], rel_perm);
    data(pair[1], "release=myapp version=2 status=unpacked dir=/r/myapp/2\n");
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "release", "list", "--json");
    assert_int_equal(last.code, 0);
    assert_string_equal(last.out,
                        "{\"ok\":true,\"status\":\"ok\",\"message\":\"\",\"releases\":["
                        "{\"release\":\"myapp\",\"version\":\"1.0.0\",\"status\":\"old\","
                        "\"dir\":\"/var/lib/nines/releases/myapp/1.0.0\",\"running\":false},"
                        "{\"release\":\"myapp\",\"version\":\"1.1.0\",\"status\":\"permanent\","
                        "\"dir\":\"/var/lib/nines/releases/myapp/1.1.0\",\"running\":true},"
                        "{\"release\":\"myapp\",\"version\":\"2\",\"status\":\"unpacked\",\"dir\":\"/r/myapp/2\","
                        "\"running\":false}]}\n");
    next_run();
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "release", "list", "--json");
    assert_string_equal(last.out, "{\"ok\":true,\"status\":\"ok\",\"message\":\"\",\"releases\":[]}\n");
}

static void test_list_without_releases(void **state) {
    static const char why[] = "ninesd runs a tree file, not releases (start it with --releases DIR)";
    end(pair[1], CTL_ST_REFUSED, why);
    RUN(false, "release", "list", "--json");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.out, "{\"ok\":false,\"status\":\"refused\",\"message\":\"ninesd runs a tree file, not "
                                  "releases (start it with --releases DIR)\"}\n");
    assert_string_equal(last.err, "ninesctl: release list: refused: ninesd runs a tree file, not releases "
                                  "(start it with --releases DIR)\n");
}

/* Phases on a terminal as they come; a pipe gets the result only. */
static void test_unpack(void **state) {
    data(pair[1], "phase=verify\n");
    data(pair[1], "phase=copy files=7\n");
    end(pair[1], CTL_ST_OK, "unpacked myapp 1.1.0 into /var/lib/nines/releases/myapp/1.1.0");
    RUN(true, "release", "unpack", "/srv/myapp-1.1.0.tar.gz");
    expect_run(0, "release-unpack|/srv/myapp-1.1.0.tar.gz",
               "  verify\n  copy files=7\n"
               "unpacked myapp 1.1.0 into /var/lib/nines/releases/myapp/1.1.0\n");
    next_run();
    data(pair[1], "phase=verify\n");
    end(pair[1], CTL_ST_OK, "unpacked myapp 1.1.0 into /r/myapp/1.1.0");
    RUN(false, "release", "unpack", "/srv/myapp-1.1.0.tar.gz");
    assert_string_equal(last.out, "unpacked myapp 1.1.0 into /r/myapp/1.1.0\n");
    next_run();
    data(pair[1], "phase=verify\n");
    end(pair[1], CTL_ST_OK, "unpacked myapp 1.1.0 into /r/myapp/1.1.0");
    RUN(true, "release", "unpack", "/srv/myapp-1.1.0.tar.gz", "--json");
    assert_string_equal(last.out, "{\"ok\":true,\"status\":\"ok\",\"message\":\"unpacked myapp 1.1.0 into "
                                  "/r/myapp/1.1.0\"}\n");
}

/* A release that does not verify: its problems one a line on stderr,
 * whole in the --json message. */
static void test_unpack_refused(void **state) {
    static const char why[] = "myapp-1.1.0.tar.gz does not verify:\nechoo.so: no such file\n"
                              "release.yaml: sha256 of kv.so differs";
    data(pair[1], "phase=verify\n");
    end(pair[1], CTL_ST_REFUSED, why);
    RUN(true, "release", "unpack", "/srv/myapp-1.1.0.tar.gz");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.out, "  verify\n");
    assert_string_equal(last.err, "ninesctl: release unpack /srv/myapp-1.1.0.tar.gz: refused: myapp-1.1.0.tar.gz "
                                  "does not verify:\n"
                                  "  echoo.so: no such file\n"
                                  "  release.yaml: sha256 of kv.so differs\n");
    next_run();
    end(pair[1], CTL_ST_FAILED, why);
    RUN(false, "release", "unpack", "/srv/myapp-1.1.0.tar.gz", "--json");
    assert_string_equal(last.out, "{\"ok\":false,\"status\":\"failed\",\"message\":\"myapp-1.1.0.tar.gz does not "
                                  "verify:\\nechoo.so: no such file\\nrelease.yaml: sha256 of kv.so differs\"}\n");
}

static void test_make_permanent_and_remove(void **state) {
    end(pair[1], CTL_ST_OK, "myapp 1.1.0 is permanent");
    RUN(false, "release", "make-permanent", "1.1.0");
    expect_run(0, "release-make-permanent|1.1.0", "myapp 1.1.0 is permanent\n");
    next_run();
    end(pair[1], CTL_ST_NOT_FOUND, "no release myapp 1.2.0");
    RUN(false, "release", "make-permanent", "1.2.0");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.err, "ninesctl: release make-permanent 1.2.0: not found: no release myapp 1.2.0\n");
    next_run();
    end(pair[1], CTL_ST_OK, "removed myapp 1.0.0");
    RUN(false, "release", "remove", "1.0.0");
    expect_run(0, "release-remove|1.0.0", "removed myapp 1.0.0\n");
    next_run();
    end(pair[1], CTL_ST_REFUSED, "myapp 1.1.0 is the release running now");
    RUN(false, "release", "remove", "1.1.0", "--json");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.out, "{\"ok\":false,\"status\":\"refused\",\"message\":\"myapp 1.1.0 is the release "
                                  "running now\"}\n");
    next_run();
    end(pair[1], CTL_ST_DENIED, "uid 1000 may only read");
    RUN(false, "release", "remove", "1.0.0");
    assert_int_equal(last.code, CTL_EXIT_DENIED);
}

static const char plan[] = "upgrade myapp 1.0.0 -> 1.1.0: 1 step\n"
                           "  1. echo: swap workers 1.0.0 -> 1.1.0 on /r/myapp/1.1.0/echo.so, code_change extra \"\"\n"
                           "     undo: swap workers 1.1.0 -> 1.0.0 on /r/myapp/1.0.0/echo.so, code_change extra \"\"\n";

/* The plan as the planner wrote it, and nothing else. */
static void test_dry_run(void **state) {
    data(pair[1], plan);
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "upgrade", "1.1.0", "--dry-run");
    expect_run(0, "release-install|1.1.0|up|dry-run", plan);
    assert_string_equal(last.err, "");
    /* On a terminal, a newline if the plan lacks one. */
    next_run();
    data(pair[1], "downgrade myapp 1.1.0 -> 1.0.0: 0 steps");
    end(pair[1], CTL_ST_OK, "");
    RUN(true, "downgrade", "1.0.0", "--dry-run");
    assert_string_equal(last.request, "release-install|1.0.0|down|dry-run");
    assert_string_equal(last.out, "downgrade myapp 1.1.0 -> 1.0.0: 0 steps\n");
}

/* The planner's object, inside ours as "plan". */
static void test_dry_run_json(void **state) {
    data(pair[1], "{\"direction\":\"up\",\"release\":\"myapp\",\"from\":\"1.0.0\",\"to\":\"1.1.0\",");
    data(pair[1], "\"steps\":[],\"notes\":[]}\n");
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "upgrade", "1.1.0", "--dry-run", "--json");
    expect_run(0, "release-install|1.1.0|up|dry-run|json",
               "{\"ok\":true,\"status\":\"ok\",\"message\":\"\",\"plan\":{\"direction\":\"up\","
               "\"release\":\"myapp\",\"from\":\"1.0.0\",\"to\":\"1.1.0\",\"steps\":[],"
               "\"notes\":[]}}\n");
    /* Text where an object was asked for would make ours invalid. */
    next_run();
    data(pair[1], plan);
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "upgrade", "1.1.0", "--dry-run", "--json");
    assert_int_equal(last.code, CTL_EXIT_PROTOCOL);
    assert_string_equal(last.out, "{\"ok\":false,\"status\":\"protocol\",\"message\":\"the plan from the daemon is "
                                  "not a JSON object\"}\n");
    next_run();
    end(pair[1], CTL_ST_NOT_FOUND, "no release myapp 1.2.0 (release unpack it first)");
    RUN(false, "upgrade", "1.2.0", "--dry-run", "--json");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.out, "{\"ok\":false,\"status\":\"not_found\",\"message\":\"no release myapp 1.2.0 "
                                  "(release unpack it first)\"}\n");
}

static const char step1[] = "phase=step n=1 of=2 kind=swap application=echo what=\"swap workers 1.0.0 -> 1.1.0\" "
                            "result=ok ms=2\n";
static const char step2_ok[] = "phase=step n=2 of=2 kind=restart application=kv what=\"restart workers\" result=ok "
                               "ms=9\n";
static const char step2_failed[] = "phase=step n=2 of=2 kind=restart application=kv what=\"restart workers\" "
                                   "result=failed reason=\"exit status 1\" ms=15\n";
static const char undo2[] = "phase=undo n=2 of=2 kind=restart application=kv what=\"restart workers back\" "
                            "result=ok ms=3\n";
static const char undo1[] = "phase=undo n=1 of=2 kind=swap application=echo what=\"swap workers back\" result=ok "
                            "ms=1\n";
static const char failed_msg[] = "step 2 of 2 (kv: restart workers) failed: exit status 1; 2 steps undone, myapp "
                                 "stays on 1.0.0";

/* Each step as it completes, on a pipe too, then the result. */
static void test_upgrade_steps(void **state) {
    data(pair[1], step1);
    /* A record split across two frames is still one record. */
    data(pair[1], "phase=step n=2 of=2 kind=restart ");
    data(pair[1], step2_ok + strlen("phase=step n=2 of=2 kind=restart "));
    end(pair[1], CTL_ST_OK, "upgraded myapp 1.0.0 -> 1.1.0: 2 steps in 12 ms");
    RUN(false, "upgrade", "1.1.0");
    expect_run(0, "release-install|1.1.0|up",
               "  1/2 echo: swap workers 1.0.0 -> 1.1.0 ... ok (2 ms)\n"
               "  2/2 kv: restart workers ... ok (9 ms)\n"
               "upgraded myapp 1.0.0 -> 1.1.0: 2 steps in 12 ms\n");
    assert_string_equal(last.err, "");
}

static void test_upgrade_fails_and_undoes(void **state) {
    data(pair[1], step1);
    data(pair[1], step2_failed);
    data(pair[1], undo2);
    data(pair[1], undo1);
    end(pair[1], CTL_ST_FAILED, failed_msg);
    RUN_COLOR("upgrade", "1.1.0");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.out, "  1/2 echo: swap workers 1.0.0 -> 1.1.0 ... \033[32mok\033[0m (2 ms)\n"
                                  "  2/2 kv: restart workers ... \033[31mfailed\033[0m (15 ms): exit status 1\n"
                                  "  undo 2/2 kv: restart workers back ... \033[32mok\033[0m (3 ms)\n"
                                  "  undo 1/2 echo: swap workers back ... \033[32mok\033[0m (1 ms)\n");
    assert_string_equal(last.err, "ninesctl: upgrade 1.1.0: failed: step 2 of 2 (kv: restart workers) failed: exit "
                                  "status 1; 2 steps undone, myapp stays on 1.0.0\n");
}

static void test_upgrade_json(void **state) {
    data(pair[1], step1);
    data(pair[1], step2_ok);
    end(pair[1], CTL_ST_OK, "upgraded myapp 1.0.0 -> 1.1.0: 2 steps in 12 ms");
    RUN(true, "upgrade", "1.1.0", "--json");
    assert_int_equal(last.code, 0);
    assert_string_equal(last.out,
                        "{\"ok\":true,\"status\":\"ok\",\"message\":\"upgraded myapp 1.0.0 -> 1.1.0: 2 steps in 12 "
                        "ms\",\"release\":\"myapp\",\"from\":\"1.0.0\",\"to\":\"1.1.0\",\"direction\":\"up\","
                        "\"result\":\"ok\",\"steps\":["
                        "{\"n\":1,\"of\":2,\"kind\":\"swap\",\"application\":\"echo\",\"what\":\"swap workers 1.0.0 "
                        "-> 1.1.0\",\"result\":\"ok\",\"ms\":2},"
                        "{\"n\":2,\"of\":2,\"kind\":\"restart\",\"application\":\"kv\",\"what\":\"restart workers\","
                        "\"result\":\"ok\",\"ms\":9}],\"undone\":[]}\n");
    assert_string_equal(last.err, "");
}

/* Failed, the object still says what ran and what was undone. */
static void test_upgrade_json_failed(void **state) {
    data(pair[1], step1);
    data(pair[1], step2_failed);
    data(pair[1], undo2);
    data(pair[1], undo1);
    end(pair[1], CTL_ST_FAILED, failed_msg);
    RUN(false, "downgrade", "1.0.0", "--json");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.request, "release-install|1.0.0|down");
    assert_string_equal(last.out,
                        "{\"ok\":false,\"status\":\"failed\",\"message\":\"step 2 of 2 (kv: restart workers) failed: "
                        "exit status 1; 2 steps undone, myapp stays on 1.0.0\",\"release\":\"myapp\","
                        "\"from\":\"1.0.0\",\"to\":\"1.0.0\",\"direction\":\"down\",\"result\":\"failed\",\"steps\":["
                        "{\"n\":1,\"of\":2,\"kind\":\"swap\",\"application\":\"echo\",\"what\":\"swap workers 1.0.0 "
                        "-> 1.1.0\",\"result\":\"ok\",\"ms\":2},"
                        "{\"n\":2,\"of\":2,\"kind\":\"restart\",\"application\":\"kv\",\"what\":\"restart workers\","
                        "\"result\":\"failed\",\"reason\":\"exit status 1\",\"ms\":15}],\"undone\":["
                        "{\"n\":2,\"of\":2,\"kind\":\"restart\",\"application\":\"kv\",\"what\":\"restart workers "
                        "back\",\"result\":\"ok\",\"ms\":3},"
                        "{\"n\":1,\"of\":2,\"kind\":\"swap\",\"application\":\"echo\",\"what\":\"swap workers back\","
                        "\"result\":\"ok\",\"ms\":1}]}\n");
    assert_string_equal(last.err, "ninesctl: downgrade 1.0.0: failed: step 2 of 2 (kv: restart workers) failed: exit "
                                  "status 1; 2 steps undone, myapp stays on 1.0.0\n");
}

/* Refused before any step: the same object, nothing run; the reason may
 * take several lines. */
static void test_upgrade_refused(void **state) {
    end(pair[1], CTL_ST_REFUSED, "no plan from 1.0.0 to 1.1.0:\nkv: no appup entry from 1.0.0");
    RUN(false, "upgrade", "1.1.0", "--json");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.out, "{\"ok\":false,\"status\":\"refused\",\"message\":\"no plan from 1.0.0 to "
                                  "1.1.0:\\nkv: no appup entry from 1.0.0\",\"release\":null,\"from\":null,"
                                  "\"to\":\"1.1.0\",\"direction\":\"up\",\"result\":\"failed\",\"steps\":[],"
                                  "\"undone\":[]}\n");
    assert_string_equal(last.err, "ninesctl: upgrade 1.1.0: refused: no plan from 1.0.0 to 1.1.0:\n"
                                  "  kv: no appup entry from 1.0.0\n");
    next_run();
    end(pair[1], CTL_ST_NOT_FOUND, "no release myapp 1.2.0");
    RUN(false, "upgrade", "1.2.0");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.out, "");
    assert_string_equal(last.err, "ninesctl: upgrade 1.2.0: not found: no release myapp 1.2.0\n");
}

/* What a newer daemon may add: a record of another phase is kept for the
 * names and not shown; keys are only ever added. */
static void test_upgrade_newer_daemon(void **state) {
    data(pair[1], "phase=begin release=shop from=1 to=2 steps=1\n");
    data(pair[1], "phase=step n=1 of=1 kind=swap application=echo what=swap result=ok ms=2 pause_us=80\n");
    end(pair[1], CTL_ST_OK, "done");
    RUN(false, "upgrade", "2", "--json");
    assert_int_equal(last.code, 0);
    assert_string_equal(last.out, "{\"ok\":true,\"status\":\"ok\",\"message\":\"done\",\"release\":\"shop\","
                                  "\"from\":\"1\",\"to\":\"2\",\"direction\":\"up\",\"result\":\"ok\",\"steps\":["
                                  "{\"n\":1,\"of\":1,\"kind\":\"swap\",\"application\":\"echo\",\"what\":\"swap\","
                                  "\"result\":\"ok\",\"ms\":2,\"pause_us\":80}],\"undone\":[]}\n");
    next_run();
    data(pair[1], "phase=begin release=shop from=1 to=2 steps=1\n");
    end(pair[1], CTL_ST_OK, "done");
    RUN(false, "upgrade", "2");
    assert_string_equal(last.out, "done\n");
}

static void test_upgrade_bad_record(void **state) {
    data(pair[1], step1);
    data(pair[1], "not a record\n");
    end(pair[1], CTL_ST_OK, "upgraded myapp 1.0.0 -> 1.1.0: 2 steps in 12 ms");
    RUN(false, "upgrade", "1.1.0");
    assert_int_equal(last.code, CTL_EXIT_PROTOCOL);
    assert_string_equal(last.out, "  1/2 echo: swap workers 1.0.0 -> 1.1.0 ... ok (2 ms)\n");
    assert_string_equal(last.err, "ninesctl: upgrade 1.1.0: protocol: bad data from the daemon: bad message\n");
}

/* The daemon goes away mid-upgrade: the steps seen are printed, and the
 * error says the answer did not end. */
static void test_upgrade_connection_lost(void **state) {
    data(pair[1], step1);
    shutdown(pair[1], SHUT_WR);
    RUN(false, "upgrade", "1.1.0");
    assert_int_equal(last.code, CTL_EXIT_PROTOCOL);
    assert_string_equal(last.out, "  1/2 echo: swap workers 1.0.0 -> 1.1.0 ... ok (2 ms)\n");
    assert_string_equal(last.err, "ninesctl: upgrade 1.1.0: protocol: the daemon closed the connection before its "
                                  "answer ended\n");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_list),
        T(test_list_json),
        T(test_list_without_releases),
        T(test_unpack),
        T(test_unpack_refused),
        T(test_make_permanent_and_remove),
        T(test_dry_run),
        T(test_dry_run_json),
        T(test_upgrade_steps),
        T(test_upgrade_fails_and_undoes),
        T(test_upgrade_json),
        T(test_upgrade_json_failed),
        T(test_upgrade_refused),
        T(test_upgrade_newer_daemon),
        T(test_upgrade_bad_record),
        T(test_upgrade_connection_lost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
