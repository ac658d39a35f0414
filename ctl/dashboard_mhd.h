/*
 * dashboard_mhd.h — libmicrohttpd, loaded when `ninesctl dashboard` runs
 * and not before: linked into ninesctl, it and GnuTLS behind it took
 * 1.2 ms of CPU at every start, a tenth of a `status` of 10,000 nodes
 * and a quarter of one of 1,000, for a command that serves no HTTP.
 * The functions the dashboard calls, typed as the header declares them.
 */
#ifndef NINES_CTL_DASHBOARD_MHD_H
#define NINES_CTL_DASHBOARD_MHD_H

#include <stddef.h>
#include <microhttpd.h>

/* The library's file; the Makefile gives the soname it built against. */
#ifndef NINES_MHD_SONAME
#define NINES_MHD_SONAME "libmicrohttpd.so.12"
#endif

struct ctl_mhd {
    __typeof__(MHD_start_daemon) *start_daemon;
    __typeof__(MHD_quiesce_daemon) *quiesce_daemon;
    __typeof__(MHD_stop_daemon) *stop_daemon;
    __typeof__(MHD_get_daemon_info) *get_daemon_info;
    __typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
    __typeof__(MHD_create_response_from_callback) *create_response_from_callback;
    __typeof__(MHD_add_response_header) *add_response_header;
    __typeof__(MHD_queue_response) *queue_response;
    __typeof__(MHD_destroy_response) *destroy_response;
};

/* Load the library and every function into *m. 0, or -ENOENT with why
 * (the library or a function missing, dlerror's words) in `why`. */
int ctl_mhd_load(struct ctl_mhd *m, char *why, size_t size);

#endif /* NINES_CTL_DASHBOARD_MHD_H */
