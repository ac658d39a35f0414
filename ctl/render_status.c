/*
 * render_status.c — `ninesctl status` for people: the tree drawn with
 * box-drawing characters, one aligned column per field, and a summary
 * line that says whether every permanent child runs.
 *
 *   NAME            KIND        STATE    PID   VERSION  UPTIME  RESTARTS
 *   /               supervisor  running  -     -        3h04m   -
 *   ├─ counter      worker      running  4242  1.0.0    3h04m   0
 *   └─ web          supervisor  running  -     -        12m03s  1
 *      └─ listener  worker      running  4250  2.1.0    12m03s  0
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "render.h"
#include "render_internal.h"

enum {
    COL_NAME, COL_KIND, COL_STATE, COL_PID, COL_VERSION, COL_UPTIME, COL_RESTARTS, /* always */
    COL_WINDOW, COL_LAST_EXIT, COL_CPU, COL_MEM, COL_DROPS, /* when a record has them */
    NCOLS
};

static const char *const headers[NCOLS] = {"NAME",     "KIND",   "STATE",     "PID", "VERSION", "UPTIME",
                                           "RESTARTS", "WINDOW", "LAST EXIT", "CPU", "MEM", "DROPS"};
/* The record key that brings in each optional column. */
static const char *const column_key[NCOLS] = {[COL_WINDOW] = "window_restarts", [COL_LAST_EXIT] = "last_exit",
                                              [COL_CPU] = "cpu_ms", [COL_MEM] = "rss_kib"};

struct layout {
    int col[NCOLS]; /* the columns shown, in order */
    int n;
    int64_t now_ms; /* for "12s ago" */
    int state_at;   /* where STATE is, for its colour */
};

int ctl_format_uptime(uint64_t ms, char *buf, size_t size) {
    uint64_t s = ms / 1000, m = s / 60, h = m / 60, d = h / 24;
    if (s < 60)
        return snprintf(buf, size, "%" PRIu64 "s", s);
    if (m < 60)
        return snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", m, s % 60);
    if (h < 24)
        return snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", h, m % 60);
    return snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", d, h % 24);
}

/* The root has no restart type, but a stopped root is as bad as a
 * stopped permanent child. */
static bool is_permanent(const struct ctl_record *r) {
    const char *restart = ctl_record_value(r, "restart");
    return !restart || strcmp(restart, "permanent") == 0;
}

static bool is_running(const struct ctl_record *r) {
    const char *state = ctl_record_value(r, "state");
    return state && strcmp(state, "running") == 0;
}

void ctl_status_summarize(const struct ctl_records *rs, struct ctl_status_summary *out) {
    *out = (struct ctl_status_summary){0};
    for (size_t i = 0; i < rs->n; i++) {
        const struct ctl_record *r = &rs->v[i];
        /* A child is a node with a restart type: all but the root, also
         * when the subtree shown starts below it. */
        if (!ctl_record_value(r, "restart"))
            continue;
        out->children++;
        if (is_permanent(r) && !is_running(r))
            out->down++;
    }
}

static unsigned depth_of(const struct ctl_record *r) {
    const char *d = ctl_record_value(r, "depth");
    return d ? (unsigned)strtoul(d, NULL, 10) : 0;
}

/* Depths made consistent with a depth-first listing: the first record is
 * the top, and nobody is more than one level below the one before, so a
 * record the daemon got wrong cannot break the drawing. */
static void depths(const struct ctl_records *rs, unsigned *depth) {
    for (size_t i = 0; i < rs->n; i++) {
        unsigned d = i == 0 ? 0 : depth_of(&rs->v[i]);
        if (i > 0 && d > depth[i - 1] + 1)
            d = depth[i - 1] + 1;
        if (i > 0 && d == 0)
            d = 1; /* a second top would be drawn as a child of the first */
        depth[i] = d;
    }
}

/* last[i]: no later sibling of node i, found walking backwards while
 * remembering, per depth, whether a node of that depth follows before a
 * shallower one. `seen` has room for every depth (n + 1: a depth-first
 * listing never goes deeper than its length) and starts all false. Only
 * the depths marked since are cleared, so the walk is linear: each depth
 * is marked once per node and cleared at most once per mark. */
static void last_siblings(size_t n, const unsigned *depth, bool *last, bool *seen) {
    unsigned high = 0; /* every seen[d] for d > high is false */
    for (size_t i = n; i-- > 0;) {
        unsigned d = depth[i];
        last[i] = !seen[d];
        seen[d] = true;
        for (unsigned k = d + 1; k <= high; k++)
            seen[k] = false;
        high = d;
    }
}

/* The tree's lines down to a node, then its label: ancestors' "│  " or
 * "   ", then "├─ " or "└─ " ("│" and "─" are three bytes each). */
static char *tree_cell(struct ctl_table *t, const char *label, unsigned d, bool last, const bool *anc_last) {
    size_t n = strlen(label), at = 0;
    char *s = ctl_arena_alloc(&t->text, (size_t)d * 7 + n + 1);
    if (!s)
        return NULL;
    for (unsigned k = 1; k < d; k++) {
        const char *lines = anc_last[k] ? "   " : "│  ";
        size_t len = anc_last[k] ? 3 : 5;
        memcpy(s + at, lines, len);
        at += len;
    }
    if (d > 0) {
        memcpy(s + at, last ? "└─ " : "├─ ", 7);
        at += 7;
    }
    memcpy(s + at, label, n + 1);
    return s;
}

/* The NAME cell: the tree's lines down to this node, then its id (the
 * whole path for the first record, where the listing starts), and a
 * dynamic child's args in parentheses. */
