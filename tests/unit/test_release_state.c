/*
 * Unit tests of the release handler's state (release_state.h): every
 * transition from every status, every refusal (with the state left as it
 * was), the state file's parser with its FILE:LINE:COLUMN errors, and the
 * writer.
 *
 * States are written compactly as "1:p 2:c 3:u 4:o": version and status
 * (u unpacked, c current, p permanent, o old), in order, in release "app".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "release_state.h"

/* --- compact states ----------------------------------------------------- */

static enum nines_rel_status status_of(char c) {
    switch (c) {
    case 'c': return NINES_REL_CURRENT;
    case 'p': return NINES_REL_PERMANENT;
    case 'o': return NINES_REL_OLD;
    default: return NINES_REL_UNPACKED;
    }
}

/* Build the state "1:p 2:c" through the parser, so that it is a valid one. */
static void state_of(const char *spec, struct nines_rel_state *s) {
    char text[2000] = "releases: []\n";
    size_t used = 0;
    if (*spec)
        used = (size_t)snprintf(text, sizeof text, "release: app\nreleases:\n");
    char version[64], st;
    int n;
    for (const char *p = spec; sscanf(p, " %63[^:]:%c%n", version, &st, &n) == 2; p += n)
        used += (size_t)snprintf(text + used, sizeof text - used, "  - {version: \"%s\", status: %s}\n", version,
                                 nines_rel_status_name(status_of(st)));
    struct nines_error err;
    int r = nines_rel_state_load_string("s.yaml", text, strlen(text), s, &err);
    if (r < 0)
        fail_msg("bad test state '%s': %u:%u: %s", spec, err.line, err.column, err.message);
}

/* The compact form of a state, for comparisons. */
static const char *spec_of(const struct nines_rel_state *s) {
    static char buf[2000];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s:%c", i ? " " : "", s->v[i].version,
                                 nines_rel_status_name(s->v[i].status)[0]);
    return buf;
}

typedef int (*transition_fn)(struct nines_rel_state *s, const char *version, char *why, size_t size);

/* One case: from `before`, apply fn to `version`; expect `code` and
 * `after` (for a refusal: `before`, and a reason containing `why`). */
static void expect(transition_fn fn, const char *before, const char *version, int code, const char *after,
                   const char *why_part) {
    struct nines_rel_state s;
    char why[512] = "";
    state_of(before, &s);
    int r = fn(&s, version, why, sizeof why);
    if (r != code)
        fail_msg("from '%s' with %s: got %d (%s), expected %d", before, version, r, why, code);
    assert_string_equal(spec_of(&s), code == 0 ? after : before);
    if (code != 0 && why_part && !strstr(why, why_part))
        fail_msg("from '%s' with %s: reason '%s' does not say '%s'", before, version, why, why_part);
    if (code == 0)
        assert_string_equal(why, "");
    assert_true(s.n ? s.release != NULL : s.release == NULL);
    nines_rel_state_free(&s);
}

/* --- queries ------------------------------------------------------------ */

static void status_names(void **unused) {
    assert_string_equal(nines_rel_status_name(NINES_REL_UNPACKED), "unpacked");
    assert_string_equal(nines_rel_status_name(NINES_REL_CURRENT), "current");
    assert_string_equal(nines_rel_status_name(NINES_REL_PERMANENT), "permanent");
    assert_string_equal(nines_rel_status_name(NINES_REL_OLD), "old");
    assert_string_equal(nines_rel_status_name((enum nines_rel_status)7), "?");
}

