/*
 * fuzz_release_state.c — libFuzzer target for the release handler's state
 * file, DIR/state.yaml, and its transitions.
 *
 * Beyond "no crash, no leak, no sanitizer report", it checks what must
 * hold: a failure leaves an empty state and says why; a state that loads
 * is inside the rules (a name iff entries, valid unique versions, at most
 * one permanent and one current) and writes back to a file that loads the
 * same and writes the same bytes; and every transition, applied to every
 * version it holds and to an unknown one, keeps the state inside the
 * rules, and a refusal leaves it exactly as it was.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "module_check.h"
#include "release_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

static void check_rules(const struct nines_rel_state *s) {
    size_t permanent = 0, current = 0;
    require((s->release != NULL) == (s->n > 0), "a release name iff entries");
    require(!s->release || nines_module_name_valid(s->release), "the name is valid");
    for (size_t i = 0; i < s->n; i++) {
        require(nines_manifest_version_valid(s->v[i].version), "every version is valid");
        require(nines_rel_state_find(s, s->v[i].version) == &s->v[i], "versions are unique");
        permanent += s->v[i].status == NINES_REL_PERMANENT;
        current += s->v[i].status == NINES_REL_CURRENT;
    }
    require(permanent <= 1 && current <= 1, "at most one permanent and one current");
}

static char *write_text(const struct nines_rel_state *s, size_t *len) {
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    require(f != NULL, "out of memory");
    require(nines_rel_state_write(s, f) == 0, "writing works");
    require(fclose(f) == 0, "writing works");
    return text;
}

static void check_round_trip(const struct nines_rel_state *s, const char *text, size_t len) {
    struct nines_rel_state back;
    struct nines_error err;
    int r = nines_rel_state_load_string("again.yaml", text, len, &back, &err);
    if (r < 0)
        fprintf(stderr, "written:\n%s\nerror: %u:%u: %s\n", text, err.line, err.column, err.message);
    require(r == 0, "a written state loads");
    size_t len2;
    char *text2 = write_text(&back, &len2);
    require(len == len2 && memcmp(text, text2, len) == 0, "write(load(write(s))) == write(s)");
    require(back.n == s->n && (!s->n || strcmp(back.release, s->release) == 0), "load(write(s)) == s");
    for (size_t i = 0; i < s->n; i++)
        require(strcmp(back.v[i].version, s->v[i].version) == 0 && back.v[i].status == s->v[i].status,
                "load(write(s)) == s");
    free(text2);
    nines_rel_state_free(&back);
}

typedef int (*transition_fn)(struct nines_rel_state *s, const char *version, char *why, size_t size);

static int add(struct nines_rel_state *s, const char *version, char *why, size_t size) {
    return nines_rel_state_add(s, s->release ? s->release : "fuzz", version, why, size);
}

/* Apply `fn` to `version` on a copy of the state (reloaded from `text`). */
static void try_transition(transition_fn fn, const char *version, const char *text, size_t len) {
    struct nines_rel_state s;
    struct nines_error err;
    char why[256] = "";
    require(nines_rel_state_load_string("t.yaml", text, len, &s, &err) == 0, "a written state loads");
    int r = fn(&s, version, why, sizeof why);
    check_rules(&s);
    size_t after_len;
    char *after = write_text(&s, &after_len);
    if (r < 0) {
        require(r == -EINVAL || r == -EEXIST || r == -ENOENT || r == -EBUSY || r == -ENOMEM, "known refusals");
        require(why[0] != '\0', "a refusal says why");
        require(after_len == len && memcmp(after, text, len) == 0, "a refusal changes nothing");
    }
    free(after);
    nines_rel_state_free(&s);
}

static void check_transitions(const struct nines_rel_state *s, const char *text, size_t len) {
    static const transition_fn all[] = {add, nines_rel_state_installed, nines_rel_state_make_permanent,
                                        nines_rel_state_remove};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        for (size_t i = 0; i < s->n && i < 8; i++)
            try_transition(all[k], s->v[i].version, text, len);
        try_transition(all[k], "fuzz-unknown", text, len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct nines_rel_state s;
    struct nines_error err;
    int r = nines_rel_state_load_string("fuzz.yaml", (const char *)data, size, &s, &err);
    if (r < 0) {
        require(r == -EINVAL || r == -ENOMEM, "errors are -EINVAL (or -ENOMEM)");
        require(s.release == NULL && s.v == NULL && s.n == 0, "a failure leaves an empty state");
        require(err.message[0] != '\0', "a failure says why");
        require(strcmp(err.file, "fuzz.yaml") == 0, "a failure names the file");
        return 0;
    }
    check_rules(&s);
    size_t len;
    char *text = write_text(&s, &len);
    check_round_trip(&s, text, len);
    check_transitions(&s, text, len);
    nines_rel_state_boot(&s);
    check_rules(&s);
    require(nines_rel_state_running(&s) == nines_rel_state_permanent(&s), "after boot the permanent runs");
    free(text);
    nines_rel_state_free(&s);
    return 0;
}
