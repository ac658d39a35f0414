/*
 * top.h — `ninesctl top` (top.c): the live view of the tree.
 */
#ifndef NINES_CTL_TOP_H
#define NINES_CTL_TOP_H

#include <stdbool.h>
#include <stdio.h>

#include "args.h"

/* Runs until `q`, SIGINT or SIGTERM (or the daemon goes away: its exit
 * code). On a terminal (tty) it redraws in place; else plain tables. */
int ctl_top_run(const struct ctl_args *a, const char *socket_path, FILE *out, bool tty, bool color);

#endif
