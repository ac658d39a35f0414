/*
 * notify.h — the sd_notify socket ninesd offers to `exec:` children with
 * `ready: notify`: a datagram socket in the abstract namespace, with
 * SO_PASSCRED so that each message's sender is known by its pid, never by
 * what it claims. READY=1 from a child's process makes it started.
 */
#ifndef NINES_NOTIFY_H
#define NINES_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

struct daemon;

/* Create the socket and watch it; d->notify_path is set ("@" and the
 * abstract name the kernel gave it). */
int notify_setup(struct daemon *d);
void notify_close(struct daemon *d);

/* Pure: does this sd_notify datagram contain the line READY=1? */
bool notify_says_ready(const char *msg, size_t len);

#endif
