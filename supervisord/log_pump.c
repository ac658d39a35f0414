/*
 * log_pump.c — see log_pump.h.
 */
#include "log_pump.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

#include "log.h"

/* The sink is watched only while records wait for it: from the record
 * left waiting (the log's wait hook) until they are all written. So a
 * loop turn costs nothing for the log when nothing waits (a post source,
 * run after every turn, cost each message to or from a worker a second
 * turn of the loop). */
static int on_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
    nines_log_flush();
    if (nines_log_pending_fd() < 0)
        sd_event_source_set_enabled(s, SD_EVENT_OFF);
    return 0;
}

static void on_wait(void *userdata) {
    struct daemon *d = userdata;
    if (d->log_io_src)
        sd_event_source_set_enabled(d->log_io_src, SD_EVENT_ON);
}

/* A sink epoll cannot watch (a regular file: it never makes us wait, but
 * should it): try again after each loop turn. */
static int on_post(sd_event_source *s, void *userdata) {
    nines_log_flush();
    return 0;
}

int log_pump_setup(struct daemon *d) {
    int r = nines_log_nonblocking();
    if (r < 0)
        return r;
    if (nines_log_to_journal())
        return 0;
    int fd = nines_log_sink_fd();
    if (sd_event_add_io(d->loop, &d->log_io_src, fd, EPOLLOUT, on_writable, d) < 0) {
        d->log_io_src = NULL; /* a regular file: never waits on a reader anyway */
        return sd_event_add_post(d->loop, &d->log_post_src, on_post, d);
    }
    sd_event_source_set_enabled(d->log_io_src, nines_log_pending_fd() >= 0 ? SD_EVENT_ON : SD_EVENT_OFF);
    nines_log_set_wait_hook(on_wait, d);
    return 0;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void log_pump_close(struct daemon *d, int ms) {
    nines_log_set_wait_hook(NULL, NULL);
    d->log_io_src = sd_event_source_disable_unref(d->log_io_src);
    d->log_post_src = sd_event_source_disable_unref(d->log_post_src);
    long long end = now_ms() + ms;
    int fd;
    while ((fd = nines_log_pending_fd()) >= 0 && now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, (int)(end - now_ms())) <= 0)
            break;
        nines_log_flush();
    }
    nines_log_close();
}
