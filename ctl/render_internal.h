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
};

/* All cells NULL, no colours. 0, -ENOMEM, or -EINVAL for more than
 * CTL_TABLE_MAX_COLS columns. */
int ctl_table_init(struct ctl_table *t, size_t rows, int cols, int color_col);
/* Row i's cells. */
char **ctl_table_row(const struct ctl_table *t, size_t i);
/* 0, or -ENOMEM when a cell is NULL (a copy that failed). */
int ctl_table_check(const struct ctl_table *t);
void ctl_table_print(FILE *out, const struct ctl_table *t, bool color);
void ctl_table_free(struct ctl_table *t);

/* render_status_cells.c: status cells from a record (each owned, "-"
 * when the record has no such field; NULL only when out of memory). */
struct ctl_record;
const char *ctl_status_state_text(const struct ctl_record *r); /* degraded/failed/stopped, or the state */
const char *ctl_status_state_color(const struct ctl_record *r); /* the escape for that state */
char *ctl_status_window_cell(const struct ctl_record *r);      /* "2/3 in 5s" */
char *ctl_status_exit_cell(const struct ctl_record *r, int64_t now_ms); /* "killed by SIGSEGV, 12s ago" */
char *ctl_status_cpu_cell(const struct ctl_record *r);         /* "1.25s" */
char *ctl_status_mem_cell(const struct ctl_record *r);         /* "4.1M/1.2M" (RSS/PSS) */

#endif /* NINES_CTL_RENDER_INTERNAL_H */
