/*
 * status_notify.h — keeping systemd's STATUS= true (status_line.h): after
 * each supervisor report the tree's health is looked at again (at most
 * every 100 ms, so a storm of restarts costs one walk per 100 ms), and
 * once a second while something is wrong, so that a crash that no longer
 * counts in its supervisor's period clears; STATUS= is sent only when its
 * text changes, and only when systemd (NOTIFY_SOCKET) listens.
 */
#ifndef NINES_STATUS_NOTIFY_H
#define NINES_STATUS_NOTIFY_H

struct daemon;

/* The tree is up: READY=1 and the first STATUS=. */
void status_notify_ready(struct daemon *d);
/* Something that may change a child's health happened. */
void status_notify_poke(struct daemon *d);
void status_notify_free(struct daemon *d);

#endif /* NINES_STATUS_NOTIFY_H */
