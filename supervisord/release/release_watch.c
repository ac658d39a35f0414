/*
 * release_watch.c — the releases folder watched with libinotifytools,
 * reported on ninesd's sd-event loop.
 *
 * Why a thread. libinotifytools keeps everything in globals — the inotify
 * descriptor, which it never hands out, the table of watches, a static
 * event buffer — and its only way to wait is inotifytools_next_event(),
 * which blocks in select() on that hidden descriptor. It cannot be put on
 * the loop's epoll, and its globals must be used from one thread at a
 * time. So one thread owns it:
 *
 *   release_watch_start (loop thread)     the watch thread
 *   ---------------------------------     ----------------
 *   inotifytools_initialize, mark its
 *   descriptor close-on-exec, watch DIR
 *   and the wake-up file, list DIR;
 *   start the thread (all signals
 *   blocked) ---------------------------> look at what was listed, then
 *                                          loop: inotifytools_next_event(1 s)
 *                                            classify the event; for a folder
 *                                            made in place, re-check it (load
 *                                            release.yaml, hash its files)
 *   on_messages (sd_event_add_io on       <- arrival: queue it under the lock,
 *   the eventfd): take the queue, call       write the eventfd
 *   fn(path) for each arrival, log each
 *   warning
 *
 *   release_watch_free: set `stop`, write one byte to the wake-up file
 *   (its IN_MODIFY ends the thread's wait at once; without one, the 1 s
 *   timeout does), join the thread; only then inotifytools_cleanup(), and
 *   close the rest.
 *
 * libinotifytools is set up on the loop's thread before the thread exists
 * and cleaned up after it is joined, so it is only ever used by one thread
 * at a time (pthread_create and pthread_join order the two). Only one
 * watch may run in a process (-EBUSY): the library's state is global.
 *
 * The hashing a folder's check needs stays off the loop; the loop only
 * ever reads the eventfd and calls fn. The thread blocks every signal, so
 * that the signals ninesd handles through sd-event (blocked on the loop's
 * thread) are never delivered to it.
 *
 * Three things the library does that a daemon must not trip over:
 * inotify_init() without IN_CLOEXEC — the descriptor would be inherited
 * by every worker ninesd spawns — so start() finds the new inotify
 * descriptor in /proc/self/fd and sets FD_CLOEXEC (the loop's thread is
 * busy in start(), so no child is spawned meanwhile); select() on it,
 * which breaks past FD_SETSIZE, so a descriptor that high is refused;
 * and events read but not yet handed out survive inotifytools_cleanup()
 * in a static buffer, so start() throws them away before it watches
 * anything (init_inotify). The library's records of watches the kernel
 * dropped are the fourth (release_watch_events.c, watch_name).
 *
 * The wake-up file is an O_TMPFILE in DIR: it has no name (nothing to see
 * or clean up in the folder), lives on the same file system, and is
 * watched through /proc/self/fd/N. Writes to pipes or eventfds make no
 * inotify events, which is why it is a file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inotifytools/inotify.h>
#include <inotifytools/inotifytools.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "release_watch_internal.h"

#define MAX_INOTIFY_FDS 64 /* of the whole process, while looking for libinotifytools' one */

static atomic_bool in_use; /* one watch per process: libinotifytools is global */

/* --- messages from the thread to the loop ------------------------------- */

static void push(struct release_watch *w, bool warning, const char *text) {
    size_t len = strlen(text);
    struct rw_message *m = malloc(sizeof *m + len + 1);
    if (!m)
        return; /* out of memory: the arrival is lost, as a lost event would be */
    m->next = NULL, m->warning = warning;
    memcpy(m->text, text, len + 1);
    pthread_mutex_lock(&w->lock);
    *w->tail = m, w->tail = &m->next;
    pthread_mutex_unlock(&w->lock);
    uint64_t one = 1;
    if (write(w->efd, &one, sizeof one) < 0) {
        /* EAGAIN: the counter is full, the loop will wake anyway. */
    }
}

void rw_report(struct release_watch *w, const char *name) {
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", w->dir, name) < sizeof path)
        push(w, false, path);
}

void rw_warn(struct release_watch *w, const char *fmt, ...) {
    char text[PATH_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    push(w, true, text);
}

static void free_messages(struct rw_message *m) {
    while (m) {
        struct rw_message *next = m->next;
        free(m);
        m = next;
    }
}

/* On the loop: take what is waiting, then report it outside the lock. */
static int on_messages(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
    struct release_watch *w = userdata;
    uint64_t count;
    if (read(fd, &count, sizeof count) < 0 && errno != EAGAIN)
        return 0;
    pthread_mutex_lock(&w->lock);
    struct rw_message *m = w->head;
    w->head = NULL, w->tail = &w->head;
    pthread_mutex_unlock(&w->lock);
    for (struct rw_message *i = m; i; i = i->next) {
        if (i->warning) {
            const struct nines_field f[] = {{"dir", w->dir}};
            nines_log_event(LOG_WARNING, "release_watch", i->text, f, 1);
        } else {
            w->fn(w->userdata, i->text);
        }
    }
    free_messages(m);
    return 0;
}

/* --- the thread --------------------------------------------------------- */

static void *watch_thread(void *arg) {
    struct release_watch *w = arg;
    rw_scan(w, &w->initial);
    while (!atomic_load(&w->stop)) {
        struct inotify_event *ev = inotifytools_next_event(1);
        int e = inotifytools_error();
        if (ev) {
            rw_handle(w, ev);
        } else if (e && e != EINTR) {
            rw_warn(w, "cannot read the folder's events: %s; releases arriving are not noticed any more",
                    strerror(e));
            break;
        }
    }
    rw_forget_all(w);
    return NULL;
}

/* Start the thread with every signal blocked (it inherits the mask). */
static int start_thread(struct release_watch *w) {
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    int r = -pthread_create(&w->thread, NULL, watch_thread, w);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    w->thread_started = r == 0;
    return r;
}

/* --- libinotifytools' set-up -------------------------------------------- */

/* The inotify descriptors of the process, at most `max`: their number. */
static size_t inotify_fds(int *fds, size_t max) {
    DIR *d = opendir("/proc/self/fd");
    size_t n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; n < max && (e = readdir(d));) {
        char target[64];
        ssize_t len = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
        if (len < 0 || e->d_name[0] == '.')
            continue;
        target[len] = '\0';
        if (strcmp(target, "anon_inode:inotify") == 0)
            fds[n++] = atoi(e->d_name);
    }
    closedir(d);
    return n;
}

