/*
 * Integration: `nines-release unpack RELEASE DIR`, the release handler's
 * unpack step, on real releases of the example applications. A tarball
 * and a folder land in DIR/NAME/VERSION with their files, permissions and
 * checksums, and nothing else appears in DIR; a second unpack is refused;
 * and a release that is broken — a corrupted .so, a tarball cut in the
 * middle, a .so the worker host refuses — or that cannot be moved into
 * place is refused with nothing left in DIR: no release, no staging
 * folder, nothing in TMPDIR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "release_tool_fixture.h"

/* The fixture's spec built (counter.so made 0750, to see permissions
 * kept), and an empty releases folder DIR/releases. */
static int setup(void **state) {
    if (rt_setup(state) < 0)
        return -1;
    struct rt_fx *f = *state;
    rt_shell("chmod 0750 %s/spec/apps/counter.so && mkdir %s/releases", f->dir, f->dir);
    rt_build_ok(f);
    return 0;
}

static const char *releases(const struct rt_fx *f) {
    static char path[128];
    snprintf(path, sizeof path, "%s/releases", f->dir);
    return path;
}

/* Nothing unpacked is left in TMPDIR. */
static void tmp_empty(const struct rt_fx *f) { rt_shell("test -z \"$(ls -A %s/tmp)\"", f->dir); }

/* DIR (and TMPDIR) hold nothing: no release, no staging folder. */
static void nothing_in(const struct rt_fx *f, const char *dir) {
    rt_shell("test -z \"$(ls -A %s)\"", dir);
    tmp_empty(f);
}

/* DIR holds exactly the release unpacked from the fixture's build. */
static void unpacked_whole(const struct rt_fx *f, const char *dir) {
    struct rt_result r;
    char path[256], want[512];
    struct stat st;
    rt_shell("test \"$(ls -A %s)\" = myapp && test \"$(ls -A %s/myapp)\" = 1.1.0", dir, dir);
    rt_shell("cd %s/myapp/1.1.0 && test \"$(find . | sort | tr '\\n' ' ')\" = '. ./apps ./apps/counter.so "
             "./apps/echo.so ./release.yaml ./tree.yaml '",
             dir);
    rt_shell("cd %s/myapp/1.1.0 && for f in release.yaml tree.yaml apps/counter.so apps/echo.so; do "
             "cmp $f %s/$f || exit 1; done",
             dir, f->rel);
    snprintf(path, sizeof path, "%s/myapp/1.1.0/apps/counter.so", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0750);
    snprintf(path, sizeof path, "%s/myapp/1.1.0", dir);
    RT_RUN(&r, "verify", path);
    snprintf(want, sizeof want, "%s: ok\n", path);
    assert_string_equal(r.out, want);
    assert_int_equal(r.code, 0);
}

static void expect_unpacked(const struct rt_fx *f, const char *release, const char *dir) {
    struct rt_result r;
    char want[512];
    RT_RUN(&r, "unpack", release, dir);
    snprintf(want, sizeof want, "unpacked myapp 1.1.0 %s/myapp/1.1.0\n", dir);
    assert_string_equal(r.err, "");
    assert_string_equal(r.out, want);
    assert_int_equal(r.code, 0);
    unpacked_whole(f, dir);
    tmp_empty(f);
}

/* unpack fails with exactly these lines on stderr, nothing on stdout. */
static void expect_refused(const char *release, const char *dir, const char *lines) {
    struct rt_result r;
    RT_RUN(&r, "unpack", release, dir);
    assert_string_equal(r.err, lines);
    assert_string_equal(r.out, "");
    assert_int_equal(r.code, 1);
}

static void a_tarball_is_unpacked_and_only_once(void **state) {
    struct rt_fx *f = *state;
    char want[512];
    expect_unpacked(f, f->tarball, releases(f));
    snprintf(want, sizeof want, "release myapp 1.1.0 is already unpacked in %s/myapp/1.1.0\n", releases(f));
    expect_refused(f->tarball, releases(f), want);
    expect_refused(f->rel, releases(f), want);
    unpacked_whole(f, releases(f));
    tmp_empty(f);
}

/* A folder, named with a relative path and a relative DIR: the line
 * still says where the release is, absolutely. */
static void a_folder_is_unpacked(void **state) {
    struct rt_fx *f = *state;
    struct rt_result r;
    char want[512];
    assert_int_equal(chdir(f->dir), 0);
    RT_RUN(&r, "unpack", "out/myapp-1.1.0/", "releases");
    snprintf(want, sizeof want, "unpacked myapp 1.1.0 %s/myapp/1.1.0\n", releases(f));
    assert_string_equal(r.err, "");
    assert_string_equal(r.out, want);
    assert_int_equal(r.code, 0);
    assert_int_equal(chdir("/"), 0);
    unpacked_whole(f, releases(f));
}

