/*
 * Integration: release tarballs that try to exhaust or escape the machine
 * that unpacks them (issue 16), through the real nines-release. Each is
 * written here byte by byte (ustar headers, gzip members): a bomb of 2 MB
 * that unpacks to 2 GiB, 2,048 files of 1 MiB, 20,000 empty files,
 * members named '/...' or '../...', a link leading out followed by a file
 * through it, a hard link, a FIFO. Each is refused, naming the member and
 * the limit, quickly, with nothing written to TMPDIR or outside it; and
 * the tool runs under RLIMIT_FSIZE just above the cap, so a tool that
 * wrote more than the cap into a file would be killed by SIGXFSZ. Raised
 * limits let a real release through that the lowered ones refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "release_tool_fixture.h"

#define MIB (1u << 20)

/* --- writing tarballs -------------------------------------------------------------- */

/* One 512-byte ustar header. */
static void header(unsigned char h[512], const char *name, char type, uint64_t size, const char *link) {
    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
    snprintf((char *)h + 136, 12, "%011o", 0);
    h[156] = (unsigned char)type;
    if (link)
        snprintf((char *)h + 157, 100, "%s", link);
    memcpy(h + 257, "ustar\0" "00", 8);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
}

/* `len` bytes appended to `path` as one gzip member of their own (a gzip
 * file may hold several, read as one stream). */
static void gz_append(const char *path, const void *bytes, size_t len) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "gzip -9 -c >> %s", path);
    FILE *p = popen(cmd, "w");
    assert_non_null(p);
    assert_int_equal(fwrite(bytes, 1, len, p), len);
    assert_int_equal(pclose(p), 0);
}

static void gz_header(const char *path, const char *name, char type, uint64_t size, const char *link) {
    unsigned char h[512];
    header(h, name, type, size, link);
    gz_append(path, h, sizeof h);
}

/* The end of a tarball: two zero blocks (after any padding written). */
static void gz_end(const char *path) {
    static const unsigned char zeros[1024];
    gz_append(path, zeros, sizeof zeros);
}

/* `count` MiB of zeros: one gzip member of 1 MiB copied `count` times. */
static void gz_zeros_mib(const char *path, size_t count) {
    char one[512];
    snprintf(one, sizeof one, "%s.one", path);
    char *zeros = calloc(1, MIB);
    assert_non_null(zeros);
    gz_append(one, zeros, MIB);
    free(zeros);
    FILE *in = fopen(one, "rb"), *out = fopen(path, "ab");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, in);
    assert_true(n > 0 && n < sizeof buf);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
    unlink(one);
}

static long long file_size(const char *path) {
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long long)st.st_size;
}

/* --- running the tool -------------------------------------------------------------- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* `verify TARBALL` (with a --tarball-limits spec, or none) under
 * RLIMIT_FSIZE `fsize`: refused with `want` on stderr (a fragment), in
 * under `max_s` seconds, nothing left in TMPDIR or beside the tarball. */
static void expect_refused(const struct rt_fx *f, const char *tarball, const char *limits, rlim_t fsize,
                           const char *want, double max_s) {
    struct rlimit old, cap = {.rlim_cur = fsize, .rlim_max = RLIM_INFINITY};
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &cap), 0);
    struct rt_result r;
    double t0 = now_s();
    if (limits)
        RT_RUN(&r, "verify", "--tarball-limits", limits, tarball);
    else
        RT_RUN(&r, "verify", tarball);
    double took = now_s() - t0;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    print_message("# %s: %.3f s: %s", strrchr(tarball, '/') + 1, took, r.err);
    if (!strstr(r.err, want) || strncmp(r.err, tarball, strlen(tarball)) != 0)
        fail_msg("expected '%s' on stderr, got '%s' (exit %d)", want, r.err, r.code);
    assert_int_equal(r.code, 1);
    assert_true(took < max_s);
    rt_shell("test -z \"$(ls -A %s/tmp)\"", f->dir);
    rt_shell("test ! -e %s/escaped && test ! -e /tmp/nines-itest-escaped", f->dir);
}

/* --- the tests --------------------------------------------------------------------- */

/* 2 MB that unpack to 2 GiB: refused at the member's header, before a
 * byte is written, by the default cap (1 GiB) and by a lowered one. */
static void a_tarball_bomb_is_refused_within_its_cap(void **state) {
    struct rt_fx *f = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/bomb.tar.gz", f->dir);
    gz_header(path, "myapp-1.1.0/", '5', 0, NULL);
    gz_header(path, "myapp-1.1.0/big", '0', 2048ull * MIB, NULL);
    gz_zeros_mib(path, 2048);
    gz_end(path);
    print_message("# bomb.tar.gz: %lld bytes, unpacking to %llu\n", file_size(path), 2048ull * MIB);
    assert_true(file_size(path) < 3 * MIB);
    expect_refused(f, path, NULL, 1024ull * MIB + MIB,
                   "cannot unpack: myapp-1.1.0/big: the tarball unpacks to more than 1073741824 bytes "
                   "(a limit: raise it with --tarball-limits size=N)\n", 2.0);
    expect_refused(f, path, "size=16M", 16 * MIB + MIB,
                   "cannot unpack: myapp-1.1.0/big: the tarball unpacks to more than 16777216 bytes", 2.0);
}

