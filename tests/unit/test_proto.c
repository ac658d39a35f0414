/* Unit tests of the channel framing: round trips over a real socketpair,
 * and every way a packet can be malformed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"

static uint8_t buf[NINES_PROTO_BUFSIZE + 16];

static void round_trip_keeps_type_ref_and_payload(void **unused) {
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    assert_int_equal(nines_proto_send(sv[0], NINES_MSG_CALL, 42, "get", 3), 0);
    assert_int_equal(nines_proto_send(sv[0], NINES_MSG_SHUTDOWN, 0, NULL, 0), 0);
    struct nines_msg m;
    assert_int_equal(nines_proto_recv(sv[1], buf, &m), 0);
    assert_int_equal(m.type, NINES_MSG_CALL);
    assert_int_equal(m.ref, 42);
    assert_int_equal(m.length, 3);
    assert_memory_equal(m.payload, "get", 3);
    assert_int_equal(nines_proto_recv(sv[1], buf, &m), 0);
    assert_int_equal(m.type, NINES_MSG_SHUTDOWN);
    assert_int_equal(m.length, 0);
    assert_int_equal(nines_proto_recv(sv[1], buf, &m), -EAGAIN);
    close(sv[0]);
    assert_int_equal(nines_proto_recv(sv[1], buf, &m), -ECONNRESET);
    close(sv[1]);
}

static void largest_payload_passes_and_one_more_byte_is_refused(void **unused) {
    int sv[2];
    static uint8_t big[NINES_PROTO_MAX_PAYLOAD + 1];
    memset(big, 'x', sizeof big);
    int sndbuf = 4 * NINES_PROTO_BUFSIZE;
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    assert_int_equal(nines_proto_send(sv[0], NINES_MSG_REPLY, 1, big, NINES_PROTO_MAX_PAYLOAD), 0);
    assert_int_equal(nines_proto_send(sv[0], NINES_MSG_REPLY, 1, big, sizeof big), -EMSGSIZE);
    struct nines_msg m;
    assert_int_equal(nines_proto_recv(sv[1], buf, &m), 0);
    assert_int_equal(m.length, NINES_PROTO_MAX_PAYLOAD);
    close(sv[0]), close(sv[1]);
}

static void oversized_raw_packet_is_refused_not_truncated(void **unused) {
    int sv[2];
    static uint8_t raw[NINES_PROTO_BUFSIZE + 8];
    struct nines_msg_header h = {.type = NINES_MSG_CAST, .length = NINES_PROTO_MAX_PAYLOAD + 8};
    memcpy(raw, &h, sizeof h);
    int sndbuf = 4 * NINES_PROTO_BUFSIZE;
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    assert_int_equal(send(sv[0], raw, sizeof raw, 0), (ssize_t)sizeof raw);
    struct nines_msg m;
    assert_int_equal(nines_proto_recv(sv[1], buf, &m), -EBADMSG);
    close(sv[0]), close(sv[1]);
}

static void decode_refuses_malformed_packets(void **unused) {
    struct nines_msg m;
    struct nines_msg_header h = {.type = NINES_MSG_CAST, .length = 2, .ref = 7};
    uint8_t pkt[sizeof h + 2];
    memcpy(pkt, &h, sizeof h);
    memcpy(pkt + sizeof h, "hi", 2);
    assert_int_equal(nines_proto_decode(pkt, sizeof pkt, &m), 0);
    assert_int_equal(m.ref, 7);
    /* shorter than a header */
    assert_int_equal(nines_proto_decode(pkt, sizeof h - 1, &m), -EBADMSG);
    /* length says more (or less) than the packet holds */
    assert_int_equal(nines_proto_decode(pkt, sizeof pkt - 1, &m), -EBADMSG);
    h.length = 1;
    memcpy(pkt, &h, sizeof h);
    assert_int_equal(nines_proto_decode(pkt, sizeof pkt, &m), -EBADMSG);
    /* unknown types */
    uint32_t bad_types[] = {0, 14, 99, 150, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad_types / sizeof *bad_types; i++) {
        h = (struct nines_msg_header){.type = bad_types[i], .length = 2};
        memcpy(pkt, &h, sizeof h);
        assert_int_equal(nines_proto_decode(pkt, sizeof pkt, &m), -EBADMSG);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_keeps_type_ref_and_payload),
        cmocka_unit_test(largest_payload_passes_and_one_more_byte_is_refused),
        cmocka_unit_test(oversized_raw_packet_is_refused_not_truncated),
        cmocka_unit_test(decode_refuses_malformed_packets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
