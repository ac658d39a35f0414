/*
 * reaper.c — see reaper.h.
 */
#include "reaper.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "u64_map.h"

struct watch {
    reaper_fn fn;
    void *userdata;
};

/* pid -> struct watch: sized by the processes watched now, not by how
 * many have ended (u64_map.h), so churn does not grow it. */
struct reaper {
    struct u64_map watches;
    size_t orphans;
    sd_event_source *src;
    sd_event_source *sweep; /* the look at every child after a named end */
    unsigned sweep_ms;      /* how long after: reaper_sweep_delay */
    void (*claim)(void *userdata); /* reaper_set_claim */
    void *claim_userdata;
    pid_t expected[REAPER_EXPECT_MAX]; /* reaper_expect: looked at by pid */
    size_t n_expected;
    sd_event_source *look; /* the look at them on the loop's next turn */
};

int reaper_watch(struct reaper *r, pid_t pid, reaper_fn fn, void *userdata) {
    struct watch *w = u64_map_get(&r->watches, (uint64_t)pid);
    if (w) {
        *w = (struct watch){fn, userdata};
        return 0;
    }
    if (!(w = malloc(sizeof *w)))
        return -ENOMEM;
    *w = (struct watch){fn, userdata};
    if (u64_map_put(&r->watches, (uint64_t)pid, w) < 0) {
        free(w);
        return -ENOMEM;
    }
    return 0;
}

void *reaper_watcher(const struct reaper *r, pid_t pid, reaper_fn fn) {
    const struct watch *w = u64_map_get(&r->watches, (uint64_t)pid);
    return w && w->fn == fn ? w->userdata : NULL;
}

static bool forget_expected(struct reaper *r, pid_t pid) {
    for (size_t i = 0; i < r->n_expected; i++)
        if (r->expected[i] == pid) {
            r->expected[i] = r->expected[--r->n_expected];
            return true;
        }
    return false;
}

void reaper_unwatch(struct reaper *r, pid_t pid) {
    free(u64_map_del(&r->watches, (uint64_t)pid));
    forget_expected(r, pid);
}

void reaper_set_claim(struct reaper *r, void (*fn)(void *userdata), void *userdata) {
    r->claim = fn;
    r->claim_userdata = userdata;
}

size_t reaper_orphans(const struct reaper *r) {
    return r->orphans;
}

/* One ended process, still a zombie: its callback, then reaped. */
static void handle(struct reaper *r, const siginfo_t *si) {
    forget_expected(r, si->si_pid);
    struct watch *w = u64_map_del(&r->watches, (uint64_t)si->si_pid);
    if (!w && r->claim) {
        r->claim(r->claim_userdata);
        w = u64_map_del(&r->watches, (uint64_t)si->si_pid);
    }
    if (w) {
        struct watch copy = *w;
        free(w);
        copy.fn(copy.userdata, si);
    } else {
        r->orphans++;
    }
    siginfo_t done;
    waitid(P_PID, (id_t)si->si_pid, &done, WEXITED | WNOHANG); /* the callback may have reaped it */
}

/* Every ended process, one at a time: waitid(P_ALL) with WNOWAIT gives the
 * first zombie without reaping it; it is reaped before the next look. */
static unsigned reap_all(struct reaper *r) {
    for (unsigned found = 0;; found++) {
        siginfo_t si = {0};
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
            return found;
        handle(r, &si);
    }
}

unsigned reaper_sweep_delay(unsigned prev_ms, unsigned found) {
    if (found || prev_ms < REAPER_SWEEP_DELAY_MS)
        return REAPER_SWEEP_DELAY_MS;
    return prev_ms * 2 < REAPER_SWEEP_MAX_MS ? prev_ms * 2 : REAPER_SWEEP_MAX_MS;
}

static int on_sweep(sd_event_source *s, uint64_t usec, void *userdata) {
    struct reaper *r = userdata;
    r->sweep_ms = reaper_sweep_delay(r->sweep_ms, reap_all(r));
    return 0;
}

