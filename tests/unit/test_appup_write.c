/*
 * Unit tests of the appup writer (appup/appup_write.c): the layout it
 * writes, and that whatever it writes loads back to the same appup — every
 * kind of child spec, every scalar YAML could misread, comments that the
 * loader skips — and what it refuses.
 */
#include "appup_compare.h"
#include "appup_fixture.h"

/* Load `yaml`, write it, and expect exactly `want`, where @DIR@ stands
 * for the fixture folder. */
static void expect_text(const char *yaml, const char *want) {
    char expected[4096];
    size_t used = 0;
    for (const char *p = want; *p && used < sizeof expected - 128;) {
        const char *at = strstr(p, "@DIR@");
        size_t n = at ? (size_t)(at - p) : strlen(p);
        used += (size_t)snprintf(expected + used, sizeof expected - used, "%.*s%s", (int)n, p, at ? fixture_dir : "");
        p += n + (at ? 5 : 0);
    }
    struct nines_appup *a = appup_ok(yaml);
    char *text = write_text(a);
    assert_string_equal(text, expected);
    free(text);
    round_trip(a, NULL);
    nines_appup_free(a);
}

static void writes_steps_in_their_layout(void **unused) {
    expect_text(HEAD "up:\n"
                     "  - from: 1.0.0\n"
                     "    steps:\n"
                     "      - add_child: {supervisor: web, child: {id: cache, module: apps/cache.so, args: {size: 64}}}\n"
                     "      - code_change: {extra: reformat}\n"
                     "      - remove_child: {supervisor: /web/pool, id: old}\n"
                     "      - change_child:\n"
                     "          supervisor: /\n"
                     "          id: pool\n"
                     "          child: {id: pool, supervisor: {strategy: one_for_all, children: []}}\n"
                     "      - supervisor_flags: {period: 90000ms, supervisor: /web, strategy: rest_for_one}\n"
                     "  - {from: [0.9.0, 0.9.1], steps: []}\n"
                     "down: [{to: 1.0.0, steps: [{code_change: {}}]}, {to: [0.9.0], steps: [{restart: {}}]}]\n",
                "application: echo\n"
                "version: 1.1.0\n"
                "up:\n"
                "  - from: 1.0.0\n"
                "    steps:\n"
                "      - add_child:\n"
                "          supervisor: web\n"
                "          child:\n"
                "            id: cache\n"
                "            module: @DIR@/apps/cache.so\n"
                "            args: {size: 64}\n"
                "      - code_change: {extra: reformat}\n"
                "      - remove_child: {supervisor: web/pool, id: old}\n"
                "      - change_child:\n"
                "          supervisor: /\n"
                "          id: pool\n"
                "          child:\n"
                "            id: pool\n"
                "            supervisor:\n"
                "              strategy: one_for_all\n"
                "              intensity: 1\n"
                "              period: 5s\n"
                "              children: []\n"
                "      - supervisor_flags: {supervisor: web, strategy: rest_for_one, period: 90s}\n"
                "  - from: [0.9.0, 0.9.1]\n"
                "    steps: []\n"
                "down:\n"
                "  - to: 1.0.0\n"
                "    steps:\n"
                "      - code_change: {}\n"
                "  - to: 0.9.0\n"
                "    steps:\n"
                "      - restart: {}\n");
}

/* Defaults are left out (restart permanent, a worker's 5 s, ready spawn,
 * max_children 0); durations take the largest unit that divides them. */
static void writes_specs_in_block_style(void **unused) {
    expect_text(HEAD "up: []\n"
                     "down: [{to: 1.0.0, steps: [\n"
                     "  {add_child: {supervisor: /, child: {id: jobs, restart: transient, supervisor: {\n"
                     "    strategy: rest_for_one, intensity: 0, period: 120s, children: [\n"
                     "      {id: a, module: apps/cache.so, shutdown: 5s},\n"
                     "      {id: b, exec: [/bin/sh, -c, 'exit 0'], ready: notify, shutdown: 1500ms},\n"
                     "      {id: pool, supervisor: {strategy: dynamic, max_children: 3, child: {\n"
                     "        id: conn, module: apps/cache.so, restart: temporary, shutdown: brutal_kill}}}]}}}},\n"
                     "  {supervisor_flags: {supervisor: jobs, intensity: 7}}]}]\n",
                "application: echo\n"
                "version: 1.1.0\n"
                "up: []\n"
                "down:\n"
                "  - to: 1.0.0\n"
                "    steps:\n"
                "      - add_child:\n"
                "          supervisor: /\n"
                "          child:\n"
                "            id: jobs\n"
                "            restart: transient\n"
                "            supervisor:\n"
                "              strategy: rest_for_one\n"
                "              intensity: 0\n"
                "              period: 2m\n"
                "              children:\n"
                "                - id: a\n"
                "                  module: @DIR@/apps/cache.so\n"
                "                - id: b\n"
                "                  exec: [/bin/sh, -c, \"exit 0\"]\n"
                "                  ready: notify\n"
                "                  shutdown: 1500ms\n"
                "                - id: pool\n"
                "                  supervisor:\n"
                "                    strategy: dynamic\n"
                "                    intensity: 1\n"
                "                    period: 5s\n"
                "                    max_children: 3\n"
                "                    child:\n"
                "                      id: conn\n"
                "                      module: @DIR@/apps/cache.so\n"
                "                      restart: temporary\n"
                "                      shutdown: brutal_kill\n"
                "      - supervisor_flags: {supervisor: jobs, intensity: 7}\n");
}

