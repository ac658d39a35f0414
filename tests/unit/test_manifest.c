/*
 * Unit tests of the release manifest's parser: every field, and every
 * error with its file, line and column.
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
#include <unistd.h>

#include "manifest.h"

#define SUM_A "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define SUM_B "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static const char full[] = "release: myapp\n"
                           "version: 1.1.0\n"
                           "tree: tree.yaml\n"
                           "applications:\n"
                           "  - {name: echo, version: 1.1.0, module: apps/echo.so}\n"
                           "  - name: counter\n"
                           "    version: 2.0.0-rc1\n"
                           "    module: apps/counter.so\n"
                           "appups: [appups/echo.appup.yaml]\n"
                           "files:\n"
                           "  tree.yaml: " SUM_A "\n"
                           "  apps/echo.so: " SUM_B "\n"
                           "  apps/counter.so: " SUM_A "\n"
                           "  appups/echo.appup.yaml: " SUM_B "\n";

static struct nines_manifest *load_ok(const char *text) {
    struct nines_manifest *m = NULL;
    struct nines_error err;
    int r = nines_manifest_load_string("r.yaml", text, strlen(text), &m, &err);
    if (r < 0) {
        char buf[5000];
        nines_error_format(&err, buf, sizeof buf);
        fail_msg("unexpected error: %s", buf);
    }
    return m;
}

/* `expected` is "LINE:COLUMN: message" (or ": message" without a position). */
static void expect_error(const char *text, const char *expected) {
    struct nines_manifest *m = (struct nines_manifest *)1;
    struct nines_error err;
    char got[5000], want[1000];
    assert_int_equal(nines_manifest_load_string("r.yaml", text, strlen(text), &m, &err), -EINVAL);
    assert_null(m);
    nines_error_format(&err, got, sizeof got);
    snprintf(want, sizeof want, "r.yaml%s%s", expected[0] == ':' ? "" : ":", expected);
    assert_string_equal(got, want);
}

static void every_field_is_read(void **unused) {
    struct nines_manifest *m = load_ok(full);
    assert_string_equal(m->path, "r.yaml");
    assert_string_equal(m->release, "myapp");
    assert_string_equal(m->version, "1.1.0");
    assert_string_equal(m->tree.path, "tree.yaml");
    assert_int_equal(m->tree.mark.line, 3);
    assert_int_equal(m->tree.mark.column, 7);
    assert_int_equal(m->n_apps, 2);
    assert_string_equal(m->apps[0].name, "echo");
    assert_string_equal(m->apps[0].version, "1.1.0");
    assert_string_equal(m->apps[0].module.path, "apps/echo.so");
    assert_int_equal(m->apps[0].mark.line, 5);
    assert_int_equal(m->apps[0].version_mark.column, 27);
    assert_string_equal(m->apps[1].name, "counter");
    assert_string_equal(m->apps[1].version, "2.0.0-rc1");
    assert_int_equal(m->apps[1].name_mark.line, 6);
    assert_int_equal(m->apps[1].name_mark.column, 11);
    assert_int_equal(m->apps[1].module.mark.line, 8);
    assert_int_equal(m->n_appups, 1);
    assert_string_equal(m->appups[0].path, "appups/echo.appup.yaml");
    assert_true(m->has_files);
    assert_int_equal(m->n_files, 4);
    assert_string_equal(m->files[1].path, "apps/echo.so");
    assert_string_equal(m->files[1].sha256, SUM_B);
    assert_int_equal(m->files[1].mark.line, 12);
    assert_ptr_equal(nines_manifest_find_file(m, "apps/counter.so"), &m->files[2]);
    assert_null(nines_manifest_find_file(m, "apps/none.so"));
    assert_int_equal(nines_manifest_n_refs(m), 4);
    assert_string_equal(nines_manifest_ref(m, 0)->path, "tree.yaml");
    assert_string_equal(nines_manifest_ref(m, 2)->path, "apps/counter.so");
    assert_string_equal(nines_manifest_ref(m, 3)->path, "appups/echo.appup.yaml");
    nines_manifest_free(m);
}

static void a_spec_has_no_files_and_appups_are_optional(void **unused) {
    struct nines_manifest *m = load_ok("release: a\nversion: '1'\ntree: t.yaml\napplications: []\n");
    assert_false(m->has_files);
    assert_int_equal(m->n_apps, 0);
    assert_int_equal(m->n_appups, 0);
    assert_int_equal(m->n_files, 0);
    nines_manifest_free(m);
    nines_manifest_free(NULL);
}