/* The same 2 GiB in 2,048 files of 1 MiB: the sum is capped, not each. */
static void many_files_add_up_to_the_cap(void **state) {
    struct rt_fx *f = *state;
    char path[256], name[64];
    snprintf(path, sizeof path, "%s/spread.tar.gz", f->dir);
    gz_header(path, "myapp-1.1.0/", '5', 0, NULL);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "myapp-1.1.0/f%04d", i);
        gz_header(path, name, '0', MIB, NULL);
        gz_zeros_mib(path, 1);
    }
    gz_end(path);
    expect_refused(f, path, "size=16M", 16 * MIB + MIB,
                   "cannot unpack: myapp-1.1.0/f0016: the tarball unpacks to more than 16777216 bytes", 5.0);
}

/* 20,000 empty files: refused at the 10,001st member. */
static void a_member_count_bomb_is_refused(void **state) {
    struct rt_fx *f = *state;
    char path[256], name[64];
    snprintf(path, sizeof path, "%s/members.tar", f->dir);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    unsigned char h[512];
    header(h, "myapp-1.1.0/", '5', 0, NULL);
    fwrite(h, 1, sizeof h, out);
    for (int i = 0; i < 20000; i++) {
        snprintf(name, sizeof name, "myapp-1.1.0/e%05d", i);
        header(h, name, '0', 0, NULL);
        fwrite(h, 1, sizeof h, out);
    }
    static const unsigned char zeros[1024];
    fwrite(zeros, 1, sizeof zeros, out);
    fclose(out);
    rt_shell("gzip -1 %s", path);
    strcat(path, ".gz");
    expect_refused(f, path, NULL, MIB,
                   "cannot unpack: myapp-1.1.0/e09999: the tarball holds more than 10000 members "
                   "(a limit: raise it with --tarball-limits members=N)\n", 5.0);
    expect_refused(f, path, "members=100", MIB, "cannot unpack: myapp-1.1.0/e00099: the tarball holds more than 100 members",
                   5.0);
}

/* A tarball of one bad member after a good folder and file. */
static void escape(const struct rt_fx *f, const char *file, const char *name, char type, const char *link,
                   const char *want) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    gz_header(path, "myapp-1.1.0/", '5', 0, NULL);
    gz_header(path, "myapp-1.1.0/a", '0', 0, NULL);
    gz_header(path, name, type, 0, link);
    if (type == '2') /* a file through the link */
        gz_header(path, "myapp-1.1.0/l/escaped", '0', 0, NULL);
    gz_end(path);
    expect_refused(f, path, NULL, MIB, want, 2.0);
}

static void members_that_lead_out_are_refused(void **state) {
    struct rt_fx *f = *state;
    char link[256];
    escape(f, "abs.tar.gz", "/tmp/nines-itest-escaped", '0', NULL,
           "cannot unpack: /tmp/nines-itest-escaped: a member's path may not start with '/'\n");
    escape(f, "dotdot.tar.gz", "myapp-1.1.0/../../escaped", '0', NULL,
           "cannot unpack: myapp-1.1.0/../../escaped: a member's path may not hold '..'\n");
    snprintf(link, sizeof link, "%s", f->dir);
    escape(f, "symlink.tar.gz", "myapp-1.1.0/l", '2', link,
           "cannot unpack: myapp-1.1.0/l: a symbolic link (a release tarball holds only files and folders)\n");
    escape(f, "hardlink.tar.gz", "myapp-1.1.0/h", '1', "/etc/passwd",
           "cannot unpack: myapp-1.1.0/h: a hard link (a release tarball holds only files and folders)\n");
    escape(f, "fifo.tar.gz", "myapp-1.1.0/p", '6', NULL,
           "cannot unpack: myapp-1.1.0/p: not a regular file or a folder (a release tarball holds only files "
           "and folders)\n");
    escape(f, "device.tar.gz", "myapp-1.1.0/d", '3', NULL, "cannot unpack: myapp-1.1.0/d: not a regular file");
}

/* A real release: verified with the default limits, refused with lower
 * ones, naming each. */
static void a_release_passes_the_default_limits(void **state) {
    struct rt_fx *f = *state;
    struct rt_result r;
    char want[512];
    rt_build_ok(f);
    RT_RUN(&r, "verify", f->tarball);
    snprintf(want, sizeof want, "%s: ok\n", f->tarball);
    assert_string_equal(r.out, want);
    assert_int_equal(r.code, 0);
    expect_refused(f, f->tarball, "size=1K", MIB, "the tarball unpacks to more than 1024 bytes", 2.0);
    expect_refused(f, f->tarball, "members=3", MIB, "the tarball holds more than 3 members", 2.0);
    RT_RUN(&r, "verify", "--tarball-limits", "files=3", f->tarball);
    assert_string_equal(r.err, "nines-release: verify: invalid --tarball-limits 'files=3': expected NAME=N, NAME "
                               "one of size, members\n");
    assert_int_equal(r.code, 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_tarball_bomb_is_refused_within_its_cap, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(many_files_add_up_to_the_cap, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(a_member_count_bomb_is_refused, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(members_that_lead_out_are_refused, rt_setup, rt_teardown),
        cmocka_unit_test_setup_teardown(a_release_passes_the_default_limits, rt_setup, rt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
