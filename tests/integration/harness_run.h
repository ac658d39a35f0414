/*
 * harness_run.h — running a command line in integration tests (ninesctl,
 * `ninesd --check`) and keeping what it said.
 */
#ifndef NINES_HARNESS_RUN_H
#define NINES_HARNESS_RUN_H

#include <stddef.h>
#include <sys/types.h>

struct ninesd;

/* Run `cmd` with /bin/sh, stderr joined to stdout; what it printed (cut at
 * size - 1) in `out`. Its exit status, or -1 if it died of a signal. */
int harness_run(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* `ninesctl --socket SOCKET ARGS` (ARGS are shell words) against n. */
int harness_ctl(struct ninesd *n, const char *args, char *out, size_t size);

/* strace (STRACE_PATH) attached to n's ninesd, tracing the system calls
 * `calls` (strace's -e trace=) into `out`: its pid once it traces (a
 * request's answer shows in the trace), or -1. Stop it with SIGTERM. */
#define STRACE_PATH "/usr/bin/strace"
pid_t harness_strace(struct ninesd *n, const char *calls, const char *out);

/* `ninesd --check TREE`. */
int harness_check(const char *tree, char *out, size_t size);

#endif /* NINES_HARNESS_RUN_H */
