/*
 * proto.c — framing of the ninesd <-> worker channel (see proto.h).
 */
#include "proto.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

int nines_proto_send(int fd, uint32_t type, uint64_t ref, const void *payload, size_t length) {
    if (length > NINES_PROTO_MAX_PAYLOAD)
        return -EMSGSIZE;
    struct nines_msg_header h = {.type = type, .length = (uint32_t)length, .ref = ref};
    struct iovec iov[2] = {
        {.iov_base = &h, .iov_len = sizeof h},
        {.iov_base = (void *)payload, .iov_len = length},
    };
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = length ? 2 : 1};
    ssize_t n;
    do
        n = sendmsg(fd, &m, MSG_NOSIGNAL); /* a dead peer is an error, not SIGPIPE */
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return (size_t)n == sizeof h + length ? 0 : -EIO;
}

static int known_type(uint32_t type) {
    switch (type) {
    case NINES_MSG_READY:
    case NINES_MSG_EXIT_REASON:
    case NINES_MSG_REPLY:
    case NINES_MSG_CALL_ERROR:
    case NINES_MSG_OUT_CALL:
    case NINES_MSG_OUT_CAST:
    case NINES_MSG_UPGRADE_RESULT:
    case NINES_MSG_HANDOFF_FDS:
    case NINES_MSG_HANDOFF_STATE:
    case NINES_MSG_TOOK_INPUT:
    case NINES_MSG_HANDOFF_CALLS:
    case NINES_MSG_CASTS_REFUSED:
    case NINES_MSG_SHUTDOWN:
    case NINES_MSG_CALL:
    case NINES_MSG_CAST:
    case NINES_MSG_START:
    case NINES_MSG_CALL_RESULT:
    case NINES_MSG_CALL_FAILED:
    case NINES_MSG_UPGRADE:
    case NINES_MSG_CAST_FLOW:
    case NINES_MSG_PRELOAD:
    case NINES_MSG_PRELOADED:
        return 1;
    default:
        return 0;
    }
}

int nines_proto_decode(const uint8_t *buf, size_t size, struct nines_msg *msg) {
    struct nines_msg_header h;
    if (size < sizeof h)
        return -EBADMSG;
    memcpy(&h, buf, sizeof h); /* buf may be unaligned */
    if (!known_type(h.type) || h.length > NINES_PROTO_MAX_PAYLOAD ||
        (size_t)h.length != size - sizeof h)
        return -EBADMSG;
    msg->type = h.type;
    msg->ref = h.ref;
    msg->payload = buf + sizeof h;
    msg->length = h.length;
    return 0;
}

int nines_proto_recv(int fd, uint8_t *buf, struct nines_msg *msg) {
    ssize_t n;
    do
        /* MSG_TRUNC returns the real packet size, so an oversized packet is
         * detected instead of silently cut. */
        n = recv(fd, buf, NINES_PROTO_BUFSIZE, MSG_DONTWAIT | MSG_TRUNC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    if (n == 0)
        return -ECONNRESET;
    if ((size_t)n > NINES_PROTO_BUFSIZE)
        return -EBADMSG;
    return nines_proto_decode(buf, (size_t)n, msg);
}

int nines_proto_send_fds(int fd, uint32_t type, uint64_t ref, const void *payload, size_t length,
                         const int *fds, size_t n_fds) {
    if (length > NINES_PROTO_MAX_PAYLOAD || n_fds > NINES_HANDOFF_FDS_MAX + 1)
        return -EMSGSIZE;
    if (n_fds == 0)
        return nines_proto_send(fd, type, ref, payload, length);
    struct nines_msg_header h = {.type = type, .length = (uint32_t)length, .ref = ref};
    struct iovec iov[2] = {
        {.iov_base = &h, .iov_len = sizeof h},
        {.iov_base = (void *)payload, .iov_len = length},
    };
    union {
        char buf[CMSG_SPACE(sizeof(int) * (NINES_HANDOFF_FDS_MAX + 1))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = length ? 2 : 1, .msg_control = control.buf,
                       .msg_controllen = CMSG_SPACE(sizeof(int) * n_fds)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
    ssize_t n;
    do
        n = sendmsg(fd, &m, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return (size_t)n == sizeof h + length ? 0 : -EIO;
}

/* Take the SCM_RIGHTS descriptors of a received message: into fds if they
 * fit and the message was whole, else closed. */
static int take_fds(struct msghdr *m, int *fds, size_t max, size_t *n_fds) {
    int bad = (m->msg_flags & MSG_CTRUNC) != 0;
    *n_fds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *in = (int *)(void *)CMSG_DATA(c);
        for (size_t i = 0; i < n; i++) {
            if (!bad && *n_fds < max)
                fds[(*n_fds)++] = in[i];
            else
                close(in[i]), bad = 1;
        }
    }
    if (bad) {
        for (size_t i = 0; i < *n_fds; i++)
            close(fds[i]);
        *n_fds = 0;
        return -EBADMSG;
    }
    return 0;
}

int nines_proto_recv_fds(int fd, uint8_t *buf, struct nines_msg *msg, int *fds, size_t max, size_t *n_fds) {
    union {
        char buf[CMSG_SPACE(sizeof(int) * (NINES_HANDOFF_FDS_MAX + 1))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = buf, .iov_len = NINES_PROTO_BUFSIZE};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
    ssize_t n;
    *n_fds = 0;
    do
        n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    int r = take_fds(&m, fds, max, n_fds);
    if (n == 0 && *n_fds == 0)
        return -ECONNRESET;
    if (r == 0 && (size_t)n > NINES_PROTO_BUFSIZE)
        r = -EBADMSG;
    if (r == 0)
        r = nines_proto_decode(buf, (size_t)n, msg);
    if (r < 0)
        for (size_t i = 0; i < *n_fds; i++)
            close(fds[i]);
    if (r < 0)
        *n_fds = 0;
    return r;
}
