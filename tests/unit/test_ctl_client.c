/* Unit tests of ninesctl's conversation with the daemon, with a scripted
 * daemon: the answer's frames are written into a socketpair before the
 * client runs, then the test checks the request it sent, what it printed
 * on stdout and stderr, and its exit code. Covers every output mode and
 * each way an answer can be broken. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_fixture.h"

static const char root_rec[] = "path=/ kind=supervisor depth=0 state=running uptime_ms=5000\n";
static const char idle_rec[] = "path=echo kind=worker depth=1 state=idle restart=permanent restarts=4\n";

static void test_status_healthy(void **state) {
    data(pair[1], root_rec);
    /* A record split across two frames is still one record. */
    data(pair[1], "path=echo kind=worker depth=1 state=running restart=permanent ");
    data(pair[1], "restarts=0 pid=77 uptime_ms=5000 version=1\n");
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "status");
    assert_int_equal(last.code, 0);
    assert_string_equal(last.request, "status");
    assert_string_equal(last.out, "NAME     KIND        STATE    PID  VERSION  UPTIME  RESTARTS\n"
                                  "/        supervisor  running  -    -        5s      -\n"
                                  "└─ echo  worker      running  77   1        5s      0\n"
                                  "1 child, all permanent children running\n");
    assert_string_equal(last.err, "");
}

static void test_status_unhealthy(void **state) {
    data(pair[1], root_rec);
    data(pair[1], idle_rec);
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "status", "--json");
    assert_int_equal(last.code, CTL_EXIT_UNHEALTHY);
    assert_string_equal(last.out,
                        "{\"ok\":true,\"status\":\"ok\",\"message\":\"\",\"healthy\":false,\"nodes\":["
                        "{\"path\":\"/\",\"kind\":\"supervisor\",\"depth\":0,\"state\":\"running\",\"uptime_ms\":5000},"
                        "{\"path\":\"echo\",\"kind\":\"worker\",\"depth\":1,\"state\":\"idle\","
                        "\"restart\":\"permanent\",\"restarts\":4}]}\n");
    assert_string_equal(last.err, "");
}

static void test_status_not_found(void **state) {
    end(pair[1], CTL_ST_NOT_FOUND, "no child 'web/x' in the tree");
    RUN(false, "status", "web/x");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.request, "status|web/x");
    assert_string_equal(last.out, "");
    assert_string_equal(last.err, "ninesctl: status web/x: not found: no child 'web/x' in the tree\n");
}

static void test_call_human(void **state) {
    data(pair[1], "pong");
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "call", "echo", "ping");
    assert_int_equal(last.code, 0);
    assert_string_equal(last.request, "call|echo|ping|5000");
    assert_string_equal(last.out, "pong"); /* a pipe gets the bytes as they are */
}

static void test_call_tty_newline(void **state) {
    data(pair[1], "pong");
    end(pair[1], CTL_ST_OK, "");
    RUN(true, "call", "echo", "ping", "--timeout", "100");
    assert_string_equal(last.request, "call|echo|ping|100");
    assert_string_equal(last.out, "pong\n");
}

static void test_call_tty_has_newline(void **state) {
    data(pair[1], "pong\n");
    end(pair[1], CTL_ST_OK, "");
    RUN(true, "call", "echo", "ping");
    assert_string_equal(last.out, "pong\n");
}

static void test_call_json(void **state) {
    assert_int_equal(ctl_send(pair[1], CTL_DATA, CTL_ST_OK, "p\xffo\"\n\x01", 6), 0);
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "--json", "call", "echo", "ping");
    assert_int_equal(last.code, 0);
    assert_string_equal(last.out,
                        "{\"ok\":true,\"status\":\"ok\",\"message\":\"\",\"reply\":\"p\\u00ffo\\\"\\n\\u0001\"}\n");
}

static void test_call_timeout(void **state) {
    end(pair[1], CTL_ST_TIMEOUT, "no reply within 100 ms");
    RUN(false, "call", "echo", "ping", "--timeout", "100", "--json");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.out, "{\"ok\":false,\"status\":\"timeout\",\"message\":\"no reply within 100 ms\"}\n");
    assert_string_equal(last.err, "ninesctl: call echo: timeout: no reply within 100 ms\n");
}