static void find_permanent_and_running(void **unused) {
    static const struct {
        const char *spec, *permanent, *running;
    } cases[] = {
        {"", NULL, NULL},
        {"1:u", NULL, NULL},
        {"1:o 2:u", NULL, NULL},
        {"1:c", NULL, "1"},
        {"1:p", "1", "1"},
        {"1:p 2:c", "1", "2"},
        {"1:o 2:c 3:p 4:u", "3", "2"},
        {"1:o 2:p 3:u", "2", "2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nines_rel_state s;
        state_of(cases[i].spec, &s);
        const char *p = nines_rel_state_permanent(&s), *r = nines_rel_state_running(&s);
        if (cases[i].permanent ? !p || strcmp(p, cases[i].permanent) : p != NULL)
            fail_msg("'%s': permanent %s", cases[i].spec, p ? p : "NULL");
        if (cases[i].running ? !r || strcmp(r, cases[i].running) : r != NULL)
            fail_msg("'%s': running %s", cases[i].spec, r ? r : "NULL");
        nines_rel_state_free(&s);
    }
    struct nines_rel_state s;
    state_of("1:o 2:p 3:u", &s);
    assert_int_equal(nines_rel_state_find(&s, "3")->status, NINES_REL_UNPACKED);
    assert_ptr_equal(nines_rel_state_find(&s, "2"), &s.v[1]);
    assert_null(nines_rel_state_find(&s, "4"));
    assert_null(nines_rel_state_find(&s, ""));
    nines_rel_state_free(&s);
    nines_rel_state_free(&s); /* an empty state can be freed again */
}

static void a_copy_is_its_own(void **unused) {
    struct nines_rel_state s, copy;
    state_of("1:o 2:p 3:c 4:u", &s);
    assert_int_equal(nines_rel_state_copy(&s, &copy), 0);
    assert_string_equal(spec_of(&copy), "1:o 2:p 3:c 4:u");
    assert_string_equal(copy.release, "app");
    assert_ptr_not_equal(copy.release, s.release);
    assert_ptr_not_equal(copy.v[0].version, s.v[0].version);
    assert_int_equal(nines_rel_state_make_permanent(&copy, "3", NULL, 0), 0);
    assert_string_equal(spec_of(&s), "1:o 2:p 3:c 4:u");
    nines_rel_state_free(&s);
    assert_string_equal(spec_of(&copy), "1:o 2:o 3:p 4:u");
    nines_rel_state_free(&copy);
    assert_int_equal(nines_rel_state_copy(&s, &copy), 0); /* of an empty one */
    assert_null(copy.release);
    assert_null(copy.v);
    assert_int_equal(copy.n, 0);
}

/* --- add ---------------------------------------------------------------- */

static int add_to_app(struct nines_rel_state *s, const char *version, char *why, size_t size) {
    return nines_rel_state_add(s, "app", version, why, size);
}

static void add_appends_an_unpacked_entry(void **unused) {
    struct nines_rel_state s = {0};
    char why[256] = "";
    assert_int_equal(nines_rel_state_add(&s, "myapp", "1.0.0", why, sizeof why), 0);
    assert_string_equal(s.release, "myapp");
    assert_string_equal(spec_of(&s), "1.0.0:u");
    assert_int_equal(nines_rel_state_add(&s, "myapp", "0.9", NULL, 0), 0);
    assert_string_equal(spec_of(&s), "1.0.0:u 0.9:u");
    assert_string_equal(why, "");
    nines_rel_state_free(&s);
    /* Whatever the statuses already there. */
    expect(add_to_app, "1:p 2:c 3:o 4:u", "5", 0, "1:p 2:c 3:o 4:u 5:u", NULL);
    expect(add_to_app, "", "1-rc.2+x", 0, "1-rc.2+x:u", NULL);
}

static void add_refuses_a_known_version(void **unused) {
    static const char *const statuses[] = {"u", "c", "p", "o"};
    for (size_t i = 0; i < 4; i++) {
        char before[64];
        snprintf(before, sizeof before, "0:u 1:%s", statuses[i]);
        expect(add_to_app, before, "1", -EEXIST, NULL, "release app 1 is already known");
    }
}

static void add_refuses_another_release_and_invalid_text(void **unused) {
    struct nines_rel_state s;
    char why[256];
    state_of("1:p", &s);
    assert_int_equal(nines_rel_state_add(&s, "other", "2", why, sizeof why), -EINVAL);
    assert_string_equal(why, "this node runs release 'app', not 'other'");
    assert_int_equal(nines_rel_state_add(&s, "App", "2", why, sizeof why), -EINVAL);
    assert_string_equal(why, "invalid release name 'App' (1 to 64 of a-z, 0-9, '_' and '-')");
    assert_int_equal(nines_rel_state_add(&s, "", "2", why, sizeof why), -EINVAL);
    static const char *const bad[] = {"", "1 0", "1/0", "\t", "1\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(nines_rel_state_add(&s, "app", bad[i], why, sizeof why), -EINVAL);
        assert_non_null(strstr(why, "(1 to 64 printable characters, no spaces, no '/')"));
    }
    char long_version[66];
    memset(long_version, '1', 65), long_version[65] = '\0';
    assert_int_equal(nines_rel_state_add(&s, "app", long_version, why, sizeof why), -EINVAL);
    assert_int_equal(nines_rel_state_add(&s, "app", long_version + 1, why, sizeof why), 0);
    /* A refusal with nowhere to say why still refuses. */
    assert_int_equal(nines_rel_state_add(&s, "other", "3", NULL, 0), -EINVAL);
    assert_string_equal(s.release, "app");
    assert_int_equal(s.n, 2);
    nines_rel_state_free(&s);
}

/* --- installed ---------------------------------------------------------- */

static void installed_makes_it_current(void **unused) {
    transition_fn f = nines_rel_state_installed;
    /* From unpacked, with or without a permanent and a current one. */
    expect(f, "1:u", "1", 0, "1:c", NULL);
    expect(f, "1:p 2:u", "2", 0, "1:p 2:c", NULL);
    expect(f, "1:p 2:c 3:u", "3", 0, "1:p 2:u 3:c", NULL);
    expect(f, "1:c 2:u", "2", 0, "1:u 2:c", NULL);
    /* From old: going back to a release that was permanent once. */
    expect(f, "1:o 2:p", "1", 0, "1:c 2:p", NULL);
    expect(f, "1:o 2:p 3:c", "1", 0, "1:c 2:p 3:u", NULL);
    expect(f, "1:o 2:u", "1", 0, "1:c 2:u", NULL);
    /* Back to the permanent one: it stays permanent, the current one goes. */
    expect(f, "1:p 2:c", "1", 0, "1:p 2:u", NULL);
    expect(f, "1:o 2:p 3:c 4:u", "2", 0, "1:o 2:p 3:u 4:u", NULL);
}

static void installed_refuses_the_running_and_unknown(void **unused) {
    transition_fn f = nines_rel_state_installed;
    expect(f, "1:p 2:c", "2", -EEXIST, NULL, "release app 2 is already running (current)");
    expect(f, "1:c", "1", -EEXIST, NULL, "already running (current)");
    expect(f, "1:p 2:u", "1", -EEXIST, NULL, "release app 1 is already running (permanent)");
    expect(f, "1:p", "2", -ENOENT, NULL, "release version 2 is unknown");
    expect(f, "", "1", -ENOENT, NULL, "unknown");
}

static void can_install_says_what_installed_would(void **unused) {
    static const struct {
        const char *spec, *version;
        int code;
    } cases[] = {
        {"1:u", "1", 0},        {"1:p 2:o", "2", 0},     {"1:p 2:c", "1", 0},
        {"1:p 2:c", "2", -EEXIST}, {"1:p", "1", -EEXIST}, {"1:p", "3", -ENOENT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nines_rel_state s;
        char why[256] = "";
        state_of(cases[i].spec, &s);
        assert_int_equal(nines_rel_state_can_install(&s, cases[i].version, why, sizeof why), cases[i].code);
        assert_int_equal(nines_rel_state_installed(&s, cases[i].version, NULL, 0), cases[i].code);
        assert_true(cases[i].code ? why[0] != '\0' : why[0] == '\0');
        nines_rel_state_free(&s);
    }
}

/* --- make_permanent ----------------------------------------------------- */

static void make_permanent_the_running_one(void **unused) {
    transition_fn f = nines_rel_state_make_permanent;
    expect(f, "1:c", "1", 0, "1:p", NULL);
    expect(f, "1:p 2:c", "2", 0, "1:o 2:p", NULL);
    expect(f, "1:o 2:p 3:c 4:u", "3", 0, "1:o 2:o 3:p 4:u", NULL);
    expect(f, "1:o 2:c", "2", 0, "1:o 2:p", NULL);
    /* The permanent one, running: nothing changes. */
    expect(f, "1:p", "1", 0, "1:p", NULL);
    expect(f, "1:o 2:p 3:u", "2", 0, "1:o 2:p 3:u", NULL);
}

static void make_permanent_refuses_what_does_not_run(void **unused) {
    transition_fn f = nines_rel_state_make_permanent;
    expect(f, "1:p 2:c", "1", -EINVAL, NULL, "release app 1 is not running (permanent): 2 runs, install 1 first");
    expect(f, "1:p 2:u", "2", -EINVAL, NULL, "release app 2 is not running (unpacked): 1 runs, install 2 first");
    expect(f, "1:o 2:p", "1", -EINVAL, NULL, "is not running (old)");
    expect(f, "1:u", "1", -EINVAL, NULL, "release app 1 is not running (unpacked): install it first");
    expect(f, "1:o", "1", -EINVAL, NULL, "install it first");
    expect(f, "1:p", "2", -ENOENT, NULL, "release version 2 is unknown");
    expect(f, "", "1", -ENOENT, NULL, "unknown");
}

/* --- remove ------------------------------------------------------------- */

static void remove_unpacked_and_old(void **unused) {
    transition_fn f = nines_rel_state_remove;
    expect(f, "1:o 2:p 3:u", "3", 0, "1:o 2:p", NULL);
    expect(f, "1:o 2:p 3:u", "1", 0, "2:p 3:u", NULL);
    expect(f, "1:u 2:c 3:u 4:p", "3", 0, "1:u 2:c 4:p", NULL);
    /* The last one: the state is empty again, without a release name. */
    expect(f, "1:u", "1", 0, "", NULL);
    expect(f, "1:o", "1", 0, "", NULL);
    struct nines_rel_state s;
    state_of("1:u", &s);
    assert_int_equal(nines_rel_state_remove(&s, "1", NULL, 0), 0);
    assert_null(s.release);
    assert_null(s.v);
    assert_int_equal(nines_rel_state_add(&s, "other", "1", NULL, 0), 0); /* a fresh start */
    assert_string_equal(s.release, "other");
    nines_rel_state_free(&s);
}

static void remove_refuses_current_permanent_and_unknown(void **unused) {
    transition_fn f = nines_rel_state_remove;
    expect(f, "1:p 2:c", "2", -EBUSY, NULL, "release app 2 is current: it cannot be removed");
    expect(f, "1:p 2:c", "1", -EBUSY, NULL, "release app 1 is permanent: it cannot be removed");
    expect(f, "1:c", "1", -EBUSY, NULL, "current");
    expect(f, "1:p", "1", -EBUSY, NULL, "permanent");
    expect(f, "1:p", "2", -ENOENT, NULL, "release version 2 is unknown");
    expect(f, "", "2", -ENOENT, NULL, "unknown");
}

/* --- boot --------------------------------------------------------------- */

static void boot_forgets_the_current_one(void **unused) {
    static const struct {
        const char *before, *after;
    } cases[] = {
        {"", ""},
        {"1:c", "1:u"},
        {"1:p 2:c", "1:p 2:u"},
        {"1:o 2:p 3:c 4:u", "1:o 2:p 3:u 4:u"},
        {"1:o 2:p 3:u", "1:o 2:p 3:u"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nines_rel_state s;
        state_of(cases[i].before, &s);
        nines_rel_state_boot(&s);
        assert_string_equal(spec_of(&s), cases[i].after);
        nines_rel_state_free(&s);
    }
}

/* --- every state, every transition ------------------------------------- */

/* The rules again, written as what each transition does to the letters
 * of a compact state ("upco": one letter per version 1, 2, 3...), to
 * check the functions against on every small state. Returns the code and
 * fills `after`. */
static int oracle(char op, const char *before, size_t k, char *after) {
    size_t n = strlen(before);
    const char *c = strchr(before, 'c'), *p = strchr(before, 'p');
    size_t running = c ? (size_t)(c - before) : p ? (size_t)(p - before) : n;
    strcpy(after, before);
    if (k >= n)
        return -ENOENT;
    for (size_t i = 0; i < n; i++) {
        char *e = &after[i];
        if (op == 'i' && k == running)
            return -EEXIST;
        if (op == 'i')
            *e = i == k ? (*e == 'p' ? 'p' : 'c') : *e == 'c' ? 'u' : *e;
        if (op == 'm' && k != running)
            return -EINVAL;
        if (op == 'm')
            *e = i == k ? 'p' : *e == 'p' ? 'o' : *e;
    }
    if (op == 'r' && (before[k] == 'c' || before[k] == 'p'))
        return -EBUSY;
    if (op == 'r')
        memmove(after + k, after + k + 1, n - k);
    return 0;
}

/* "upc" -> "1:u 2:p 3:c", and back, with the version numbers kept. */
static void spec_from_letters(const char *letters, const char *versions, char *out) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; letters[i]; i++)
        used += (size_t)sprintf(out + used, "%s%c:%c", i ? " " : "", versions[i], letters[i]);
}

static void check_one(char op, const char *letters, size_t k) {
    static const transition_fn fns[] = {nines_rel_state_installed, nines_rel_state_make_permanent,
                                        nines_rel_state_remove};
    char version[2] = {(char)('1' + k), '\0'}, after[8], before_spec[64], after_spec[64], kept[8];
    int code = oracle(op, letters, k, after);
    size_t j = 0;
    for (size_t i = 0; letters[i]; i++) /* the versions that remain */
        if (!(op == 'r' && code == 0 && i == k))
            kept[j++] = (char)('1' + i);
    kept[j] = '\0';
    spec_from_letters(letters, "123", before_spec);
    spec_from_letters(after, kept, after_spec);
    expect(fns[strchr("imr", op) - "imr"], before_spec, version, code, after_spec, NULL);
}

static void every_small_state_and_transition(void **unused) {
    static const char statuses[] = "ucpo";
    size_t cases = 0;
    for (size_t n = 0; n <= 3; n++) {
        size_t total = 1;
        for (size_t i = 0; i < n; i++)
            total *= 4;
        for (size_t code = 0; code < total; code++) {
            char letters[4] = "";
            for (size_t i = 0, c = code; i < n; i++, c /= 4)
                letters[i] = statuses[c % 4], letters[i + 1] = '\0';
            const char *p = strchr(letters, 'p'), *c = strchr(letters, 'c');
            if ((p && strchr(p + 1, 'p')) || (c && strchr(c + 1, 'c')))
                continue; /* not a valid state */
            for (size_t k = 0; k <= n; k++) /* every version, and one unknown */
                for (const char *op = "imr"; *op; op++, cases++)
                    check_one(*op, letters, k);
        }
    }
    assert_true(cases > 300);
}

/* OTP's life cycle, end to end: unpack, install, make permanent, upgrade
 * again, a restart before the second is made permanent, removal. */
static void a_whole_life_cycle(void **unused) {
    struct nines_rel_state s = {0};
    char why[256];
    assert_int_equal(nines_rel_state_add(&s, "myapp", "1.0.0", why, sizeof why), 0);
    assert_int_equal(nines_rel_state_installed(&s, "1.0.0", why, sizeof why), 0);
    assert_int_equal(nines_rel_state_make_permanent(&s, "1.0.0", why, sizeof why), 0);
    assert_string_equal(spec_of(&s), "1.0.0:p");
    assert_int_equal(nines_rel_state_add(&s, "myapp", "1.1.0", why, sizeof why), 0);
    assert_int_equal(nines_rel_state_installed(&s, "1.1.0", why, sizeof why), 0);
    assert_string_equal(nines_rel_state_running(&s), "1.1.0");
    assert_int_equal(nines_rel_state_make_permanent(&s, "1.1.0", why, sizeof why), 0);
    assert_string_equal(spec_of(&s), "1.0.0:o 1.1.0:p");
    assert_int_equal(nines_rel_state_add(&s, "myapp", "1.2.0", why, sizeof why), 0);
    assert_int_equal(nines_rel_state_installed(&s, "1.2.0", why, sizeof why), 0);
    nines_rel_state_boot(&s); /* ninesd restarts: 1.2.0 was never made permanent */
    assert_string_equal(spec_of(&s), "1.0.0:o 1.1.0:p 1.2.0:u");
    assert_string_equal(nines_rel_state_running(&s), "1.1.0");
    assert_int_equal(nines_rel_state_remove(&s, "1.0.0", why, sizeof why), 0);
    assert_int_equal(nines_rel_state_remove(&s, "1.1.0", why, sizeof why), -EBUSY);
    assert_string_equal(spec_of(&s), "1.1.0:p 1.2.0:u");
    nines_rel_state_free(&s);
}

/* --- the parser --------------------------------------------------------- */

static const char example[] = "# Nines release state: written by ninesd, do not edit.\n"
                              "release: myapp\n"
                              "releases:\n"
                              "- {version: 1.0.0, status: permanent}\n"
                              "- {version: 1.1.0, status: current}\n";

/* `expected` is "LINE:COLUMN: message" (or ": message" without a position). */
static void expect_error(const char *text, const char *expected) {
    struct nines_rel_state s = {.n = 99};
    struct nines_error err;
    char got[5000], want[1000];
    assert_int_equal(nines_rel_state_load_string("state.yaml", text, strlen(text), &s, &err), -EINVAL);
    assert_null(s.release);
    assert_null(s.v);
    assert_int_equal(s.n, 0);
    nines_error_format(&err, got, sizeof got);
    snprintf(want, sizeof want, "state.yaml%s%s", expected[0] == ':' ? "" : ":", expected);
    assert_string_equal(got, want);
}

static void the_example_loads(void **unused) {
    struct nines_rel_state s;
    struct nines_error err;
    assert_int_equal(nines_rel_state_load_string("state.yaml", example, strlen(example), &s, &err), 0);
    assert_string_equal(s.release, "myapp");
    assert_string_equal(spec_of(&s), "1.0.0:p 1.1.0:c");
    nines_rel_state_free(&s);
    const char *block = "release: a\nreleases:\n  - version: '2'\n    status: old\n  - status: unpacked\n"
                        "    version: \"3\"\n";
    assert_int_equal(nines_rel_state_load_string("state.yaml", block, strlen(block), &s, &err), 0);
    assert_string_equal(spec_of(&s), "2:o 3:u");
    nines_rel_state_free(&s);
    const char *empty = "releases: []\n";
    assert_int_equal(nines_rel_state_load_string("state.yaml", empty, strlen(empty), &s, &err), 0);
    assert_null(s.release);
    assert_int_equal(s.n, 0);
}

static void keys_and_types(void **unused) {
    expect_error("", ": the release state is empty: expected a mapping with 'release' and 'releases'");
    expect_error("# nothing\n", ": the release state is empty: expected a mapping with 'release' and 'releases'");
    expect_error("- a\n", "1:1: expected a mapping for the release state, got a sequence");
    expect_error("release: a\n", "1:1: the release state needs 'releases' (a sequence, possibly empty)");
    expect_error("releases: [{version: 1, status: old}]\n",
                 "1:1: the release state needs 'release' (the release's name) when it lists releases");
    expect_error("release: a\nreleases: []\n", "1:10: 'release' names no release: 'releases' is empty");
    expect_error("releases: []\nversion: 1\n",
                 "2:1: unknown key 'version' in the release state (allowed: release, releases)");
    expect_error("releases: []\nreleases: []\n", "2:1: duplicate key 'releases' in the release state");
    expect_error("releases: {a: 1}\n", "1:11: 'releases' must be a sequence of {version, status}, got a mapping");
    expect_error("releases: 1.0\n", "1:11: 'releases' must be a sequence of {version, status}, got a scalar");
    expect_error("release: a\nreleases: [1.0]\n", "2:12: expected a mapping for a release entry, got a scalar");
    expect_error("release: a\nreleases: [{version: 1, status: old, date: x}]\n",
                 "2:38: unknown key 'date' in a release entry (allowed: version, status)");
    expect_error("release: a\nreleases: [{version: 1, version: 2}]\n",
                 "2:25: duplicate key 'version' in a release entry");
    expect_error("release: a\nreleases: [{version: 1}]\n",
                 "2:12: a release entry needs 'status' (it has version and status)");
    expect_error("release: a\nreleases:\n  - status: old\n",
                 "3:5: a release entry needs 'version' (it has version and status)");
}

static void names_versions_and_statuses(void **unused) {
    expect_error("release: MyApp\nreleases: []\n",
                 "1:10: invalid release name 'MyApp' (1 to 64 of a-z, 0-9, '_' and '-')");
    expect_error("release: [a]\n", "1:10: invalid release name 'a sequence' (1 to 64 of a-z, 0-9, '_' and '-')");
    expect_error("release: a\nreleases: [{version: 1.0/2, status: old}]\n",
                 "2:22: invalid release version '1.0/2' (1 to 64 printable characters, no spaces, no '/')");
    expect_error("release: a\nreleases: [{version: '1 0', status: old}]\n",
                 "2:22: invalid release version '1 0' (1 to 64 printable characters, no spaces, no '/')");
    expect_error("release: a\nreleases: [{version: '', status: old}]\n",
                 "2:22: invalid release version '' (1 to 64 printable characters, no spaces, no '/')");
    expect_error("release: a\nreleases: [{version: [1], status: old}]\n",
                 "2:22: invalid release version 'a sequence' (1 to 64 printable characters, no spaces, no '/')");
    expect_error("release: a\nreleases: [{version: 1, status: installed}]\n",
                 "2:33: invalid status 'installed' (allowed: unpacked, current, permanent, old)");
    expect_error("release: a\nreleases: [{version: 1, status: Permanent}]\n",
                 "2:33: invalid status 'Permanent' (allowed: unpacked, current, permanent, old)");
    expect_error("release: a\nreleases: [{version: 1, status: {}}]\n",
                 "2:33: invalid status 'a mapping' (allowed: unpacked, current, permanent, old)");
}

static void duplicates_and_two_of_a_kind(void **unused) {
    expect_error("release: a\nreleases:\n  - {version: 1, status: old}\n  - {version: 2, status: unpacked}\n"
                 "  - {version: 1, status: unpacked}\n",
                 "5:5: release version 1 listed twice (first at line 3)");
    expect_error("release: a\nreleases:\n  - {version: 1, status: permanent}\n  - {version: 2, status: old}\n"
                 "  - {version: 3, status: permanent}\n",
                 "5:5: two permanent releases: 1 (line 3) and 3; there is at most one");
    expect_error("release: a\nreleases:\n  - {version: 1, status: current}\n  - {version: 2, status: current}\n",
                 "4:5: two current releases: 1 (line 3) and 2; there is at most one");
    struct nines_rel_state s;
    struct nines_error err;
    const char *many_old = "release: a\nreleases: [{version: 1, status: old}, {version: 2, status: old},"
                           " {version: 3, status: unpacked}, {version: 4, status: unpacked}]\n";
    assert_int_equal(nines_rel_state_load_string("state.yaml", many_old, strlen(many_old), &s, &err), 0);
    nines_rel_state_free(&s);
}

static void yaml_errors_have_positions(void **unused) {
    expect_error("release: a\nreleases: [\n",
                 "3:1: invalid YAML: did not find expected node content while parsing a flow node");
    expect_error("releases: []\n---\nreleases: []\n",
                 "2:1: a release state file holds one YAML document, this is a second");
}

static char *make_dir(void) {
    char *dir = strdup("/tmp/nines-release-state-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return dir;
}

static void remove_dir(char *dir) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static void loading_a_file(void **unused) {
    char *dir = make_dir(), path[256];
    struct nines_rel_state s = {.n = 3};
    struct nines_error err;
    snprintf(path, sizeof path, "%s/state.yaml", dir);
    assert_int_equal(nines_rel_state_load(path, &s, &err), -ENOENT);
    assert_int_equal(s.n, 0);
    assert_null(s.release);
    assert_string_equal(err.file, path);
    assert_string_equal(err.message, "cannot open the release state: No such file or directory");
    assert_int_equal(nines_rel_state_load(dir, &s, &err), -EISDIR);
    FILE *f = fopen(path, "w");
    fputs(example, f);
    fclose(f);
    assert_int_equal(nines_rel_state_load(path, &s, &err), 0);
    assert_string_equal(spec_of(&s), "1.0.0:p 1.1.0:c");
    nines_rel_state_free(&s);
    f = fopen(path, "w");
    fputs("release: a\nreleases:\n  - {version: 1, status: nope}\n", f);
    fclose(f);
    assert_int_equal(nines_rel_state_load(path, &s, &err), -EINVAL);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 26);
    remove_dir(dir);
}

/* --- the writer --------------------------------------------------------- */

static char *written(const struct nines_rel_state *s) {
    char *text = NULL;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(nines_rel_state_write(s, f), 0);
    fclose(f);
    return text;
}

static void writing_is_deterministic_and_loads_back(void **unused) {
    struct nines_rel_state s, back;
    struct nines_error err;
    state_of("1.0.0:p 1.1.0:c", &s);
    free(s.release), s.release = strdup("myapp");
    char *text = written(&s);
    assert_string_equal(text, example);
    free(text);
    nines_rel_state_free(&s);
    text = written(&s);
    assert_string_equal(text, "# Nines release state: written by ninesd, do not edit.\nreleases: []\n");
    free(text);
    /* Versions that plain YAML would misread are quoted, and read back. */
    static const char *const tricky[] = {"1", "2.0#x", "#3", "-3", "{4}", "5,6", "a:b", "'q'", "\"r\"", "\\",
                                         "&y", "*z", "!t", "%p", "@q", "?u", "|s", ">t", "~", "null", "[x]"};
    s = (struct nines_rel_state){0};
    for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++)
        assert_int_equal(nines_rel_state_add(&s, "app", tricky[i], NULL, 0), 0);
    assert_int_equal(nines_rel_state_installed(&s, "{4}", NULL, 0), 0);
    assert_int_equal(nines_rel_state_make_permanent(&s, "{4}", NULL, 0), 0);
    assert_int_equal(nines_rel_state_installed(&s, "a:b", NULL, 0), 0);
    text = written(&s);
    assert_int_equal(nines_rel_state_load_string("again.yaml", text, strlen(text), &back, &err), 0);
    assert_string_equal(spec_of(&back), spec_of(&s));
    assert_string_equal(back.release, s.release);
    char *again = written(&back);
    assert_string_equal(again, text);
    free(text), free(again);
    nines_rel_state_free(&s), nines_rel_state_free(&back);
}

