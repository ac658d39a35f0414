/*
 * Integration: listening sockets for children, both ways, with the real
 * ninesd, real programs (Python servers reading fd 3 as sd_listen_fds()
 * expects) and real clients.
 *
 *   - A socket declared in the tree (`sockets: [{name, tcp}]`) is opened
 *     by ninesd and kept while its server crashes after every connection
 *     and is restarted: clients queue in the backlog, none is refused.
 *   - A unix socket: its mode, and the file removed when ninesd ends.
 *   - systemd-socket-activate hands ninesd sockets named `web` and
 *     `extra`: the child that names `web` gets it (only) at fd 3 with
 *     LISTEN_FDS=1, LISTEN_FDNAMES=web and its own LISTEN_PID, and
 *     answers the connection that woke ninesd; a child that names none
 *     has no fd 3 or 4 and no LISTEN_*; `extra` is logged as unused.
 *   - A child naming a socket nobody handed over: ninesd does not start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 10000

/* A server that answers one connection with its pid and then crashes
 * (exit 3): every connection is served by a new process. */
static const char SERVER[] =
    "import os, socket, sys\n"
    "want = (os.environ.get('LISTEN_FDS'), os.environ.get('LISTEN_FDNAMES'), os.environ.get('LISTEN_PID'))\n"
    "if want != ('1', sys.argv[1], str(os.getpid())):\n"
    "    print('bad environment', want, flush=True); os._exit(9)\n"
    "s = socket.socket(fileno=3)\n"
    "print('serving', s.getsockname(), flush=True)\n"
    "c, _ = s.accept()\n"
    "c.sendall(b'%s %d\\n' % (sys.argv[1].encode(), os.getpid()))\n"
    "c.close()\n"
    "os._exit(int(sys.argv[2]) if len(sys.argv) > 2 else 3)\n";

