/*
 * render_table.c — aligned tables and terminal-safe text for ninesctl's
 * human output (see render_internal.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render_internal.h"

size_t ctl_text_columns(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static bool is_control(unsigned char c) {
    return c < 0x20 || c == 0x7f;
}

char *ctl_cell(const char *v) {
    char *s = strdup(v && v[0] ? v : "-");
    for (char *p = s; p && *p; p++)
        if (is_control((unsigned char)*p))
            *p = '?';
    return s;
}

size_t ctl_print_text(FILE *out, const char *v) {
    for (const char *p = v; *p; p++)
        fputc_unlocked(is_control((unsigned char)*p) ? '?' : *p, out);
    return ctl_text_columns(v);
}

int ctl_table_init(struct ctl_table *t, size_t rows, int cols, int color_col) {
    *t = (struct ctl_table){.rows = rows, .cols = cols, .color_col = color_col};
    if (cols < 1 || cols > CTL_TABLE_MAX_COLS)
        return -EINVAL;
    t->cell = calloc(rows * (size_t)cols, sizeof *t->cell);
    t->color = calloc(rows, sizeof *t->color);
    if (t->cell && t->color)
        return 0;
    ctl_table_free(t);
    return -ENOMEM;
}

char **ctl_table_row(const struct ctl_table *t, size_t i) {
    return t->cell + i * (size_t)t->cols;
}

int ctl_table_check(const struct ctl_table *t) {
    for (size_t i = 0; i < t->rows * (size_t)t->cols; i++)
        if (!t->cell[i])
            return -ENOMEM;
    return 0;
}

/* n blanks; fputs and fwrite, not fprintf: a status of 10,000 nodes
 * prints 100,000 cells. */
static void pad(FILE *out, size_t n) {
    static const char blanks[64] = "                                                               ";
    for (; n > sizeof blanks - 1; n -= sizeof blanks - 1)
        fwrite_unlocked(blanks, 1, sizeof blanks - 1, out);
    fwrite_unlocked(blanks, 1, n, out);
}

void ctl_table_print(FILE *out, const struct ctl_table *t, bool color) {
    size_t width[CTL_TABLE_MAX_COLS] = {0};
    for (size_t i = 0; i < t->rows; i++)
        for (int c = 0; c < t->cols; c++) {
            size_t w = ctl_text_columns(ctl_table_row(t, i)[c]);
            width[c] = w > width[c] ? w : width[c];
        }
    for (size_t i = 0; i < t->rows; i++) {
        char **row = ctl_table_row(t, i);
        for (int c = 0; c < t->cols; c++) {
            const char *esc = color && c == t->color_col ? t->color[i] : NULL;
            if (esc)
                fputs_unlocked(esc, out);
            fputs_unlocked(row[c], out);
            if (esc)
                fputs_unlocked(CTL_RESET, out);
            if (c == t->cols - 1)
                break; /* no trailing blanks */
            pad(out, width[c] - ctl_text_columns(row[c]) + 2);
        }
        fputc_unlocked('\n', out);
    }
}

void ctl_table_free(struct ctl_table *t) {
    for (size_t i = 0; t->cell && i < t->rows * (size_t)t->cols; i++)
        free(t->cell[i]);
    free(t->cell);
    free(t->color);
    *t = (struct ctl_table){0};
}
