/*
 * arena.c — big blocks, pieces handed out in order (see arena.h).
 */
#include <stdalign.h>
#include <stdlib.h>

#include "arena.h"

#define BLOCK (256u * 1024u)
#define ALIGN alignof(max_align_t)

struct ctl_chunk {
    struct ctl_chunk *next;
    size_t used, size;
    alignas(max_align_t) char data[];
};

static struct ctl_chunk *new_chunk(size_t size, struct ctl_chunk *next) {
    struct ctl_chunk *c = malloc(sizeof *c + size);
    if (c)
        *c = (struct ctl_chunk){.next = next, .size = size};
    return c;
}

void *ctl_arena_alloc(struct ctl_arena *a, size_t size) {
    size = (size + ALIGN - 1) / ALIGN * ALIGN;
    struct ctl_chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        if (size > BLOCK / 4) { /* its own block, behind the one being filled */
            struct ctl_chunk *own = new_chunk(size, c ? c->next : NULL);
            if (!own)
                return NULL;
            if (!c)
                a->head = own;
            else
                c->next = own;
            own->used = size;
            return own->data;
        }
        if (!(c = new_chunk(BLOCK, a->head)))
            return NULL;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

void ctl_arena_free(struct ctl_arena *a) {
    for (struct ctl_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
}
