/*
 * render_internal.h — what the renderers share: colours, terminal-safe
 * text, and an aligned table. Not for the rest of ninesctl.
 */
#ifndef NINES_CTL_RENDER_INTERNAL_H
#define NINES_CTL_RENDER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"

#define CTL_GREEN "\033[32m"
#define CTL_YELLOW "\033[33m"
#define CTL_RED "\033[31m"
#define CTL_DIM "\033[2m"
#define CTL_RESET "\033[0m"

/* Columns a text takes on a terminal: UTF-8 continuation bytes take none
 * (the box-drawing characters are three bytes, one column). */
size_t ctl_text_columns(const char *s);

/* v with control bytes shown as '?': a child's id, a version or a
 * daemon's message must not be able to move the cursor or clear the
 * screen. ctl_cell: a copy for a table ("-" when absent or empty; NULL
 * when out of memory). ctl_print_text: printed; the columns it took. */
char *ctl_cell(const char *v);
size_t ctl_print_text(FILE *out, const char *v);

/* Rows of cells aligned in columns two blanks apart, no trailing blanks;
 * the cells of column color_col wrapped in their row's escape, with the
 * padding outside it so colour never shifts a column. */
#define CTL_TABLE_MAX_COLS 12

struct ctl_table {
    char **cell;        /* rows * cols, row by row, each owned; row 0 is the header */
    const char **color; /* per row: the escape of color_col's cell, or NULL */
    size_t rows;
    int cols, color_col;
    struct ctl_arena text; /* the cells of ctl_table_text and ctl_table_join */
    bool pieces;           /* the cells are pieces of `text`, not freed one by one */
};

/* All cells NULL, no colours. 0, -ENOMEM, or -EINVAL for more than
 * CTL_TABLE_MAX_COLS columns. */
int ctl_table_init(struct ctl_table *t, size_t rows, int cols, int color_col);
/* Row i's cells. */
char **ctl_table_row(const struct ctl_table *t, size_t i);
/* Cells from the table's own arena, as ctl_cell makes them (control
 * bytes as '?', "-" for NULL or empty; NULL when out of memory): a table
 * of 10,000 rows is 100,000 cells, and a malloc and free each was a
 * fifth of `ninesctl status`. A table takes either these or ctl_cell's
 * for all of its cells. ctl_table_join: the parts one after the other
 * (NULL parts are skipped). */
char *ctl_table_text(struct ctl_table *t, const char *v);
char *ctl_table_join(struct ctl_table *t, const char *const *parts, size_t n);
/* 0, or -ENOMEM when a cell is NULL (a copy that failed). */
int ctl_table_check(const struct ctl_table *t);
void ctl_table_print(FILE *out, const struct ctl_table *t, bool color);
void ctl_table_free(struct ctl_table *t);

/* The values of a status record the table shows, in one pass over its
 * fields (render_status_view.c); NULL for each the record lacks. */
enum {
    CTL_V_PATH, CTL_V_ARGS, CTL_V_DEPTH, CTL_V_KIND, CTL_V_STATE, CTL_V_HEALTH, CTL_V_UPGRADING,
    CTL_V_RESTART, CTL_V_PID, CTL_V_VERSION, CTL_V_UPTIME, CTL_V_RESTARTS, CTL_V_WINDOW,
    CTL_V_INTENSITY, CTL_V_PERIOD, CTL_V_LAST_EXIT, CTL_V_LAST_EXIT_AT, CTL_V_CPU, CTL_V_RSS,
    CTL_V_PSS, CTL_V_CASTS_DROPPED, CTL_V_CASTS_REFUSED, CTL_V_ANSWERS_DROPPED, CTL_V_ANSWERS_LOST, CTL_V_N
};
struct ctl_record;
struct ctl_status_view {
    const char *v[CTL_V_N];
};
void ctl_status_view(const struct ctl_record *r, struct ctl_status_view *out);

/* render_status_cells.c: what the status cells say. */
const char *ctl_status_state_text(const struct ctl_record *r); /* degraded/failed/stopped, or the state */
const char *ctl_status_state_color(const struct ctl_record *r); /* the escape for that state */
const char *ctl_status_view_state(const struct ctl_status_view *v); /* the same two, from a view */
const char *ctl_status_view_color(const struct ctl_status_view *v);
/* Cells of t ("-" when the record has no such field; NULL only when out
 * of memory). */
char *ctl_status_window_cell(struct ctl_table *t, const struct ctl_status_view *v); /* "2/3 in 5s" */
char *ctl_status_exit_cell(struct ctl_table *t, const struct ctl_status_view *v,
                           int64_t now_ms);                                     /* "killed by SIGSEGV, 12s ago" */
char *ctl_status_cpu_cell(struct ctl_table *t, const struct ctl_status_view *v); /* "1.25s" */
char *ctl_status_mem_cell(struct ctl_table *t, const struct ctl_status_view *v); /* "4.1M/1.2M" (RSS/PSS) */
char *ctl_status_drops_cell(struct ctl_table *t, const struct ctl_status_view *v); /* "3 casts dropped, 1 answer lost" */
bool ctl_status_has_drops(const struct ctl_record *r); /* a casts_dropped/_refused or answers_* count above 0 */

#endif /* NINES_CTL_RENDER_INTERNAL_H */
