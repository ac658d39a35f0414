/* Unit tests of the pure parts of ninesctl's release commands: the list
 * of releases as a table, the lines of a running upgrade, the phases of
 * an unpack, what the --json object says about release, from and to, and
 * the paths made absolute before they are sent. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "ctl_text.h"
#include "install.h"
#include "render.h"
#include "resolve.h"

static void load(struct ctl_records *rs, const char *const *lines, size_t n) {
    *rs = (struct ctl_records){0};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ctl_records_add(rs, lines[i], strlen(lines[i])), 0);
}

/* ctl_render_releases of these records, into `text`. */
static void releases(const char *const *lines, size_t n, bool color) {
    struct ctl_records rs;
    load(&rs, lines, n);
    FILE *f = mem();
    assert_int_equal(ctl_render_releases(f, &rs, color), 0);
    fclose(f);
    ctl_records_free(&rs);
}

/* As the daemon's release-list writes them. */
static const char *const three[] = {
    "release=myapp version=1.0.0 status=old dir=/var/lib/nines/releases/myapp/1.0.0",
    "release=myapp version=1.1.0 status=permanent dir=/var/lib/nines/releases/myapp/1.1.0 running=yes",
    "release=myapp version=1.2.0-rc1 status=unpacked dir=/var/lib/nines/releases/myapp/1.2.0-rc1",
};

static void test_release_table(void **state) {
    releases(three, 3, false);
    assert_string_equal(text, "  NAME   VERSION    STATUS\n"
                              "  myapp  1.0.0      old\n"
                              "* myapp  1.1.0      permanent\n"
                              "  myapp  1.2.0-rc1  unpacked\n"
                              "3 releases, * the one the tree runs\n");
    assert_null(strchr(text, '\033'));
}

/* Statuses coloured, padding outside the escapes. */
static void test_release_table_colour(void **state) {
    const char *const lines[] = {
        "release=myapp version=1.0.0 status=old",
        "release=myapp version=1.1.0 status=permanent",
        "release=myapp version=1.2.0 status=current running=yes",
        "release=myapp version=1.3.0 status=unpacked",
    };
    releases(lines, 4, true);
    assert_string_equal(text, "  NAME   VERSION  STATUS\n"
                              "  myapp  1.0.0    \033[2mold\033[0m\n"
                              "  myapp  1.1.0    \033[32mpermanent\033[0m\n"
                              "* myapp  1.2.0    \033[33mcurrent\033[0m\n"
                              "  myapp  1.3.0    unpacked\n"
                              "4 releases, * the one the tree runs\n");
}

static void test_release_table_edges(void **state) {
    releases(NULL, 0, false);
    assert_string_equal(text, "no releases\n");
    /* One, not running (a daemon between two states): no marker, no
     * word about it. Missing keys are "-", control bytes '?', unknown
     * keys and running=no ignored. */
    const char *const odd[] = {"release=\"my\\x1bapp\" status=unpacked running=no future=1"};
    releases(odd, 1, false);
    assert_string_equal(text, "  NAME    VERSION  STATUS\n"
                              "  my?app  -        unpacked\n"
                              "1 release\n");
}

/* ctl_render_install_record of one line, into `text`; what it returned. */
static bool step(const char *line, bool color) {
    struct ctl_record r;
    assert_int_equal(ctl_record_from_line(&r, line, strlen(line)), 0);
    FILE *f = mem();
    bool shown = ctl_render_install_record(f, &r, color);
    fclose(f);
    ctl_record_free(&r);
    return shown;
}

static void test_step_lines(void **state) {
    assert_true(step("phase=step n=1 of=3 kind=swap application=echo what=\"swap workers 1.0.0 -> 1.1.0 on "
                     "/r/echo.so, code_change extra \\\"\\\"\" result=ok ms=2",
                     false));
    assert_string_equal(text, "  1/3 echo: swap workers 1.0.0 -> 1.1.0 on /r/echo.so, code_change extra \"\" ... "
                              "ok (2 ms)\n");
    assert_true(step("phase=step n=2 of=3 kind=restart application=kv what=\"restart workers\" result=failed "
                     "reason=\"exit status 1\" ms=15",
                     false));
    assert_string_equal(text, "  2/3 kv: restart workers ... failed (15 ms): exit status 1\n");
    assert_true(step("phase=undo n=2 of=3 kind=restart application=kv what=\"restart workers 1.1.0 -> 1.0.0\" "
                     "result=ok ms=3",
                     false));
    assert_string_equal(text, "  undo 2/3 kv: restart workers 1.1.0 -> 1.0.0 ... ok (3 ms)\n");
    /* The number right-aligned to the count: a long plan lines up. */
    assert_true(step("phase=step n=3 of=12 kind=add_child application=web what=\"add child cache\" result=ok ms=0",
                     false));
    assert_string_equal(text, "   3/12 web: add child cache ... ok (0 ms)\n");
    /* Only what the undo record has (no application, no time). */
    assert_true(step("phase=undo n=1 kind=swap what=\"swap workers\" result=failed reason=gone", false));
    assert_string_equal(text, "  undo 1 swap workers ... failed: gone\n");
}

