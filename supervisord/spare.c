/*
 * spare.c — the warm worker hosts (see spare.h).
 */
#include "spare.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "proto.h"
#include "reaper.h"
#include "spare_pick.h"
#include "spare_rate.h"
#include "module_names.h"
#include "launcher.h"
#include "log.h"

struct spare {
    struct spawned proc;
    struct daemon *d;
    char *module; /* what it was told to preload, or NULL */
    bool loaded;  /* it said NINES_MSG_PRELOADED */
    bool watched;
};

struct spare_pool {
    struct spare *v[SPARE_MAX]; /* oldest first: the likeliest to be linked already */
    size_t n;
    struct spare *asked[SPARE_MAX]; /* spawned through the launcher, pid not known yet */
    size_t n_asked;
    struct spare_rate rate;
    struct spare *primed; /* beside v: the one preloading spare_pick's choice, or NULL */
    struct spare_pick pick;
    sd_event_source *refill; /* on idle: spawn or drop one, again while off target */
    sd_event_source *recheck; /* a while after a burst: drop what it no longer needs */
    sd_event_source *later;   /* the refill's wait after a START (spare_refill_wait_us) */
    uint64_t started_us;      /* when a spare was last handed a START */
    dev_t worker_dev;         /* the worker host file the spares were made of (stale_worker) */
    ino_t worker_ino;
};

