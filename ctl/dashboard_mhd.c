/*
 * dashboard_mhd.c — see dashboard_mhd.h.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>

#include "dashboard_mhd.h"

/* A function of the library into *slot; false when it has none. */
static bool take(void *lib, const char *name, void *slot, char *why, size_t size) {
    void *f = dlsym(lib, name);
    if (!f) {
        snprintf(why, size, "%s: %s", NINES_MHD_SONAME, dlerror());
        return false;
    }
    *(void **)slot = f; /* POSIX: a function's address as dlsym gives it */
    return true;
}

int ctl_mhd_load(struct ctl_mhd *m, char *why, size_t size) {
    void *lib = dlopen(NINES_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(why, size, "cannot load %s (install libmicrohttpd): %s", NINES_MHD_SONAME, dlerror());
        return -ENOENT;
    }
    bool ok = take(lib, "MHD_start_daemon", &m->start_daemon, why, size) &&
              take(lib, "MHD_quiesce_daemon", &m->quiesce_daemon, why, size) &&
              take(lib, "MHD_stop_daemon", &m->stop_daemon, why, size) &&
              take(lib, "MHD_get_daemon_info", &m->get_daemon_info, why, size) &&
              take(lib, "MHD_create_response_from_buffer", &m->create_response_from_buffer, why, size) &&
              take(lib, "MHD_create_response_from_callback", &m->create_response_from_callback, why, size) &&
              take(lib, "MHD_add_response_header", &m->add_response_header, why, size) &&
              take(lib, "MHD_queue_response", &m->queue_response, why, size) &&
              take(lib, "MHD_destroy_response", &m->destroy_response, why, size);
    return ok ? 0 : -ENOENT; /* the library stays loaded: the process serves until it ends */
}
