/*
 * log_pump.h — the loop's side of the non-blocking log (lib/log.h,
 * issue 16): when records wait for a slow reader, the loop writes them as
 * the sink becomes writable, and never waits for it.
 */
#ifndef NINES_LOG_PUMP_H
#define NINES_LOG_PUMP_H

#include "daemon.h"

/* Switch the log to non-blocking and watch its sink. 0 or -errno. */
int log_pump_setup(struct daemon *d);
/* At the end: give the reader up to `ms` to take what waits, then log
 * with blocking writes again. */
void log_pump_close(struct daemon *d, int ms);

#endif /* NINES_LOG_PUMP_H */