static void arm_sweep(struct reaper *r, sd_event *loop) {
    uint64_t after_us = (uint64_t)(r->sweep_ms ? r->sweep_ms : REAPER_SWEEP_DELAY_MS) * 1000;
    if (!r->sweep)
        sd_event_add_time_relative(loop, &r->sweep, CLOCK_MONOTONIC, after_us, 1000, on_sweep, r);
    else if (sd_event_source_get_enabled(r->sweep, NULL) == SD_EVENT_OFF) {
        sd_event_source_set_time_relative(r->sweep, after_us);
        sd_event_source_set_enabled(r->sweep, SD_EVENT_ONESHOT);
    }
}

/* Each expected process that has ended, by its pid: O(expected), not
 * O(children). One that is no child of ours any more (reaped elsewhere)
 * is forgotten; one still running stays expected. */
static void look_at_expected(struct reaper *r) {
    pid_t now[REAPER_EXPECT_MAX];
    size_t n = r->n_expected;
    memcpy(now, r->expected, n * sizeof *now); /* the callbacks may expect or forget */
    for (size_t i = 0; i < n; i++) {
        siginfo_t si = {0};
        if (waitid(P_PID, (id_t)now[i], &si, WEXITED | WNOHANG | WNOWAIT) < 0)
            forget_expected(r, now[i]);
        else if (si.si_pid == now[i])
            handle(r, &si);
    }
}

static int on_look(sd_event_source *s, void *userdata) {
    look_at_expected(userdata);
    return 0;
}

/* pid among the expected: false when there is no room for it. */
static bool add_expected(struct reaper *r, pid_t pid) {
    for (size_t i = 0; i < r->n_expected; i++)
        if (r->expected[i] == pid)
            return true;
    if (r->n_expected == REAPER_EXPECT_MAX)
        return false;
    r->expected[r->n_expected++] = pid;
    return true;
}

void reaper_look_always(struct reaper *r, pid_t pid) {
    if (r && pid > 0)
        (void)add_expected(r, pid); /* no room: the walk finds its end */
}

void reaper_expect(struct reaper *r, pid_t pid) {
    if (!r || pid <= 0)
        return;
    if (!add_expected(r, pid)) {
        arm_sweep(r, sd_event_source_get_event(r->src)); /* too many at once: the walk finds the rest */
        return;
    }
    /* Not now: the caller may be the one its end would free. */
    if (!r->look && sd_event_add_defer(sd_event_source_get_event(r->src), &r->look, on_look, r) < 0)
        return;
    sd_event_source_set_enabled(r->look, SD_EVENT_ONESHOT);
}

/* The process the signal names first, by its pid (one waitid, whatever
 * the number of children), and the expected ones by theirs; then, later,
 * a look at every child for the ends whose SIGCHLD was merged into this
 * one and that nothing made expected. That look walks every child in the
 * kernel under its task list lock: at 10,000 workers, done at once for
 * each end, it was 86% of ninesd's time in a restart, and done 5-100 ms
 * after each still half of it (and about 2 ms in which no process on the
 * machine could fork or end). */
static int on_sigchld(sd_event_source *s, const struct signalfd_siginfo *ssi, void *userdata) {
    struct reaper *r = userdata;
    siginfo_t si = {0};
    int got = ssi->ssi_pid > 0 ? waitid(P_PID, (id_t)ssi->ssi_pid, &si, WEXITED | WNOHANG | WNOWAIT) : -1;
    bool named = got == 0 && si.si_pid == (pid_t)ssi->ssi_pid;
    /* Named, but reaped already (ninesd's own waitpid): an end, as named
     * as any, that others may have merged into. */
    bool gone = got < 0 && errno == ECHILD &&
                (ssi->ssi_code == CLD_EXITED || ssi->ssi_code == CLD_KILLED || ssi->ssi_code == CLD_DUMPED);
    if (!named && !gone) {
        reap_all(r);
        return 0;
    }
    if (named)
        handle(r, &si);
    look_at_expected(r);
    arm_sweep(r, sd_event_source_get_event(s));
    return 0;
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
    sd_event_source_disable_unref(r->sweep);
    sd_event_source_disable_unref(r->look);
    void *w;
    for (size_t pos = 0; (w = u64_map_next(&r->watches, &pos, NULL));)
        free(w);
    u64_map_free(&r->watches);
    free(r);
}
