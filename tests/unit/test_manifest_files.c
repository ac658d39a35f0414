/*
 * Unit tests of a manifest's files: checksums that match or not, files
 * missing, not regular, or behind a symbolic link that leads out of the
 * release folder; the checksums build computes; and the manifest written
 * back, byte for byte, then read again.
 */
#include <errno.h>
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

#include "manifest.h"

#define SUM_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SUM_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct fixture {
    char dir[64];
};

static void write_file(const char *dir, const char *rel, const char *content) {
    char path[300];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

/* A release folder: tree.yaml ("abc"), apps/a.so (empty), and a manifest
 * naming them with the right checksums. */
static int setup(void **state) {
    struct fixture *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/nines-files-XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    char apps[128];
    snprintf(apps, sizeof apps, "%s/apps", fx->dir);
    mkdir(apps, 0755);
    write_file(fx->dir, "tree.yaml", "abc");
    write_file(fx->dir, "apps/a.so", "");
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    struct fixture *fx = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    int r = system(cmd);
    free(fx);
    return r == 0 ? 0 : -1;
}

static struct nines_manifest *load(const char *text) {
    struct nines_manifest *m = NULL;
    struct nines_error err;
    assert_int_equal(nines_manifest_load_string("release.yaml", text, strlen(text), &m, &err), 0);
    return m;
}

static const char good[] = "release: r\nversion: 1\ntree: tree.yaml\n"
                           "applications: [{name: a, version: 1, module: apps/a.so}]\n"
                           "files: {tree.yaml: " SUM_ABC ", apps/a.so: " SUM_EMPTY "}\n";

/* The check fails with "DIR/REL: message". */
static void expect_file_error(struct fixture *fx, const struct nines_manifest *m, const char *rel, const char *message) {
    struct nines_error err;
    char want[600];
    assert_int_equal(nines_manifest_check_files(m, fx->dir, &err), -EINVAL);
    snprintf(want, sizeof want, "%s/%s", fx->dir, rel);
    assert_string_equal(err.file, want);
    assert_int_equal(err.line, 0);
    if (strncmp(err.message, message, strlen(message)) != 0)
        fail_msg("\"%s\" does not start with \"%s\"", err.message, message);
}

static void matching_files_pass(void **state) {
    struct fixture *fx = *state;
    struct nines_manifest *m = load(good);
    struct nines_error err;
    assert_int_equal(nines_manifest_check_files(m, fx->dir, &err), 0);
    nines_manifest_free(m);
}

static void a_changed_file_is_named(void **state) {
    struct fixture *fx = *state;
    struct nines_manifest *m = load(good);
    write_file(fx->dir, "apps/a.so", "abc");
    expect_file_error(fx, m, "apps/a.so", "checksum mismatch: the manifest says " SUM_EMPTY ", the file has " SUM_ABC);
    nines_manifest_free(m);
}

static void missing_and_irregular_files(void **state) {
    struct fixture *fx = *state;
    struct nines_manifest *m = load(good);
    char path[300];
    snprintf(path, sizeof path, "%s/tree.yaml", fx->dir);
    unlink(path);
    expect_file_error(fx, m, "tree.yaml", "missing: No such file or directory");
    mkdir(path, 0755);
    expect_file_error(fx, m, "tree.yaml", "not a regular file");
    nines_manifest_free(m);
}

/* A link inside the folder is fine; one that leads out is refused. */
static void symbolic_links_must_stay_inside(void **state) {
    struct fixture *fx = *state;
    struct nines_manifest *m = load(good);
    struct nines_error err;
    char path[300];
    write_file(fx->dir, "real.yaml", "abc");
    snprintf(path, sizeof path, "%s/tree.yaml", fx->dir);
    unlink(path);
    assert_int_equal(symlink("real.yaml", path), 0);
    assert_int_equal(nines_manifest_check_files(m, fx->dir, &err), 0);
    unlink(path);
    assert_int_equal(symlink("/etc/hostname", path), 0);
    expect_file_error(fx, m, "tree.yaml", "a symbolic link leads out of the release folder (to /etc/hostname)");
    unlink(path);
    assert_int_equal(symlink("../../etc", path), 0);
    char out[4096];
    assert_int_equal(nines_manifest_resolve(fx->dir, "apps/a.so", out), 0);
    assert_int_equal(nines_manifest_resolve(fx->dir, "tree.yaml", out), -EXDEV);
    assert_int_equal(nines_manifest_resolve(fx->dir, "none", out), -ENOENT);
    nines_manifest_free(m);
}

static void a_spec_is_not_a_release(void **state) {
    struct fixture *fx = *state;
    struct nines_manifest *m = load("release: r\nversion: 1\ntree: tree.yaml\napplications: []\n");
    struct nines_error err;
    assert_int_equal(nines_manifest_check_files(m, fx->dir, &err), -EINVAL);
    assert_string_equal(err.file, "release.yaml");
    assert_string_equal(err.message,
                        "no 'files': this is a release spec, not a built release (nines-release build writes them)");
    nines_manifest_free(m);
}

static char *written(const struct nines_manifest *m) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(nines_manifest_write(m, f), 0);
    fclose(f);
    return text;
}

