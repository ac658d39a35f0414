/*
 * host_title.h — what ps shows for this nines-worker process.
 *
 * The command line ps reads is the argv area the kernel set up at exec.
 * A spare host rewrites it once it knows its child (nines-worker --module
 * M --child C); a host forked from the launcher (worker/launch_fork.c)
 * has the launcher's area, which ninesd gives room for (padding), and
 * writes its own argv there first of all.
 */
#ifndef NINES_WORKER_HOST_TITLE_H
#define NINES_WORKER_HOST_TITLE_H

#include <stddef.h>

/* Remember this process's argv area (main's argc and argv). */
void host_title_init(int argc, char **argv);

/* Show `words` (n of them) as the command line: as many whole words as
 * fit, the rest of the area cleared. */
void host_title_set(const char *const *words, size_t n);

/* The area's bytes for `words`: each whole word that fits with its NUL,
 * in order, up to the first that does not; zeros after. Pure. The number
 * of words written. */
size_t host_title_compose(const char *const *words, size_t n, char *area, size_t room);

#endif
