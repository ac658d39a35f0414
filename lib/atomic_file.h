/*
 * atomic_file.h — writing a file whole or not at all (s6's status file):
 * the content goes to a temporary file beside the target, which is
 * flushed to disk, renamed over the target, and the folder is flushed
 * too, so that after a crash the target is either the old file or the
 * new one, never a mix. Used for release manifests and for the release
 * handler's state file.
 */
#ifndef NINES_ATOMIC_FILE_H
#define NINES_ATOMIC_FILE_H

#include <stdio.h>
#include <sys/types.h>

/* Writes the content to `f`: 0, or -errno. */
typedef int (*nines_atomic_write_fn)(const void *obj, FILE *f);

/* Write `path` whole or not at all with `write(obj, f)`: a temporary file
 * PATH.XXXXXX, fsync, permissions `mode`, rename, fsync of the folder.
 * 0, or -errno; on failure the temporary file is removed and `path` is
 * as it was. */
int nines_atomic_write(const char *path, mode_t mode, nines_atomic_write_fn write, const void *obj);

#endif /* NINES_ATOMIC_FILE_H */
