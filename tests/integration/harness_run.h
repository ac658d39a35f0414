/*
 * harness_run.h — running a command line in integration tests (ninesctl,
 * `ninesd --check`) and keeping what it said.
 */
#ifndef NINES_HARNESS_RUN_H
#define NINES_HARNESS_RUN_H

#include <stddef.h>

struct ninesd;

/* Run `cmd` with /bin/sh, stderr joined to stdout; what it printed (cut at
 * size - 1) in `out`. Its exit status, or -1 if it died of a signal. */
int harness_run(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* `ninesctl --socket SOCKET ARGS` (ARGS are shell words) against n. */
int harness_ctl(struct ninesd *n, const char *args, char *out, size_t size);

/* `ninesd --check TREE`. */
int harness_check(const char *tree, char *out, size_t size);

#endif /* NINES_HARNESS_RUN_H */
