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
 * The process a SIGCHLD names is looked at by its pid, in O(1). The
 * kernel queues one SIGCHLD at a time, so other ends can be merged into
 * it; most are found by their pid too: a process ninesd expects to end
 * (reaper_expect: one it killed or stopped, one whose channel or output
 * was just closed, as a process's are at its end before it is a zombie)
 * is looked at by its pid at every SIGCHLD and on the loop's next turn
 * after it was expected, so an end merged into another is found as soon
 * as either is seen, whichever comes last; an exec child, whose end
 * closes nothing ninesd reads, is looked at so at every SIGCHLD while it
 * lives (reaper_look_always). What no one expected (an orphan; a worker
 * whose channel a process of its own still holds; more ends expected at
 * once than REAPER_EXPECT_MAX) is found by a waitid(P_ALL), which walks every child in the kernel under
 * the lock every fork and every end takes: it comes REAPER_SWEEP_DELAY_MS
 * after an end, twice as late each time it found nothing, up to
 * REAPER_SWEEP_MAX_MS (reaper_sweep_delay). A steady trickle of crashes
 * in a large tree pays a walk a second at most; a burst where the walk
 * finds ends is walked every 5 ms again from the first one found. A
 * SIGCHLD that names a process ninesd reaped itself (a spare it dropped)
 * is an end like another: the walk comes later, not at once.
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
#define REAPER_SWEEP_MAX_MS 1000
#define REAPER_EXPECT_MAX 64 /* beyond: the walk finds them */

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

/* pid, a child of ninesd's, may end soon (it was signalled, its channel
 * or output closed): its end, even merged into another's SIGCHLD, is
 * looked for by its pid (see above). Forgotten at its end, at its
 * unwatch, or when it is no child of ours. */
void reaper_expect(struct reaper *r, pid_t pid);

/* The same for a process whose end nothing will announce (an exec
 * child: its output pipes' ends held by ninesd are read-write, and its
 * own processes may hold them): looked at by its pid at every SIGCHLD
 * while it lives, if there is room among the REAPER_EXPECT_MAX; else its
 * end, merged, waits for the walk. */
void reaper_look_always(struct reaper *r, pid_t pid);

/* Orphans reaped so far (processes ninesd adopted and did not start). */
size_t reaper_orphans(const struct reaper *r);

#endif /* NINES_REAPER_H */
