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
#include "textbuf.h"

enum {
    COL_NAME, COL_KIND, COL_STATE, COL_PID, COL_VERSION, COL_UPTIME, COL_RESTARTS, /* always */
    COL_WINDOW, COL_LAST_EXIT, COL_CPU, COL_MEM, COL_DROPS, /* when a record has them */
    NCOLS
};

static const char *const headers[NCOLS] = {"NAME",     "KIND",   "STATE",     "PID", "VERSION", "UPTIME",
                                           "RESTARTS", "WINDOW", "LAST EXIT", "CPU", "MEM", "DROPS"};
struct layout {
    int col[NCOLS]; /* the columns shown, in order */
    int n;
    int state_at; /* where STATE is, for its colour */
};

/* v's digits, at least `width` of them (zeros before), at p; how many. */
static size_t digits(char *p, uint64_t v, int width) {
    char tmp[24];
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0 || (int)n < width);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

/* Without snprintf: a status of 10,000 nodes formats 20,000 of these. */
int ctl_format_uptime(uint64_t ms, char *buf, size_t size) {
    uint64_t s = ms / 1000, m = s / 60, h = m / 60, d = h / 24;
    char text[64];
    size_t n;
    if (s < 60) {
        n = digits(text, s, 1);
        text[n++] = 's';
    } else if (m < 60) {
        n = digits(text, m, 1);
        text[n++] = 'm';
        n += digits(text + n, s % 60, 2);
        text[n++] = 's';
    } else if (h < 24) {
        n = digits(text, h, 1);
        text[n++] = 'h';
        n += digits(text + n, m % 60, 2);
        text[n++] = 'm';
    } else {
        n = digits(text, d, 1);
        text[n++] = 'd';
        n += digits(text + n, h % 24, 2);
        text[n++] = 'h';
    }
    if (size > 0) { /* as snprintf: cut to fit, NUL-terminated, the whole length returned */
        size_t k = n < size - 1 ? n : size - 1;
        memcpy(buf, text, k);
        buf[k] = '\0';
    }
    return (int)n;
}

/* The root has no restart type, but a stopped root is as bad as a
 * stopped permanent child. */
static bool is_permanent(const char *restart) {
    return !restart || strcmp(restart, "permanent") == 0;
}

static bool is_running(const char *state) {
    return state && strcmp(state, "running") == 0;
}

/* A child is a node with a restart type: all but the root, also when the
 * subtree shown starts below it. */
static void summary_add(struct ctl_status_summary *s, const char *restart, const char *state) {
    if (!restart)
        return;
    s->children++;
    if (is_permanent(restart) && !is_running(state))
        s->down++;
}

void ctl_status_summary_add(struct ctl_status_summary *s, const struct ctl_record *r) {
    summary_add(s, ctl_record_value(r, "restart"), ctl_record_value(r, "state"));
}

void ctl_status_summarize(const struct ctl_records *rs, struct ctl_status_summary *out) {
    *out = (struct ctl_status_summary){0};
    for (size_t i = 0; i < rs->n; i++)
        ctl_status_summary_add(out, &rs->v[i]);
}

/* One node's row: its cells for every column (those shown are chosen at
 * the end), NAME without the tree's lines, which need the rows after it. */
struct status_row {
    char *cell[NCOLS];
    uint32_t cols[NCOLS]; /* the columns each cell takes */
    uint32_t len[NCOLS];  /* and its bytes: no strlen of 120,000 cells when printing */
    unsigned depth;
    const char *color;
};

struct ctl_status_rows {
    struct ctl_table t; /* only its arena: the cells */
    struct status_row *v;
    size_t n, cap;
    bool has[NCOLS]; /* an optional column some record has */
    bool oom;
    int64_t now_ms;
    struct ctl_status_summary summary;
};

struct ctl_status_rows *ctl_status_rows_new(int64_t now_ms) {
    struct ctl_status_rows *t = calloc(1, sizeof *t);
    if (t)
        t->now_ms = now_ms;
    return t;
}

void ctl_status_rows_free(struct ctl_status_rows *t) {
    if (!t)
        return;
    ctl_arena_free(&t->t.text);
    free(t->v);
    free(t);
}

const struct ctl_status_summary *ctl_status_rows_summary(const struct ctl_status_rows *t) {
    return &t->summary;
}

/* Depths made consistent with a depth-first listing: the first record is
 * the top, and nobody is more than one level below the one before, so a
 * record the daemon got wrong cannot break the drawing. */
static unsigned row_depth(const struct ctl_status_rows *t, const char *depth) {
    if (t->n == 0)
        return 0;
    unsigned d = depth ? (unsigned)strtoul(depth, NULL, 10) : 0, before = t->v[t->n - 1].depth;
    if (d > before + 1)
        d = before + 1;
    return d == 0 ? 1 : d; /* a second top would be drawn as a child of the first */
}