static uint64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void close_fds(struct spawned *s) {
    int fds[] = {s->channel, s->out_fd, s->err_fd};
    for (size_t i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

static void on_dropped_exit(void *userdata, const siginfo_t *si) {
}

/* A spare killed while the tree runs is reaped by the reaper, not waited
 * for here: its end (exit_mmap) can wait behind the kernel's walks of a
 * file mapped by every worker (libc's, 20-30 ms at 10,000 workers on the
 * project's VM), and ninesd's loop with it. Once the tree stops, it is
 * waited for, as before. */
static void spare_free(struct spare *s, bool kill_it) {
    bool later = kill_it && s->watched && !s->d->stopping;
    if (s->watched && !later)
        reaper_unwatch(s->d->reaper, s->proc.pid);
    if (kill_it && s->watched)
        kill(s->proc.pid, SIGKILL);
    if (later) {
        reaper_watch(s->d->reaper, s->proc.pid, on_dropped_exit, NULL); /* in place: no allocation */
        reaper_expect(s->d->reaper, s->proc.pid);
    } else if (kill_it && s->proc.pid > 0) {
        waitpid(s->proc.pid, NULL, 0); /* an idle host dies at once */
    }
    close_fds(&s->proc);
    free(s->module);
    free(s);
}

static void remove_at(struct spare_pool *p, size_t i) {
    memmove(p->v + i, p->v + i + 1, (p->n - i - 1) * sizeof *p->v);
    p->n--;
}

/* The file at the worker host's path, as device and inode: false when
 * there is none to look at now (*dev and *ino untouched). */
static bool worker_file(const struct daemon *d, dev_t *dev, ino_t *ino) {
    struct stat st;
    if (stat(d->worker_path, &st) < 0)
        return false;
    *dev = st.st_dev, *ino = st.st_ino;
    return true;
}

static struct spare_pool *pool(struct daemon *d) {
    if (!d->spares && (d->spares = calloc(1, sizeof *d->spares)))
        (void)worker_file(d, &d->spares->worker_dev, &d->spares->worker_ino);
    return d->spares;
}

/* Whether nines-worker was replaced on disk (a release) since the spares
 * were made: they run the old host code, and a new host must not (the
 * launcher renews itself likewise: worker/launcher.h). Notes the new file.
 * No file there for a moment (an install between its unlink and rename):
 * not a change, the spares still serve. */
static bool stale_worker(struct daemon *d, struct spare_pool *p) {
    dev_t dev;
    ino_t ino;
    if (!worker_file(d, &dev, &ino) || (dev == p->worker_dev && ino == p->worker_ino))
        return false;
    p->worker_dev = dev, p->worker_ino = ino;
    return true;
}

/* An idle spare that dies (killed by hand, out of memory) is just replaced
 * the next time one is wanted; the reaper reaps it. */
static void on_spare_exit(void *userdata, const siginfo_t *si) {
    struct spare *s = userdata;
    struct spare_pool *p = s->d->spares;
    s->watched = false;
    for (size_t i = 0; p && i < p->n; i++)
        if (p->v[i] == s)
            remove_at(p, i);
    if (p && p->primed == s)
        p->primed = NULL;
    spare_free(s, false);
}

/* A spare still on its way (pid 0) is forgotten by the launcher: made
 * after all, it finds its channel closed and exits, reaped as an orphan. */
static void drop(struct daemon *d, struct spare *s) {
    if (s->proc.pid <= 0)
        launcher_cancel(d, s);
    spare_free(s, s->proc.pid > 0);
}

static int watch(struct spare *s) {
    int r = reaper_watch(s->d->reaper, s->proc.pid, on_spare_exit, s);
    if (r < 0) {
        kill(s->proc.pid, SIGKILL);
        spare_free(s, true);
        return r;
    }
    s->watched = true;
    return 0;
}

static void remove_asked(struct spare_pool *p, struct spare *s) {
    for (size_t i = 0; i < p->n_asked; i++)
        if (p->asked[i] == s) {
            memmove(p->asked + i, p->asked + i + 1, (p->n_asked - i - 1) * sizeof *p->asked);
            p->n_asked--;
            return;
        }
}

/* The launcher's answer for a spare asked for: it runs (pid), into the
 * pool (or as the preloading one); or it never will. */
static void on_spawned(void *userdata, pid_t pid, int err) {
    struct spare *s = userdata;
    struct spare_pool *p = s->d->spares;
    bool primed = p->primed == s;
    if (!primed)
        remove_asked(p, s);
    if (pid > 0 && err >= 0) {
        s->proc.pid = pid;
        if (watch(s) < 0)
            s = NULL; /* freed */
    } else {
        spare_free(s, false), s = NULL;
    }
    if (primed && !s)
        p->primed = NULL;
    else if (!primed && s)
        p->v[p->n++] = s;
}

/* A spare host through the launcher without waiting for it (its pid comes
 * to on_spawned: *asked), so that the loop goes on with the starts
 * meanwhile (a boot's refills held each start for a clone); spawned in
 * place when there is no launcher. */
static struct spare *spawn_one(struct daemon *d, int *err, bool *asked) {
    /* Room for the title the host shows once it knows its child. */
    static char padding[768];
    if (!padding[0])
        memset(padding, ' ', sizeof padding - 1);
    char *argv[] = {(char *)d->worker_path, "--spare", padding, NULL};
    struct spare *s = calloc(1, sizeof *s);
    if (!s) {
        *err = -ENOMEM;
        return NULL;
    }
    s->d = d;
    int r = worker_spawn_async(d, d->worker_path, argv, d->output, on_spawned, s, &s->proc);
    if ((*asked = r == 0))
        return s;
    if (r == -ENOTCONN)
        r = worker_spawn(d, d->worker_path, argv, true, NULL, d->output, &s->proc);
    if (r < 0) {
        free(s);
        *err = r;
        return NULL;
    }
    if ((r = watch(s)) < 0) {
        *err = r;
        return NULL;
    }
    return s;
}

static int spawn_spare(struct daemon *d, struct spare_pool *p) {
    int r = 0;
    bool asked;
    struct spare *s = spawn_one(d, &r, &asked);
    if (s && asked)
        p->asked[p->n_asked++] = s;
    else if (s)
        p->v[p->n++] = s;
    return r;
}

/* A spare told to load `module` (as the application module_names.h
 * expects) ahead of its START: worker/host_preload.c. */
static int spawn_primed(struct daemon *d, struct spare_pool *p, const char *module) {
    char payload[PATH_MAX + 160];
    const char *expect = module_names_expect(d, module);
    int len = snprintf(payload, sizeof payload, "%s%c%.127s", module, '\0', expect ? expect : "");
    if (len < 0 || (size_t)len >= sizeof payload)
        return -E2BIG;
    int r = 0;
    bool asked;
    struct spare *s = spawn_one(d, &r, &asked);
    if (!s)
        return r;
    /* Read by the host once it runs: sent at once even if on its way. */
    if (!(s->module = strdup(module)) ||
        (r = nines_proto_send(s->proc.channel, NINES_MSG_PRELOAD, 0, payload, (size_t)len + 1)) < 0) {
        drop(d, s);
        return r < 0 ? r : -ENOMEM;
    }
    p->primed = s;
    return 0;
}

/* The preloaded spare, when it is not of the module to preload now. */
static bool reprime(struct spare_pool *p, const char **module) {
    *module = spare_pick_choose(&p->pick, daemon_now_ms());
    return *module && (!p->primed || strcmp(p->primed->module, *module) != 0);
}

static unsigned target(struct spare_pool *p) {
    return spare_rate_target(spare_rate_recent(&p->rate, daemon_now_ms()));
}

/* One spare more or less per idle turn, until the pool is on target:
 * ninesd never spends more than one spawn at a time on it. */
static int on_later(sd_event_source *src, uint64_t usec, void *userdata) {
    struct daemon *d = userdata;
    if (d->spares && d->spares->refill)
        sd_event_source_set_enabled(d->spares->refill, SD_EVENT_ON);
    return 0;
}

/* Right after a START, the step waits (spare_refill_wait_us): true when
 * it does, the refill then turned on again by p->later. */
static bool wait_after_start(struct daemon *d, struct spare_pool *p, sd_event_source *src) {
    uint64_t wait = spare_refill_wait_us(d->tree_up, (unsigned)p->n + (p->primed != NULL), p->started_us, now_us());
    if (!wait)
        return false;
    int r = p->later ? sd_event_source_set_time_relative(p->later, wait)
                     : sd_event_add_time_relative(d->loop, &p->later, CLOCK_MONOTONIC, wait, 100, on_later, d);
    if (r < 0 || sd_event_source_set_enabled(p->later, SD_EVENT_ONESHOT) < 0)
        return false; /* no timer: refill now */
    sd_event_source_set_enabled(src, SD_EVENT_OFF);
    return true;
}

static int on_idle(sd_event_source *src, void *userdata) {
    struct daemon *d = userdata;
    struct spare_pool *p = d->spares;
    if (d->stopping || d->no_spare || !p) {
        sd_event_source_set_enabled(src, SD_EVENT_OFF);
        return 0;
    }
    if (wait_after_start(d, p, src))
        return 0;
    unsigned want = target(p);
    size_t have = p->n + p->n_asked; /* those asked for count: they come */
    const char *module;
    /* Without a spare, workers are spawned directly: slower, not broken.
     * The source stays on while there is more to do: one step per turn. */
    if (have < want) {
        if (spawn_spare(d, p) < 0)
            sd_event_source_set_enabled(src, SD_EVENT_OFF);
    } else if (have > want && p->n) {
        spare_free(p->v[--p->n], true); /* the newest */
    } else if (reprime(p, &module)) {
        if (p->primed)
            drop(d, p->primed), p->primed = NULL;
        if (spawn_primed(d, p, module) < 0)
            sd_event_source_set_enabled(src, SD_EVENT_OFF);
    } else {
        sd_event_source_set_enabled(src, SD_EVENT_OFF); /* on target (or too many, still on their way) */
    }
    return 0;
}

static int on_recheck(sd_event_source *src, uint64_t usec, void *userdata) {
    spare_want(userdata);
    return 0;
}

void spare_want(struct daemon *d) {
    struct spare_pool *p = d->stopping || d->no_spare ? NULL : pool(d);
    if (!p)
        return;
    if (!p->refill) {
        if (sd_event_add_defer(d->loop, &p->refill, on_idle, d) < 0)
            return;
        sd_event_source_set_priority(p->refill, SD_EVENT_PRIORITY_IDLE);
    }
    sd_event_source_set_enabled(p->refill, SD_EVENT_ON);
    /* After a burst, the pool shrinks back once the rate has faded. */
    if (p->n > 1 || target(p) > 1) {
        uint64_t at = (daemon_now_ms() + 2 * SPARE_RATE_WINDOW_MS + 100) * 1000;
        if (p->recheck)
            sd_event_source_set_time(p->recheck, at), sd_event_source_set_enabled(p->recheck, SD_EVENT_ONESHOT);
        else
            sd_event_add_time(d->loop, &p->recheck, CLOCK_MONOTONIC, at, 100000, on_recheck, d);
    }
}

void spare_expect(struct daemon *d, unsigned starts) {
    struct spare_pool *p = d->no_spare ? NULL : pool(d);
    uint64_t now = daemon_now_ms();
    for (unsigned i = 0; p && i < starts; i++)
        spare_rate_note(&p->rate, now);
    unsigned want = p ? target(p) : 0;
    while (p && p->n + p->n_asked < want && spawn_spare(d, p) == 0)
        ;
}

int spare_start_payload(const struct nines_child_spec *spec, const char *module, const char *expect,
                        const char *path, char *buf, size_t size) {
    size_t used = 0;
    const char *parts[] = {module, path, expect ? expect : ""};
    for (size_t i = 0; i < 3; i++) {
        size_t len = strlen(parts[i]) + 1;
        if (len > size - used)
            return -E2BIG;
        memcpy(buf + used, parts[i], len);
        used += len;
    }
    for (size_t i = 0; i < spec->n_args; i++) {
        size_t klen = strlen(spec->args[i].key), vlen = strlen(spec->args[i].value);
        if (klen + vlen + 2 > size - used)
            return -E2BIG;
        memcpy(buf + used, spec->args[i].key, klen);
        buf[used + klen] = '=';
        memcpy(buf + used + klen + 1, spec->args[i].value, vlen + 1);
        used += klen + vlen + 2;
    }
    return (int)used;
}

/* Whether the preloading spare has said it is done (one recv, at most
 * once: nothing else comes before its START). */
static bool preloaded(struct spare *s) {
    static uint8_t buf[NINES_PROTO_BUFSIZE];
    struct nines_msg m;
    if (!s->loaded && nines_proto_recv(s->proc.channel, buf, &m) == 0 && m.type == NINES_MSG_PRELOADED)
        s->loaded = true;
    return s->loaded;
}

/* The spare a start of `module` gets: the one that preloaded it, else the
 * oldest plain one (never one preloaded with another module); the
 * preloading one still loading only when there is no plain one. */
static struct spare *choose(const struct spare_pool *p, const char *module) {
    bool mine = p->primed && p->primed->proc.pid > 0 && strcmp(p->primed->module, module) == 0;
    if (mine && (preloaded(p->primed) || p->n == 0))
        return p->primed;
    return p->n ? p->v[0] : NULL;
}

static void log_spares_stale(struct daemon *d) {
    struct nines_field f[] = {{"worker", d->worker_path}};
    nines_log_event(LOG_NOTICE, "spares_renewed", "the worker host program was replaced: its spares are made again",
                    f, 1);
}

int spare_take(struct daemon *d, const struct nines_child_spec *spec, const char *module, const char *expect,
               const char *path, struct spawned *out) {
    static char payload[NINES_PROTO_MAX_PAYLOAD];
    struct spare_pool *p = d->spares;
    if (p) {
        spare_rate_note(&p->rate, daemon_now_ms()); /* a start, warm or not */
        (void)spare_pick_note(&p->pick, module, daemon_now_ms());
    }
    if (p && stale_worker(d, p)) {
        log_spares_stale(d);
        spare_drop(d); /* made again from the new file */
        spare_want(d);
        return -ENOENT;
    }
    struct spare *s = p ? choose(p, module) : NULL;
    if (!s)
        return -ENOENT;
    int len = spare_start_payload(spec, module, expect, path, payload, sizeof payload);
    if (len < 0)
        return len; /* too big for one message: spawn with argv instead */
    if (s == p->primed)
        p->primed = NULL;
    else
        remove_at(p, 0);
    int r = nines_proto_send(s->proc.channel, NINES_MSG_START, 0, payload, (size_t)len);
    p->started_us = now_us();
    if (r < 0) {
        spare_free(s, true);
        return r;
    }
    /* The process is the child's now: the caller watches its exit. */
    *out = s->proc;
    reaper_unwatch(d->reaper, s->proc.pid);
    free(s->module);
    free(s);
    /* A boot's starts follow each other with no idle turn between them
     * for the refill: the next host is asked for now (not waited for),
     * else the pool runs dry and every other start makes a host of its
     * own, waiting in place for its clone. */
    if (!d->tree_up && p->n + p->n_asked < target(p))
        (void)spawn_spare(d, p);
    return 0;
}

void spare_await(struct daemon *d, const char *module) {
    struct spare_pool *p = d->spares;
    if (!p || d->stopping || choose(p, module))
        return;
    /* The oldest asked for is answered first (the launcher answers in
     * order); the preloading one when it is the only one coming. */
    struct spare *s = p->n_asked ? p->asked[0] : p->primed && p->primed->proc.pid <= 0 ? p->primed : NULL;
    if (s)
        (void)launcher_await(d, s);
}

pid_t spare_next_pid(const struct daemon *d, const char *module) {
    const struct spare_pool *p = d->spares;
    const struct spare *s = p ? choose(p, module) : NULL;
    return s ? s->proc.pid : 0;
}

void spare_drop(struct daemon *d) {
    struct spare_pool *p = d->spares;
    if (!p)
        return;
    p->refill = sd_event_source_disable_unref(p->refill);
    p->recheck = sd_event_source_disable_unref(p->recheck);
    p->later = sd_event_source_disable_unref(p->later);
    while (p->n)
        spare_free(p->v[--p->n], true);
    if (p->primed)
        drop(d, p->primed), p->primed = NULL;
    while (p->n_asked)
        drop(d, p->asked[--p->n_asked]);
}

void spare_free_pool(struct daemon *d) {
    spare_drop(d);
    if (d->spares)
        spare_pick_free(&d->spares->pick);
    free(d->spares);
    d->spares = NULL;
}
