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

#include "render.h"

enum { COL_NAME, COL_KIND, COL_STATE, COL_PID, COL_VERSION, COL_UPTIME, COL_RESTARTS, NCOLS };

static const char *const headers[NCOLS] = {"NAME", "KIND", "STATE", "PID", "VERSION", "UPTIME", "RESTARTS"};

struct row {
    char *cell[NCOLS];
    const char *color; /* the state's escape, or NULL */
};

#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define RED "\033[31m"
#define DIM "\033[2m"
#define RESET "\033[0m"

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

static const char *state_color(const struct ctl_record *r) {
    const char *state = ctl_record_value(r, "state");
    if (!state)
        return NULL;
    if (strcmp(state, "running") == 0)
        return GREEN;
    if (strcmp(state, "starting") == 0 || strcmp(state, "stopping") == 0 || strcmp(state, "restarting") == 0)
        return YELLOW;
    if (strcmp(state, "idle") == 0)
        return is_permanent(r) ? RED : DIM;
    return NULL;
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
 * shallower one. `seen` has room for depth max + 2. */
static void last_siblings(size_t n, const unsigned *depth, bool *last, bool *seen, unsigned max) {
    memset(seen, 0, (max + 2) * sizeof *seen);
    for (size_t i = n; i-- > 0;) {
        last[i] = !seen[depth[i]];
        seen[depth[i]] = true;
        for (unsigned d = depth[i] + 1; d <= max + 1; d++)
            seen[d] = false;
    }
}

/* Columns a cell takes on a terminal: UTF-8 continuation bytes take none
 * (the box-drawing characters are three bytes, one column). */
static size_t columns(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* A copy for a cell, "-" when absent. Control bytes become '?': a child's
 * id or version must not be able to move the cursor or clear the screen. */
static char *dup_or_dash(const char *v) {
    char *s = strdup(v && v[0] ? v : "-");
    for (char *p = s; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return s;
}

/* The NAME cell: the tree's lines down to this node, then its id (the
 * whole path for the first record, where the listing starts). */
static char *name_cell(const struct ctl_record *r, size_t i, unsigned d, bool last, bool *anc_last) {
    const char *path = ctl_record_value(r, "path");
    const char *slash = i > 0 && path ? strrchr(path, '/') : NULL;
    char *label = dup_or_dash(slash && slash[1] ? slash + 1 : path);
    char *s = label ? malloc((size_t)d * 7 + strlen(label) + 1) : NULL; /* "├─ " is 7 bytes */
    if (s) {
        s[0] = '\0';
        for (unsigned k = 1; k < d; k++)
            strcat(s, anc_last[k] ? "   " : "│  ");
        if (d > 0)
            strcat(s, last ? "└─ " : "├─ ");
        strcat(s, label);
        anc_last[d] = last;
    }
    free(label);
    return s;
}

static int fill_row(struct row *row, const struct ctl_record *r, char *name) {
    char uptime[32] = "-";
    const char *ms = ctl_record_value(r, "uptime_ms");
    if (ms && ms[0])
        ctl_format_uptime(strtoull(ms, NULL, 10), uptime, sizeof uptime);
    const char *pid = ctl_record_value(r, "pid");
    if (pid && strcmp(pid, "0") == 0)
        pid = NULL; /* a worker between two lives */
    row->cell[COL_NAME] = name;
    row->cell[COL_KIND] = dup_or_dash(ctl_record_value(r, "kind"));
    row->cell[COL_STATE] = dup_or_dash(ctl_record_value(r, "state"));
    row->cell[COL_PID] = dup_or_dash(pid);
    row->cell[COL_VERSION] = dup_or_dash(ctl_record_value(r, "version"));
    row->cell[COL_UPTIME] = strdup(uptime);
    row->cell[COL_RESTARTS] = dup_or_dash(ctl_record_value(r, "restarts"));
    row->color = state_color(r);
    for (int c = 0; c < NCOLS; c++)
        if (!row->cell[c])
            return -ENOMEM;
    return 0;
}

/* Rows for every record; rows[0] is the header. */
static int build_rows(const struct ctl_records *rs, struct row *rows) {
    unsigned *depth = calloc(rs->n + 1, sizeof *depth);
    bool *last = calloc(rs->n + 1, sizeof *last);
    bool *seen = calloc(rs->n + 2, sizeof *seen);    /* depths never exceed n */
    bool *anc_last = calloc(rs->n + 2, sizeof *anc_last);
    int r = depth && last && seen && anc_last ? 0 : -ENOMEM;
    for (int c = 0; r == 0 && c < NCOLS; c++)
        if (!(rows[0].cell[c] = strdup(headers[c])))
            r = -ENOMEM;
    if (r == 0) {
        depths(rs, depth);
        last_siblings(rs->n, depth, last, seen, rs->n);
    }
    for (size_t i = 0; r == 0 && i < rs->n; i++) {
        char *name = name_cell(&rs->v[i], i, depth[i], last[i], anc_last);
        r = name ? fill_row(&rows[i + 1], &rs->v[i], name) : -ENOMEM;
    }
    free(depth);
    free(last);
    free(seen);
    free(anc_last);
    return r;
}

static void print_rows(FILE *out, const struct row *rows, size_t n, bool color) {
    size_t width[NCOLS] = {0};
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < NCOLS; c++) {
            size_t w = columns(rows[i].cell[c]);
            width[c] = w > width[c] ? w : width[c];
        }
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < NCOLS; c++) {
            const char *esc = color && c == COL_STATE ? rows[i].color : NULL;
            fprintf(out, "%s%s%s", esc ? esc : "", rows[i].cell[c], esc ? RESET : "");
            if (c == NCOLS - 1)
                break; /* no trailing blanks */
            /* Padding outside the escapes, so colour does not shift columns. */
            fprintf(out, "%*s", (int)(width[c] - columns(rows[i].cell[c]) + 2), "");
        }
        fputc('\n', out);
    }
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

int ctl_render_status(FILE *out, const struct ctl_records *rs, bool color) {
    size_t n = rs->n + 1;
    struct row *rows = calloc(n, sizeof *rows);
    if (!rows)
        return -ENOMEM;
    int r = build_rows(rs, rows);
    if (r == 0) {
        print_rows(out, rows, n, color);
        print_summary(out, rs);
    }
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < NCOLS; c++)
            free(rows[i].cell[c]);
    free(rows);
    return r;
}
