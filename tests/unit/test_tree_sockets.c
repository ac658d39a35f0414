/*
 * Unit tests of an exec child's `sockets:` key: what a valid tree holds
 * (tcp, unix, handed over; defaults), each error at its
 * FILE:LINE:COLUMN, tcp addresses, and the copy and comparison of specs
 * with sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tree.h"
#include "tree_spec.h"

#define HEAD "supervisor:\n  children:\n    - id: web\n      exec: [/bin/sh, -c, 'exit 0']\n"

static struct nines_tree *load(const char *yaml, struct nines_error *err) {
    struct nines_tree *t = NULL;
    nines_tree_load_string("t.yaml", "/srv", yaml, strlen(yaml), &t, err);
    return t;
}

static void load_err(const char *yaml, unsigned line, unsigned column, const char *fragment) {
    struct nines_error err;
    struct nines_tree *t = load(yaml, &err);
    assert_null(t);
    if (!strstr(err.message, fragment) || err.line != line || err.column != column)
        fail_msg("got %u:%u: %s — wanted %u:%u: ...%s...", err.line, err.column, err.message, line, column, fragment);
}

static void every_kind_loaded(void **unused) {
    struct nines_error err;
    struct nines_tree *t = load(HEAD "      sockets:\n"
                                     "        - {name: http, tcp: '127.0.0.1:8080', backlog: 512}\n"
                                     "        - {name: ctl, unix: run/ctl.sock, mode: '0660'}\n"
                                     "        - {name: web}\n"
                                     "        - {name: any, tcp: 9000}\n", &err);
    if (!t)
        fail_msg("%u:%u: %s", err.line, err.column, err.message);
    const struct nines_child_spec *c = &t->root.children[0];
    assert_int_equal(c->n_sockets, 4);
    assert_string_equal(c->sockets[0].name, "http");
    assert_int_equal(c->sockets[0].kind, NINES_SOCKET_TCP);
    assert_string_equal(c->sockets[0].address, "127.0.0.1:8080");
    assert_int_equal(c->sockets[0].backlog, 512);
    assert_int_equal(c->sockets[1].kind, NINES_SOCKET_UNIX);
    assert_string_equal(c->sockets[1].address, "/srv/run/ctl.sock"); /* relative to the file */
    assert_int_equal(c->sockets[1].mode, 0660);
    assert_int_equal(c->sockets[1].backlog, NINES_SOCKET_BACKLOG);
    assert_int_equal(c->sockets[2].kind, NINES_SOCKET_PASSED);
    assert_null(c->sockets[2].address);
    assert_string_equal(c->sockets[3].address, "9000");
    /* Copies are equal; order counts (it is the descriptors'). */
    struct nines_child_spec *d = nines_child_spec_copy(c);
    assert_non_null(d);
    assert_true(nines_child_spec_equal(c, d, NULL, NULL));
    struct nines_socket keep = d->sockets[0];
    d->sockets[0] = d->sockets[1], d->sockets[1] = keep;
    assert_false(nines_child_spec_equal(c, d, NULL, NULL));
    d->sockets[1] = d->sockets[0], d->sockets[0] = keep;
    d->sockets[0].backlog = 511;
    assert_false(nines_child_spec_equal(c, d, NULL, NULL));
    nines_child_spec_free(d);
    nines_tree_free(t);
}

static void errors_at_their_place(void **unused) {
    load_err(HEAD "      sockets: {name: web}\n", 5, 16, "'sockets' must be a sequence");
    load_err(HEAD "      sockets: [{tcp: 80}]\n", 5, 17, "a socket needs a 'name'");
    load_err(HEAD "      sockets: [{name: 'a b'}]\n", 5, 24, "invalid socket name 'a b'");
    load_err(HEAD "      sockets: [{name: a, tcp: '1.2.3:80'}]\n", 5, 32, "invalid tcp address '1.2.3:80'");
    load_err(HEAD "      sockets: [{name: a, tcp: 70000}]\n", 5, 32, "invalid tcp address '70000'");
    load_err(HEAD "      sockets: [{name: a, tcp: 80, unix: /x}]\n", 5, 42, "both 'tcp' and 'unix'");
    load_err(HEAD "      sockets: [{name: a, unix: /x, tcp: 80}]\n", 5, 33, "both 'tcp' and 'unix'");
    load_err(HEAD "      sockets: [{name: a, tcp: 80, mode: '0600'}]\n", 5, 42, "'mode' is only for a 'unix' socket");
    load_err(HEAD "      sockets: [{name: a, unix: /x, mode: '0999'}]\n", 5, 43, "invalid mode '0999'");
    load_err(HEAD "      sockets: [{name: a, backlog: 5}]\n", 5, 36, "'backlog' is for a socket ninesd opens");
    load_err(HEAD "      sockets: [{name: a, tcp: 80, backlog: 0}]\n", 5, 45, "invalid backlog '0'");
    load_err(HEAD "      sockets: [{name: a, port: 80}]\n", 5, 27, "unknown key 'port' in a socket");
    load_err(HEAD "      sockets: [{name: a}, {name: a, tcp: 80}]\n", 5, 28, "duplicate socket name 'a'");
    load_err("supervisor:\n  children:\n    - {id: s, supervisor: {children: []}, sockets: [{name: a}]}\n", 3, 52,
             "'sockets' is only for 'module' and 'exec' children");
}

static void tcp_addresses(void **unused) {
    struct sockaddr_storage ss;
    unsigned len;
    assert_int_equal(nines_socket_tcp_parse("127.0.0.1:8080", &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
    assert_int_equal(nines_socket_tcp_parse("[::1]:443", &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(len, sizeof(struct sockaddr_in6));
    assert_int_equal(nines_socket_tcp_parse("*:80", &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(nines_socket_tcp_parse("80", &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    static const char *const bad[] = {"", ":80", "0", "65536", "1.2.3.4", "1.2.3.4:", "1.2.3.4:x", "[::1:80",
                                      "localhost:80", "[zz]:80", "1.2.3.4:080000", "-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (nines_socket_tcp_parse(bad[i], &ss, &len) == 0)
            fail_msg("'%s' accepted", bad[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_loaded),
        cmocka_unit_test(errors_at_their_place),
        cmocka_unit_test(tcp_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
