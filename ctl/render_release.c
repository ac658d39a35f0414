/*
 * render_release.c — the release commands for people: the list of
 * releases as a table, the steps of an upgrade or a downgrade as they
 * complete, and the phases of an unpack.
 *
 *     NAME   VERSION  STATUS
 *     myapp  1.0.0    old
 *   * myapp  1.1.0    permanent
 *   2 releases, * the one the tree runs
 *
 *     1/3 echo: swap workers 1.0.0 -> 1.1.0 on /r/myapp/1.1.0/echo.so ... ok (2 ms)
 *     2/3 kv: restart workers 1.0.0 -> 1.1.0 on /r/myapp/1.1.0/kv.so ... failed (5 ms): exit status 1
 *     undo 2/3 kv: restart workers 1.1.0 -> 1.0.0 on /r/myapp/1.0.0/kv.so ... ok (3 ms)
 *
 * and the children of a dynamic supervisor as each swaps (upgrade SUPERVISOR):
 *
 *     1/3 tenants/a: 1.0.0 -> 2.0.0 ... ok (paused 80 us)
 *     2/3 tenants/b: 1.0.0 -> 2.0.0 ... failed: code_change: ...
 *     undo 1/3 tenants/a: 2.0.0 -> 1.0.0 ... ok (paused 75 us)
 */
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "render_internal.h"

enum { COL_NAME, COL_VERSION, COL_STATUS, NCOLS };

static bool is(const char *v, const char *want) {
    return v && strcmp(v, want) == 0;
}

/* permanent: what ninesd boots; current: running, not yet permanent;
 * old: was permanent once. */
static const char *status_color(const char *status) {
    if (is(status, "permanent"))
        return CTL_GREEN;
    if (is(status, "current"))
        return CTL_YELLOW;
    if (is(status, "old"))
        return CTL_DIM;
    return NULL;
}

/* "* myapp" for the running release, "  myapp" for the others. */
static char *name_cell(const struct ctl_record *r) {
    char *name = ctl_cell(ctl_record_value(r, "release"));
    char *s = name ? malloc(strlen(name) + 3) : NULL;
    if (s)
        sprintf(s, "%s %s", is(ctl_record_value(r, "running"), "yes") ? "*" : " ", name);
    free(name);
    return s;
}

static void fill_rows(const struct ctl_records *rs, struct ctl_table *t) {
    static const char *const headers[NCOLS] = {"  NAME", "VERSION", "STATUS"};
    for (int c = 0; c < NCOLS; c++)
        ctl_table_row(t, 0)[c] = ctl_cell(headers[c]);
    for (size_t i = 0; i < rs->n; i++) {
        const struct ctl_record *r = &rs->v[i];
        char **row = ctl_table_row(t, i + 1);
        row[COL_NAME] = name_cell(r);
        row[COL_VERSION] = ctl_cell(ctl_record_value(r, "version"));
        row[COL_STATUS] = ctl_cell(ctl_record_value(r, "status"));
        t->color[i + 1] = status_color(ctl_record_value(r, "status"));
    }
}

static bool any_running(const struct ctl_records *rs) {
    for (size_t i = 0; i < rs->n; i++)
        if (is(ctl_record_value(&rs->v[i], "running"), "yes"))
            return true;
    return false;
}

int ctl_render_releases(FILE *out, const struct ctl_records *rs, bool color) {
    if (rs->n == 0) {
        fputs("no releases\n", out);
        return 0;
    }
    struct ctl_table t;
    int r = ctl_table_init(&t, rs->n + 1, NCOLS, COL_STATUS);
    if (r == 0) {
        fill_rows(rs, &t);
        r = ctl_table_check(&t);
    }
    if (r == 0) {
        ctl_table_print(out, &t, color);
        fprintf(out, "%zu release%s%s\n", rs->n, rs->n == 1 ? "" : "s",
                any_running(rs) ? ", * the one the tree runs" : "");
    }
    ctl_table_free(&t);
    return r;
}