static void test_restart_ok_and_refused(void **state) {
    end(pair[1], CTL_ST_OK, "restarted web/listener (pid 1234)");
    RUN(false, "restart", "web/listener");
    assert_int_equal(last.code, 0);
    assert_string_equal(last.request, "restart|web/listener");
    assert_string_equal(last.out, "restarted web/listener (pid 1234)\n");
    free(last.out), free(last.err), last.out = last.err = NULL, last.request[0] = '\0';
    end(pair[1], CTL_ST_REFUSED, "running");
    RUN(false, "restart", "web/listener");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.out, "");
    assert_string_equal(last.err, "ninesctl: restart web/listener: refused: running\n");
}

static void test_message_json(void **state) {
    end(pair[1], CTL_ST_OK, "ninesd 0.1.0 protocol 1");
    RUN(false, "version", "--json");
    assert_int_equal(last.code, 0);
    assert_string_equal(last.out, "{\"ok\":true,\"status\":\"ok\",\"message\":\"ninesd 0.1.0 protocol 1\"}\n");
}

static void test_denied_and_bad_request(void **state) {
    end(pair[1], CTL_ST_DENIED, "uid 1000 may only read");
    RUN(false, "stop");
    assert_int_equal(last.code, CTL_EXIT_DENIED);
    assert_string_equal(last.err, "ninesctl: stop: denied: uid 1000 may only read\n");
    free(last.out), free(last.err), last.out = last.err = NULL;
    end(pair[1], CTL_ST_BAD_REQUEST, "1:5: unknown key 'modul'");
    RUN(false, "start", "web", "{id: x, modul: y}");
    assert_int_equal(last.code, CTL_EXIT_USAGE);
    assert_string_equal(last.err, "ninesctl: start web: bad request: 1:5: unknown key 'modul'\n");
}

static void test_start_child(void **state) {
    data(pair[1], "path=jobs/3 pid=4321\n");
    end(pair[1], CTL_ST_OK, "started jobs/3 (pid 4321)");
    RUN(false, "start-child", "jobs", "size=64", "--json");
    assert_int_equal(last.code, 0);
    assert_string_equal(last.request, "start-child|jobs|size=64");
    assert_string_equal(last.out, "{\"ok\":true,\"status\":\"ok\",\"message\":\"started jobs/3 (pid 4321)\","
                                  "\"path\":\"jobs/3\",\"pid\":4321}\n");
}

static const char ev1[] = "ts=2024-05-01T10:00:00.000Z level=info event=child_started supervisor=/ child=echo "
                          "pid=77 restarts=0 msg=\"echo started\"\n";
static const char ev2[] = "ts=2024-05-01T10:00:01.000Z level=warning event=child_terminated supervisor=/ "
                          "child=echo pid=77 reason=\"exit status 1\" action=restart msg=x\n";

static void test_events_human(void **state) {
    data(pair[1], ev1);
    data(pair[1], ev2);
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "events");
    assert_int_equal(last.code, 0);
    assert_string_equal(last.request, "events");
    assert_string_equal(last.out,
                        "2024-05-01T10:00:00.000Z info    child_started       echo                 -                -"
                        "            echo started\n"
                        "2024-05-01T10:00:01.000Z warning child_terminated    echo                 exit status 1    "
                        "restart      x\n");
}

static void test_events_json(void **state) {
    data(pair[1], ev1);
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "events", "--json");
    assert_int_equal(last.code, 0);
    assert_string_equal(last.out, "{\"ok\":true,\"status\":\"ok\",\"message\":\"\",\"events\":["
                                  "{\"ts\":\"2024-05-01T10:00:00.000Z\",\"level\":\"info\",\"event\":\"child_started\","
                                  "\"supervisor\":\"/\",\"child\":\"echo\",\"pid\":77,\"restarts\":0,"
                                  "\"msg\":\"echo started\"}]}\n");
}

/* --follow --json: JSON Lines, one per event; the end of the stream is
 * the error object of the END. */