static bool listed(int fd, const int *fds, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (fds[i] == fd)
            return true;
    return false;
}

/* inotifytools_initialize(), its descriptor made close-on-exec, and the
 * events a previous watch read but did not take thrown away: they stay
 * in a static buffer of the library, which inotifytools_cleanup() leaves
 * alone, and would come out first, with that watch's descriptors. With
 * no watch yet, only those can come (a zero timeout does not wait). */
static int init_inotify(void) {
    int before[MAX_INOTIFY_FDS], after[MAX_INOTIFY_FDS];
    size_t n_before = inotify_fds(before, MAX_INOTIFY_FDS);
    if (!inotifytools_initialize())
        return inotifytools_error() ? -inotifytools_error() : -EIO;
    while (inotifytools_next_events(0, 1))
        continue;
    size_t n_after = inotify_fds(after, MAX_INOTIFY_FDS);
    for (size_t i = 0; i < n_after; i++) {
        if (listed(after[i], before, n_before))
            continue;
        if (after[i] >= FD_SETSIZE || fcntl(after[i], F_SETFD, FD_CLOEXEC) < 0) {
            int r = after[i] >= FD_SETSIZE ? -EMFILE : -errno;
            inotifytools_cleanup();
            return r;
        }
    }
    return 0;
}

/* Watch `path` (a folder: "PATH/"), and return its watch descriptor. */
static int watch_path(const char *path, int events) {
    if (!inotifytools_watch_file(path, events))
        return inotifytools_error() ? -inotifytools_error() : -EIO;
    int wd = inotifytools_wd_from_filename(path);
    return wd >= 0 ? wd : -EIO;
}

/* The wake-up file; without one (a file system without O_TMPFILE, no
 * /proc), stopping waits for the thread's 1 s timeout instead. */
static void watch_wake_file(struct release_watch *w) {
    char path[64];
    w->wake_fd = open(w->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (w->wake_fd < 0)
        return;
    snprintf(path, sizeof path, "/proc/self/fd/%d", w->wake_fd);
    if ((w->wake_wd = watch_path(path, IN_MODIFY)) < 0) {
        close(w->wake_fd);
        w->wake_fd = -1;
    }
}

static int watch_dir(struct release_watch *w) {
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/", w->dir) >= sizeof path)
        return -ENAMETOOLONG;
    int wd = watch_path(path, RW_DIR_EVENTS);
    if (wd < 0)
        return wd;
    w->dir_wd = wd;
    return 0;
}

/* --- start and stop ----------------------------------------------------- */

static int new_watch(const char *dir, release_arrived_fn fn, void *userdata, struct release_watch **out) {
    struct release_watch *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    *w = (struct release_watch){
        .efd = -1, .wake_fd = -1, .dir_wd = -1, .wake_wd = -1, .fn = fn, .userdata = userdata};
    w->tail = &w->head;
    pthread_mutex_init(&w->lock, NULL);
    atomic_init(&w->stop, false);
    *out = w;
    if (!(w->dir = realpath(dir, NULL)))
        return -errno;
    if ((w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
        return -errno;
    return 0;
}

static void free_watch(struct release_watch *w) {
    if (w->thread_started) {
        atomic_store(&w->stop, true);
        if (w->wake_fd >= 0 && pwrite(w->wake_fd, "x", 1, 0) < 0) {
            /* The thread notices `stop` within its 1 s timeout anyway. */
        }
        pthread_join(w->thread, NULL);
    }
    if (w->inotify_up)
        inotifytools_cleanup();
    if (w->wake_fd >= 0)
        close(w->wake_fd);
    sd_event_source_disable_unref(w->source);
    if (w->efd >= 0)
        close(w->efd);
    free_messages(w->head);
    rw_names_free(&w->initial);
    pthread_mutex_destroy(&w->lock);
    free(w->dir);
    free(w);
}

int release_watch_start(sd_event *loop, const char *dir, release_arrived_fn fn, void *userdata,
                        struct release_watch **out) {
    struct release_watch *w = NULL;
    *out = NULL;
    if (atomic_exchange(&in_use, true))
        return -EBUSY;
    int r = new_watch(dir, fn, userdata, &w);
    if (r == 0 && (r = init_inotify()) == 0) {
        w->inotify_up = true;
        watch_wake_file(w);
        if ((r = watch_dir(w)) == 0)
            r = rw_list(w->dir, &w->initial); /* after the watch: nothing falls between */
    }
    if (r == 0)
        r = sd_event_add_io(loop, &w->source, w->efd, EPOLLIN, on_messages, w);
    if (r == 0)
        r = start_thread(w);
    if (r < 0) {
        if (w)
            free_watch(w);
        atomic_store(&in_use, false);
        return r;
    }
    *out = w;
    return 0;
}

void release_watch_free(struct release_watch *w) {
    if (!w)
        return;
    free_watch(w);
    atomic_store(&in_use, false);
}
