/*
 * release_watch.h — noticing releases that arrive in the releases folder
 * (doc/design.md §4: "ninesd watches the releases folder (inotify)").
 *
 * What counts as an arrival, at the top of the folder DIR:
 *   - DIR/NAME-VERSION.tar.gz, a regular file: reported when it is closed
 *     after being written, or when it is renamed into the folder — never
 *     while it is being written. Written again later, it is reported
 *     again.
 *   - DIR/NAME-VERSION/, a folder holding release.yaml: reported when it
 *     is renamed into the folder; a folder made in place (a `cp -r` under
 *     way) is reported only once it is complete: its release.yaml loads
 *     and every file it lists is there with its SHA-256.
 * Ignored: DIR/state.yaml (the handler's own), names starting with '.'
 * (staging folders, rsync's temporary files), and folders without a
 * release.yaml, such as the store DIR/NAME/VERSION/ that
 * `nines-release unpack` fills.
 *
 * Each arrival is reported once, by calling `fn` on the sd-event loop's
 * thread; the work of watching and of checking folders (hashing) happens
 * on a thread of its own (release_watch.c says how and why). What the
 * folder holds at start is reported as if it had just arrived — a tarball
 * is taken as written, a folder is checked — so the handler must accept
 * a release it knows already: a tarball still being written at start is
 * reported then and again when it is closed; one that arrives while
 * release_watch_start() runs may be reported twice; and after the
 * kernel's event queue overflows, everything in the folder is reported
 * again (with a warning), since arrivals may have been missed.
 */
#ifndef NINES_RELEASE_WATCH_H
#define NINES_RELEASE_WATCH_H

#include <systemd/sd-event.h>

/* `path` is absolute: DIR/NAME-VERSION.tar.gz or DIR/NAME-VERSION (a
 * folder). It is only valid during the call. */
typedef void (*release_arrived_fn)(void *userdata, const char *path);

struct release_watch;

/* Watch `dir` and report arrivals to `fn` on `loop`; also reports, once,
 * what is already in the folder (a folder that is not complete yet is
 * watched until it is). 0 and *out, or -errno: -ENOENT or -ENOTDIR for
 * `dir`, -EBUSY if a watch is already running in this process
 * (libinotifytools has one global state), -ENOSPC if the kernel's limit
 * of inotify watches is reached. Problems met later (a folder that cannot
 * be watched, lost events) are logged as warnings (event=release_watch). */
int release_watch_start(sd_event *loop, const char *dir, release_arrived_fn fn, void *userdata,
                        struct release_watch **out);

/* Stop watching: the thread is stopped and joined, everything is closed
 * and freed, and `fn` is not called again. Accepts NULL. Not from within
 * `fn`. */
void release_watch_free(struct release_watch *w);

#endif /* NINES_RELEASE_WATCH_H */