static void test_step_lines_odd(void **state) {
    /* No what: the kind says it. */
    assert_true(step("phase=step n=1 of=1 kind=remove_child application=web result=ok ms=1", false));
    assert_string_equal(text, "  1/1 web: remove_child ... ok (1 ms)\n");
    /* Nearly nothing. */
    assert_true(step("phase=step", false));
    assert_string_equal(text, "  ? ... -\n");
    /* Control bytes never reach the terminal. */
    assert_true(step("phase=step n=1 of=1 what=\"a\\x1b[2Jb\" result=failed reason=\"x\\ny\"", false));
    assert_string_equal(text, "  1/1 a?[2Jb ... failed: x?y\n");
    /* Another phase (a newer daemon's): nothing. */
    assert_false(step("phase=begin release=myapp from=1.0.0 to=1.1.0", false));
    assert_string_equal(text, "");
    assert_false(step("n=1 of=2 result=ok", false));
    assert_string_equal(text, "");
}

static void test_step_lines_colour(void **state) {
    step("phase=step n=1 of=2 application=echo what=swap result=ok ms=2", true);
    assert_string_equal(text, "  1/2 echo: swap ... \033[32mok\033[0m (2 ms)\n");
    step("phase=undo n=1 of=2 application=echo what=swap result=failed reason=x", true);
    assert_string_equal(text, "  undo 1/2 echo: swap ... \033[31mfailed\033[0m: x\n");
    step("phase=step n=1 of=2 what=swap result=skipped", true);
    assert_string_equal(text, "  1/2 swap ... skipped\n");
}

static void progress(const char *line) {
    struct ctl_record r;
    assert_int_equal(ctl_record_from_line(&r, line, strlen(line)), 0);
    FILE *f = mem();
    ctl_render_progress(f, &r);
    fclose(f);
    ctl_record_free(&r);
}

static void test_progress_lines(void **state) {
    progress("phase=verify");
    assert_string_equal(text, "  verify\n");
    progress("phase=copy files=12 dir=\"/var/lib/a b\"");
    assert_string_equal(text, "  copy files=12 dir=/var/lib/a b\n");
    progress("files=12 phase=copy");
    assert_string_equal(text, "  copy files=12\n");
    progress("x=\"\\x1b\"");
    assert_string_equal(text, "  ... x=?\n");
}

/* ctl_install_names for records and an END message. */
static struct ctl_install_names names_of(const char *const *lines, size_t n, const char *message,
                                         const char *asked) {
    struct ctl_records rs;
    struct ctl_install_names out;
    load(&rs, lines, n);
    ctl_install_names(&rs, message, asked, &out);
    ctl_records_free(&rs);
    return out;
}

static void expect_names(struct ctl_install_names got, const char *release, const char *from, const char *to) {
    assert_string_equal(got.release, release);
    assert_string_equal(got.from, from);
    assert_string_equal(got.to, to);
}

static void test_install_names(void **state) {
    /* From the messages doc/control-protocol.md gives. */
    expect_names(names_of(NULL, 0, "upgraded myapp 1.0.0 -> 1.1.0: 3 steps in 12 ms", "1.1.0"), "myapp", "1.0.0",
                 "1.1.0");
    expect_names(names_of(NULL, 0, "downgraded myapp 1.1.0 -> 1.0.0: 1 step in 2 ms (longest worker pause 80 us)",
                          "1.0.0"),
                 "myapp", "1.1.0", "1.0.0");
    expect_names(names_of(NULL, 0,
                          "step 2 of 3 (kv: restart workers 1.0.0 -> 1.1.0) failed: exit status 1; 1 step "
                          "undone, myapp stays on 1.0.0",
                          "1.1.0"),
                 "myapp", "1.0.0", "1.1.0");
    /* Nothing to go by: only the version asked for. */
    expect_names(names_of(NULL, 0, "step 1 of 1 failed: x; undo of step 1 failed: y: the tree is between 1.0.0 and "
                                   "1.1.0, see the log",
                          "1.1.0"),
                 "", "", "1.1.0");
    expect_names(names_of(NULL, 0, "", NULL), "", "", "");
    expect_names(names_of(NULL, 0, NULL, "2"), "", "", "2");
    /* Messages of another shape are not guessed at. */
    expect_names(names_of(NULL, 0, "upgraded myapp", "2"), "", "", "2");
    expect_names(names_of(NULL, 0, "upgraded myapp 1 to 2: done", "2"), "", "", "2");
    expect_names(names_of(NULL, 0, "reupgraded myapp 1 -> 2", "2"), "", "", "2");
    expect_names(names_of(NULL, 0, "failed; myapp stays on", "2"), "", "", "2");
}

