/*
 * run_program.h — running a helper program (tar, the worker host's
 * --check) with its output captured and a deadline: a module whose
 * constructor hangs must not hang the tool that checks it. Shared by
 * nines-release and nines-appup.
 */
#ifndef NINES_RUN_PROGRAM_H
#define NINES_RUN_PROGRAM_H

#include <stddef.h>

/* Run `argv` (argv[0] an absolute path) with no stdin, its stdout and
 * stderr captured into `out` and `err` (truncated, NUL-terminated; either
 * may be NULL), for at most timeout_ms (-1: no limit; then SIGKILL).
 * Returns the wait status, or -errno if it could not be run. */
int nines_run_program(char *const argv[], char *out, size_t out_size, char *err, size_t err_size, int timeout_ms);

#endif /* NINES_RUN_PROGRAM_H */
