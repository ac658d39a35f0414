/*
 * nines_error.c — formatting a loader's error for a human.
 */
#include <stdio.h>

#include "nines_error.h"

void nines_error_format(const struct nines_error *err, char *buf, size_t size) {
    if (err->line)
        snprintf(buf, size, "%s:%u:%u: %s", err->file, err->line, err->column, err->message);
    else
        snprintf(buf, size, "%s: %s", err->file, err->message);
}
