/* Unit tests of the cgroup rule (cgroup_rule.h): when ninesd uses a cgroup
 * per child, when it refuses to start, and what the cgroups are called. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "cgroup_rule.h"

static enum cgroup_verdict decide(enum nines_cgroup_mode m, bool v2, bool w, bool del, bool unit, bool pid1,
                                  const char **why) {
    struct cgroup_facts f = {v2, w, del, unit, pid1};
    return cgroup_decide(m, &f, why);
}

static void modes_parse(void **unused) {
    enum nines_cgroup_mode m;
    assert_int_equal(nines_cgroup_mode_parse("on", &m), 0);
    assert_int_equal(m, NINES_CGROUPS_ON);
    assert_int_equal(nines_cgroup_mode_parse("auto", &m), 0);
    assert_int_equal(m, NINES_CGROUPS_AUTO);
    assert_int_equal(nines_cgroup_mode_parse("off", &m), 0);
    assert_int_equal(m, NINES_CGROUPS_OFF);
    assert_int_equal(nines_cgroup_mode_parse("yes", &m), -EINVAL);
}

/* auto: only a cgroup that is ninesd's to divide. */
static void auto_uses_only_what_was_given(void **unused) {
    const char *why;
    assert_int_equal(decide(NINES_CGROUPS_AUTO, true, true, true, false, false, &why), CGROUP_USE);
    assert_int_equal(decide(NINES_CGROUPS_AUTO, true, true, false, true, false, &why), CGROUP_USE);
    /* PID 1 is no proof: unshare --pid shares its cgroup with others. */
    assert_int_equal(decide(NINES_CGROUPS_AUTO, true, true, false, false, true, &why), CGROUP_SKIP);
    assert_string_equal(why, "its cgroup was not delegated to it (a container's own cgroup: --cgroups on)");
    assert_int_equal(decide(NINES_CGROUPS_AUTO, true, true, false, false, false, &why), CGROUP_SKIP);
    assert_string_equal(why, "its cgroup was not delegated to it (--cgroups on uses it anyway)");
    assert_int_equal(decide(NINES_CGROUPS_AUTO, true, false, true, true, false, &why), CGROUP_SKIP);
    assert_string_equal(why, "ninesd's cgroup is not writable by it (Delegate=yes in the unit gives it one)");
    assert_int_equal(decide(NINES_CGROUPS_AUTO, false, false, false, false, false, &why), CGROUP_SKIP);
    assert_string_equal(why, "ninesd is in no cgroup v2 hierarchy");
}

/* on: used wherever writable, a refusal to start where not; off: never. */
static void on_insists_off_never(void **unused) {
    const char *why;
    assert_int_equal(decide(NINES_CGROUPS_ON, true, true, false, false, false, &why), CGROUP_USE);
    assert_int_equal(decide(NINES_CGROUPS_ON, true, false, false, false, false, &why), CGROUP_REFUSE);
    assert_string_equal(why, "ninesd's cgroup is not writable by it");
    assert_int_equal(decide(NINES_CGROUPS_ON, false, false, false, false, false, &why), CGROUP_REFUSE);
    assert_int_equal(decide(NINES_CGROUPS_OFF, true, true, true, true, true, &why), CGROUP_SKIP);
    assert_string_equal(why, "--cgroups off");
}

static void names(void **unused) {
    char out[CGROUP_NAME_MAX + 1];
    cgroup_child_name("web/listener", out);
    assert_string_equal(out, "child-web:listener");
    cgroup_child_name("a.b", out);
    assert_string_equal(out, "child-a.b"); /* not the same as a/b */
    char longp[600];
    memset(longp, 'x', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    cgroup_child_name(longp, out);
    assert_int_equal(strlen(out), CGROUP_NAME_MAX);
    char other[CGROUP_NAME_MAX + 1];
    longp[598] = 'y'; /* differs only past the cut: the hash tells them apart */
    cgroup_child_name(longp, other);
    assert_int_equal(strlen(other), CGROUP_NAME_MAX);
    assert_string_not_equal(out, other);
    assert_memory_equal(out, other, CGROUP_NAME_MAX - 17);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(modes_parse),
        cmocka_unit_test(auto_uses_only_what_was_given),
        cmocka_unit_test(on_insists_off_never),
        cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
