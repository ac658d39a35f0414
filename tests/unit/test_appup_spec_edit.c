/*
 * Unit tests of adding appups to a spec's text (appup/appup_spec_edit.h):
 * each layout of `appups:` (none, empty, a flow sequence empty or not, a
 * block sequence at any indent, followed by more keys and comments) gets
 * the new paths, keeps every other line as it was, and still loads as a
 * manifest that lists exactly the old appups and then the new ones;
 * layouts it cannot edit are refused with why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "appup_spec_edit.h"
#include "manifest.h"

#define HEAD "# my spec\nrelease: myapp\nversion: 2.0.0\ntree: tree.yaml\n" \
             "applications:\n  - {name: kv, version: 2.0.0, module: apps/kv.so}\n"

static const char *const added[] = {"appups/kv.appup.yaml", "appups/echo.appup.yaml"};

/* Edit `text`, check the result is `want` and loads with `listed` appups. */
static void edits_to(const char *text, const char *want, const char *const *listed, size_t n_listed) {
    char *out, why[128];
    assert_int_equal(nines_spec_add_appups(text, added, 2, &out, why, sizeof why), 0);
    assert_string_equal(out, want);
    struct nines_manifest *m;
    struct nines_error err;
    if (nines_manifest_load_string("release.yaml", out, strlen(out), &m, &err) < 0)
        fail_msg("the edited spec does not load: %s", err.message);
    assert_int_equal(m->n_appups, n_listed);
    for (size_t i = 0; i < n_listed; i++)
        assert_string_equal(m->appups[i].path, listed[i]);
    nines_manifest_free(m);
    free(out);
}

static void no_key_gets_one_at_the_end(void **unused) {
    const char *both[] = {added[0], added[1]};
    edits_to(HEAD, HEAD "appups: [appups/kv.appup.yaml, appups/echo.appup.yaml]\n", both, 2);
    /* Without a last newline, one comes first. */
    edits_to("release: myapp\nversion: 2.0.0\ntree: tree.yaml\napplications: []",
             "release: myapp\nversion: 2.0.0\ntree: tree.yaml\napplications: []\n"
             "appups: [appups/kv.appup.yaml, appups/echo.appup.yaml]\n", both, 2);
}

static void a_flow_sequence_gets_them_before_its_end(void **unused) {
    const char *three[] = {"appups/a.appup.yaml", added[0], added[1]};
    edits_to(HEAD "appups: [appups/a.appup.yaml]   # the old one\n# more\n",
             HEAD "appups: [appups/a.appup.yaml, appups/kv.appup.yaml, appups/echo.appup.yaml]   # the old one\n"
                  "# more\n", three, 3);
    const char *both[] = {added[0], added[1]};
    edits_to(HEAD "appups: [ ]\n", HEAD "appups: [ appups/kv.appup.yaml, appups/echo.appup.yaml]\n", both, 2);
}

static void a_block_sequence_gets_lines_at_its_indent(void **unused) {
    const char *three[] = {"appups/a.appup.yaml", added[0], added[1]};
    edits_to(HEAD "appups:\n    - appups/a.appup.yaml\n\n# after\n",
             HEAD "appups:\n    - appups/a.appup.yaml\n    - appups/kv.appup.yaml\n    - appups/echo.appup.yaml\n\n"
                  "# after\n", three, 3);
    const char *four[] = {"appups/a.appup.yaml", "appups/b.appup.yaml", added[0], added[1]};
    edits_to("appups:\n- appups/a.appup.yaml\n# between\n- appups/b.appup.yaml\n" HEAD,
             "appups:\n- appups/a.appup.yaml\n# between\n- appups/b.appup.yaml\n- appups/kv.appup.yaml\n"
             "- appups/echo.appup.yaml\n" HEAD, four, 4);
}

static void an_empty_key_becomes_a_flow_sequence(void **unused) {
    const char *both[] = {added[0], added[1]};
    edits_to("appups:\n" HEAD, "appups: [appups/kv.appup.yaml, appups/echo.appup.yaml]\n" HEAD, both, 2);
}

static void other_layouts_are_refused(void **unused) {
    char *out, why[128];
    assert_int_equal(nines_spec_add_appups(HEAD "appups: [appups/a.appup.yaml,\n  appups/b.appup.yaml]\n", added,
                                           2, &out, why, sizeof why), -1);
    assert_string_equal(why, "its appups: is a flow sequence over several lines");
    assert_null(out);
    assert_int_equal(nines_spec_add_appups(HEAD "appups: appups/a.appup.yaml\n", added, 2, &out, why, sizeof why),
                     -1);
    assert_string_equal(why, "its appups: is not a sequence");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_key_gets_one_at_the_end),
        cmocka_unit_test(a_flow_sequence_gets_them_before_its_end),
        cmocka_unit_test(a_block_sequence_gets_lines_at_its_indent),
        cmocka_unit_test(an_empty_key_becomes_a_flow_sequence),
        cmocka_unit_test(other_layouts_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
