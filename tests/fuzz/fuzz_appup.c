/*
 * fuzz_appup.c — libFuzzer target for the appup parser: any bytes as an
 * appup file, through nines_appup_load_string.
 *
 * Beyond "no crash, no leak, no sanitizer report", it checks what the
 * loader promises: a failure leaves nothing behind and says where (a
 * position inside the text, or none); a success holds only what the
 * format allows — a valid application name and versions, every entry
 * with a version, each version covered once per direction (so that
 * nines_appup_find finds exactly its entry), and each step with the
 * fields of its kind and nothing else.
 *
 * Child specs are checked against the file system as in a tree file, with
 * relative paths against the current folder: the seed corpus names
 * modules by absolute paths every system has (/bin/sh is a regular file
 * once resolved, which is all the loader asks of a module).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appup.h"
#include "module_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

static void check_step(const struct nines_appup_step *s) {
    bool swap = s->kind == NINES_STEP_CODE_CHANGE || s->kind == NINES_STEP_RESTART;
    bool has_id = s->kind == NINES_STEP_REMOVE_CHILD || s->kind == NINES_STEP_CHANGE_CHILD;
    bool has_child = s->kind == NINES_STEP_ADD_CHILD || s->kind == NINES_STEP_CHANGE_CHILD;
    require(strcmp(nines_appup_step_name(s->kind), "?") != 0, "step: a known kind");
    require(!s->extra || s->kind == NINES_STEP_CODE_CHANGE, "step: extra only for code_change");
    require(!s->extra || strlen(s->extra) <= 4096, "step: extra within its bound");
    require(swap == !s->supervisor, "step: a supervisor exactly for the child and flag steps");
    require(!s->supervisor || strcmp(s->supervisor, "/") == 0 || (s->supervisor[0] != '/' && *s->supervisor),
            "step: a supervisor path is / or has no leading '/'");
    require(has_id == !!s->id, "step: an id exactly for remove_child and change_child");
    require(has_child == !!s->child, "step: a child exactly for add_child and change_child");
    require(s->kind != NINES_STEP_CHANGE_CHILD || strcmp(s->child->id, s->id) == 0, "change_child keeps the id");
    const struct nines_appup_flags *f = &s->flags;
    bool any = f->has_strategy || f->has_intensity || f->has_period;
    require(any == (s->kind == NINES_STEP_SUPERVISOR_FLAGS), "step: flags exactly for supervisor_flags");
    require(!f->has_strategy || f->strategy != NINES_DYNAMIC, "flags: never dynamic");
    require(s->mark.line >= 1 && s->mark.column >= 1, "step: a position");
}

static void check_direction(const struct nines_appup *a, bool up) {
    const struct nines_appup_entry *entries = up ? a->up : a->down;
    size_t n = up ? a->n_up : a->n_down;
    require(!nines_appup_find(a, up, a->version), "entries: never the appup's own version");
    for (size_t i = 0; i < n; i++) {
        const struct nines_appup_entry *e = &entries[i];
        int swaps = 0;
        require(e->n_versions >= 1, "entry: at least one version");
        for (size_t j = 0; j < e->n_versions; j++) {
            require(nines_module_version_valid(e->versions[j]), "entry: valid versions");
            require(nines_appup_find(a, up, e->versions[j]) == e, "entry: each version found at its own entry");
        }
        require(e->n_steps == 0 || e->steps, "entry: steps when n_steps");
        for (size_t j = 0; j < e->n_steps; j++) {
            check_step(&e->steps[j]);
            swaps += e->steps[j].kind == NINES_STEP_CODE_CHANGE || e->steps[j].kind == NINES_STEP_RESTART;
        }
        require(swaps <= 1, "entry: at most one code_change or restart");
    }
}

/* At least as many lines as libyaml counts: it also breaks lines at
 * U+0085, U+2028 and U+2029, whose UTF-8 encodings end in these bytes,
 * and at the end of a text whose last line has no line break it counts
 * one more line (where it reports what is missing at the end). */
static unsigned count_lines(const uint8_t *data, size_t size) {
    unsigned n = 2;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xa8 || data[i] == 0xa9;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct nines_appup *a = (struct nines_appup *)1;
    struct nines_error err;
    int r = nines_appup_load_string("fuzz.appup.yaml", ".", (const char *)data, size, &a, &err);
    if (r < 0) {
        require(a == NULL, "failure: nothing comes back");
        require(strcmp(err.file, "fuzz.appup.yaml") == 0, "failure: the file is named");
        require(err.message[0] != '\0', "failure: a message");
        require((err.line == 0) == (err.column == 0), "failure: a whole position or none");
        require(err.line <= count_lines(data, size), "failure: a line of the text");
        return 0;
    }
    require(r == 0 && a != NULL, "success: an appup");
    require(strcmp(a->application, "fuzz") == 0, "success: the file's name is the application's");
    require(nines_module_name_valid(a->application) && nines_module_version_valid(a->version), "success: valid names");
    check_direction(a, true);
    check_direction(a, false);
    nines_appup_free(a);
    return 0;
}
