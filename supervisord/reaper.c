/*
 * reaper.c — see reaper.h.
 */
#include "reaper.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>

struct watch {
    pid_t pid; /* 0: free; -1: deleted */
    reaper_fn fn;
    void *userdata;
};

struct reaper {
    struct watch *v;
    size_t cap, used; /* used counts deleted slots too */
    size_t orphans;
    sd_event_source *src;
};

static size_t slot_of(pid_t pid, size_t cap) {
    return ((uint32_t)pid * 2654435761u) & (cap - 1);
}

static struct watch *find(struct reaper *r, pid_t pid) {
    if (!r->cap)
        return NULL;
    for (size_t i = slot_of(pid, r->cap), n = 0; n < r->cap; i = (i + 1) & (r->cap - 1), n++) {
        if (r->v[i].pid == pid)
            return &r->v[i];
        if (r->v[i].pid == 0)
            return NULL;
    }
    return NULL;
}

static int grow(struct reaper *r) {
    size_t cap = r->cap ? r->cap * 2 : 64;
    struct watch *v = calloc(cap, sizeof *v), *old = r->v;
    if (!v)
        return -ENOMEM;
    size_t old_cap = r->cap;
    r->v = v, r->cap = cap, r->used = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].pid > 0)
            reaper_watch(r, old[i].pid, old[i].fn, old[i].userdata);
    free(old);
    return 0;
}

int reaper_watch(struct reaper *r, pid_t pid, reaper_fn fn, void *userdata) {
    if ((r->used + 1) * 2 > r->cap && grow(r) < 0)
        return -ENOMEM;
    size_t i = slot_of(pid, r->cap);
    while (r->v[i].pid > 0 && r->v[i].pid != pid)
        i = (i + 1) & (r->cap - 1);
    if (r->v[i].pid == 0)
        r->used++;
    r->v[i] = (struct watch){pid, fn, userdata};
    return 0;
}

void reaper_unwatch(struct reaper *r, pid_t pid) {
    struct watch *w = find(r, pid);
    if (w)
        *w = (struct watch){.pid = -1};
}

size_t reaper_orphans(const struct reaper *r) {
    return r->orphans;
}

/* Every ended process, one at a time: waitid(P_ALL) with WNOWAIT gives the
 * first zombie without reaping it; it is reaped before the next look. */
static int on_sigchld(sd_event_source *s, const struct signalfd_siginfo *ssi, void *userdata) {
    struct reaper *r = userdata;
    for (;;) {
        siginfo_t si = {0};
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
            return 0;
        struct watch *w = find(r, si.si_pid);
        if (w) {
            struct watch copy = *w;
            *w = (struct watch){.pid = -1};
            copy.fn(copy.userdata, &si);
        } else {
            r->orphans++;
        }
        siginfo_t done;
        waitid(P_PID, (id_t)si.si_pid, &done, WEXITED | WNOHANG); /* the callback may have reaped it */
    }
}

int reaper_new(sd_event *loop, struct reaper **out) {
    struct reaper *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    /* Not fatal: without it orphans go to init, which reaps them too. */
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
    int e = sd_event_add_signal(loop, &r->src, SIGCHLD, on_sigchld, r);
    if (e < 0) {
        free(r);
        return e;
    }
    *out = r;
    return 0;
}

void reaper_free(struct reaper *r) {
    if (!r)
        return;
    sd_event_source_disable_unref(r->src);
    free(r->v);
    free(r);
}
