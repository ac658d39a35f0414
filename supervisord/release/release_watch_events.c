/*
 * release_watch_events.c — what the watch thread makes of the folder and
 * its events (release_watch.h says what an arrival is). Runs on the watch
 * thread only, which owns libinotifytools and the pending folders.
 *
 * A folder made in place is reported once complete, and that needs
 * events from inside it: a `cp -r` writes its files in any order, some of
 * them in subfolders. Before release.yaml appears only the folder's top
 * is watched — it may be the store's DIR/NAME/, which never gets one, and
 * watching the whole store would cost a watch per folder of every
 * release. Once release.yaml is there, every folder inside is watched,
 * and the folder is checked again after each file written or moved into
 * it, and after each new subfolder is watched (what was written into it
 * before the watch began would make no event).
 */
#include <dirent.h>
#include <errno.h>
#include <inotifytools/inotify.h>
#include <inotifytools/inotifytools.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "release_state.h"
#include "release_watch_internal.h"

#define RW_MAX_DEPTH 16 /* folders inside a release folder, for watching them all */

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

/* A name at the top of DIR that is never an arrival. */
static bool ignored_name(const char *name) {
    return name[0] == '.' || name[0] == '\0' || strcmp(name, NINES_REL_STATE_NAME) == 0;
}

/* --- is a folder complete? ---------------------------------------------- */

/* Every listed file can at least be found: a cheap test before hashing. */
static bool all_present(const struct nines_manifest *m, const char *dir) {
    char resolved[PATH_MAX];
    for (size_t i = 0; i < m->n_files; i++)
        if (nines_manifest_resolve(dir, m->files[i].path, resolved) < 0)
            return false;
    return true;
}

/* Its release.yaml loads and every file it lists has its SHA-256. Quiet:
 * an incomplete folder is the normal state of one being copied. */
static bool folder_complete(const char *dir) {
    char path[PATH_MAX];
    struct nines_manifest *m;
    struct nines_error err;
    if ((size_t)snprintf(path, sizeof path, "%s/" NINES_MANIFEST_NAME, dir) >= sizeof path ||
        nines_manifest_load(path, &m, &err) < 0)
        return false;
    bool ok = m->has_files && all_present(m, dir) && nines_manifest_check_files(m, dir, &err) == 0;
    nines_manifest_free(m);
    return ok;
}

