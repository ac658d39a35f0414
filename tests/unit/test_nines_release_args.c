/*
 * Unit tests of nines-release's command line (release/tool/args.c): options
 * a command takes and those it does not, values, operands in any place
 * among the options, --help, the one-line reasons of a usage error, and
 * the synopsis written from the same table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "release.h"

static const struct command unpack = {"unpack", NULL, (1u << OPT_WORKER) | (1u << OPT_PREVIOUS), {"RELEASE", "DIR"},
                                      "unpack"};
static const struct command build = {"build", NULL,
                                     (1u << OPT_FORCE) | (1u << OPT_NO_VERIFY) | (1u << OPT_WORKER) |
                                         (1u << OPT_PREVIOUS),
                                     {"SPEC.yaml", "OUTDIR"}, "build"};
static const struct command inspect = {"inspect", NULL, 1u << OPT_JSON, {"RELEASE"}, "inspect"};

static struct args a;
static char why[256];

/* Parse a NULL-terminated list of words (after the command's name). */
#define PARSE(c, ...) parse(c, (const char *[]){__VA_ARGS__, NULL})

static int parse(const struct command *c, const char **words) {
    int argc = 0;
    while (words[argc])
        argc++;
    why[0] = '\0';
    return args_parse(c, argc, (char *const *)words, &a, why, sizeof why);
}

static void options_and_operands_in_any_order(void **unused) {
    assert_int_equal(PARSE(&unpack, "--worker", "/w", "r.tar.gz", "--previous", "/rel/myapp/1.0.0", "/rel"), 0);
    assert_string_equal(a.verify.worker, "/w");
    assert_string_equal(a.verify.previous, "/rel/myapp/1.0.0");
    assert_string_equal(a.operands[0], "r.tar.gz");
    assert_string_equal(a.operands[1], "/rel");
    assert_false(a.help);
    assert_int_equal(PARSE(&unpack, "r", "d"), 0);
    assert_null(a.verify.worker);
    assert_null(a.verify.previous);
    assert_int_equal(PARSE(&build, "--no-verify", "spec.yaml", "--force", "out"), 0);
    assert_true(a.force);
    assert_true(a.no_verify);
    assert_false(a.json);
    assert_string_equal(a.operands[1], "out");
    assert_int_equal(PARSE(&inspect, "r", "--json"), 0);
    assert_true(a.json);
    /* "-" is an operand (a name), not an option. */
    assert_int_equal(PARSE(&inspect, "-"), 0);
    assert_string_equal(a.operands[0], "-");
}

static void words_a_command_does_not_take(void **unused) {
    assert_int_equal(PARSE(&unpack, "--json", "r", "d"), -EINVAL);
    assert_string_equal(why, "unexpected '--json'");
    assert_int_equal(PARSE(&inspect, "--previous", "p", "r"), -EINVAL);
    assert_string_equal(why, "unexpected '--previous'");
    assert_int_equal(PARSE(&unpack, "r", "d", "e"), -EINVAL);
    assert_string_equal(why, "unexpected 'e'");
    assert_int_equal(PARSE(&unpack, "--verbose", "r", "d"), -EINVAL);
    assert_string_equal(why, "unexpected '--verbose'");
}

static void missing_operands_and_values(void **unused) {
    assert_int_equal(PARSE(&unpack, "r"), -EINVAL);
    assert_string_equal(why, "missing DIR");
    assert_int_equal(parse(&unpack, (const char *[]){NULL}), -EINVAL);
    assert_string_equal(why, "missing RELEASE");
    assert_int_equal(PARSE(&unpack, "r", "d", "--previous"), -EINVAL);
    assert_string_equal(why, "'--previous' needs a value (RELEASE)");
    assert_int_equal(PARSE(&build, "s", "o", "--worker"), -EINVAL);
    assert_string_equal(why, "'--worker' needs a value (PATH)");
}

/* --help wins over anything else on the line, even a wrong word. */
static void help_anywhere(void **unused) {
    assert_int_equal(PARSE(&unpack, "--help"), 0);
    assert_true(a.help);
    assert_int_equal(PARSE(&unpack, "r", "-h"), 0);
    assert_true(a.help);
    assert_int_equal(PARSE(&inspect, "--bogus", "--help"), 0);
    assert_true(a.help);
}

static void synopsis_from_the_table(void **unused) {
    char buf[256];
    assert_int_equal(args_synopsis(&unpack, buf, sizeof buf),
                     strlen("unpack [--worker PATH] [--previous RELEASE] RELEASE DIR"));
    assert_string_equal(buf, "unpack [--worker PATH] [--previous RELEASE] RELEASE DIR");
    args_synopsis(&build, buf, sizeof buf);
    assert_string_equal(buf, "build [--force] [--no-verify] [--worker PATH] [--previous RELEASE] SPEC.yaml OUTDIR");
    args_synopsis(&inspect, buf, sizeof buf);
    assert_string_equal(buf, "inspect [--json] RELEASE");
    /* Cut short, it still says how long it would be, NUL-terminated. */
    assert_int_equal(args_synopsis(&inspect, buf, 8), strlen("inspect [--json] RELEASE"));
    assert_string_equal(buf, "inspect");
    assert_int_equal(args_synopsis(&inspect, NULL, 0), strlen("inspect [--json] RELEASE"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_and_operands_in_any_order),
        cmocka_unit_test(words_a_command_does_not_take),
        cmocka_unit_test(missing_operands_and_values),
        cmocka_unit_test(help_anywhere),
        cmocka_unit_test(synopsis_from_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
