/*
 * crash.h — how the test modules die of SIGSEGV on purpose, shared by
 * them (header only: each .c of tests/apps becomes a .so of its own).
 */
#ifndef NINES_TEST_APPS_CRASH_H
#define NINES_TEST_APPS_CRASH_H

#include <signal.h>

/* Make sure a SIGSEGV kills the process: the host may catch or block it. */
static inline void crash(void) {
    sigset_t set;
    signal(SIGSEGV, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, SIGSEGV);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(SIGSEGV);
}

#endif /* NINES_TEST_APPS_CRASH_H */
