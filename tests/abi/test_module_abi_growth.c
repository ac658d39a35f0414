/*
 * The module ABI's growth rule, tested as it will be lived: this file and
 * the descriptor check it links are compiled against a copy of
 * nines/module.h with one more field appended to struct nines_module (what
 * a later revision of the header does), and they load modules built against
 * today's header. Those must still pass the check, and the new field must
 * read as absent; a descriptor of the grown revision must read it as
 * present. Under the old rule (size at least today's sizeof) the first test
 * fails.
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "module_check.h"

#ifndef NINES_BUILD_DIR
#error "NINES_BUILD_DIR is set by the Makefile"
#endif

static const char *const v1_modules[] = {
    NINES_BUILD_DIR "/tests/apps/trivial.so",
    NINES_BUILD_DIR "/examples/counter.so",
};

static void this_host_really_has_a_grown_descriptor(void **unused) {
    assert_true(sizeof(struct nines_module) > NINES_MODULE_SIZE_V1);
}

static void a_module_built_against_revision_1_still_runs(void **unused) {
    for (size_t i = 0; i < sizeof v1_modules / sizeof *v1_modules; i++) {
        void *dl = dlopen(v1_modules[i], RTLD_LAZY | RTLD_LOCAL) /* the runtime functions are the host's */;
        if (!dl)
            fail_msg("%s", dlerror());
        const struct nines_module *m = dlsym(dl, NINES_MODULE_SYMBOL);
        assert_non_null(m);
        assert_int_equal(m->size, offsetof(struct nines_module, appended_in_test));
        char err[256] = "";
        if (nines_module_check(m, err, sizeof err) != 0)
            fail_msg("%s refused: %s", v1_modules[i], err);
        assert_true(NINES_MODULE_HAS(m, free_state));
        assert_true(NINES_MODULE_HAS(m, flags));
        assert_false(NINES_MODULE_HAS(m, appended_in_test));
        dlclose(dl);
    }
}

static int grown_init(nines_ctx *c, void **s) { return 0; }
static void grown_terminate(nines_ctx *c, void *s, const struct nines_stop_reason *r) {}
static void grown_field(void) {}

static void a_module_of_the_grown_revision_has_its_field(void **unused) {
    static const struct nines_module grown = {
        .magic = NINES_MAGIC, .abi_version = NINES_ABI_VERSION, .size = sizeof(struct nines_module),
        .name = "grown", .version = "2", .init = grown_init, .terminate = grown_terminate,
        .appended_in_test = grown_field};
    const struct nines_module *m = &grown;
    char err[256] = "";
    assert_int_equal(nines_module_check(m, err, sizeof err), 0);
    assert_true(NINES_MODULE_HAS(m, appended_in_test));
}

/* A revision 1 descriptor ends at free_state: what lies after it (here a
 * flags word no host knows) is never read. */
static void a_revision_1_descriptor_is_not_read_past_its_size(void **unused) {
    static const struct nines_module v1 = {
        .magic = NINES_MAGIC, .abi_version = NINES_ABI_VERSION, .size = NINES_MODULE_SIZE_V1,
        .name = "old", .version = "1", .init = grown_init, .terminate = grown_terminate, .flags = 0xdead0000u};
    char err[256] = "";
    assert_false(NINES_MODULE_HAS(&v1, flags));
    assert_int_equal(nines_module_check(&v1, err, sizeof err), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(this_host_really_has_a_grown_descriptor),
        cmocka_unit_test(a_module_built_against_revision_1_still_runs),
        cmocka_unit_test(a_module_of_the_grown_revision_has_its_field),
        cmocka_unit_test(a_revision_1_descriptor_is_not_read_past_its_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
