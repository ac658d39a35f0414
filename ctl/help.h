/*
 * help.h — `ninesctl --help`, `ninesctl COMMAND --help`, `--version`.
 */
#ifndef NINES_CTL_HELP_H
#define NINES_CTL_HELP_H

#include <stdio.h>

#include "args.h"

/* The whole program's help (topic NULL), or a command's: every form of
 * it ("upgrade"), or every command of a group ("release"). */
void ctl_print_help(FILE *f, const char *topic);
void ctl_print_version(FILE *f);

#endif /* NINES_CTL_HELP_H */
