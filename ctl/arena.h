/*
 * arena.h — memory handed out in pieces from big blocks and given back
 * all at once: the records of a status and the cells of its table are
 * tens of thousands of small strings that live exactly as long as each
 * other, and a malloc and a free apiece were a fifth of ninesctl's time.
 */
#ifndef NINES_CTL_ARENA_H
#define NINES_CTL_ARENA_H

#include <stddef.h>

struct ctl_chunk;

struct ctl_arena {
    struct ctl_chunk *head; /* the block being filled; older ones behind it */
};

/* size bytes aligned for any object, valid until ctl_arena_free; NULL
 * when out of memory. A piece bigger than a block gets a block of its own. */
void *ctl_arena_alloc(struct ctl_arena *a, size_t size);
void ctl_arena_free(struct ctl_arena *a);

#endif /* NINES_CTL_ARENA_H */