/* The NAME cell's label: the node's id (the whole path for the first
 * record, where the listing starts), and a dynamic child's args in
 * parentheses. */
static char *name_label(struct ctl_status_rows *t, const struct ctl_status_view *v) {
    const char *path = v->v[CTL_V_PATH], *args = v->v[CTL_V_ARGS];
    const char *slash = t->n > 0 && path ? strrchr(path, '/') : NULL;
    const char *id = slash && slash[1] ? slash + 1 : path;
    bool with_args = id && args && args[0];
    const char *parts[] = {id, with_args ? " (" : NULL, with_args ? args : NULL, with_args ? ")" : NULL};
    return ctl_table_join(&t->t, parts, 4);
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

/* Which view value brings in each optional column (DROPS: a count above 0). */
static const int column_view[NCOLS] = {[COL_WINDOW] = CTL_V_WINDOW, [COL_LAST_EXIT] = CTL_V_LAST_EXIT,
                                       [COL_CPU] = CTL_V_CPU, [COL_MEM] = CTL_V_RSS};

/* The columns a cell takes (as ctl_text_columns) and its bytes, in one
 * pass. A cell is a piece of a record, under 4 KiB (2 MiB at most from a
 * daemon that breaks the protocol): it fits. */
static size_t measure(const char *s, size_t *len) {
    size_t cols = 0;
    const char *p = s;
    for (; *p; p++)
        cols += ((unsigned char)*p & 0xc0) != 0x80;
    *len = (size_t)(p - s);
    return cols;
}

/* The row of one record; the record may go once this returns (every cell
 * is a copy). 0 or -ENOMEM. */
int ctl_status_rows_add(struct ctl_status_rows *t, const struct ctl_record *r) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct status_row *v = realloc(t->v, cap * sizeof *v);
        if (!v) {
            t->oom = true;
            return -ENOMEM;
        }
        t->v = v, t->cap = cap;
    }
    struct ctl_status_view v;
    ctl_status_view(r, &v);
    summary_add(&t->summary, v.v[CTL_V_RESTART], v.v[CTL_V_STATE]);
    struct status_row *row = &t->v[t->n];
    row->depth = row_depth(t, v.v[CTL_V_DEPTH]);
    row->color = ctl_status_view_color(&v);
    for (int c = 0; c < NCOLS; c++) {
        char *s = c == COL_NAME ? name_label(t, &v) : cell(&t->t, c, &v, t->now_ms);
        if (!s) {
            t->oom = true;
            return -ENOMEM;
        }
        size_t len, cols = measure(s, &len);
        row->cell[c] = s;
        row->cols[c] = (uint32_t)cols;
        row->len[c] = (uint32_t)len;
    }
    for (int c = COL_WINDOW; c < NCOLS; c++)
        if (!t->has[c])
            t->has[c] = c == COL_DROPS ? ctl_status_has_drops(r) : v.v[column_view[c]] != NULL;
    t->n++;
    return 0;
}

/* The columns always shown, then each optional one some record has. */
static void choose_columns(const struct ctl_status_rows *t, struct layout *l) {
    l->n = 0;
    for (int c = 0; c < NCOLS; c++) {
        if (c < COL_WINDOW || t->has[c])
            l->col[l->n++] = c;
        if (c == COL_STATE)
            l->state_at = l->n - 1;
    }
}

/* last[i]: no later sibling of node i, found walking backwards while
 * remembering, per depth, whether a node of that depth follows before a
 * shallower one. `seen` has room for every depth (n + 1: a depth-first
 * listing never goes deeper than its length) and starts all false. Only
 * the depths marked since are cleared, so the walk is linear: each depth
 * is marked once per node and cleared at most once per mark. */
static void last_siblings(const struct ctl_status_rows *t, bool *last, bool *seen) {
    unsigned high = 0; /* every seen[d] for d > high is false */
    for (size_t i = t->n; i-- > 0;) {
        unsigned d = t->v[i].depth;
        last[i] = !seen[d];
        seen[d] = true;
        for (unsigned k = d + 1; k <= high; k++)
            seen[k] = false;
        high = d;
    }
}

/* The widest cell of each column shown, the header's included; NAME
 * with the tree's lines, three columns a level. */
static void widths(const struct ctl_status_rows *t, const struct layout *l, size_t *w) {
    for (int c = 0; c < l->n; c++)
        w[c] = ctl_text_columns(headers[l->col[c]]);
    for (size_t i = 0; i < t->n; i++) {
        const struct status_row *row = &t->v[i];
        for (int c = 0; c < l->n; c++) {
            size_t k = row->cols[l->col[c]] + (l->col[c] == COL_NAME ? 3 * (size_t)row->depth : 0);
            w[c] = k > w[c] ? k : w[c];
        }
    }
}