/* Each spec as the child of add_child and of change_child. */
static void every_child_spec_round_trips(void **unused) {
    static const char *const specs[] = {
        "{id: w, module: apps/cache.so}",
        "{id: w, module: apps/cache.so, args: {size: '64', 'a b': 'x: y', empty: '', n: ~}, restart: transient}",
        "{id: w, module: apps/cache.so, shutdown: infinity}",
        "{id: w, module: apps/cache.so, shutdown: 0ms}",
        "{id: w, module: apps/cache.so, shutdown: 60001ms}",
        "{id: w, exec: [sh], shutdown: 2m}",
        "{id: w, exec: [/bin/sh, -c, 'echo \"$1\" # no comment', --, '-'], ready: notify, args: {k: v}}",
        "{id: w, exec: [/bin/sh], ready: spawn, restart: temporary, shutdown: brutal_kill}",
        "{id: w, supervisor: {children: []}}",
        "{id: w, restart: temporary, supervisor: {strategy: one_for_all, intensity: 1000000, period: 1ms, "
        "children: [{id: x, module: apps/cache.so}, {id: y, supervisor: {strategy: rest_for_one, children: "
        "[{id: z, exec: [/bin/true]}]}}]}}",
        "{id: w, supervisor: {strategy: dynamic, child: {id: t, module: apps/cache.so}}}",
        "{id: w, supervisor: {strategy: dynamic, max_children: 4294, period: 3m, child: {id: t, exec: [/bin/sh], "
        "args: {a: b}}}}",
        "{id: '-', module: apps/cache.so}",
        "{id: .x_-9, module: apps/cache.so}",
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        char yaml[2048], id[64];
        struct nines_child_spec *c = NULL;
        struct nines_error err;
        assert_int_equal(nines_child_load_string("spec", fixture_dir, specs[i], strlen(specs[i]), &c, &err), 0);
        snprintf(id, sizeof id, "%s", c->id);
        nines_child_spec_free(c);
        snprintf(yaml, sizeof yaml, HEAD "up:\n  - from: 1.0.0\n    steps:\n      - add_child: {supervisor: s, child: %s}\n"
                 "      - change_child: {supervisor: s/t, id: '%s', child: %s}\ndown: []\n", specs[i], id, specs[i]);
        struct nines_appup *a = appup_ok(yaml);
        round_trip(a, NULL);
        nines_appup_free(a);
    }
}

/* Strings YAML could take for something else: each as an extra, an
 * argument's name and value, and a program's argument. */
static void tricky_scalars_round_trip(void **unused) {
    static const char *const texts[] = {
        "", " ", " lead", "trail ", "a: b", "a:b", ":", "#x", "a #b", "x#", "'", "\"", "\\", "\\n", "line\nbreak",
        "\n", "crlf\r\n", "tab\there", "\x01\x1f", "\x7f", "é", "日本語", "😀", "\xe2\x80\xa8", "\xc2\x85",
        "\xef\xbb\xbf", "\xc2\xa0", "\xc2\x80", "\xef\xbf\xbe", "true", "null", "~", "-", "--", "- x", "-x", "?",
        "? x", "@at", "`tick", "%p", "!tag", "&anchor", "*alias", "|", ">", "[", "]", "{", "}", ",", "a,b",
        "---", "...", "=", "<<", "0x1F", "1e3", ".inf", "010", "/", "./x", "a/b.c+d=e-f_g",
    };
    struct nines_appup *a = appup_ok(HEAD "up:\n  - from: 1.0.0\n    steps:\n      - code_change: {extra: x}\n"
                                          "      - add_child: {supervisor: s, child: {id: w, exec: [/bin/sh, x], "
                                          "args: {x: x}}}\ndown: []\n");
    struct nines_appup_step *s = a->up[0].steps;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *args[] = {s[0].extra, s[1].child->exec_argv[1], s[1].child->args[0].key, s[1].child->args[0].value};
        for (size_t j = 0; j < 4; j++)
            free(args[j]);
        s[0].extra = strdup(texts[i]);
        s[1].child->exec_argv[1] = strdup(texts[i]);
        s[1].child->args[0].key = strdup(*texts[i] && !strchr(texts[i], '=') ? texts[i] : "k");
        s[1].child->args[0].value = strdup(texts[i]);
        round_trip(a, NULL);
    }
    nines_appup_free(a);
}