/* "ok" in green, "failed" in red. */
static void print_result(FILE *out, const char *result, bool color) {
    const char *esc = !color ? NULL : is(result, "ok") ? CTL_GREEN : is(result, "failed") ? CTL_RED : NULL;
    fputs(esc ? esc : "", out);
    ctl_print_text(out, result && result[0] ? result : "-");
    fputs(esc ? CTL_RESET : "", out);
}

bool ctl_render_install_record(FILE *out, const struct ctl_record *r, bool color) {
    const char *phase = ctl_record_value(r, "phase");
    if (!is(phase, "step") && !is(phase, "undo"))
        return false; /* a phase a newer daemon adds */
    const char *n = ctl_record_value(r, "n"), *of = ctl_record_value(r, "of");
    const char *app = ctl_record_value(r, "application"), *what = ctl_record_value(r, "what");
    const char *ms = ctl_record_value(r, "ms"), *reason = ctl_record_value(r, "reason");
    if (!what || !what[0])
        what = ctl_record_value(r, "kind");
    fputs(is(phase, "undo") ? "  undo " : "  ", out);
    /* The step number right-aligned to the count, so the lines of a long
     * plan line up. */
    int width = of ? (int)ctl_text_columns(of) : 0, cols = (int)ctl_text_columns(n ? n : "?");
    fprintf(out, "%*s", width > cols ? width - cols : 0, "");
    ctl_print_text(out, n ? n : "?");
    if (of)
        fputc('/', out), ctl_print_text(out, of);
    if (app && app[0])
        fputc(' ', out), ctl_print_text(out, app), fputc(':', out);
    if (what && what[0])
        fputc(' ', out), ctl_print_text(out, what);
    fputs(" ... ", out);
    print_result(out, ctl_record_value(r, "result"), color);
    if (ms && ms[0])
        fputs(" (", out), ctl_print_text(out, ms), fputs(" ms)", out);
    if (reason && reason[0])
        fputs(": ", out), ctl_print_text(out, reason);
    fputc('\n', out);
    return true;
}

void ctl_render_progress(FILE *out, const struct ctl_record *r) {
    const char *phase = ctl_record_value(r, "phase");
    fputs("  ", out);
    ctl_print_text(out, phase && phase[0] ? phase : "...");
    for (int i = 0; i < r->n; i++) {
        if (strcmp(r->fields[i].key, "phase") == 0)
            continue;
        fputc(' ', out);
        ctl_print_text(out, r->fields[i].key);
        fputc('=', out);
        ctl_print_text(out, r->fields[i].value);
    }
    fputc('\n', out);
}

bool ctl_render_upgrade_child(FILE *out, const struct ctl_record *r, bool color) {
    const char *phase = ctl_record_value(r, "phase");
    if (!is(phase, "child") && !is(phase, "undo"))
        return false;
    const char *n = ctl_record_value(r, "n"), *of = ctl_record_value(r, "of");
    const char *child = ctl_record_value(r, "child"), *from = ctl_record_value(r, "from");
    const char *to = ctl_record_value(r, "to"), *result = ctl_record_value(r, "result");
    const char *pause = ctl_record_value(r, "pause_us"), *reason = ctl_record_value(r, "reason");
    fputs(is(phase, "undo") ? "  undo " : "  ", out);
    int width = of ? (int)ctl_text_columns(of) : 0, cols = (int)ctl_text_columns(n ? n : "?");
    fprintf(out, "%*s", width > cols ? width - cols : 0, "");
    ctl_print_text(out, n ? n : "?");
    if (of)
        fputc('/', out), ctl_print_text(out, of);
    fputc(' ', out), ctl_print_text(out, child ? child : "?"), fputs(": ", out);
    ctl_print_text(out, from && from[0] ? from : "?"), fputs(" -> ", out);
    ctl_print_text(out, to && to[0] ? to : "?");
    fputs(" ... ", out);
    print_result(out, result, color);
    if (is(result, "ok") && pause && pause[0] && !is(pause, "0"))
        fputs(" (paused ", out), ctl_print_text(out, pause), fputs(" us)", out);
    if (reason && reason[0])
        fputs(": ", out), ctl_print_text(out, reason);
    fputc('\n', out);
    return true;
}