static void test_events_follow_json(void **state) {
    data(pair[1], ev1);
    data(pair[1], ev2);
    end(pair[1], CTL_ST_SHUTTING_DOWN, "ninesd is stopping");
    RUN(false, "events", "--follow", "--json");
    assert_int_equal(last.code, 1);
    assert_string_equal(last.request, "events|follow");
    char *second = strchr(last.out, '\n') + 1;
    char *third = strchr(second, '\n') + 1;
    assert_true(strncmp(last.out, "{\"ts\":\"2024-05-01T10:00:00.000Z\"", 32) == 0);
    assert_true(strncmp(second, "{\"ts\":\"2024-05-01T10:00:01.000Z\"", 32) == 0);
    assert_string_equal(third, "{\"ok\":false,\"status\":\"shutting_down\",\"message\":\"ninesd is stopping\"}\n");
    assert_string_equal(last.err, "ninesctl: events: shutting down: ninesd is stopping\n");
}

static void test_protocol_errors(void **state) {
    /* The daemon hangs up before its END. */
    data(pair[1], root_rec);
    shutdown(pair[1], SHUT_WR);
    RUN(false, "status");
    assert_int_equal(last.code, CTL_EXIT_PROTOCOL);
    assert_string_equal(last.err, "ninesctl: status: protocol: the daemon closed the connection before its answer ended\n");
}

static void test_bad_frame(void **state) {
    uint8_t junk[16] = "HTTP/1.1 400 Ba";
    assert_int_equal(write(pair[1], junk, sizeof junk), (ssize_t)sizeof junk);
    RUN(false, "--json", "stop");
    assert_int_equal(last.code, CTL_EXIT_PROTOCOL);
    assert_string_equal(last.out, "{\"ok\":false,\"status\":\"protocol\",\"message\":\"a malformed frame from the "
                                  "daemon: bad message\"}\n");
}

static void test_bad_record(void **state) {
    data(pair[1], "this is not logfmt\n");
    end(pair[1], CTL_ST_OK, "");
    RUN(false, "status");
    assert_int_equal(last.code, CTL_EXIT_PROTOCOL);
    assert_string_equal(last.err, "ninesctl: status: protocol: bad data from the daemon: bad message\n");
}

static void test_request_frame_from_daemon(void **state) {
    assert_int_equal(ctl_send(pair[1], CTL_REQUEST, CTL_ST_OK, "stop", 5), 0);
    RUN(false, "version");
    assert_int_equal(last.code, CTL_EXIT_PROTOCOL);
}

/* Said by ninesctl before anything is sent: the daemon would only close. */
static void test_request_too_big(void **state) {
    char *big = malloc(CTL_MAX_REQUEST + 1);
    memset(big, 'x', CTL_MAX_REQUEST);
    big[CTL_MAX_REQUEST] = '\0';
    run_on(pair[0], -1, false, (const char *[]){"ninesctl", "cast", "echo", big, NULL});
    free(big);
    assert_int_equal(last.code, 1);
    assert_string_equal(last.err, "ninesctl: cast echo: too big: the request is over 65536 bytes\n");
}

