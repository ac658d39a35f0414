/*
 * backoff_wait.h — the shell's half of restart backoff: the engine says a
 * child's restart waits (ENGINE_ACT_BACKOFF, engine.h) and this arms a
 * one-shot timer that tells it when the wait is over (ENGINE_EV_BACKOFF).
 * No process runs meanwhile; a wait the engine no longer cares about
 * (the child was started or stopped since) is simply ignored when it ends.
 */
#ifndef NINES_BACKOFF_WAIT_H
#define NINES_BACKOFF_WAIT_H

#include <stdint.h>

#include "engine.h"

struct daemon;

/* 0, or -errno (then the engine is told at once: the child waits no time). */
int backoff_wait_arm(struct daemon *d, engine_node node, uint64_t gen, uint64_t ms);
/* Forget every wait under way (ninesd is ending). */
void backoff_wait_free_all(void);

#endif
