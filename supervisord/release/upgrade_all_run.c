/*
 * upgrade_all_run.c — the order of an upgrade of a dynamic supervisor's
 * children (see upgrade_all_run.h). Pure: no system calls.
 */
#include "upgrade_all_run.h"

#include <stdio.h>

static struct upgrade_all_next act(enum upgrade_all_action a, size_t child) {
    return (struct upgrade_all_next){a, child};
}

/* The next swap forward, or success. */
static struct upgrade_all_next forward(struct upgrade_all_run *run) {
    if (run->next < run->n)
        return act(UPGRADE_ALL_SWAP, run->next);
    run->done = true;
    return act(UPGRADE_ALL_SUCCEEDED, 0);
}

/* The next swap back (latest first), or the failure's end. */
static struct upgrade_all_next backward(struct upgrade_all_run *run) {
    if (run->back > 0)
        return act(UPGRADE_ALL_SWAP_BACK, --run->back);
    run->done = true;
    return act(UPGRADE_ALL_FAILED, 0);
}

struct upgrade_all_next upgrade_all_begin(struct upgrade_all_run *run, size_t n) {
    *run = (struct upgrade_all_run){.n = n};
    return forward(run);
}

struct upgrade_all_next upgrade_all_done(struct upgrade_all_run *run, bool ok) {
    if (run->done)
        return act(run->undoing ? UPGRADE_ALL_FAILED : UPGRADE_ALL_SUCCEEDED, 0);
    if (run->undoing) {
        if (ok)
            run->sent_back++;
        else
            run->back_failed++;
        return backward(run);
    }
    if (ok) {
        run->swapped++;
        run->next++;
        return forward(run);
    }
    return upgrade_all_abort(run); /* children 0..swapped-1 moved */
}

struct upgrade_all_next upgrade_all_abort(struct upgrade_all_run *run) {
    if (run->undoing)
        return run->done ? act(UPGRADE_ALL_FAILED, 0) : act(UPGRADE_ALL_SWAP_BACK, run->back);
    run->undoing = true;
    run->done = false;
    run->failed = run->next;
    run->back = run->swapped;
    return backward(run);
}

struct upgrade_all_next upgrade_all_extend(struct upgrade_all_run *run, size_t more) {
    if (!run->done || run->undoing)
        return act(run->undoing ? UPGRADE_ALL_FAILED : UPGRADE_ALL_SUCCEEDED, 0);
    if (more == 0)
        return act(UPGRADE_ALL_SUCCEEDED, 0);
    run->n += more;
    run->done = false;
    return forward(run);
}

static const char *plural(size_t n) {
    return n == 1 ? "" : "ren";
}

int upgrade_all_outcome(const struct upgrade_all_run *run, const char *from, const char *to, char *buf,
                        size_t size) {
    if (run->swapped == 0)
        return snprintf(buf, size, "no child had swapped: every child runs %s", from);
    if (run->back_failed == 0)
        return snprintf(buf, size, "%zu child%s sent back: every child runs %s", run->sent_back,
                        plural(run->sent_back), from);
    return snprintf(buf, size, "%zu of %zu child%s sent back, %zu could not be: the children run %s and %s",
                    run->sent_back, run->swapped, plural(run->swapped), run->back_failed, from, to);
}