static void write_file(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* Connect to 127.0.0.1:port: the fd, or -errno (ECONNREFUSED). */
static int dial(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* The answer line on fd ("http 1234"), or "" after a timeout. */
static const char *answer(int fd, char *buf, size_t size) {
    size_t len = 0;
    ssize_t k;
    while (len < size - 1 && (k = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)k;
    buf[len] = '\0';
    return buf;
}

#define CLIENTS 30

static void a_declared_listener_outlives_its_crashing_server(void **state) {
    struct ninesd *n = *state;
    harness_write_tree(n, "supervisor: {children: []}\n");
    write_file(n->dir, "srv.py", SERVER);
    int port = free_port();
    char tree[2048];
    snprintf(tree, sizeof tree,
             "supervisor:\n  intensity: 1000\n  period: 1m\n  children:\n"
             "    - id: srv\n      exec: [/usr/bin/python3, %s/srv.py, http]\n"
             "      sockets: [{name: http, tcp: '127.0.0.1:%d', backlog: 64}]\n",
             n->dir, port);
    ninesd_start(n, harness_write_tree(n, tree), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=output", "child=srv ", "serving", NULL));
    /* 30 clients at once: the first is served, the server crashes, and
     * the others wait in the backlog through each restart. */
    int fds[CLIENTS], refused = 0;
    for (int i = 0; i < CLIENTS; i++)
        if ((fds[i] = dial(port)) < 0)
            refused++;
    char pids[CLIENTS][64];
    int answered = 0;
    for (int i = 0; i < CLIENTS; i++) {
        if (fds[i] < 0)
            continue;
        char buf[64];
        snprintf(pids[answered], sizeof pids[0], "%s", answer(fds[i], buf, sizeof buf));
        close(fds[i]);
        if (strncmp(pids[answered], "http ", 5) == 0)
            answered++;
    }
    for (int i = 0; i < answered; i++)
        for (int j = 0; j < i; j++)
            assert_string_not_equal(pids[i], pids[j]); /* one process each */
    ninesd_pump(n, 300);
    int crashes = ninesd_count(n, "event=child_terminated", "child=srv ", "exit status 3", NULL);
    print_message("%d clients at once: %d refused, %d answered by %d processes; %d crashes\n", CLIENTS, refused,
                  answered, answered, crashes);
    assert_int_equal(refused, 0);
    assert_int_equal(answered, CLIENTS);
    assert_true(crashes >= CLIENTS - 1);
    /* One after the other, through the crashes: still none refused. */
    refused = 0;
    for (int i = 0; i < 10; i++) {
        int fd = dial(port);
        char buf[64];
        if (fd < 0) {
            refused++;
            continue;
        }
        if (strncmp(answer(fd, buf, sizeof buf), "http ", 5) != 0)
            fail_msg("connection %d got '%s'", i, buf);
        close(fd);
    }
    assert_int_equal(refused, 0);
    assert_int_equal(ninesd_count(n, "bad environment", NULL), 0);
}

static void a_unix_socket_has_its_mode_and_goes_with_ninesd(void **state) {
    struct ninesd *n = *state;
    harness_write_tree(n, "supervisor: {children: []}\n");
    write_file(n->dir, "srv.py", SERVER);
    char tree[2048], path[400];
    snprintf(path, sizeof path, "%s/app.sock", n->dir);
    snprintf(tree, sizeof tree,
             "supervisor:\n  intensity: 100\n  period: 1m\n  children:\n"
             "    - id: srv\n      exec: [/usr/bin/python3, %s/srv.py, ctl]\n"
             "      sockets: [{name: ctl, unix: app.sock, mode: '0600'}]\n",
             n->dir);
    ninesd_start(n, harness_write_tree(n, tree), NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=output", "child=srv ", "serving", NULL));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    for (int i = 0; i < 3; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%.100s", path);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        char buf[64];
        assert_true(strncmp(answer(fd, buf, sizeof buf), "ctl ", 4) == 0);
        close(fd);
    }
    kill(n->pid, SIGTERM);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_int_equal(stat(path, &st), -1);
}

/* systemd-socket-activate listens, waits for a connection, then runs
 * ninesd with the socket at fd 3 (LISTEN_FDS=1, LISTEN_FDNAMES=web). */
static void a_socket_handed_to_ninesd_reaches_the_child_that_names_it_only(void **state) {
    struct ninesd *n = *state;
    if (access("/usr/bin/systemd-socket-activate", X_OK) != 0)
        skip();
    harness_write_tree(n, "supervisor: {children: []}\n");
    write_file(n->dir, "srv.py", SERVER);
    int port = free_port();
    char tree[2048], listen_at[64];
    snprintf(tree, sizeof tree,
             "supervisor:\n  intensity: 100\n  period: 1m\n  children:\n"
             "    - id: other\n      exec: [/bin/sh, -c, 'if [ -e /proc/$$/fd/3 ] || [ -e /proc/$$/fd/4 ]; then echo \"other fd3=yes\"; "
             "else echo \"other fd3=no\"; fi; echo \"other listen=${LISTEN_FDS:-none}/${LISTEN_FDNAMES:-none}\"; "
             "exec sleep 1000']\n"
             "    - id: web\n      exec: [/usr/bin/python3, %s/srv.py, web, '0']\n"
             "      restart: transient\n      sockets: [{name: web}]\n",
             n->dir);
    char extra_at[64];
    snprintf(listen_at, sizeof listen_at, "127.0.0.1:%d", port);
    snprintf(extra_at, sizeof extra_at, "127.0.0.1:%d", free_port());
    char *wrapper[] = {"/usr/bin/systemd-socket-activate", "-l", listen_at, "-l", extra_at, "--fdname=web:extra", NULL};
    ninesd_start_wrapped(n, wrapper, harness_write_tree(n, tree), NULL);
    int fd = -1;
    for (int i = 0; i < 100 && (fd = dial(port)) < 0; i++)
        usleep(20000); /* until systemd-socket-activate listens */
    assert_true(fd >= 0);
    char buf[64];
    const char *got = answer(fd, buf, sizeof buf);
    close(fd);
    print_message("the connection that woke ninesd got: %s", got);
    assert_true(strncmp(got, "web ", 4) == 0);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=output", "child=other ", "other listen=", NULL));
    n->cursor = 0;
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=output", "child=other ", "other fd3=no", NULL));
    assert_int_equal(ninesd_count(n, "event=output", "child=other ", "other listen=none/none", NULL), 1);
    assert_int_equal(ninesd_count(n, "bad environment", NULL), 0);
    /* The second socket is nobody's: said once, given to no child. */
    assert_int_equal(ninesd_count(n, "event=socket_unused", "socket=extra", NULL), 1);
}

static void a_socket_not_handed_over_stops_the_start(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n,
        "supervisor:\n  children:\n    - id: web\n      exec: [/bin/sleep, '1000']\n"
        "      sockets: [{name: web}]\n");
    ninesd_start(n, tree, NULL);
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_true(WIFEXITED(n->status) && WEXITSTATUS(n->status) == 1);
    assert_int_equal(ninesd_count(n, "tree.yaml:3:7: child 'web': socket 'web' was not handed to ninesd "
                                     "(it has: none: LISTEN_FDS is not set)", NULL), 1);
    assert_int_equal(ninesd_count(n, "event=child_started", NULL), 0);
}

/* One echo round trip on a new connection: 0, or -errno (-ECONNREFUSED). */
static int echo_once(int port, int round) {
    int fd = dial(port);
    if (fd < 0)
        return fd;
    char line[32], buf[64];
    int len = snprintf(line, sizeof line, "round %d\n", round);
    assert_int_equal(write(fd, line, (size_t)len), len);
    shutdown(fd, SHUT_WR);
    answer(fd, buf, sizeof buf);
    close(fd);
    if (strcmp(buf, line) != 0)
        fail_msg("round %d: echo said '%s'", round, buf);
    return 0;
}

/* Crash the module worker (SIGSEGV) and connect at once, `rounds` times:
 * how many connections were refused. */
static int crash_and_dial(struct ninesd *n, int port, int rounds) {
    pid_t pid = ninesd_wait_started(n, "echo", WAIT_MS);
    assert_true(pid > 0);
    int refused = 0;
    for (int i = 0; i < rounds; i++) {
        kill(pid, SIGSEGV);
        assert_true(wait_process_gone(pid, WAIT_MS));
        if (echo_once(port, i) == -ECONNREFUSED)
            refused++;
        pid = ninesd_wait_started(n, "echo", WAIT_MS);
        assert_true(pid > 0);
    }
    return refused;
}

/* A module worker reads its socket with nines_listen_fd(): the echo
 * example, killed by SIGSEGV ten times, each time dialled at once. */
static void a_module_worker_keeps_its_clients_through_crashes(void **state) {
    struct ninesd *n = *state;
    int port = free_port();
    char tree[1024];
    snprintf(tree, sizeof tree,
             "supervisor:\n  intensity: 100\n  period: 1m\n  children:\n"
             "    - id: echo\n      module: @BUILD@/examples/echo.so\n"
             "      sockets: [{name: echo, tcp: '127.0.0.1:%d'}]\n", port);
    ninesd_start(n, harness_write_tree(n, tree), NULL);
    int refused = crash_and_dial(n, port, 10);
    print_message("socket held by ninesd: 10 crashes, %d connections refused\n", refused);
    assert_int_equal(refused, 0);
    ninesd_stop(n);
    /* The same with echo opening its own socket: for comparison only (a
     * fast restart may win the race). */
    port = free_port();
    snprintf(tree, sizeof tree,
             "supervisor:\n  intensity: 100\n  period: 1m\n  children:\n"
             "    - id: echo\n      module: @BUILD@/examples/echo.so\n      args: {port: %d}\n", port);
    ninesd_start(n, harness_write_tree(n, tree), NULL);
    int own = 0;
    pid_t pid = ninesd_wait_started(n, "echo", WAIT_MS);
    for (int i = 0; i < 10 && pid > 0; i++) {
        kill(pid, SIGSEGV);
        wait_process_gone(pid, WAIT_MS);
        int fd = dial(port);
        if (fd == -ECONNREFUSED)
            own++;
        else if (fd >= 0)
            close(fd);
        pid = ninesd_wait_started(n, "echo", WAIT_MS);
    }
    print_message("socket opened by echo itself: 10 crashes, %d connections refused\n", own);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_declared_listener_outlives_its_crashing_server, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_unix_socket_has_its_mode_and_goes_with_ninesd, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(a_socket_handed_to_ninesd_reaches_the_child_that_names_it_only,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_socket_not_handed_over_stops_the_start, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(a_module_worker_keeps_its_clients_through_crashes, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
