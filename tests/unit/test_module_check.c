/* Unit tests of the descriptor checks, in the order the host makes them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "module_check.h"

static int ok_init(nines_ctx *c, void **s) { return 0; }
static void ok_terminate(nines_ctx *c, void *s, const struct nines_stop_reason *r) {}

static struct nines_module good(void) {
    return (struct nines_module){.magic = NINES_MAGIC, .abi_version = NINES_ABI_VERSION,
                                 .size = sizeof(struct nines_module), .name = "app-1_x",
                                 .version = "1.2.0-rc1", .init = ok_init, .terminate = ok_terminate};
}

static void expect_refusal(const struct nines_module *m, const char *text) {
    char err[256] = "";
    assert_int_equal(nines_module_check(m, err, sizeof err), -EPROTO);
    if (!strstr(err, text))
        fail_msg("\"%s\" does not contain \"%s\"", err, text);
}

static void a_complete_descriptor_passes(void **unused) {
    struct nines_module m = good();
    char err[256] = "";
    assert_int_equal(nines_module_check(&m, err, sizeof err), 0);
    m.size += 64; /* a newer build with appended fields is fine */
    assert_int_equal(nines_module_check(&m, err, sizeof err), 0);
}

static void magic_is_checked_before_anything_else(void **unused) {
    struct nines_module m = good();
    m.magic = 0x12345678, m.abi_version = 9, m.name = NULL;
    expect_refusal(&m, "bad magic 0x12345678, expected 0x4e494e45");
}

static void abi_version_is_checked_before_size_and_fields(void **unused) {
    struct nines_module m = good();
    m.abi_version = 7, m.size = 4, m.init = NULL;
    expect_refusal(&m, "ABI version 7, this host supports 1");
}

static void a_truncated_descriptor_is_refused(void **unused) {
    struct nines_module m = good();
    m.size = offsetof(struct nines_module, code_change);
    expect_refusal(&m, "descriptor size");
}

static void the_first_revision_size_is_the_floor(void **unused) {
    struct nines_module m = good();
    char err[256] = "";
    m.size = NINES_MODULE_SIZE_V1;
    assert_int_equal(nines_module_check(&m, err, sizeof err), 0);
    assert_true(NINES_MODULE_HAS(&m, free_state));
    m.size = NINES_MODULE_SIZE_V1 - 1;
    expect_refusal(&m, "expected at least");
    assert_false(NINES_MODULE_HAS(&m, free_state));
    assert_true(NINES_MODULE_HAS(&m, code_change));
}

static void a_non_zero_reserved_field_is_refused(void **unused) {
    struct nines_module m = good();
    m.reserved = 3;
    expect_refusal(&m, "reserved field is 3, expected 0");
}

static void unknown_flags_are_refused(void **unused) {
    struct nines_module m = good();
    m.flags = NINES_MODULE_STALE_RESTORE | 0x40;
    expect_refusal(&m, "flags 0x41 has bits this host does not know");
}

static void names_and_versions_are_validated(void **unused) {
    const char *bad_names[] = {"", "Upper", "has space", "dot.ted", "slash/x",
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        struct nines_module m = good();
        m.name = bad_names[i];
        expect_refusal(&m, "invalid name");
    }
    struct nines_module m = good();
    m.name = NULL;
    expect_refusal(&m, "invalid name \"(null)\"");
    const char *bad_versions[] = {"", "1.0 beta", "1.0\n", "\x7f"};
    for (size_t i = 0; i < sizeof bad_versions / sizeof *bad_versions; i++) {
        m = good();
        m.version = bad_versions[i];
        expect_refusal(&m, "invalid version");
    }
    m = good();
    m.version = NULL;
    expect_refusal(&m, "invalid version");
    assert_true(nines_module_name_valid("a"));
    assert_true(nines_module_name_valid("kv-store_2"));
}

static void required_callbacks_are_named(void **unused) {
    struct nines_module m = good();
    m.init = NULL;
    expect_refusal(&m, "app-1_x 1.2.0-rc1: required callback init is missing");
    m = good();
    m.terminate = NULL;
    expect_refusal(&m, "required callback terminate is missing");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_complete_descriptor_passes),
        cmocka_unit_test(magic_is_checked_before_anything_else),
        cmocka_unit_test(abi_version_is_checked_before_size_and_fields),
        cmocka_unit_test(a_truncated_descriptor_is_refused),
        cmocka_unit_test(the_first_revision_size_is_the_floor),
        cmocka_unit_test(a_non_zero_reserved_field_is_refused),
        cmocka_unit_test(unknown_flags_are_refused),
        cmocka_unit_test(names_and_versions_are_validated),
        cmocka_unit_test(required_callbacks_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
