/*
 * run.c — small helpers of nines-release: paths, tar's messages. Programs
 * are run with lib/run_program.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <stdio.h>

#include "release.h"

int path_printf(char *out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, PATH_MAX, fmt, ap);
    va_end(ap);
    return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