/* Through a real socket path: connect, then the same exchange. */
static void test_connect(void **state) {
    char dir[] = "/tmp/ninesctl-test-XXXXXX", path[108];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/control.sock", dir);
    assert_int_equal(ctl_client_connect(path), -ENOENT);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(ctl_client_connect(path), -ECONNREFUSED); /* bound, not listening */
    assert_int_equal(listen(lfd, 4), 0);
    int fd = ctl_client_connect(path);
    assert_true(fd >= 0);
    int sfd = accept(lfd, NULL, NULL);
    end(sfd, CTL_ST_OK, "ninesd 0.1.0 protocol 1");
    run_on(fd, sfd, false, (const char *[]){"ninesctl", "version", NULL});
    assert_int_equal(last.code, 0);
    assert_string_equal(last.request, "version");
    assert_string_equal(last.out, "ninesd 0.1.0 protocol 1\n");
    close(fd), close(sfd), close(lfd);
    unlink(path);
    rmdir(dir);
    char too_long[200];
    memset(too_long, 'a', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    assert_int_equal(ctl_client_connect(too_long), -ENAMETOOLONG);
}

static void test_connect_failed_messages(void **state) {
    static struct ctl_args a;
    assert_int_equal(ctl_args_parse(&a, 2, (char *const[]){"ninesctl", "status", NULL}), 0);
    size_t osize, esize;
    FILE *out = open_memstream(&last.out, &osize), *err = open_memstream(&last.err, &esize);
    struct ctl_output o;
    ctl_output_init(&o, &a, out, err, false, false);
    assert_int_equal(ctl_client_connect_failed(&o, "/run/nines/control.sock", -ENOENT), 5);
    assert_int_equal(ctl_client_connect_failed(&o, "/run/nines/control.sock", -EACCES), 4);
    ctl_output_free(&o);
    fclose(out);
    fclose(err);
    assert_string_equal(last.err, "ninesctl: status: unreachable: no such file or directory: is ninesd running? "
                                  "(socket /run/nines/control.sock; --socket or NINES_SOCKET)\n"
                                  "ninesctl: status: denied: permission denied: /run/nines/control.sock "
                                  "(ninesd's user, root and its control group may connect)\n");
}

/* Only root and ourselves may answer; anyone else is told off before a
 * byte is sent. */
static void test_untrusted_server(void **state) {
    assert_true(ctl_server_trusted(0, 1000));
    assert_true(ctl_server_trusted(1000, 1000));
    assert_true(ctl_server_trusted(0, 0));
    assert_false(ctl_server_trusted(65534, 1000));
    assert_false(ctl_server_trusted(1000, 0));
    static struct ctl_args a;
    assert_int_equal(ctl_args_parse(&a, 2, (char *const[]){"ninesctl", "status", NULL}), 0);
    size_t osize, esize;
    FILE *out = open_memstream(&last.out, &osize), *err = open_memstream(&last.err, &esize);
    struct ctl_output o;
    ctl_output_init(&o, &a, out, err, false, false);
    assert_int_equal(ctl_client_untrusted(&o, "/tmp/x/control.sock", 65534, 42, 0), CTL_EXIT_UNREACHABLE);
    /* A socketpair's other end is this process: trusted. */
    int sp[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    assert_int_equal(ctl_client_check_server(sp[0], &o, "pair"), -1);
    close(sp[0]), close(sp[1]);
    ctl_output_free(&o);
    fclose(out);
    fclose(err);
    assert_string_equal(last.err, "ninesctl: status: untrusted: /tmp/x/control.sock is served by uid 65534 (pid 42), "
                                  "neither root nor this user (uid 0): nothing was sent (another user's program may "
                                  "stand in for ninesd there)\n");
}

static void test_usage_output(void **state) {
    static struct ctl_args a;
    assert_int_equal(ctl_args_parse(&a, 4, (char *const[]){"ninesctl", "call", "echo", "--json", NULL}), -EINVAL);
    size_t osize, esize;
    FILE *out = open_memstream(&last.out, &osize), *err = open_memstream(&last.err, &esize);
    assert_int_equal(ctl_output_usage(out, err, &a), CTL_EXIT_USAGE);
    fclose(out);
    fclose(err);
    assert_string_equal(last.err, "ninesctl: call: usage: missing REQUEST (see ninesctl call --help)\n");
    assert_string_equal(last.out, "{\"ok\":false,\"status\":\"usage\",\"message\":\"missing REQUEST "
                                  "(see ninesctl call --help)\"}\n");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_status_healthy),
        T(test_status_unhealthy),
        T(test_status_not_found),
        T(test_call_human),
        T(test_call_tty_newline),
        T(test_call_tty_has_newline),
        T(test_call_json),
        T(test_call_timeout),
        T(test_restart_ok_and_refused),
        T(test_message_json),
        T(test_denied_and_bad_request),
        T(test_start_child),
        T(test_events_human),
        T(test_events_json),
        T(test_events_follow_json),
        T(test_protocol_errors),
        T(test_bad_frame),
        T(test_bad_record),
        T(test_request_frame_from_daemon),
        T(test_request_too_big),
        T(test_connect),
        T(test_connect_failed_messages),
        T(test_untrusted_server),
        T(test_usage_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
