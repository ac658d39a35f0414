/*
 * launch_text.h — the launcher's code and libraries moved onto a memory
 * file of its own (issue 11).
 *
 * Every worker host is a fork of the launcher, and a file mapped by
 * 10,000 processes is a long walk for the kernel: each rmap walk of one of
 * its pages (DAMON's kdamond samples pages, reclaim does the same) visits
 * every process's mapping of it while it holds the file's i_mmap lock,
 * and every fork and every end of a process that maps the file waits for
 * that lock (a fork of the launcher takes it once per mapping: fifteen,
 * five each of libc, the loader and nines-worker). On the project's VM,
 * with 10,000 hosts, a walk of a libc page took 20-30 ms, and one restart
 * in fifty waited for one or more. After launch_text_detach the launcher
 * maps none of those files: the same bytes, at the same addresses, with
 * the same protection, are mapped privately from a sealed memfd made for
 * this launcher image ("/memfd:nines-launcher-image" in /proc/PID/maps),
 * which only the image and its forks map: at most 257 processes
 * (LAUNCH_FORKS_PER_IMAGE: the launcher execs itself again every 256
 * forks, and the new image makes a new one). Mapped privately from a
 * file, as the originals were, the pages are not copied at each fork (an
 * anonymous copy was: a fork took 80 us instead of 50). The price: the
 * copy (about 2.2 MB per launcher image, shared by its forks: 6-8 KiB of
 * PSS per host at 10,000), and /proc/PID/maps no longer names libc or
 * nines-worker in a host, so a profiler reading it does not name their
 * functions and a tool that looks there for processes still running an
 * old libc after an upgrade does not see the hosts (which, as before,
 * run the libc their launcher image was exec'd with). The module a host
 * loads is mapped from its own file as before. `ninesd --exec-hosts`
 * (every host exec'd) keeps every file mapped.
 */
#ifndef NINES_LAUNCH_TEXT_H
#define NINES_LAUNCH_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct launch_text_map {
    uintptr_t start;
    size_t len;
    int prot; /* PROT_* */
};

/* One line of /proc/self/maps: true, with what it maps, when it is a
 * private mapping of a file (what launch_text_detach replaces). Pure. */
bool launch_text_line(const char *line, struct launch_text_map *out);

/* Replace each private file mapping of this process by the same bytes,
 * mapped privately from a new memfd at the same place. The number
 * replaced, or -errno (some may be replaced then: each is a valid copy).
 * Single-threaded callers only. */
int launch_text_detach(void);

#endif