static bool has_manifest(const char *dir) {
    char path[PATH_MAX];
    struct stat st;
    return (size_t)snprintf(path, sizeof path, "%s/" NINES_MANIFEST_NAME, dir) < sizeof path &&
           stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* --- pending folders ---------------------------------------------------- */

static struct rw_pending *pending_named(struct release_watch *w, const char *name) {
    for (size_t i = 0; i < w->n_pending; i++)
        if (strcmp(w->pending[i].name, name) == 0)
            return &w->pending[i];
    return NULL;
}

/* The pending folder a watch belongs to, and the watch's index in it. */
static struct rw_pending *pending_of_wd(struct release_watch *w, int wd, size_t *k) {
    for (size_t i = 0; i < w->n_pending; i++)
        for (size_t j = 0; j < w->pending[i].n_wds; j++)
            if (w->pending[i].wds[j] == wd) {
                *k = j;
                return &w->pending[i];
            }
    return NULL;
}

/* Forget a pending folder; with `unwatch`, remove its watches first (not
 * when the folder is gone: the kernel removed them already). */
static void drop(struct release_watch *w, struct rw_pending *p, bool unwatch) {
    for (size_t j = 0; unwatch && j < p->n_wds; j++)
        inotifytools_remove_watch_by_wd(p->wds[j]);
    free(p->name), free(p->wds);
    *p = w->pending[--w->n_pending];
}

void rw_forget_all(struct release_watch *w) {
    while (w->n_pending)
        drop(w, &w->pending[0], false); /* inotifytools_cleanup() follows */
    free(w->pending);
    w->pending = NULL;
}

static void full_path(const struct release_watch *w, const char *name, char *out) {
    snprintf(out, PATH_MAX, "%s/%s", w->dir, name);
}

/* The name to watch the folder `path` by, in `name`: "PATH/", or, when
 * libinotifytools still has a record of that name for a watch the kernel
 * removed (the folder was deleted: see on_ignored), "PATH/./", "PATH/././"
 * and so on, so that the new watch's record is found by its name. 1 if
 * one of our watches has that name already, 0, or -ENAMETOOLONG. */
static int watch_name(struct release_watch *w, const char *path, char name[PATH_MAX]) {
    size_t len = (size_t)snprintf(name, PATH_MAX, "%s/", path), k;
    for (;;) {
        int wd = inotifytools_wd_from_filename(name);
        if (wd < 0)
            return len < PATH_MAX ? 0 : -ENAMETOOLONG;
        if (pending_of_wd(w, wd, &k))
            return 1;
        if (len + 3 > PATH_MAX)
            return -ENAMETOOLONG;
        memcpy(name + len, "./", 3);
        len += 2;
    }
}

/* Watch the folder `path` for the pending folder p: 0 (watched now or
 * already), or -errno (with a warning unless the folder is gone). */
static int add_watch(struct release_watch *w, struct rw_pending *p, const char *path) {
    char name[PATH_MAX];
    int r = watch_name(w, path, name);
    if (r != 0)
        return r > 0 ? 0 : r;
    int *wds = realloc(p->wds, (p->n_wds + 1) * sizeof *wds);
    if (!wds)
        return -ENOMEM;
    p->wds = wds;
    if (!inotifytools_watch_file(name, RW_FOLDER_EVENTS)) {
        int e = inotifytools_error() ? inotifytools_error() : EIO;
        if (e != ENOENT && e != ENOTDIR) /* gone already: nothing to watch */
            rw_warn(w, "cannot watch %s: %s; a release copied there may not be noticed", path, strerror(e));
        return -e;
    }
    p->wds[p->n_wds++] = inotifytools_wd_from_filename(name);
    return 0;
}

/* Watch `path` and every folder inside it. */
static void watch_tree(struct release_watch *w, struct rw_pending *p, const char *path, int depth) {
    if (depth > RW_MAX_DEPTH || add_watch(w, p, path) < 0)
        return;
    DIR *d = opendir(path);
    for (struct dirent *e; d && (e = readdir(d));) {
        char sub[PATH_MAX];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (size_t)snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= sizeof sub)
            continue;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            watch_tree(w, p, sub, depth + 1);
    }
    if (d)
        closedir(d);
}

/* Report the folder if it is complete, and stop watching it. */
static void check(struct release_watch *w, struct rw_pending *p) {
    char path[PATH_MAX];
    full_path(w, p->name, path);
    if (!p->manifest || !folder_complete(path))
        return;
    rw_report(w, p->name);
    drop(w, p, true);
}

/* release.yaml is there: watch the whole folder, then look. */
static void manifest_appeared(struct release_watch *w, struct rw_pending *p) {
    char path[PATH_MAX];
    full_path(w, p->name, path);
    p->manifest = true;
    watch_tree(w, p, path, 0);
    check(w, p);
}

/* A folder at the top of DIR: watch it until it is complete. */
static void follow(struct release_watch *w, const char *name) {
    char path[PATH_MAX];
    struct rw_pending *p = realloc(w->pending, (w->n_pending + 1) * sizeof *p);
    if (!p)
        return;
    w->pending = p;
    p = &w->pending[w->n_pending];
    *p = (struct rw_pending){.name = strdup(name)};
    full_path(w, name, path);
    if (!p->name)
        return;
    w->n_pending++;
    if (add_watch(w, p, path) < 0 || p->n_wds == 0) {
        drop(w, p, true);
        return;
    }
    if (has_manifest(path))
        manifest_appeared(w, p);
}

/* --- the folder as it is ------------------------------------------------ */

static void scan_entry(struct release_watch *w, const char *name) {
    char path[PATH_MAX];
    struct stat st;
    full_path(w, name, path);
    if (ignored_name(name) || lstat(path, &st) < 0 || pending_named(w, name))
        return;
    if (S_ISREG(st.st_mode) && ends_with(name, ".tar.gz"))
        rw_report(w, name);
    else if (S_ISDIR(st.st_mode))
        follow(w, name);
}