static void required_keys(void **unused) {
    expect_error("version: 1\ntree: t\napplications: []\n",
                 "1:1: a release manifest needs 'release' (release, version, tree and applications)");
    expect_error("release: a\ntree: t\napplications: []\n",
                 "1:1: a release manifest needs 'version' (release, version, tree and applications)");
    expect_error("release: a\nversion: 1\napplications: []\n",
                 "1:1: a release manifest needs 'tree' (release, version, tree and applications)");
    expect_error("release: a\nversion: 1\ntree: t\n",
                 "1:1: a release manifest needs 'applications' (release, version, tree and applications)");
    expect_error("", ": the release manifest is empty: expected a mapping with the keys release, version, tree "
                     "and applications");
}

static void unknown_duplicate_and_misplaced_keys(void **unused) {
    expect_error("release: a\nname: b\n", "2:1: unknown key 'name' in the release manifest "
                                          "(allowed: release, version, tree, applications, appups, files)");
    expect_error("release: a\nrelease: b\n", "2:1: duplicate key 'release' in the release manifest");
    expect_error("- release\n", "1:1: expected a mapping for the release manifest, got a sequence");
    expect_error("release: a\nversion: 1\ntree: t\napplications: [{name: a, version: 1, module: a.so, x: 1}]\n",
                 "4:52: unknown key 'x' in an application (allowed: name, version, module)");
}

static void names_and_versions(void **unused) {
    expect_error("release: MyApp\n", "1:10: invalid release name 'MyApp' (1 to 64 of a-z, 0-9, '_' and '-')");
    expect_error("release: [a]\n", "1:10: invalid release name 'a sequence' (1 to 64 of a-z, 0-9, '_' and '-')");
    expect_error("version: 1.0 beta\n",
                 "1:10: invalid release version '1.0 beta' (1 to 64 printable characters, no spaces, no '/')");
    expect_error("version: 1.0/2\n",
                 "1:10: invalid release version '1.0/2' (1 to 64 printable characters, no spaces, no '/')");
    expect_error("applications: [{name: Echo}]\n",
                 "1:23: invalid application name 'Echo' (1 to 64 of a-z, 0-9, '_' and '-')");
    expect_error("applications: [{version: ''}]\n",
                 "1:26: invalid application version '' (1 to 64 printable characters, no spaces)");
}

static void paths_must_stay_inside_the_folder(void **unused) {
    expect_error("tree: ../tree.yaml\n", "1:7: invalid tree path '../tree.yaml': '..' leads out of the release folder");
    expect_error("tree: a/../../b\n", "1:7: invalid tree path 'a/../../b': '..' leads out of the release folder");
    expect_error("tree: /etc/tree.yaml\n",
                 "1:7: invalid tree path '/etc/tree.yaml': it is absolute: paths are relative to the release folder");
    expect_error("tree: a//b\n", "1:7: invalid tree path 'a//b': it has an empty part ('//' or a '/' at the end)");
    expect_error("tree: a/\n", "1:7: invalid tree path 'a/': it has an empty part ('//' or a '/' at the end)");
    expect_error("tree: ./a\n", "1:7: invalid tree path './a': it has a '.' part");
    expect_error("tree: 'a b'\n", "1:7: invalid tree path 'a b': only letters, digits, '/' and . _ + @ , = - are allowed");
    expect_error("tree: ''\n", "1:7: invalid tree path '': it is empty");
    expect_error("tree: release.yaml\n", "1:7: invalid tree path 'release.yaml': release.yaml is the manifest itself");
    expect_error("tree: {a: b}\n", "1:7: 'tree' must be a path inside the release folder, got a mapping");
    expect_error("applications: [{module: ../x.so}]\n",
                 "1:25: invalid module path '../x.so': '..' leads out of the release folder");
    expect_error("appups: [/x.yaml]\n",
                 "1:10: invalid appup path '/x.yaml': it is absolute: paths are relative to the release folder");
    expect_error("files: {../x: " SUM_A "}\n", "1:9: invalid file path '../x': '..' leads out of the release folder");
}

static void applications(void **unused) {
    expect_error("applications: {a: 1}\n", "1:15: 'applications' must be a sequence, got a mapping");
    expect_error("applications: [a]\n", "1:16: expected a mapping for an application, got a scalar");
    expect_error("applications: [{name: a, version: 1}]\n",
                 "1:16: an application needs 'module' (it has name, version and module)");
    expect_error("applications:\n  - {name: a, version: 1, module: a.so}\n  - {name: a, version: 2, module: b.so}\n",
                 "3:5: application 'a' listed twice (first at line 2)");
    expect_error("applications:\n  - {name: a, version: 1, module: a.so}\n  - {name: b, version: 2, module: a.so}\n",
                 "3:5: applications 'a' and 'b' have the same module 'a.so'");
}

