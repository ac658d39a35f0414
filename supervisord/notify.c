/*
 * notify.c — see notify.h.
 */
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "child_proc.h"
#include "daemon.h"
#include "start_timeout.h"

bool notify_says_ready(const char *msg, size_t len) {
    const char *p = msg, *end = msg + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t line = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (line == 7 && memcmp(p, "READY=1", 7) == 0)
            return true;
        p += line + 1;
    }
    return false;
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
    struct daemon *d = userdata;
    char buf[4096];
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(struct ucred))];
    } control;
    for (;;) {
        struct iovec iov = {buf, sizeof buf};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                            .msg_controllen = sizeof control};
        ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0)
            return 0;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS)
            continue; /* no credentials, no trust */
        struct ucred cred;
        memcpy(&cred, CMSG_DATA(c), sizeof cred);
        struct child_proc *p = child_proc_of_pid(d, cred.pid); /* O(1): a datagram used to scan every node */
        if (!p || !p->is_exec || !notify_says_ready(buf, (size_t)n) || p->notified_ready)
            continue;
        p->notified_ready = true;
        start_timeout_disarm(p);
        struct engine_event ev = {.kind = ENGINE_EV_READY, .node = p->node, .gen = p->gen,
                                  .now_ms = daemon_now_ms()};
        daemon_feed(d, &ev);
    }
}

int notify_setup(struct daemon *d) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* Autobound: the kernel picks an abstract name no one else holds, so
     * two ninesd that are both PID 1 of containers sharing a network
     * namespace (a pod) never collide; nothing on disk, gone with us. */
    sa_family_t autobind = AF_UNIX;
    struct sockaddr_un sa = {0};
    socklen_t len = sizeof sa;
    int one = 1;
    if (bind(fd, (struct sockaddr *)&autobind, sizeof autobind) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    size_t name_len = len > offsetof(struct sockaddr_un, sun_path) + 1 ? len - offsetof(struct sockaddr_un, sun_path) - 1 : 0;
    snprintf(d->notify_path, sizeof d->notify_path, "@%.*s", (int)name_len, sa.sun_path + 1);
    d->notify_fd = fd;
    return sd_event_add_io(d->loop, &d->notify_src, fd, EPOLLIN, on_notify, d);
}

void notify_close(struct daemon *d) {
    d->notify_src = sd_event_source_disable_unref(d->notify_src);
    if (d->notify_fd >= 0)
        close(d->notify_fd);
    d->notify_fd = -1;
}
