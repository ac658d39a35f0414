/*
 * spawn_sockets.c — see spawn_sockets.h.
 */
#include "spawn_sockets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "listeners.h"
#include "log.h"
#include "proto.h"

void spawn_sockets_close(struct spawn_sockets *ss) {
    for (size_t i = 0; ss && i < ss->n; i++)
        close(ss->tmp[i]);
}

int spawn_sockets_prepare(struct spawn_sockets *ss, const struct spawn_listen *sl) {
    ss->n = 0;
    ss->base = sl->base, ss->env = sl->env;
    size_t used = (size_t)snprintf(ss->names_var, sizeof ss->names_var, "LISTEN_FDNAMES=");
    for (size_t i = 0; i < sl->n; i++) {
        int fd = fcntl(sl->fds[i], F_DUPFD_CLOEXEC, sl->base + (int)sl->n);
        if (fd < 0) {
            int e = errno;
            spawn_sockets_close(ss);
            return -e;
        }
        ss->tmp[ss->n++] = fd;
        used += (size_t)snprintf(ss->names_var + used, sizeof ss->names_var - used, "%s%s", i ? ":" : "",
                                 sl->names[i]);
    }
    snprintf(ss->count_var, sizeof ss->count_var, "LISTEN_FDS=%zu", sl->n);
    return 0;
}

void spawn_sockets_add_actions(posix_spawn_file_actions_t *fa, const struct spawn_sockets *ss) {
    for (size_t i = 0; ss && i < ss->n; i++)
        posix_spawn_file_actions_adddup2(fa, ss->tmp[i], ss->base + (int)i);
}

int spawn_sockets_of_child(struct daemon *d, bool is_exec, const struct nines_child_spec *spec, const char *path,
                           struct spawn_listen *sl) {
    static int fds[NINES_SOCKETS_MAX];
    static const char *names[NINES_SOCKETS_MAX];
    *sl = (struct spawn_listen){.fds = fds, .names = names, .n = spec->n_sockets,
                                .base = is_exec ? 3 : NINES_CHANNEL_FD + 1, .env = is_exec};
    if (!spec->n_sockets)
        return 0;
    char why[1024];
    int r = listeners_for_child(&d->listeners, spec, fds, why, sizeof why);
    if (r < 0) {
        struct nines_field f[] = {{"child", path}};
        nines_log_event(LOG_ERR, "socket_error", why, f, 1);
        return r;
    }
    for (size_t i = 0; i < spec->n_sockets; i++)
        names[i] = spec->sockets[i].name;
    return 0;
}
