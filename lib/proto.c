/*
 * proto.c — framing of the ninesd <-> worker channel (see proto.h).
 */
#include "proto.h"

#include <errno.h>
#include <string.h>
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
    case NINES_MSG_SHUTDOWN:
    case NINES_MSG_CALL:
    case NINES_MSG_CAST:
    case NINES_MSG_START:
    case NINES_MSG_CALL_RESULT:
    case NINES_MSG_CALL_FAILED:
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
