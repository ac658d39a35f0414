/*
 * spare_pick.h — which module a spare host should load ahead of need
 * (spare.h): the one likeliest to be started next.
 *
 * The last SPARE_PICK_HISTORY module starts are kept (each a restart, a
 * dynamic start or the boot's); the pick is the module started most often
 * in the last SPARE_PICK_WINDOW_MS, ties going to the one started last;
 * with none in the window, the one started last. A crash-looping child,
 * a dynamic child's template under churn, and after a boot the module
 * most children run, are what it finds.
 */
#ifndef NINES_SPARE_PICK_H
#define NINES_SPARE_PICK_H

#include <stddef.h>
#include <stdint.h>

#define SPARE_PICK_HISTORY 32
#define SPARE_PICK_WINDOW_MS 10000

struct spare_pick {
    char *module[SPARE_PICK_HISTORY]; /* owned; oldest overwritten first */
    uint64_t at_ms[SPARE_PICK_HISTORY];
    size_t next, n;
};

/* A start of a worker of `module` at now_ms: 0, or -ENOMEM (not noted). */
int spare_pick_note(struct spare_pick *p, const char *module, uint64_t now_ms);

/* The module to preload, or NULL when none was ever started. Pure. */
const char *spare_pick_choose(const struct spare_pick *p, uint64_t now_ms);

void spare_pick_free(struct spare_pick *p);

#endif /* NINES_SPARE_PICK_H */