static size_t count_entries(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void writing_a_file_is_whole_or_nothing(void **unused) {
    char *dir = make_dir(), path[256], missing[300];
    struct nines_rel_state s, back;
    struct nines_error err;
    struct stat st;
    snprintf(path, sizeof path, "%s/state.yaml", dir);
    state_of("1:p 2:u", &s);
    assert_int_equal(nines_rel_state_write_file(&s, path), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(nines_rel_state_load(path, &back, &err), 0);
    assert_string_equal(spec_of(&back), "1:p 2:u");
    nines_rel_state_free(&back);
    /* Replaced whole, and no temporary file is left behind. */
    assert_int_equal(nines_rel_state_installed(&s, "2", NULL, 0), 0);
    assert_int_equal(nines_rel_state_write_file(&s, path), 0);
    assert_int_equal(nines_rel_state_load(path, &back, &err), 0);
    assert_string_equal(spec_of(&back), "1:p 2:c");
    assert_int_equal(count_entries(dir), 1);
    /* A folder that is not there: an error, nothing written. */
    snprintf(missing, sizeof missing, "%s/no/state.yaml", dir);
    assert_int_equal(nines_rel_state_write_file(&s, missing), -ENOENT);
    assert_int_equal(count_entries(dir), 1);
    nines_rel_state_free(&back), nines_rel_state_free(&s);
    remove_dir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_names),
        cmocka_unit_test(find_permanent_and_running),
        cmocka_unit_test(a_copy_is_its_own),
        cmocka_unit_test(add_appends_an_unpacked_entry),
        cmocka_unit_test(add_refuses_a_known_version),
        cmocka_unit_test(add_refuses_another_release_and_invalid_text),
        cmocka_unit_test(installed_makes_it_current),
        cmocka_unit_test(installed_refuses_the_running_and_unknown),
        cmocka_unit_test(can_install_says_what_installed_would),
        cmocka_unit_test(make_permanent_the_running_one),
        cmocka_unit_test(make_permanent_refuses_what_does_not_run),
        cmocka_unit_test(remove_unpacked_and_old),
        cmocka_unit_test(remove_refuses_current_permanent_and_unknown),
        cmocka_unit_test(boot_forgets_the_current_one),
        cmocka_unit_test(every_small_state_and_transition),
        cmocka_unit_test(a_whole_life_cycle),
        cmocka_unit_test(the_example_loads),
        cmocka_unit_test(keys_and_types),
        cmocka_unit_test(names_versions_and_statuses),
        cmocka_unit_test(duplicates_and_two_of_a_kind),
        cmocka_unit_test(yaml_errors_have_positions),
        cmocka_unit_test(loading_a_file),
        cmocka_unit_test(writing_is_deterministic_and_loads_back),
        cmocka_unit_test(writing_a_file_is_whole_or_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
