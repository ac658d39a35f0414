/*
 * spare_rate.h — how many warm worker hosts to keep (spare.h): as many as
 * the recent rate of module starts calls for. One spare is enough while
 * starts are rarer than refills (a crash now and then); a burst of starts
 * (the boot, a one_for_all restart of a large supervisor, many dynamic
 * starts) finds hosts that were spawned and linked ahead of it instead of
 * one that is still being exec'd. Pure: the shell gives the clock.
 */
#ifndef NINES_SPARE_RATE_H
#define NINES_SPARE_RATE_H

#include <stdbool.h>
#include <stdint.h>

#define SPARE_MAX 8
#define SPARE_RATE_WINDOW_MS 1000
#define SPARE_STARTS_PER_SPARE 16 /* starts a second each spare beyond the first is kept for */

/* Starts counted in two windows of SPARE_RATE_WINDOW_MS: the current one
 * and the one before. */
struct spare_rate {
    uint64_t window_start_ms;
    unsigned cur, prev;
};

/* One module worker started (through a spare or not) at now_ms. */
void spare_rate_note(struct spare_rate *r, uint64_t now_ms);

/* Starts in the last SPARE_RATE_WINDOW_MS, the window before weighed by
 * how much of it is still that recent. */
unsigned spare_rate_recent(const struct spare_rate *r, uint64_t now_ms);

/* The spares to keep for `recent` starts a second: 1, and one more for
 * each SPARE_STARTS_PER_SPARE, at most SPARE_MAX. */
unsigned spare_rate_target(unsigned recent);

/* How long the pool's next step (a spawn, a preload) waits after a
 * spare was handed a START at `started_us`: a spawn and a module's load
 * are about 1 ms of CPU, and done at once they compete, on 2 CPUs, with
 * the child just started and with whoever reads its child_started (a
 * warm restart, kill -> read, was 60-90 us slower at the median). Once
 * the tree is up and while the pool still `has` a spare for the next
 * start, the step waits until SPARE_REFILL_AFTER_US after that START;
 * at boot (not `tree_up`) and with the pool empty it goes at once. 0 or
 * the microseconds left to wait. Pure. */
#define SPARE_REFILL_AFTER_US 1000
uint64_t spare_refill_wait_us(bool tree_up, unsigned has, uint64_t started_us, uint64_t now_us);

#endif
