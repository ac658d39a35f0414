/*
 * help.h — `ninesctl --help`, `ninesctl COMMAND --help`, `--version`.
 */
#ifndef NINES_CTL_HELP_H
#define NINES_CTL_HELP_H

#include <stdio.h>

#include "args.h"

/* The whole program's help (cmd NULL) or one command's. */
void ctl_print_help(FILE *f, const struct ctl_command *cmd);
void ctl_print_version(FILE *f);

#endif /* NINES_CTL_HELP_H */