static int add_name(struct rw_names *names, const char *name) {
    char **v = realloc(names->v, (names->n + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    names->v = v;
    if (!(v[names->n] = strdup(name)))
        return -ENOMEM;
    names->n++;
    return 0;
}

int rw_list(const char *dir, struct rw_names *out) {
    DIR *d = opendir(dir);
    int r = 0;
    *out = (struct rw_names){0};
    if (!d)
        return -errno;
    for (struct dirent *e; r == 0 && (e = readdir(d));)
        if (!ignored_name(e->d_name))
            r = add_name(out, e->d_name);
    closedir(d);
    if (r < 0)
        rw_names_free(out);
    return r;
}

void rw_names_free(struct rw_names *names) {
    for (size_t i = 0; i < names->n; i++)
        free(names->v[i]);
    free(names->v);
    *names = (struct rw_names){0};
}

void rw_scan(struct release_watch *w, struct rw_names *names) {
    for (size_t i = 0; i < names->n; i++)
        scan_entry(w, names->v[i]);
    rw_names_free(names);
}

/* After lost events: look at every folder being made again, and at the
 * whole folder as it is now. */
static void rescan(struct release_watch *w) {
    struct rw_names names;
    for (size_t i = w->n_pending; i-- > 0;) {
        struct rw_pending *p = &w->pending[i];
        char path[PATH_MAX];
        full_path(w, p->name, path);
        if (p->manifest)
            check(w, p);
        else if (has_manifest(path))
            manifest_appeared(w, p);
    }
    int r = rw_list(w->dir, &names);
    if (r < 0)
        rw_warn(w, "cannot read the folder: %s", strerror(-r));
    rw_scan(w, &names);
}

/* --- events ------------------------------------------------------------- */

static void on_top(struct release_watch *w, const struct inotify_event *ev) {
    const char *name = ev->name;
    struct rw_pending *p = pending_named(w, name);
    char path[PATH_MAX];
    if (ignored_name(name))
        return;
    if (!(ev->mask & IN_ISDIR)) {
        if ((ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) && ends_with(name, ".tar.gz"))
            rw_report(w, name);
        return;
    }
    full_path(w, name, path);
    if (ev->mask & IN_CREATE) {
        if (!p)
            follow(w, name);
        return;
    }
    if (p) /* moved away, deleted, or replaced: the folder being made is gone */
        drop(w, p, (ev->mask & IN_MOVED_FROM) != 0);
    if ((ev->mask & IN_MOVED_TO) && has_manifest(path))
        rw_report(w, name);
}

static void on_inside(struct release_watch *w, struct rw_pending *p, size_t k, const struct inotify_event *ev) {
    bool written = ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO);
    if (!p->manifest) {
        if (k == 0 && strcmp(ev->name, NINES_MANIFEST_NAME) == 0 && (written || (ev->mask & IN_CREATE)))
            manifest_appeared(w, p);
        return;
    }
    if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
        const char *parent = inotifytools_filename_from_wd(ev->wd); /* "DIR/NAME/SUB/" */
        char sub[PATH_MAX];
        if (parent && (size_t)snprintf(sub, sizeof sub, "%s%s", parent, ev->name) < sizeof sub)
            watch_tree(w, p, sub, 1);
        check(w, p);
    } else if (written) {
        check(w, p);
    }
}

/* The kernel removed a watch (its folder was deleted). libinotifytools
 * keeps its record (removing it would call inotify_rm_watch, which fails
 * and prints to stderr); watch_name() steps around it. */
static void on_ignored(struct release_watch *w, int wd) {
    size_t k;
    struct rw_pending *p = pending_of_wd(w, wd, &k);
    if (wd == w->dir_wd) {
        rw_warn(w, "the folder was deleted or moved: releases arriving are not noticed any more");
        w->dir_wd = -1;
    } else if (p && k == 0) {
        drop(w, p, false);
    } else if (p) {
        p->wds[k] = p->wds[--p->n_wds];
    }
}

void rw_handle(struct release_watch *w, const struct inotify_event *ev) {
    size_t k;
    struct rw_pending *p;
    if (ev->mask & IN_Q_OVERFLOW) {
        rw_warn(w, "events were lost (the kernel's queue overflowed): looking at the whole folder again");
        rescan(w);
    } else if (ev->mask & IN_IGNORED) {
        on_ignored(w, ev->wd);
    } else if (ev->wd == w->wake_wd || ev->len == 0) {
        return; /* the wake-up file, or an event about a watched folder itself */
    } else if (ev->wd == w->dir_wd) {
        on_top(w, ev);
    } else if ((p = pending_of_wd(w, ev->wd, &k))) {
        on_inside(w, p, k, ev);
    }
}
