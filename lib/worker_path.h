/*
 * worker_path.h — where the worker host, nines-worker, is installed.
 *
 * ninesd spawns it for every worker; nines-release runs it to check the
 * modules of a release. Both look in the same places, in this order:
 * beside the running program (a build folder, or a bin folder where both
 * were installed together), then the libexec folder chosen at build time.
 */
#ifndef NINES_WORKER_PATH_H
#define NINES_WORKER_PATH_H

/* The path of nines-worker, in a static buffer: beside /proc/self/exe if
 * an executable is there, else NINES_LIBEXECDIR/nines-worker. */
const char *nines_worker_default_path(void);

/* The path of nines-release, which ninesd runs to unpack releases, in a
 * static buffer: beside /proc/self/exe if an executable is there, else
 * NINES_BINDIR/nines-release. */
const char *nines_release_tool_default_path(void);

#endif /* NINES_WORKER_PATH_H */
