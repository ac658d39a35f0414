/*
 * client.c — connect to ninesd and run one command over the socket (see
 * client.h). Every way this can go wrong ends in one exit code and one
 * line: no daemon (5), not allowed (4), an answer that makes no sense (6).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "ctl.h"
#include "ctl_path.h"

int ctl_choose_socket(char *buf, size_t size, const char *option, const char *env) {
    const char *path = option && option[0] ? option : env && env[0] ? env : NULL;
    if (!path)
        return ctl_default_socket_path(buf, size);
    if (strlen(path) >= size)
        return -ENAMETOOLONG;
    memcpy(buf, path, strlen(path) + 1);
    return 0;
}

int ctl_client_connect(const char *path) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

int ctl_client_connect_failed(struct ctl_output *o, const char *path, int err) {
    char msg[512], why[64];
    int code = ctl_exit_for_connect_error(err);
    ctl_strerror(err, why);
    if (code == CTL_EXIT_DENIED)
        snprintf(msg, sizeof msg, "%s: %s (ninesd's user, root and its control group may connect)", why, path);
    else if (err == -ENOENT || err == -ECONNREFUSED)
        snprintf(msg, sizeof msg, "%s: is ninesd running? (socket %s; --socket or NINES_SOCKET)", why, path);
    else
        snprintf(msg, sizeof msg, "%s: cannot connect to %s", why, path);
    return ctl_output_error(o, code == CTL_EXIT_DENIED ? ctl_status_name(CTL_ST_DENIED) : CTL_CLIENT_UNREACHABLE,
                            msg, code);
}

bool ctl_server_trusted(uid_t server, uid_t me) {
    return server == 0 || server == me;
}

int ctl_client_untrusted(struct ctl_output *o, const char *path, uid_t server, pid_t pid, uid_t me) {
    char msg[512];
    snprintf(msg, sizeof msg,
             "%s is served by uid %u (pid %d), neither root nor this user (uid %u): nothing was sent "
             "(another user's program may stand in for ninesd there)",
             path, (unsigned)server, (int)pid, (unsigned)me);
    return ctl_output_error(o, CTL_CLIENT_UNTRUSTED, msg, CTL_EXIT_UNREACHABLE);
}

int ctl_client_check_server(int fd, struct ctl_output *o, const char *path) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        char msg[400], why[64];
        snprintf(msg, sizeof msg, "cannot tell who serves %s: %s", path, ctl_strerror(-errno, why));
        return ctl_output_error(o, CTL_CLIENT_UNTRUSTED, msg, CTL_EXIT_UNREACHABLE);
    }
    if (ctl_server_trusted(cred.uid, getuid()))
        return -1;
    return ctl_client_untrusted(o, path, cred.uid, cred.pid, getuid());
}

/* ctl_recv's errors, in words a person can act on. */
static int recv_failed(struct ctl_output *o, int err) {
    char msg[160], why[64];
    if (err == -ECONNRESET)
        snprintf(msg, sizeof msg, "the daemon closed the connection before its answer ended");
    else if (err == -EPROTONOSUPPORT)
        snprintf(msg, sizeof msg, "the daemon speaks another protocol version (this is %d)", CTL_VERSION);
    else if (err == -EBADMSG || err == -EMSGSIZE)
        snprintf(msg, sizeof msg, "a malformed frame from the daemon: %s", ctl_strerror(err, why));
    else
        snprintf(msg, sizeof msg, "reading the answer: %s", ctl_strerror(err, why));
    return ctl_output_error(o, CTL_CLIENT_PROTOCOL, msg, CTL_EXIT_PROTOCOL);
}

static int send_request(int fd, int argc, const char *const *argv, struct ctl_output *o) {
    static uint8_t buf[CTL_MAX_REQUEST];
    char msg[160], why[64];
    int n = ctl_argv_encode(buf, sizeof buf, argc, argv);
    if (n == -EMSGSIZE) {
        /* Said here rather than by a daemon closing on us: same status. */
        snprintf(msg, sizeof msg, "the request is over %u bytes", CTL_MAX_REQUEST);
        return ctl_output_error(o, ctl_status_name(CTL_ST_TOO_BIG), msg, ctl_exit_for_status(CTL_ST_TOO_BIG));
    }
    if (n < 0) {
        snprintf(msg, sizeof msg, "cannot encode the request: %s", ctl_strerror(n, why));
        return ctl_output_error(o, CTL_CLIENT_USAGE, msg, CTL_EXIT_USAGE);
    }
    int r = ctl_send(fd, CTL_REQUEST, CTL_ST_OK, buf, (size_t)n);
    if (r < 0) {
        snprintf(msg, sizeof msg, "sending the request: %s", ctl_strerror(r, why));
        return ctl_output_error(o, CTL_CLIENT_PROTOCOL, msg, CTL_EXIT_PROTOCOL);
    }
    return -1; /* sent: no exit code yet */
}

int ctl_client_exchange(int fd, int argc, const char *const *argv, struct ctl_output *o) {
    int code = send_request(fd, argc, argv, o);
    if (code >= 0)
        return code;
    struct ctl_decoder d;
    ctl_decoder_init(&d, CTL_MAX_RESPONSE);
    for (code = -1; code < 0;) {
        struct ctl_frame f;
        int r = ctl_recv(fd, &d, &f);
        char msg[160], why[64];
        if (r < 0) {
            code = recv_failed(o, r);
        } else if (f.type == CTL_END) {
            code = ctl_output_end(o, f.status, f.payload, f.length);
        } else if (f.type != CTL_DATA) {
            code = ctl_output_error(o, CTL_CLIENT_PROTOCOL, "a REQUEST frame from the daemon", CTL_EXIT_PROTOCOL);
        } else if ((r = ctl_output_data(o, f.payload, f.length)) < 0) {
            snprintf(msg, sizeof msg, "bad data from the daemon: %s", ctl_strerror(r, why));
            code = ctl_output_error(o, CTL_CLIENT_PROTOCOL, msg, CTL_EXIT_PROTOCOL);
        }
    }
    ctl_decoder_free(&d);
    return code;
}