static char *name_cell(struct ctl_table *t, const struct ctl_status_view *v, size_t i, unsigned d, bool last,
                       bool *anc_last) {
    const char *path = v->v[CTL_V_PATH], *args = v->v[CTL_V_ARGS];
    const char *slash = i > 0 && path ? strrchr(path, '/') : NULL;
    const char *id = slash && slash[1] ? slash + 1 : path;
    bool with_args = id && args && args[0];
    const char *parts[] = {id, with_args ? " (" : NULL, with_args ? args : NULL, with_args ? ")" : NULL};
    char *label = ctl_table_join(t, parts, 4);
    anc_last[d] = last;
    return label && d > 0 ? tree_cell(t, label, d, last, anc_last) : label;
}

static char *cell(struct ctl_table *t, int col, const struct ctl_status_view *v, int64_t now_ms) {
    switch (col) {
    case COL_KIND:
        return ctl_table_text(t, v->v[CTL_V_KIND]);
    case COL_STATE:
        return ctl_table_text(t, ctl_status_view_state(v));
    case COL_PID: { /* "0": a worker between two lives */
        const char *pid = v->v[CTL_V_PID];
        return ctl_table_text(t, pid && strcmp(pid, "0") == 0 ? NULL : pid);
    }
    case COL_VERSION:
        return ctl_table_text(t, v->v[CTL_V_VERSION]);
    case COL_UPTIME: {
        char uptime[32] = "-";
        const char *ms = v->v[CTL_V_UPTIME];
        if (ms && ms[0])
            ctl_format_uptime(strtoull(ms, NULL, 10), uptime, sizeof uptime);
        return ctl_table_text(t, uptime);
    }
    case COL_RESTARTS:
        return ctl_table_text(t, v->v[CTL_V_RESTARTS]);
    case COL_WINDOW:
        return ctl_status_window_cell(t, v);
    case COL_LAST_EXIT:
        return ctl_status_exit_cell(t, v, now_ms);
    case COL_CPU:
        return ctl_status_cpu_cell(t, v);
    case COL_DROPS:
        return ctl_status_drops_cell(t, v);
    default:
        return ctl_status_mem_cell(t, v);
    }
}

/* A row of the columns shown. */
static void fill_row(struct ctl_table *t, size_t i, const struct ctl_status_view *v, char *name,
                     const struct layout *l) {
    char **row = ctl_table_row(t, i);
    for (int c = 0; c < l->n; c++)
        row[c] = l->col[c] == COL_NAME ? name : cell(t, l->col[c], v, l->now_ms);
    t->color[i] = ctl_status_view_color(v);
}

/* The columns always shown, then each optional one some record has. */
static void choose_columns(const struct ctl_records *rs, struct layout *l) {
    l->n = 0;
    for (int c = 0; c < NCOLS; c++) {
        bool show = !column_key[c] && c != COL_DROPS; /* DROPS: a record with a count above 0 */
        for (size_t i = 0; !show && i < rs->n; i++)
            show = c == COL_DROPS ? ctl_status_has_drops(&rs->v[i])
                                  : ctl_record_value(&rs->v[i], column_key[c]) != NULL;
        if (show)
            l->col[l->n++] = c;
        if (c == COL_STATE)
            l->state_at = l->n - 1;
    }
}

/* Rows for every record; row 0 is the header. */
static int build_rows(const struct ctl_records *rs, struct ctl_table *t, const struct layout *l) {
    unsigned *depth = calloc(rs->n + 1, sizeof *depth);
    bool *last = calloc(rs->n + 1, sizeof *last);
    bool *seen = calloc(rs->n + 2, sizeof *seen);    /* depths never exceed n */
    bool *anc_last = calloc(rs->n + 2, sizeof *anc_last);
    int r = depth && last && seen && anc_last ? 0 : -ENOMEM;
    for (int c = 0; r == 0 && c < l->n; c++)
        ctl_table_row(t, 0)[c] = ctl_table_text(t, headers[l->col[c]]);
    if (r == 0) {
        depths(rs, depth);
        last_siblings(rs->n, depth, last, seen);
    }
    for (size_t i = 0; r == 0 && i < rs->n; i++) {
        struct ctl_status_view v;
        ctl_status_view(&rs->v[i], &v);
        fill_row(t, i + 1, &v, name_cell(t, &v, i, depth[i], last[i], anc_last), l);
    }
    free(depth);
    free(last);
    free(seen);
    free(anc_last);
    return r < 0 ? r : ctl_table_check(t);
}

static void print_summary(FILE *out, const struct ctl_records *rs) {
    struct ctl_status_summary s;
    ctl_status_summarize(rs, &s);
    fprintf(out, "%zu %s, ", s.children, s.children == 1 ? "child" : "children");
    if (s.down == 0)
        fputs("all permanent children running\n", out);
    else
        fprintf(out, "%zu permanent %s not running\n", s.down, s.down == 1 ? "child" : "children");
}

int ctl_render_status_at(FILE *out, const struct ctl_records *rs, bool color, int64_t now_ms) {
    struct layout l = {.now_ms = now_ms};
    choose_columns(rs, &l);
    struct ctl_table t;
    int r = ctl_table_init(&t, rs->n + 1, l.n, l.state_at);
    if (r == 0 && (r = build_rows(rs, &t, &l)) == 0) {
        ctl_table_print(out, &t, color);
        print_summary(out, rs);
    }
    ctl_table_free(&t);
    return r;
}

int ctl_render_status(FILE *out, const struct ctl_records *rs, bool color) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return ctl_render_status_at(out, rs, color, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
}