static void appups(void **unused) {
    expect_error("appups: a.yaml\n", "1:9: 'appups' must be a sequence, got a scalar");
    expect_error("appups: [a.yaml, b.yaml, a.yaml]\n", "1:26: appup 'a.yaml' listed twice");
    expect_error("appups: [[a]]\n", "1:10: 'appup' must be a path inside the release folder, got a sequence");
}

static void files(void **unused) {
    expect_error("files: [a]\n", "1:8: 'files' must be a mapping, got a sequence");
    expect_error("files:\n  t: " SUM_A "\n  t: " SUM_B "\n", "3:3: file 't' listed twice (first at line 2)");
    expect_error("files: {t: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08}\n",
                 "1:12: invalid SHA-256 '9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08' for 't' "
                 "(64 lowercase hex digits)");
    expect_error("files: {t: abc}\n", "1:12: invalid SHA-256 'abc' for 't' (64 lowercase hex digits)");
    expect_error("files: {t: [a]}\n", "1:12: invalid SHA-256 'a sequence' for 't' (64 lowercase hex digits)");
}

/* With `files:`, whatever the manifest names must be listed. */
static void named_files_must_be_listed(void **unused) {
    const char *head = "release: a\nversion: 1\ntree: t.yaml\n"
                       "applications: [{name: a, version: 1, module: a.so}]\n";
    char text[1000];
    snprintf(text, sizeof text, "%sfiles: {a.so: " SUM_A "}\n", head);
    expect_error(text, "3:7: tree 't.yaml' is not listed in 'files'");
    snprintf(text, sizeof text, "%sfiles: {t.yaml: " SUM_A "}\n", head);
    expect_error(text, "4:46: module 'a.so' is not listed in 'files'");
    snprintf(text, sizeof text, "%sappups: [u.yaml]\nfiles: {t.yaml: " SUM_A ", a.so: " SUM_A "}\n", head);
    expect_error(text, "5:10: appup 'u.yaml' is not listed in 'files'");
    snprintf(text, sizeof text, "%sfiles: {t.yaml: " SUM_A ", a.so: " SUM_A ", other: " SUM_B "}\n", head);
    struct nines_manifest *m = load_ok(text); /* listing more is fine */
    assert_int_equal(m->n_files, 3);
    nines_manifest_free(m);
}

static void yaml_errors_have_positions(void **unused) {
    expect_error("release: a\nversion: [1\n", "3:1: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence");
    expect_error("release: a\n---\nrelease: b\n", "2:1: a release manifest holds one YAML document, this is a second");
}

static void loading_a_file(void **unused) {
    struct nines_manifest *m = (struct nines_manifest *)1;
    struct nines_error err;
    char text[5000];
    assert_int_equal(nines_manifest_load("/nonexistent/release.yaml", &m, &err), -ENOENT);
    assert_null(m);
    nines_error_format(&err, text, sizeof text);
    assert_string_equal(text, "/nonexistent/release.yaml: cannot open the release manifest: No such file or directory");
    assert_int_equal(nines_manifest_load("/", &m, &err), -EISDIR);
    char path[] = "/tmp/nines-manifest-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(full, f);
    fclose(f);
    assert_int_equal(nines_manifest_load(path, &m, &err), 0);
    assert_string_equal(m->path, path);
    assert_int_equal(m->n_files, 4);
    nines_manifest_free(m);
    f = fopen(path, "w");
    fputs("release: a\nversion: 1\ntree: t\napplications: [{name: a}]\n", f);
    fclose(f);
    assert_int_equal(nines_manifest_load(path, &m, &err), -EINVAL);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 4);
    assert_int_equal(err.column, 16);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_field_is_read),
        cmocka_unit_test(a_spec_has_no_files_and_appups_are_optional),
        cmocka_unit_test(required_keys),
        cmocka_unit_test(unknown_duplicate_and_misplaced_keys),
        cmocka_unit_test(names_and_versions),
        cmocka_unit_test(paths_must_stay_inside_the_folder),
        cmocka_unit_test(applications),
        cmocka_unit_test(appups),
        cmocka_unit_test(files),
        cmocka_unit_test(named_files_must_be_listed),
        cmocka_unit_test(yaml_errors_have_positions),
        cmocka_unit_test(loading_a_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
