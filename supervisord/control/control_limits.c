/*
 * control_limits.c — see control_limits.h.
 */
#include "control_limits.h"

enum control_admit control_admit(size_t n_conns, size_t max_conns, bool have_idle) {
    if (n_conns < max_conns)
        return CONTROL_ADMIT;
    return have_idle ? CONTROL_ADMIT_EVICT : CONTROL_REFUSE;
}

bool control_conn_idle(bool busy, bool following, bool out_pending) {
    return !busy && !following && !out_pending;
}

bool control_idle_expired(uint64_t now_ms, uint64_t last_ms, uint64_t idle_ms) {
    return idle_ms > 0 && now_ms >= last_ms && now_ms - last_ms >= idle_ms;
}

bool control_stalled(bool waiting, uint64_t now_ms, uint64_t took_ms, uint64_t idle_ms) {
    return waiting && control_idle_expired(now_ms, took_ms, idle_ms);
}
