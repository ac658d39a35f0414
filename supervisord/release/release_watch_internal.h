/*
 * release_watch_internal.h — shared by the two halves of the watcher:
 * release_watch.c (the loop's side, the thread, libinotifytools' set-up)
 * and release_watch_events.c (what the thread makes of the events).
 */
#ifndef NINES_RELEASE_WATCH_INTERNAL_H
#define NINES_RELEASE_WATCH_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "release_watch.h"

struct inotify_event;

/* A message from the thread to the loop: an arrival, or a warning. */
struct rw_message {
    struct rw_message *next;
    bool warning;
    char text[];
};

/* A folder being made in place, watched until it is complete. Before its
 * release.yaml appears only its top is watched (it may be the store's
 * DIR/NAME/, which never gets one); from then on, every folder in it. */
struct rw_pending {
    char *name;    /* its name in DIR */
    bool manifest; /* release.yaml has appeared: the whole folder is watched */
    int *wds;      /* its watches, wds[0] its top */
    size_t n_wds;
};

/* Names at the top of DIR, those never an arrival left out. */
struct rw_names {
    char **v;
    size_t n;
};

struct release_watch {
    /* The loop's side. */
    sd_event_source *source;
    int efd; /* eventfd: the thread says "messages are waiting" */
    release_arrived_fn fn;
    void *userdata;
    /* Shared, under `lock`: the messages, oldest first. */
    pthread_mutex_t lock;
    struct rw_message *head, **tail;
    /* Set by release_watch_free; the thread looks at it between events. */
    atomic_bool stop;
    int wake_fd; /* an unnamed file in DIR the thread watches: a write wakes it now */
    pthread_t thread;
    bool thread_started;
    bool inotify_up; /* libinotifytools is initialised: cleaned up last */
    /* The thread's alone (it owns libinotifytools while it runs). */
    char *dir; /* absolute, no trailing '/' */
    struct rw_names initial; /* what DIR held at start, listed by start() and looked at first */
    int dir_wd, wake_wd;
    struct rw_pending *pending;
    size_t n_pending;
};

/* The inotify events of the watches (release_watch.c adds the first). */
#define RW_DIR_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ONLYDIR)
#define RW_FOLDER_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR)

/* From the thread: hand an arrival (DIR/NAME) or a warning to the loop. */
void rw_report(struct release_watch *w, const char *name);
void rw_warn(struct release_watch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* List DIR (on the loop's thread at start, so that what is created after
 * release_watch_start() returns is only ever seen through its events): 0
 * or -errno. */
int rw_list(const char *dir, struct rw_names *out);
void rw_names_free(struct rw_names *names);

/* The thread's work: what was listed (reported, or followed until
 * complete; `names` is freed), one event, and forgetting the folders
 * being made at the end. */
void rw_scan(struct release_watch *w, struct rw_names *names);
void rw_handle(struct release_watch *w, const struct inotify_event *ev);
void rw_forget_all(struct release_watch *w);

#endif /* NINES_RELEASE_WATCH_INTERNAL_H */