/* build: hash what the spec names, write it, read it back the same. */
static void hashed_written_and_read_back(void **state) {
    struct fixture *fx = *state;
    write_file(fx->dir, "up.yaml", "abc");
    struct nines_manifest *m = load("release: r\nversion: '1.0#\"x\\'\ntree: tree.yaml\n"
                                    "applications: [{name: a, version: 1, module: apps/a.so}]\n"
                                    "appups: [up.yaml]\n");
    struct nines_error err;
    assert_int_equal(nines_manifest_hash_files(m, fx->dir, &err), 0);
    char *text = written(m);
    assert_string_equal(text, "release: r\n"
                              "version: \"1.0#\\\"x\\\\\"\n"
                              "tree: tree.yaml\n"
                              "applications:\n"
                              "- {name: a, version: 1, module: apps/a.so}\n"
                              "appups:\n"
                              "- up.yaml\n"
                              "files:\n"
                              "  apps/a.so: " SUM_EMPTY "\n"
                              "  tree.yaml: " SUM_ABC "\n"
                              "  up.yaml: " SUM_ABC "\n");
    struct nines_manifest *again = load(text);
    assert_string_equal(again->version, "1.0#\"x\\");
    assert_int_equal(nines_manifest_check_files(again, fx->dir, &err), 0);
    char *text2 = written(again);
    assert_string_equal(text, text2);
    free(text), free(text2);
    nines_manifest_free(again);
    /* A file that cannot be hashed is named. */
    char path[300];
    snprintf(path, sizeof path, "%s/up.yaml", fx->dir);
    unlink(path);
    assert_int_equal(nines_manifest_hash_files(m, fx->dir, &err), -EINVAL);
    assert_string_equal(err.file, path);
    assert_string_equal(err.message, "missing: No such file or directory");
    nines_manifest_free(m);
}

static void written_whole_to_a_file(void **state) {
    struct fixture *fx = *state;
    struct nines_manifest *m = load(good), *back = NULL;
    struct nines_error err;
    char path[300];
    snprintf(path, sizeof path, "%s/release.yaml", fx->dir);
    assert_int_equal(nines_manifest_write_file(m, path), 0);
    assert_int_equal(nines_manifest_load(path, &back, &err), 0);
    assert_int_equal(back->n_files, 2);
    assert_int_equal(nines_manifest_check_files(back, fx->dir, &err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    nines_manifest_free(back);
    nines_manifest_free(m);
    assert_int_equal(nines_manifest_write_file(m = load(good), "/nonexistent/release.yaml"), -ENOENT);
    nines_manifest_free(m);
}

static void path_rules(void **unused) {
    static const char *const ok[] = {"a", "a/b/c.so", "a.b_c+d@e,f=g-h", "..a", "a..", ".hidden/x"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (nines_manifest_path_problem(ok[i]))
            fail_msg("'%s' refused: %s", ok[i], nines_manifest_path_problem(ok[i]));
    static const char *const bad[] = {"", "/a", "..", "a/..", "../a", "a/../b", ".", "a/./b", "a//b",
                                      "a/", "a b", "a\\b", "é", "release.yaml", "a\nb", "~x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!nines_manifest_path_problem(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
    char longest[NINES_MANIFEST_MAX_PATH + 2];
    memset(longest, 'a', sizeof longest);
    longest[NINES_MANIFEST_MAX_PATH] = '\0';
    assert_null(nines_manifest_path_problem(longest));
    longest[NINES_MANIFEST_MAX_PATH] = 'a', longest[NINES_MANIFEST_MAX_PATH + 1] = '\0';
    assert_string_equal(nines_manifest_path_problem(longest), "it is longer than 1024 bytes");
    assert_null(nines_manifest_path_problem("sub/release.yaml"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(matching_files_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(a_changed_file_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_and_irregular_files, setup, teardown),
        cmocka_unit_test_setup_teardown(symbolic_links_must_stay_inside, setup, teardown),
        cmocka_unit_test_setup_teardown(a_spec_is_not_a_release, setup, teardown),
        cmocka_unit_test_setup_teardown(hashed_written_and_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(written_whole_to_a_file, setup, teardown),
        cmocka_unit_test(path_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