/* One byte more in echo.so, packed again: the checksum says so. */
static void a_corrupted_module_is_refused(void **state) {
    struct rt_fx *f = *state;
    char path[256], before[NINES_SHA256_HEX], after[NINES_SHA256_HEX], want[1024];
    rt_sum_of(f->rel, "apps/echo.so", before);
    snprintf(path, sizeof path, "%s/apps/echo.so", f->rel);
    rt_append_byte(path);
    rt_sum_of(f->rel, "apps/echo.so", after);
    rt_shell("mkdir %s/broken && tar -czf %s/broken/myapp-1.1.0.tar.gz -C %s myapp-1.1.0", f->dir, f->dir, f->out);
    snprintf(path, sizeof path, "%s/broken/myapp-1.1.0.tar.gz", f->dir);
    snprintf(want, sizeof want,
             "%s/myapp-1.1.0/apps/echo.so: checksum mismatch: the manifest says %s, the file has %s\n", path,
             before, after);
    expect_refused(path, releases(f), want);
    nothing_in(f, releases(f));
}

/* A tarball copied half-way, as the folder watch may see one arrive. */
static void a_half_copied_tarball_is_refused(void **state) {
    struct rt_fx *f = *state;
    struct stat st;
    char path[256], want[512];
    assert_int_equal(stat(f->tarball, &st), 0);
    snprintf(path, sizeof path, "%s/half.tar.gz", f->dir);
    rt_shell("head -c %lld %s > %s", (long long)st.st_size / 2, f->tarball, path);
    snprintf(want, sizeof want, "%s: cannot unpack: the tarball ends too soon (not copied whole?): ", path);
    struct rt_result r; /* then libarchive's words, which depend on where the cut falls */
    RT_RUN(&r, "unpack", path, releases(f));
    if (strncmp(r.err, want, strlen(want)) != 0)
        fail_msg("expected '%s...', got '%s'", want, r.err);
    assert_int_equal(r.code, 1);
    nothing_in(f, releases(f));
}

static void a_module_that_does_not_load_is_refused(void **state) {
    struct rt_fx *f = *state;
    struct rt_result r;
    char want[1024];
    rt_shell("rm -r %s/out/* && cp %s %s/spec/apps/echo.so", f->dir, BUILD_PATH("tests/apps/bad_abi.so"), f->dir);
    RT_RUN(&r, "build", "--no-verify", f->spec, f->out);
    assert_int_equal(r.code, 0);
    snprintf(want, sizeof want, "%s/myapp-1.1.0/apps/echo.so: module refused: ABI version 7, this host supports 1\n",
             f->tarball);
    expect_refused(f->tarball, releases(f), want);
    nothing_in(f, releases(f));
}

/* DIR/myapp is a file: the release cannot be moved into place, and the
 * staging folder it was copied into goes. */
static void what_cannot_be_moved_into_place_leaves_nothing(void **state) {
    struct rt_fx *f = *state;
    char want[512];
    rt_shell("touch %s/myapp", releases(f));
    snprintf(want, sizeof want, "%s/myapp/1.1.0: cannot move the release into place: Not a directory\n",
             releases(f));
    expect_refused(f->tarball, releases(f), want);
    rt_shell("test \"$(ls -A %s)\" = myapp && test -f %s/myapp", releases(f), releases(f));
    snprintf(want, sizeof want, "%s/none: No such file or directory\n", f->dir);
    char none[128];
    snprintf(none, sizeof none, "%s/none", f->dir);
    expect_refused(f->tarball, none, want);
}

static void command_line(void **state) {
    struct rt_fx *f = *state;
    struct rt_result r;
    RT_RUN(&r, "unpack", "--help");
    assert_int_equal(r.code, 0);
    assert_true(strncmp(r.out, "usage: nines-release unpack [--worker PATH] [--previous RELEASE] [--yaml-limits NAME=N,...] [--tarball-limits NAME=N,...] RELEASE DIR\n",
                        strlen("usage: nines-release unpack [--worker PATH] [--previous RELEASE] [--yaml-limits NAME=N,...] [--tarball-limits NAME=N,...] RELEASE DIR\n")) ==
                0);
    RT_RUN(&r, "unpack", f->tarball);
    assert_string_equal(r.err, "nines-release: unpack: missing DIR\n"
                               "usage: nines-release unpack [--worker PATH] [--previous RELEASE] [--yaml-limits NAME=N,...] [--tarball-limits NAME=N,...] RELEASE DIR\n");
    assert_int_equal(r.code, 2);
    RT_RUN(&r, "unpack", "--force", f->tarball, releases(f));
    assert_int_equal(r.code, 2);
    nothing_in(f, releases(f));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_tarball_is_unpacked_and_only_once, setup, rt_teardown),
        cmocka_unit_test_setup_teardown(a_folder_is_unpacked, setup, rt_teardown),
        cmocka_unit_test_setup_teardown(a_corrupted_module_is_refused, setup, rt_teardown),
        cmocka_unit_test_setup_teardown(a_half_copied_tarball_is_refused, setup, rt_teardown),
        cmocka_unit_test_setup_teardown(a_module_that_does_not_load_is_refused, setup, rt_teardown),
        cmocka_unit_test_setup_teardown(what_cannot_be_moved_into_place_leaves_nothing, setup, rt_teardown),
        cmocka_unit_test_setup_teardown(command_line, setup, rt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