static void pad(struct ctl_textbuf *b, size_t n) {
    static const char blanks[64] = "                                                               ";
    for (; n > sizeof blanks - 1; n -= sizeof blanks - 1)
        ctl_textbuf_put(b, blanks, sizeof blanks - 1);
    ctl_textbuf_put(b, blanks, n);
}

/* The tree's lines down to a node: ancestors' "│  " or "   ", then "├─ "
 * or "└─ " ("│" and "─" are three bytes each). */
static void tree_lines(struct ctl_textbuf *b, unsigned d, bool last, const bool *anc_last) {
    for (unsigned k = 1; k < d; k++)
        ctl_textbuf_put(b, anc_last[k] ? "   " : "│  ", anc_last[k] ? 3 : 5);
    if (d > 0)
        ctl_textbuf_put(b, last ? "└─ " : "├─ ", 7);
}

/* One line: the cells two blanks apart, no trailing blanks, the state's
 * colour around its cell only. `row` NULL: the header. */
static void put_line(struct ctl_textbuf *b, const struct layout *l, const size_t *w, const struct status_row *row,
                     const bool *anc_last, bool last, bool color) {
    for (int c = 0; c < l->n; c++) {
        int col = l->col[c];
        const char *text = row ? row->cell[col] : headers[col];
        size_t used = row ? row->cols[col] : ctl_text_columns(text);
        if (row && col == COL_NAME) {
            tree_lines(b, row->depth, last, anc_last);
            used += 3 * (size_t)row->depth;
        }
        const char *esc = color && row && c == l->state_at ? row->color : NULL;
        if (esc)
            ctl_textbuf_puts(b, esc);
        ctl_textbuf_put(b, text, row ? row->len[col] : strlen(text));
        if (esc)
            ctl_textbuf_puts(b, CTL_RESET);
        if (c == l->n - 1)
            break;
        pad(b, w[c] - used + 2);
    }
    ctl_textbuf_putc(b, '\n');
}

static void put_summary(struct ctl_textbuf *b, const struct ctl_status_summary *s) {
    char line[128];
    int n = s->down == 0 ? snprintf(line, sizeof line, "%zu %s, all permanent children running\n", s->children,
                                    s->children == 1 ? "child" : "children")
                         : snprintf(line, sizeof line, "%zu %s, %zu permanent %s not running\n", s->children,
                                    s->children == 1 ? "child" : "children", s->down,
                                    s->down == 1 ? "child" : "children");
    ctl_textbuf_put(b, line, (size_t)n);
}

/* Written to out a piece at a time, not held whole. */
static void flush_some(FILE *out, struct ctl_textbuf *b, bool all) {
    if (b->len >= (1u << 16) || (all && b->len)) {
        fwrite_unlocked(b->p, 1, b->len, out);
        b->len = 0;
    }
}

int ctl_status_rows_print(FILE *out, const struct ctl_status_rows *t, bool color) {
    if (t->oom)
        return -ENOMEM;
    struct layout l = {0};
    size_t w[NCOLS];
    choose_columns(t, &l);
    widths(t, &l, w);
    bool *last = calloc(t->n + 1, sizeof *last), *seen = calloc(t->n + 2, sizeof *seen);
    bool *anc_last = calloc(t->n + 2, sizeof *anc_last); /* depths never exceed n */
    struct ctl_textbuf b = {0};
    int r = last && seen && anc_last ? 0 : -ENOMEM;
    if (r == 0) {
        last_siblings(t, last, seen);
        put_line(&b, &l, w, NULL, NULL, false, color);
        for (size_t i = 0; i < t->n; i++) {
            put_line(&b, &l, w, &t->v[i], anc_last, last[i], color);
            anc_last[t->v[i].depth] = last[i];
            flush_some(out, &b, false);
        }
        put_summary(&b, &t->summary);
        r = b.oom ? -ENOMEM : 0;
        flush_some(out, &b, true);
    }
    ctl_textbuf_free(&b);
    free(last);
    free(seen);
    free(anc_last);
    return r;
}

int ctl_render_status_at(FILE *out, const struct ctl_records *rs, bool color, int64_t now_ms) {
    struct ctl_status_rows *t = ctl_status_rows_new(now_ms);
    int r = t ? 0 : -ENOMEM;
    for (size_t i = 0; r == 0 && i < rs->n; i++)
        r = ctl_status_rows_add(t, &rs->v[i]);
    if (r == 0)
        r = ctl_status_rows_print(out, t, color);
    ctl_status_rows_free(t);
    return r;
}

int64_t ctl_now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int ctl_render_status(FILE *out, const struct ctl_records *rs, bool color) {
    return ctl_render_status_at(out, rs, color, ctl_now_ms());
}