static void test_install_names_from_records(void **state) {
    /* Keys on records win over the message, the first of each. */
    const char *const lines[] = {"phase=begin release=shop from=1 to=2", "phase=step n=1 release=other",
                                 "phase=step n=2"};
    expect_names(names_of(lines, 3, "upgraded myapp 1.0.0 -> 1.1.0: 3 steps", "9"), "shop", "1", "2");
    const char *const some[] = {"phase=step release=shop"};
    expect_names(names_of(some, 1, "upgraded myapp 1.0.0 -> 1.1.0: 3 steps", "9"), "shop", "1.0.0", "1.1.0");
    /* Longer than any name or version: left out. */
    char big[200] = "upgraded ";
    memset(big + 9, 'n', 100);
    strcpy(big + 109, " 1 -> 2: x");
    expect_names(names_of(NULL, 0, big, NULL), "", "1", "2");
}

/* Paths made absolute: release unpack's always (and it must exist), a
 * relative --module; an absolute --module goes as typed. */
static void test_resolve(void **state) {
    char dir[] = "/tmp/ninesctl-resolve-XXXXXX", cwd[PATH_MAX], want[PATH_MAX + 32], error[PATH_MAX + 64];
    assert_non_null(mkdtemp(dir));
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    FILE *f = fopen("myapp-1.1.0.tar.gz", "w");
    fclose(f);
    static struct ctl_args a;
    static struct ctl_resolved store;
    char *const unpack[] = {"ninesctl", "release", "unpack", "myapp-1.1.0.tar.gz", NULL};
    assert_int_equal(ctl_args_parse(&a, 4, unpack), 0);
    assert_int_equal(ctl_args_resolve(&a, &store, error, sizeof error), 0);
    snprintf(want, sizeof want, "%s/myapp-1.1.0.tar.gz", dir);
    assert_string_equal(a.pos[0], want);
    char *const missing[] = {"ninesctl", "release", "unpack", "nope.tar.gz", NULL};
    assert_int_equal(ctl_args_parse(&a, 4, missing), 0);
    assert_int_equal(ctl_args_resolve(&a, &store, error, sizeof error), -ENOENT);
    assert_string_equal(error, "no such file or directory");
    assert_string_equal(a.pos[0], "nope.tar.gz");
    char *const module[] = {"ninesctl", "upgrade", "echo", "--module", "myapp-1.1.0.tar.gz", NULL};
    assert_int_equal(ctl_args_parse(&a, 5, module), 0);
    assert_int_equal(ctl_args_resolve(&a, &store, error, sizeof error), 0);
    assert_string_equal(a.module, want);
    assert_string_equal(a.pos[0], "echo"); /* a child's path is no file */
    char *const bad_module[] = {"ninesctl", "upgrade", "echo", "--module", "echo-9.so", NULL};
    assert_int_equal(ctl_args_parse(&a, 5, bad_module), 0);
    assert_int_equal(ctl_args_resolve(&a, &store, error, sizeof error), -ENOENT);
    assert_string_equal(error, "--module echo-9.so: no such file or directory");
    char *const absolute[] = {"ninesctl", "upgrade", "echo", "--module", "/nowhere/echo.so", NULL};
    assert_int_equal(ctl_args_parse(&a, 5, absolute), 0);
    assert_int_equal(ctl_args_resolve(&a, &store, error, sizeof error), 0);
    assert_string_equal(a.module, "/nowhere/echo.so");
    char *const other[] = {"ninesctl", "release", "remove", "1.0.0", NULL};
    assert_int_equal(ctl_args_parse(&a, 4, other), 0);
    assert_int_equal(ctl_args_resolve(&a, &store, error, sizeof error), 0);
    assert_string_equal(a.pos[0], "1.0.0");
    unlink("myapp-1.1.0.tar.gz");
    assert_int_equal(chdir(cwd), 0);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_release_table, text_free),
        cmocka_unit_test_teardown(test_release_table_colour, text_free),
        cmocka_unit_test_teardown(test_release_table_edges, text_free),
        cmocka_unit_test_teardown(test_step_lines, text_free),
        cmocka_unit_test_teardown(test_step_lines_odd, text_free),
        cmocka_unit_test_teardown(test_step_lines_colour, text_free),
        cmocka_unit_test_teardown(test_progress_lines, text_free),
        cmocka_unit_test(test_install_names),
        cmocka_unit_test(test_install_names_from_records),
        cmocka_unit_test(test_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
