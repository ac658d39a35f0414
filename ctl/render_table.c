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

/* n bytes of s, control bytes as '?', from the table's arena. */
static char *arena_cell(struct ctl_table *t, const char *s, size_t n) {
    t->pieces = true;
    char *c = ctl_arena_alloc(&t->text, n + 1);
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++)
        c[i] = is_control((unsigned char)s[i]) ? '?' : s[i];
    c[n] = '\0';
    return c;
}

char *ctl_table_text(struct ctl_table *t, const char *v) {
    static char none[] = "-"; /* most cells of a big status: one copy for all (the arena's cells are not freed one by one) */
    if (!v || !v[0]) {
        t->pieces = true;
        return none;
    }
    return arena_cell(t, v, strlen(v));
}

char *ctl_table_join(struct ctl_table *t, const char *const *parts, size_t n) {
    char small[256];
    size_t len = 0, at = 0;
    for (size_t i = 0; i < n; i++)
        len += parts[i] ? strlen(parts[i]) : 0;
    if (len == 0)
        return ctl_table_text(t, NULL);
    char *buf = len < sizeof small ? small : malloc(len + 1);
    if (!buf)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (parts[i]) {
            size_t k = strlen(parts[i]);
            memcpy(buf + at, parts[i], k);
            at += k;
        }
    char *c = arena_cell(t, buf, len);
    if (buf != small)
        free(buf);
    return c;
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

/* The columns each cell takes, counted once for the widths and the
 * padding; NULL when out of memory, and then they are counted twice. */
static unsigned *cell_columns(const struct ctl_table *t, size_t *width) {
    size_t n = t->rows * (size_t)t->cols;
    unsigned *cols = malloc(n * sizeof *cols + 1);
    for (size_t i = 0; i < n; i++) {
        size_t w = ctl_text_columns(t->cell[i]);
        if (cols)
            cols[i] = (unsigned)w;
        size_t *max = &width[i % (size_t)t->cols];
        *max = w > *max ? w : *max;
    }
    return cols;
}

void ctl_table_print(FILE *out, const struct ctl_table *t, bool color) {
    size_t width[CTL_TABLE_MAX_COLS] = {0};
    unsigned *cols = cell_columns(t, width);
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
            size_t k = i * (size_t)t->cols + (size_t)c;
            pad(out, width[c] - (cols ? cols[k] : ctl_text_columns(row[c])) + 2);
        }
        fputc_unlocked('\n', out);
    }
    free(cols);
}

void ctl_table_free(struct ctl_table *t) {
    for (size_t i = 0; !t->pieces && t->cell && i < t->rows * (size_t)t->cols; i++)
        free(t->cell[i]);
    ctl_arena_free(&t->text);
    free(t->cell);
    free(t->color);
    *t = (struct ctl_table){0};
}