/* Versions are printable without spaces: some still need quotes. */
static void versions_round_trip(void **unused) {
    static const char *const versions[] = {"1.0#x", "[1]", "a,b", "1:2", "-", "{x}", "*1", "&1", "!1", "%1", "@1"};
    struct nines_appup *a = appup_ok(HEAD "up:\n  - from: [0.1, 0.2]\n    steps: []\ndown:\n"
                                          "  - to: 0.3\n    steps: []\n");
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        free(a->up[0].versions[1]);
        a->up[0].versions[1] = strdup(versions[i]);
        free(a->down[0].versions[0]);
        a->down[0].versions[0] = strdup(versions[i]);
        round_trip(a, NULL);
    }
    nines_appup_free(a);
}

/* Comments come out as '#' lines no wider than 78 columns, in the words
 * given; a word longer than a line stands alone; line breaks are kept. */
static void comments_are_wrapped_lines(void **unused) {
    struct nines_appup *a = appup_ok(HEAD "up:\n  - from: 1.0.0\n    steps:\n      - restart: {}\ndown: []\n");
    char word[100];
    memset(word, 'w', sizeof word - 1);
    word[sizeof word - 1] = '\0';
    a->comment = strdup("Generated: review it. The quick brown fox jumps over the lazy dog, then over the lazy "
                        "dog again, and once more.\n\nSecond paragraph.");
    assert_int_equal(asprintf(&a->up[0].steps[0].comment, "Short. %s end", word), (int)strlen(word) + 11);
    char *text = write_text(a);
    char want[1024];
    snprintf(want, sizeof want,
             "# Generated: review it. The quick brown fox jumps over the lazy dog, then over\n"
             "# the lazy dog again, and once more.\n"
             "#\n"
             "# Second paragraph.\n"
             "application: echo\n"
             "version: 1.1.0\n"
             "up:\n"
             "  - from: 1.0.0\n"
             "    steps:\n"
             "      # Short.\n"
             "      # %s\n"
             "      # end\n"
             "      - restart: {}\n"
             "down: []\n",
             word);
    assert_string_equal(text, want);
    free(text);
    round_trip(a, NULL);
    nines_appup_free(a);
}

/* A YAML file holds UTF-8 only: anything else is refused, not mangled. */
static void invalid_utf8_is_refused(void **unused) {
    static const char *const bad[] = {"\xff", "a\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80"};
    struct nines_appup *a = appup_ok(HEAD "up:\n  - from: 1.0.0\n    steps:\n      - code_change: {extra: x}\n"
                                          "down: []\n");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        free(a->up[0].steps[0].extra);
        a->up[0].steps[0].extra = strdup(bad[i]);
        FILE *f = fopen("/dev/null", "w");
        assert_non_null(f);
        assert_int_equal(nines_appup_write(a, f), -EILSEQ);
        fclose(f);
    }
    nines_appup_free(a);
}

static void write_errors_are_reported(void **unused) {
    struct nines_appup *a = appup_ok(HEAD "up: []\ndown: []\n");
    FILE *f = fopen("/dev/full", "w");
    assert_non_null(f);
    setvbuf(f, NULL, _IONBF, 0);
    assert_int_equal(nines_appup_write(a, f), -EIO);
    fclose(f);
    nines_appup_free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_steps_in_their_layout),
        cmocka_unit_test(writes_specs_in_block_style),
        cmocka_unit_test(every_child_spec_round_trips),
        cmocka_unit_test(tricky_scalars_round_trip),
        cmocka_unit_test(versions_round_trip),
        cmocka_unit_test(comments_are_wrapped_lines),
        cmocka_unit_test(invalid_utf8_is_refused),
        cmocka_unit_test(write_errors_are_reported),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
