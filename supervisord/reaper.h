/*
 * reaper.h — every process end ninesd sees, from one SIGCHLD source.
 *
 * ninesd is a child subreaper (PR_SET_CHILD_SUBREAPER): a process that a
 * child's tree orphans comes to ninesd instead of to init, and as PID 1 of
 * a container every orphan of the namespace does. One SIGCHLD signal
 * source peeks at each ended process (waitid WNOWAIT), hands a watched one
 * to its callback while it is still a zombie (so its pid and process group
 * cannot be reused while the callback signals them), then reaps it; an
 * unwatched one (an orphan) is reaped at once. No descriptor per process:
 * the table is a hash of pids.
 *
 * The process a SIGCHLD names is looked at by its pid, in O(1); ends
 * whose SIGCHLD the kernel merged into that one (it queues one at a time)
 * are found a little later by a waitid(P_ALL), which walks every child:
 * so a crash is seen at once at any tree size, and a burst of ends costs
 * one walk per end found, as before. The walk comes REAPER_SWEEP_DELAY_MS
 * after an end, twice as late each time it found nothing, up to
 * REAPER_SWEEP_MAX_MS (reaper_sweep_delay): a steady trickle of crashes
 * in a large tree pays a walk a tenth of a second at most, a burst (where
 * ends do merge) is walked every 5 ms again from the first one found.
 */
#ifndef NINES_REAPER_H
#define NINES_REAPER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

typedef void (*reaper_fn)(void *userdata, const siginfo_t *si);

#define REAPER_SWEEP_DELAY_MS 5
#define REAPER_SWEEP_MAX_MS 100

/* The delay of the next walk, after one `prev_ms` late that found `found`
 * ends (0 for none yet). Pure. */
unsigned reaper_sweep_delay(unsigned prev_ms, unsigned found);

struct reaper;

/* Become a subreaper and add the SIGCHLD source (SIGCHLD must be blocked). */
int reaper_new(sd_event *loop, struct reaper **out);
void reaper_free(struct reaper *r);
/* Call fn once when pid ends (before it is reaped). 0 or -ENOMEM. */
int reaper_watch(struct reaper *r, pid_t pid, reaper_fn fn, void *userdata);
void reaper_unwatch(struct reaper *r, pid_t pid);
/* What watches pid, in O(1): the userdata of its watch if that watch's
 * fn is `fn`, else NULL. */
void *reaper_watcher(const struct reaper *r, pid_t pid, reaper_fn fn);
/* fn(userdata) is called before an end no watch claims is taken for an
 * orphan's: a process whose pid is still on its way (launcher.h) can be
 * watched from it; the watch is looked for again after. */
void reaper_set_claim(struct reaper *r, void (*fn)(void *userdata), void *userdata);

/* Orphans reaped so far (processes ninesd adopted and did not start). */
size_t reaper_orphans(const struct reaper *r);

#endif /* NINES_REAPER_H */
