/* Unit tests of the tarball limits (lib/tarball_limits.c): the flag read
 * and written back, and the verdict on each member: the paths that stay
 * inside, the ones that do not, the kinds refused, and both caps exactly
 * at their edge, each refusal naming the member and the limit. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "tarball_limits.h"

static const struct tarball_limits small = {.size = 100, .members = 3};

static int check(struct tarball_count *c, const char *name, enum tarball_kind kind, int64_t size, char *why) {
    return tarball_member_check(&small, c, name, kind, size, why, 512);
}

static void test_parse_and_format(void **state) {
    struct tarball_limits l = TARBALL_LIMITS_DEFAULT;
    char why[256], text[128];
    assert_int_equal(l.size, 1ull << 30);
    assert_int_equal(l.members, 10000);
    assert_int_equal(tarball_limits_parse(&l, "size=64M,members=5", why, sizeof why), 0);
    assert_int_equal(l.size, 64u << 20);
    assert_int_equal(l.members, 5);
    tarball_limits_format(&l, text, sizeof text);
    assert_string_equal(text, "size=67108864,members=5");
    struct tarball_limits back = TARBALL_LIMITS_DEFAULT;
    assert_int_equal(tarball_limits_parse(&back, text, why, sizeof why), 0);
    assert_memory_equal(&back, &l, sizeof l);
}

static void test_parse_errors_change_nothing(void **state) {
    struct tarball_limits l = TARBALL_LIMITS_DEFAULT;
    char why[256];
    assert_int_equal(tarball_limits_parse(&l, "size=2M,files=3", why, sizeof why), -EINVAL);
    assert_string_equal(why, "'files=3': expected NAME=N, NAME one of size, members");
    assert_int_equal(tarball_limits_parse(&l, "members=0", why, sizeof why), -EINVAL);
    assert_string_equal(why, "'members=0': the value must be a positive integer");
    assert_int_equal(tarball_limits_parse(&l, "size=1T", why, sizeof why), -EINVAL);
    assert_string_equal(why, "'size=1T': the value must be a positive integer (with K, M or G for 1024s)");
    assert_int_equal(tarball_limits_parse(&l, "members=2K", why, sizeof why), -EINVAL);
    assert_int_equal(tarball_limits_parse(&l, "size", why, sizeof why), -EINVAL);
    struct tarball_limits def = TARBALL_LIMITS_DEFAULT;
    assert_memory_equal(&l, &def, sizeof l);
}

static void test_paths_inside(void **state) {
    const struct tarball_limits many = {.size = 100, .members = 100};
    const char *ok[] = {"a-1.0/", "a-1.0/release.yaml", "./a-1.0/apps/x.so", "a-1.0//b", "a..b/c..", "..a/b"};
    struct tarball_count c = {0};
    char why[512];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_int_equal(tarball_member_check(&many, &c, ok[i], ok[i][strlen(ok[i]) - 1] == '/' ? TARBALL_DIR
                                              : TARBALL_FILE, 1, why, sizeof why), 0);
    assert_int_equal(c.members, 6);
    assert_int_equal(c.size, 5);
}

static void test_paths_outside(void **state) {
    static const struct {
        const char *name, *why;
    } bad[] = {
        {"/etc/passwd", "/etc/passwd: a member's path may not start with '/'"},
        {"../x", "../x: a member's path may not hold '..'"},
        {"a/../../x", "a/../../x: a member's path may not hold '..'"},
        {"a/..", "a/..: a member's path may not hold '..'"},
        {"", ": a member has no name"},
        {"a/file/", "a/file/: only a folder's path may end with '/'"},
    };
    char why[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tarball_count c = {0};
        assert_int_equal(check(&c, bad[i].name, TARBALL_FILE, 1, why), -EINVAL);
        assert_string_equal(why, bad[i].why);
        assert_int_equal(c.members, 0);
    }
}

static void test_kinds_refused(void **state) {
    static const struct {
        enum tarball_kind kind;
        const char *why;
    } bad[] = {
        {TARBALL_SYMLINK, "a/l: a symbolic link (a release tarball holds only files and folders)"},
        {TARBALL_HARDLINK, "a/l: a hard link (a release tarball holds only files and folders)"},
        {TARBALL_SPARSE, "a/l: a sparse file (a release tarball holds only plain files and folders)"},
        {TARBALL_OTHER, "a/l: not a regular file or a folder (a release tarball holds only files and folders)"},
    };
    char why[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tarball_count c = {0};
        assert_int_equal(check(&c, "a/l", bad[i].kind, 0, why), -EINVAL);
        assert_string_equal(why, bad[i].why);
    }
}

/* Exactly the limit passes; one byte or one member more is refused. */
static void test_caps_at_their_edge(void **state) {
    struct tarball_count c = {0};
    char why[512];
    assert_int_equal(check(&c, "a/", TARBALL_DIR, 0, why), 0);
    assert_int_equal(check(&c, "a/x", TARBALL_FILE, 60, why), 0);
    assert_int_equal(check(&c, "a/y", TARBALL_FILE, 41, why), -EINVAL);
    assert_string_equal(why, "a/y: the tarball unpacks to more than 100 bytes (a limit: raise it with "
                             "--tarball-limits size=N)");
    assert_int_equal(check(&c, "a/y", TARBALL_FILE, 40, why), 0);
    assert_int_equal(c.size, 100);
    assert_int_equal(check(&c, "a/z", TARBALL_DIR, 0, why), -EINVAL);
    assert_string_equal(why, "a/z: the tarball holds more than 3 members (a limit: raise it with "
                             "--tarball-limits members=N)");
    struct tarball_count big = {0};
    assert_int_equal(check(&big, "a/huge", TARBALL_FILE, INT64_MAX, why), -EINVAL);
    assert_int_equal(check(&big, "a/unknown", TARBALL_FILE, -1, why), -EINVAL);
    assert_string_equal(why, "a/unknown: the member's header gives no size");
    assert_int_equal(big.members, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_format),     cmocka_unit_test(test_parse_errors_change_nothing),
        cmocka_unit_test(test_paths_inside),         cmocka_unit_test(test_paths_outside),
        cmocka_unit_test(test_kinds_refused),        cmocka_unit_test(test_caps_at_their_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
