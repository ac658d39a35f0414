/* Unit tests of the control socket's default path (lib/ctl_path.c) and
 * of ninesctl's choice between --socket, $NINES_SOCKET and that default. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "ctl_path.h"

static void test_runtime_directory_first(void **state) {
    char buf[108];
    /* systemd's RuntimeDirectory= wins, for root and for others. */
    assert_int_equal(ctl_socket_path_from(buf, sizeof buf, "/run/nines", "/run/user/1000", 0), 0);
    assert_string_equal(buf, "/run/nines/control.sock");
    assert_int_equal(ctl_socket_path_from(buf, sizeof buf, "/run/myapp", "/run/user/1000", 1000), 0);
    assert_string_equal(buf, "/run/myapp/control.sock");
    /* Several folders: the first. */
    assert_int_equal(ctl_socket_path_from(buf, sizeof buf, "/run/a:/run/b", NULL, 1000), 0);
    assert_string_equal(buf, "/run/a/control.sock");
}

static void test_root(void **state) {
    char buf[108];
    assert_int_equal(ctl_socket_path_from(buf, sizeof buf, NULL, "/run/user/0", 0), 0);
    assert_string_equal(buf, "/run/nines/control.sock");
    assert_int_equal(ctl_socket_path_from(buf, sizeof buf, "", NULL, 0), 0);
    assert_string_equal(buf, "/run/nines/control.sock");
}

static void test_user(void **state) {
    char buf[108];
    assert_int_equal(ctl_socket_path_from(buf, sizeof buf, NULL, "/run/user/1000", 1000), 0);
    assert_string_equal(buf, "/run/user/1000/nines/control.sock");
    assert_int_equal(ctl_socket_path_from(buf, sizeof buf, NULL, NULL, 1000), 0);
    assert_string_equal(buf, "/tmp/nines-1000/control.sock");
    /* Empty counts as unset. */
    assert_int_equal(ctl_socket_path_from(buf, sizeof buf, "", "", 4242), 0);
    assert_string_equal(buf, "/tmp/nines-4242/control.sock");
}

static void test_too_long(void **state) {
    char buf[20];
    assert_int_equal(ctl_socket_path_from(buf, sizeof buf, NULL, "/run/user/1000", 1000), -ENAMETOOLONG);
    assert_string_equal(buf, ""); /* never a truncated path */
    char exact[sizeof "/run/nines/control.sock"];
    assert_int_equal(ctl_socket_path_from(exact, sizeof exact, NULL, NULL, 0), 0);
    assert_int_equal(ctl_socket_path_from(exact, sizeof exact - 1, NULL, NULL, 0), -ENAMETOOLONG);
}

/* The environment wrapper reads the same variables. */
static void test_from_environment(void **state) {
    char buf[108], want[108];
    setenv("RUNTIME_DIRECTORY", "/run/env-test", 1);
    assert_int_equal(ctl_default_socket_path(buf, sizeof buf), 0);
    assert_string_equal(buf, "/run/env-test/control.sock");
    unsetenv("RUNTIME_DIRECTORY");
    setenv("XDG_RUNTIME_DIR", "/run/user/77", 1);
    assert_int_equal(ctl_default_socket_path(buf, sizeof buf), 0);
    ctl_socket_path_from(want, sizeof want, NULL, "/run/user/77", getuid());
    assert_string_equal(buf, want);
}

static void test_client_choice(void **state) {
    char buf[108], def[108];
    assert_int_equal(ctl_choose_socket(buf, sizeof buf, "/opt.sock", "/env.sock"), 0);
    assert_string_equal(buf, "/opt.sock");
    assert_int_equal(ctl_choose_socket(buf, sizeof buf, NULL, "/env.sock"), 0);
    assert_string_equal(buf, "/env.sock");
    assert_int_equal(ctl_choose_socket(buf, sizeof buf, NULL, ""), 0);
    ctl_default_socket_path(def, sizeof def);
    assert_string_equal(buf, def);
    char small[8];
    assert_int_equal(ctl_choose_socket(small, sizeof small, "/much/too/long.sock", NULL), -ENAMETOOLONG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runtime_directory_first),
        cmocka_unit_test(test_root),
        cmocka_unit_test(test_user),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_from_environment),
        cmocka_unit_test(test_client_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
