/*
 * Integration: the worker host on its own. Each test runs the real
 * nines-worker with a SEQPACKET channel on fd 3, as ninesd does, and
 * speaks the channel protocol to it: descriptor checks and their one-line
 * refusals, init failure, READY, calls, casts, timers, SHUTDOWN, SIGTERM,
 * the channel closing, and dying with the parent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "proto.h"
#include "reason.h"

#define WORKER BUILD_PATH("nines-worker")
#define WAIT_MS 5000

struct worker {
    pid_t pid;
    int chan;
    int err; /* read end of the worker's stderr */
};

/* Spawn nines-worker with argv (NULL-terminated after argv[0]). */
static struct worker spawn_worker(const char *const *args) {
    int sv[2], errp[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(pipe2(errp, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(sv[1], NINES_CHANNEL_FD);
        dup2(errp[1], STDERR_FILENO);
        char *argv[32] = {(char *)WORKER};
        for (int i = 0; args[i]; i++)
            argv[i + 1] = (char *)args[i];
        char parent[32];
        snprintf(parent, sizeof parent, "%d", (int)getppid());
        setenv("NINES_PARENT_PID", parent, 1);
        execv(WORKER, argv);
        _exit(127);
    }
    close(sv[1]);
    close(errp[1]);
    return (struct worker){pid, sv[0], errp[0]};
}

/* The next message within WAIT_MS; type 0 if the channel closed. */
static struct nines_msg next_msg(struct worker *w, uint8_t *buf) {
    struct pollfd p = {.fd = w->chan, .events = POLLIN};
    struct nines_msg m = {0};
    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    int r = nines_proto_recv(w->chan, buf, &m);
    if (r == -ECONNRESET)
        return (struct nines_msg){0};
    assert_int_equal(r, 0);
    return m;
}

static int wait_worker(struct worker *w) {
    int status;
    for (int i = 0; i < WAIT_MS / 10; i++) {
        if (waitpid(w->pid, &status, WNOHANG) == w->pid)
            return status;
        usleep(10000);
    }
    kill(w->pid, SIGKILL);
    waitpid(w->pid, &status, 0);
    fail_msg("worker %d did not exit", (int)w->pid);
    return -1;
}

static void close_worker(struct worker *w) {
    close(w->chan);
    close(w->err);
}

/* The EXIT_REASON message: kind and text. */
static void expect_exit_reason(struct worker *w, uint8_t *buf, enum nines_reason_kind kind, const char *text) {
    struct nines_msg m = next_msg(w, buf);
    assert_int_equal(m.type, NINES_MSG_EXIT_REASON);
    uint32_t k;
    memcpy(&k, m.payload, sizeof k);
    assert_int_equal(k, kind);
    char msg[512];
    snprintf(msg, sizeof msg, "%.*s", (int)(m.length - sizeof k), (const char *)m.payload + sizeof k);
    if (!strstr(msg, text))
        fail_msg("exit reason \"%s\" does not contain \"%s\"", msg, text);
}

static uint8_t buf[NINES_PROTO_BUFSIZE];

static void refused(const char *module, const char *text) {
    const char *args[] = {"--module", module, "--child", "x", NULL};
    struct worker w = spawn_worker(args);
    expect_exit_reason(&w, buf, NINES_REASON_ABI_REFUSED, text);
    int status = wait_worker(&w);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    close_worker(&w);
}

static void descriptor_checks_refuse_with_one_clear_line(void **unused) {
    refused(BUILD_PATH("tests/apps/no_descriptor.so"), "no_descriptor.so: no nines_module_v1 symbol");
    refused(BUILD_PATH("tests/apps/bad_magic.so"), "bad_magic.so: bad magic 0xdeadbeef");
    refused(BUILD_PATH("tests/apps/bad_abi.so"), "bad_abi.so: ABI version 7, this host supports 1");
    refused(BUILD_PATH("tests/apps/no_init.so"), "no_init.so: no_init 1.0.0: required callback init is missing");
    refused(BUILD_PATH("tests/apps/bad_name.so"), "bad_name.so: invalid name \"Bad Name!\"");
    /* Not a shared object at all: the loader's own words. */
    refused(NINES_SOURCE_DIR "/README.md", "README.md");
}

static void init_failure_reports_the_application_message(void **unused) {
    const char *args[] = {"--module", BUILD_PATH("examples/flaky.so"), "--child", "f",
                          "--arg", "init_fails=true", NULL};
    struct worker w = spawn_worker(args);
    expect_exit_reason(&w, buf, NINES_REASON_INIT_FAILED, "flaky: init refused as configured");
    int status = wait_worker(&w);
    assert_int_equal(WEXITSTATUS(status), 1);
    close_worker(&w);
}

static void init_crash_dies_before_ready(void **unused) {
    const char *args[] = {"--module", BUILD_PATH("tests/apps/init_crash.so"), "--child", "c", NULL};
    struct worker w = spawn_worker(args);
    assert_int_equal(next_msg(&w, buf).type, 0); /* no READY: the channel just closes */
    int status = wait_worker(&w);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    close_worker(&w);
}

static struct worker start_counter(void) {
    const char *args[] = {"--module", BUILD_PATH("examples/counter.so"), "--child", "top/counter",
                          "--arg", "start=41", NULL};
    struct worker w = spawn_worker(args);
    struct nines_msg m = next_msg(&w, buf);
    assert_int_equal(m.type, NINES_MSG_READY);
    assert_int_equal(m.length, sizeof "counter\0" "1.0.0");
    assert_memory_equal(m.payload, "counter\0" "1.0.0", m.length);
    return w;
}

static void expect_reply(struct worker *w, uint64_t ref, const char *text) {
    struct nines_msg m = next_msg(w, buf);
    assert_int_equal(m.type, NINES_MSG_REPLY);
    assert_int_equal(m.ref, ref);
    assert_int_equal(m.length, strlen(text));
    assert_memory_equal(m.payload, text, m.length);
}

static void calls_and_casts_reach_the_application(void **unused) {
    struct worker w = start_counter();
    assert_int_equal(nines_proto_send(w.chan, NINES_MSG_CALL, 7, "get", 3), 0);
    expect_reply(&w, 7, "41");
    assert_int_equal(nines_proto_send(w.chan, NINES_MSG_CALL, 8, "incr", 4), 0);
    expect_reply(&w, 8, "42");
    assert_int_equal(nines_proto_send(w.chan, NINES_MSG_CAST, 0, "add 8", 5), 0);
    assert_int_equal(nines_proto_send(w.chan, NINES_MSG_CALL, 9, "get", 3), 0);
    expect_reply(&w, 9, "50");
    /* SHUTDOWN: terminate, report shutdown, exit 0. */
    assert_int_equal(nines_proto_send(w.chan, NINES_MSG_SHUTDOWN, 0, NULL, 0), 0);
    expect_exit_reason(&w, buf, NINES_REASON_SHUTDOWN, "");
    int status = wait_worker(&w);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close_worker(&w);
}

static void a_call_to_an_app_without_handle_call_fails_back(void **unused) {
    const char *args[] = {"--module", BUILD_PATH("tests/apps/trivial.so"), "--child", "t", NULL};
    struct worker w = spawn_worker(args);
    assert_int_equal(next_msg(&w, buf).type, NINES_MSG_READY);
    assert_int_equal(nines_proto_send(w.chan, NINES_MSG_CALL, 3, "x", 1), 0);
    struct nines_msg m = next_msg(&w, buf);
    assert_int_equal(m.type, NINES_MSG_CALL_ERROR);
    assert_int_equal(m.ref, 3);
    kill(w.pid, SIGTERM); /* SIGTERM is a shutdown request too */
    expect_exit_reason(&w, buf, NINES_REASON_SHUTDOWN, "");
    assert_int_equal(WEXITSTATUS(wait_worker(&w)), 0);
    close_worker(&w);
}

static void a_timer_fires_through_handle_info(void **unused) {
    /* flaky arms a one-shot timer in init and fails with `how` when it fires */
    const char *args[] = {"--module", BUILD_PATH("examples/flaky.so"), "--child", "f",
                          "--arg", "crash_after_ms=30", "--arg", "how=error", NULL};
    struct worker w = spawn_worker(args);
    assert_int_equal(next_msg(&w, buf).type, NINES_MSG_READY);
    expect_exit_reason(&w, buf, NINES_REASON_ERROR, "flaky: scheduled failure");
    int status = wait_worker(&w);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    close_worker(&w);
}

static void the_worker_stops_when_its_channel_closes(void **unused) {
    struct worker w = start_counter();
    close(w.chan);
    int status = wait_worker(&w);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(w.err);
}

static void malformed_packets_are_dropped_not_fatal(void **unused) {
    struct worker w = start_counter();
    uint8_t junk[5] = {1, 2, 3, 4, 5};
    assert_int_equal(send(w.chan, junk, sizeof junk, 0), 5);
    struct nines_msg_header h = {.type = 999, .length = 0};
    assert_int_equal(send(w.chan, &h, sizeof h, 0), (ssize_t)sizeof h);
    assert_int_equal(nines_proto_send(w.chan, NINES_MSG_CALL, 1, "get", 3), 0);
    expect_reply(&w, 1, "41");
    kill(w.pid, SIGKILL);
    wait_worker(&w);
    close_worker(&w);
}

/* A worker whose parent dies is killed (PR_SET_PDEATHSIG): a middle
 * process spawns the worker, reports its pid, and is SIGKILLed. */
static void the_worker_dies_with_its_parent(void **unused) {
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t middle = fork();
    assert_true(middle >= 0);
    if (middle == 0) {
        const char *args[] = {"--module", BUILD_PATH("examples/counter.so"), "--child", "c", NULL};
        struct worker w = spawn_worker(args);
        struct nines_msg m = next_msg(&w, buf);
        if (m.type == NINES_MSG_READY && write(pfd[1], &w.pid, sizeof w.pid) == (ssize_t)sizeof w.pid)
            pause();
        _exit(1);
    }
    close(pfd[1]);
    pid_t worker;
    assert_int_equal(read(pfd[0], &worker, sizeof worker), (ssize_t)sizeof worker);
    assert_true(process_alive(worker));
    kill(middle, SIGKILL);
    waitpid(middle, NULL, 0);
    assert_true(wait_process_gone(worker, WAIT_MS));
    close(pfd[0]);
}

static void run_by_hand_it_refuses_on_stderr(void **unused) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s --module %s --child x 2>&1", WORKER, BUILD_PATH("tests/apps/bad_abi.so"));
    FILE *p = popen(cmd, "r");
    char line[512] = "";
    assert_non_null(fgets(line, sizeof line, p));
    int status = pclose(p);
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_non_null(strstr(line, "nines-worker: "));
    assert_non_null(strstr(line, "bad_abi.so: ABI version 7, this host supports 1"));
}

static void a_spare_runs_what_start_tells_it(void **unused) {
    const char *args[] = {"--spare", "                                        ", NULL};
    struct worker w = spawn_worker(args);
    /* MODULE, CHILD, the application it must be, then the args */
    static const char start[] = BUILD_PATH("examples/counter.so") "\0top/c\0counter\0start=12\0";
    assert_int_equal(nines_proto_send(w.chan, NINES_MSG_START, 0, start, sizeof start - 1), 0);
    struct nines_msg m = next_msg(&w, buf);
    if (m.type != NINES_MSG_READY)
        fail_msg("expected READY, got type %u: %.*s", m.type, (int)m.length - 4, (const char *)m.payload + 4);
    assert_int_equal(nines_proto_send(w.chan, NINES_MSG_CALL, 5, "get", 3), 0);
    expect_reply(&w, 5, "12");
    kill(w.pid, SIGKILL);
    wait_worker(&w);
    close_worker(&w);
}

/* A module that is not the application ninesd expects is refused before
 * its init (supervisord/module_names.h). */
static void a_spare_refuses_a_module_of_another_name(void **unused) {
    const char *args[] = {"--spare", "                                        ", NULL};
    struct worker w = spawn_worker(args);
    static const char start[] = BUILD_PATH("examples/counter.so") "\0top/c\0echo\0";
    assert_int_equal(nines_proto_send(w.chan, NINES_MSG_START, 0, start, sizeof start - 1), 0);
    expect_exit_reason(&w, buf, NINES_REASON_ABI_REFUSED, "counter.so: is application 'counter', this child ran 'echo'");
    assert_int_equal(WEXITSTATUS(wait_worker(&w)), 1);
    close_worker(&w);
}

static void a_spare_refuses_a_malformed_start_and_leaves_quietly_on_close(void **unused) {
    const char *args[] = {"--spare", "    ", NULL};
    struct worker w = spawn_worker(args);
    static const char start[] = "only-a-module-no-terminator";
    assert_int_equal(nines_proto_send(w.chan, NINES_MSG_START, 0, start, sizeof start - 1), 0);
    expect_exit_reason(&w, buf, NINES_REASON_ERROR, "spare host: no valid START message");
    assert_int_equal(WEXITSTATUS(wait_worker(&w)), 1);
    close_worker(&w);
    /* A spare that is no longer needed just goes when its channel closes. */
    w = spawn_worker(args);
    close(w.chan);
    int status = wait_worker(&w);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(w.err);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(descriptor_checks_refuse_with_one_clear_line),
        cmocka_unit_test(init_failure_reports_the_application_message),
        cmocka_unit_test(init_crash_dies_before_ready),
        cmocka_unit_test(calls_and_casts_reach_the_application),
        cmocka_unit_test(a_call_to_an_app_without_handle_call_fails_back),
        cmocka_unit_test(a_timer_fires_through_handle_info),
        cmocka_unit_test(the_worker_stops_when_its_channel_closes),
        cmocka_unit_test(malformed_packets_are_dropped_not_fatal),
        cmocka_unit_test(the_worker_dies_with_its_parent),
        cmocka_unit_test(run_by_hand_it_refuses_on_stderr),
        cmocka_unit_test(a_spare_runs_what_start_tells_it),
        cmocka_unit_test(a_spare_refuses_a_module_of_another_name),
        cmocka_unit_test(a_spare_refuses_a_malformed_start_and_leaves_quietly_on_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
