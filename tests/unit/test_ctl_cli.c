/*
 * The ninesctl program, end to end, against a fake ninesd: a process of
 * this test listens on a unix socket and answers the release commands as
 * doc/control-protocol.md ("Releases") says the daemon does. Each test
 * runs the real ninesctl of this build (next to this program's folder:
 * BUILD/tests/.. /ninesctl) and checks its stdout, stderr, exit code and
 * the request the fake daemon got — on a pipe, and on a terminal (a pty)
 * where progress and colours show.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "ctl_proto.h"

static char dir[] = "/tmp/ninesctl-cli-XXXXXX";
static char sock[sizeof((struct sockaddr_un *)0)->sun_path], requests[PATH_MAX], ninesctl[PATH_MAX];
static pid_t fake_pid;

/* --- the fake daemon --------------------------------------------------------- */

static void send_data(int fd, const char *text) {
    ctl_send(fd, CTL_DATA, CTL_ST_OK, text, strlen(text));
}

static void send_end(int fd, enum ctl_status st, const char *message) {
    ctl_send(fd, CTL_END, st, message, strlen(message));
}

static const char plan_text[] = "upgrade myapp 1.0.0 -> 1.1.0: 1 step\n"
                                "  1. echo: swap workers 1.0.0 -> 1.1.0 on /r/myapp/1.1.0/echo.so, code_change "
                                "extra \"\"\n"
                                "     undo: swap workers 1.1.0 -> 1.0.0 on /r/myapp/1.0.0/echo.so, code_change "
                                "extra \"\"\n";

static void answer_install(int fd, const char *req) {
    if (strcmp(req, "release-install|1.1.0|up|dry-run") == 0) {
        send_data(fd, plan_text);
        send_end(fd, CTL_ST_OK, "");
    } else if (strcmp(req, "release-install|1.1.0|up|dry-run|json") == 0) {
        send_data(fd, "{\"direction\":\"up\",\"release\":\"myapp\",\"from\":\"1.0.0\",\"to\":\"1.1.0\",\"steps\":[],"
                      "\"notes\":[]}\n");
        send_end(fd, CTL_ST_OK, "");
    } else if (strcmp(req, "release-install|1.1.0|up") == 0 || strcmp(req, "release-install|1.0.0|down") == 0) {
        bool up = strcmp(req, "release-install|1.1.0|up") == 0;
        send_data(fd, "phase=step n=1 of=2 kind=swap application=echo what=\"swap workers\" result=ok ms=2\n");
        send_data(fd, "phase=step n=2 of=2 kind=restart application=kv what=\"restart workers\" result=ok ms=9\n");
        send_end(fd, CTL_ST_OK, up ? "upgraded myapp 1.0.0 -> 1.1.0: 2 steps in 12 ms"
                                   : "downgraded myapp 1.1.0 -> 1.0.0: 2 steps in 12 ms");
    } else if (strcmp(req, "release-install|1.2.0|up") == 0) {
        send_data(fd, "phase=step n=1 of=2 kind=swap application=echo what=\"swap workers\" result=ok ms=2\n");
        send_data(fd, "phase=step n=2 of=2 kind=restart application=kv what=\"restart workers\" result=failed "
                      "reason=\"exit status 1\" ms=15\n");
        send_data(fd, "phase=undo n=1 of=2 kind=swap application=echo what=\"swap workers back\" result=ok ms=1\n");
        send_end(fd, CTL_ST_FAILED, "step 2 of 2 (kv: restart workers) failed: exit status 1; 1 step undone, "
                                    "myapp stays on 1.0.0");
    } else {
        send_end(fd, CTL_ST_NOT_FOUND, "no release myapp with that version");
    }
}

static void answer(int fd, const char *req) {
    if (strcmp(req, "release-list") == 0) {
        send_data(fd, "release=myapp version=1.0.0 status=permanent dir=/r/myapp/1.0.0 running=yes\n"
                      "release=myapp version=1.1.0 status=unpacked dir=/r/myapp/1.1.0\n");
        send_end(fd, CTL_ST_OK, "");
    } else if (strncmp(req, "release-unpack|", 15) == 0 && strstr(req, "bad.tar.gz")) {
        send_data(fd, "phase=verify\n");
        send_end(fd, CTL_ST_REFUSED, "bad.tar.gz does not verify:\necho.so: sha256 differs\nkv.so: missing");
    } else if (strncmp(req, "release-unpack|", 15) == 0) {
        send_data(fd, "phase=verify\n");
        send_end(fd, CTL_ST_OK, "unpacked myapp 1.1.0 into /r/myapp/1.1.0");
    } else if (strcmp(req, "release-make-permanent|1.1.0") == 0) {
        send_end(fd, CTL_ST_OK, "myapp 1.1.0 is permanent");
    } else if (strcmp(req, "release-remove|1.0.0") == 0) {
        send_end(fd, CTL_ST_REFUSED, "myapp 1.0.0 is the release running now");
    } else if (strncmp(req, "release-install|", 16) == 0) {
        answer_install(fd, req);
    } else if (strcmp(req, "upgrade|echo|/srv/echo-2.so") == 0) {
        send_data(fd, "phase=sent from=1 module=/srv/echo-2.so\n");
        send_end(fd, CTL_ST_OK, "upgraded echo from 1 to 2 (paused 80 us, state 12 bytes)");
    } else {
        send_end(fd, CTL_ST_BAD_REQUEST, "unknown command");
    }
}

/* One connection: its request, joined with '|', logged and answered. */
static void serve_one(int fd) {
    struct ctl_decoder d;
    struct ctl_frame f;
    const char *argv[CTL_MAX_ARGS];
    char req[8192] = "";
    ctl_decoder_init(&d, CTL_MAX_REQUEST);
    if (ctl_recv(fd, &d, &f) == 1 && f.type == CTL_REQUEST) {
        int n = ctl_argv_decode(f.payload, f.length, argv, CTL_MAX_ARGS);
        for (int i = 0; i < n; i++)
            snprintf(req + strlen(req), sizeof req - strlen(req), "%s%s", i ? "|" : "", argv[i]);
        FILE *log = fopen(requests, "a");
        fprintf(log, "%s\n", req);
        fclose(log);
        answer(fd, req);
    }
    ctl_decoder_free(&d);
}

static void serve(int lfd) {
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0 && errno == EINTR)
            continue;
        if (fd < 0)
            _exit(1);
        serve_one(fd);
        close(fd);
    }
}

static int start_fake(void **state) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    snprintf(ninesctl, sizeof ninesctl, "%s/../ninesctl", dirname(exe));
    if (access(ninesctl, X_OK) != 0)
        fail_msg("%s: not built (make builds it)", ninesctl);
    assert_non_null(mkdtemp(dir));
    snprintf(sock, sizeof sock, "%s/control.sock", dir);
    snprintf(requests, sizeof requests, "%s/requests", dir);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, sock, sizeof sock);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 8), 0);
    fake_pid = fork();
    assert_true(fake_pid >= 0);
    if (fake_pid == 0)
        serve(lfd);
    close(lfd);
    return 0;
}

static int stop_fake(void **state) {
    kill(fake_pid, SIGKILL);
    waitpid(fake_pid, NULL, 0);
    char path[PATH_MAX + 32];
    const char *files[] = {"control.sock", "requests", "out", "err", "myapp-1.1.0.tar.gz", "bad.tar.gz"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

/* --- running ninesctl ---------------------------------------------------------- */

struct result {
    int code;
    char out[16384], err[16384];
    char request[8192]; /* the request the fake daemon got, or "" */
};

static struct result res;

static void slurp(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* The request of this run (one connection, one request), then the log
 * is emptied for the next run. */
static void last_request(void) {
    slurp(requests, res.request, sizeof res.request);
    size_t len = strlen(res.request);
    if (len > 0 && res.request[len - 1] == '\n')
        res.request[len - 1] = '\0';
    unlink(requests);
}

/* A pty for stdout, raw (no "\r\n"), so the child's isatty() is true. */
static int open_pty(char *slave, size_t size) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    snprintf(slave, size, "%s", ptsname(m));
    return m;
}

static void child(const char *const *args, const char *slave) {
    char out[PATH_MAX + 8], err[PATH_MAX + 8];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(err, sizeof err, "%s/err", dir);
    int o = slave ? open(slave, O_RDWR) : open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (slave) {
        struct termios t;
        tcgetattr(o, &t);
        cfmakeraw(&t);
        tcsetattr(o, TCSANOW, &t);
    }
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    unsetenv("NO_COLOR");
    /* Relative paths are relative to the test's folder. */
    if (chdir(dir) != 0)
        _exit(126);
    const char *argv[32] = {"ninesctl", "--socket", sock};
    int n = 3;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    execv(ninesctl, (char *const *)argv);
    _exit(127);
}

static void read_pty(int m, char *buf, size_t size) {
    size_t len = 0;
    ssize_t n;
    while (len < size - 1 && (n = read(m, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
}

/* Run ninesctl --socket SOCK args...; stdout on a terminal if tty. */
static void run_args(bool tty, const char *const *args) {
    memset(&res, 0, sizeof res);
    char slave[128], path[PATH_MAX + 8];
    int m = tty ? open_pty(slave, sizeof slave) : -1;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        child(args, tty ? slave : NULL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    res.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    snprintf(path, sizeof path, "%s/out", dir);
    if (tty)
        read_pty(m, res.out, sizeof res.out); /* what is left after the child's exit, then EIO */
    else
        slurp(path, res.out, sizeof res.out);
    snprintf(path, sizeof path, "%s/err", dir);
    slurp(path, res.err, sizeof res.err);
    if (m >= 0)
        close(m);
    last_request();
}

#define RUN(...) run_args(false, (const char *[]){__VA_ARGS__, NULL})
#define RUN_TTY(...) run_args(true, (const char *[]){__VA_ARGS__, NULL})

static void touch(const char *name) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fclose(f);
}

/* --- the tests ------------------------------------------------------------------- */

/* The last run's exit code, the request it sent and its stdout. */
static void expect(int code, const char *request, const char *out) {
    assert_int_equal(res.code, code);
    assert_string_equal(res.request, request);
    assert_string_equal(res.out, out);
}

static void list(void **state) {
    RUN("release", "list");
    expect(0, "release-list",
           "  NAME   VERSION  STATUS\n"
           "* myapp  1.0.0    permanent\n"
           "  myapp  1.1.0    unpacked\n"
           "2 releases, * the one the tree runs\n");
    assert_string_equal(res.err, "");
    RUN("--json", "release", "list");
    assert_int_equal(res.code, 0);
    assert_string_equal(res.out, "{\"ok\":true,\"status\":\"ok\",\"message\":\"\",\"releases\":["
                                 "{\"release\":\"myapp\",\"version\":\"1.0.0\",\"status\":\"permanent\","
                                 "\"dir\":\"/r/myapp/1.0.0\",\"running\":true},"
                                 "{\"release\":\"myapp\",\"version\":\"1.1.0\",\"status\":\"unpacked\","
                                 "\"dir\":\"/r/myapp/1.1.0\",\"running\":false}]}\n");
    /* On a terminal: colour. */
    RUN_TTY("release", "list");
    assert_non_null(strstr(res.out, "* myapp  1.0.0    \033[32mpermanent\033[0m\n"));
    RUN_TTY("release", "list", "--no-color");
    assert_null(strchr(res.out, '\033'));
}

/* The path goes absolute; progress shows on a terminal only. */
static void unpack(void **state) {
    touch("myapp-1.1.0.tar.gz");
    RUN("release", "unpack", "myapp-1.1.0.tar.gz");
    assert_int_equal(res.code, 0);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "release-unpack|%s/myapp-1.1.0.tar.gz", dir);
    assert_string_equal(res.request, want);
    assert_string_equal(res.out, "unpacked myapp 1.1.0 into /r/myapp/1.1.0\n");
    RUN_TTY("release", "unpack", "myapp-1.1.0.tar.gz");
    assert_int_equal(res.code, 0);
    assert_string_equal(res.out, "  verify\nunpacked myapp 1.1.0 into /r/myapp/1.1.0\n");
    /* Said here, before anything is sent. */
    RUN("release", "unpack", "nope.tar.gz");
    assert_int_equal(res.code, 2);
    assert_string_equal(res.request, "");
    assert_string_equal(res.err, "ninesctl: release unpack nope.tar.gz: usage: no such file or directory\n");
    RUN("release", "unpack", "nope.tar.gz", "--json");
    assert_string_equal(res.out, "{\"ok\":false,\"status\":\"usage\",\"message\":\"no such file or directory\"}\n");
}

static void unpack_refused(void **state) {
    touch("bad.tar.gz");
    RUN("release", "unpack", "bad.tar.gz");
    assert_int_equal(res.code, 1);
    assert_string_equal(res.out, "");
    /* The error line names the path as typed. */
    assert_string_equal(res.err, "ninesctl: release unpack bad.tar.gz: refused: bad.tar.gz does not verify:\n"
                                 "  echo.so: sha256 differs\n"
                                 "  kv.so: missing\n");
}

static void permanent_and_remove(void **state) {
    RUN("release", "make-permanent", "1.1.0");
    expect(0, "release-make-permanent|1.1.0", "myapp 1.1.0 is permanent\n");
    RUN("release", "remove", "1.0.0");
    expect(1, "release-remove|1.0.0", "");
    assert_string_equal(res.err, "ninesctl: release remove 1.0.0: refused: myapp 1.0.0 is the release running now\n");
}

static void dry_run(void **state) {
    RUN("upgrade", "1.1.0", "--dry-run");
    expect(0, "release-install|1.1.0|up|dry-run", plan_text);
    RUN("upgrade", "--dry-run", "1.1.0", "--json");
    expect(0, "release-install|1.1.0|up|dry-run|json",
           "{\"ok\":true,\"status\":\"ok\",\"message\":\"\",\"plan\":{\"direction\":\"up\","
           "\"release\":\"myapp\",\"from\":\"1.0.0\",\"to\":\"1.1.0\",\"steps\":[],"
           "\"notes\":[]}}\n");
}

static void upgrade_and_downgrade(void **state) {
    RUN("upgrade", "1.1.0");
    expect(0, "release-install|1.1.0|up",
           "  1/2 echo: swap workers ... ok (2 ms)\n"
           "  2/2 kv: restart workers ... ok (9 ms)\n"
           "upgraded myapp 1.0.0 -> 1.1.0: 2 steps in 12 ms\n");
    RUN("downgrade", "1.0.0", "--json");
    expect(0, "release-install|1.0.0|down",
           "{\"ok\":true,\"status\":\"ok\",\"message\":\"downgraded myapp 1.1.0 -> 1.0.0: 2 "
           "steps in 12 ms\",\"release\":\"myapp\",\"from\":\"1.1.0\",\"to\":\"1.0.0\","
           "\"direction\":\"down\",\"result\":\"ok\",\"steps\":["
           "{\"n\":1,\"of\":2,\"kind\":\"swap\",\"application\":\"echo\",\"what\":\"swap "
           "workers\",\"result\":\"ok\",\"ms\":2},"
           "{\"n\":2,\"of\":2,\"kind\":\"restart\",\"application\":\"kv\",\"what\":\"restart "
           "workers\",\"result\":\"ok\",\"ms\":9}],\"undone\":[]}\n");
}

static void upgrade_fails(void **state) {
    RUN_TTY("upgrade", "1.2.0");
    assert_int_equal(res.code, 1);
    assert_string_equal(res.out, "  1/2 echo: swap workers ... \033[32mok\033[0m (2 ms)\n"
                                 "  2/2 kv: restart workers ... \033[31mfailed\033[0m (15 ms): exit status 1\n"
                                 "  undo 1/2 echo: swap workers back ... \033[32mok\033[0m (1 ms)\n");
    assert_string_equal(res.err, "ninesctl: upgrade 1.2.0: failed: step 2 of 2 (kv: restart workers) failed: exit "
                                 "status 1; 1 step undone, myapp stays on 1.0.0\n");
    RUN("upgrade", "1.2.0", "--json");
    assert_int_equal(res.code, 1);
    assert_non_null(strstr(res.out, "{\"ok\":false,\"status\":\"failed\","));
    assert_non_null(strstr(res.out, ",\"release\":\"myapp\",\"from\":\"1.0.0\",\"to\":\"1.2.0\",\"direction\":\"up\","
                                    "\"result\":\"failed\",\"steps\":[{"));
    assert_non_null(strstr(res.out, "],\"undone\":[{\"n\":1,\"of\":2,\"kind\":\"swap\",\"application\":\"echo\","
                                    "\"what\":\"swap workers back\",\"result\":\"ok\",\"ms\":1}]}\n"));
    RUN("upgrade", "9.9.9");
    assert_int_equal(res.code, 1);
    assert_string_equal(res.err, "ninesctl: upgrade 9.9.9: not found: no release myapp with that version\n");
}

/* The child's upgrade is still there, with --module. */
static void child_upgrade(void **state) {
    RUN_TTY("upgrade", "echo", "--module", "/srv/echo-2.so");
    expect(0, "upgrade|echo|/srv/echo-2.so",
           "upgrading echo (running 1) to /srv/echo-2.so ...\n"
           "upgraded echo from 1 to 2 (paused 80 us, state 12 bytes)\n");
}

/* Usage errors and help: exit 2 or 0, nothing sent. */
static void usage_and_help(void **state) {
    static const struct {
        const char *args[5]; /* NULL-terminated */
        int code;
        const char *err;
    } cases[] = {
        {{"upgrade"}, 2, "ninesctl: upgrade: usage: missing VERSION (a release upgrade) or CHILD --module PATH "
                         "(a child upgrade) (see ninesctl upgrade --help)\n"},
        {{"release"}, 2, "ninesctl: release: usage: missing release command (list, unpack, make-permanent, remove) "
                         "(see ninesctl release --help)\n"},
        {{"release", "frob"}, 2, "ninesctl: release: usage: unknown release command 'frob' (list, unpack, "
                                 "make-permanent, remove) (see ninesctl release --help)\n"},
        {{"downgrade", "1.0.0", "--extra", "x"}, 2, "ninesctl: downgrade: usage: downgrade does not take --module "
                                                    "or --extra (see ninesctl downgrade --help)\n"},
        {{"upgrade", "web/echo"}, 2, "ninesctl: upgrade: usage: 'web/echo' is not a release version (1 to 64 "
                                     "printable characters, no space or '/'); a child upgrade needs --module PATH "
                                     "(see ninesctl upgrade --help)\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_args(false, cases[i].args);
        assert_int_equal(res.code, cases[i].code);
        assert_string_equal(res.err, cases[i].err);
        assert_string_equal(res.request, "");
    }
    RUN("upgrade", "--help");
    assert_int_equal(res.code, 0);
    assert_non_null(strstr(res.out, "upgrade CHILD --module PATH [--extra STRING]\n"));
    assert_non_null(strstr(res.out, "upgrade VERSION [--dry-run]\n"));
    RUN("release", "--help");
    assert_int_equal(res.code, 0);
    const char *subs[] = {"release list\n", "release unpack PATH\n", "release make-permanent VERSION\n",
                          "release remove VERSION\n"};
    for (size_t i = 0; i < 4; i++)
        assert_non_null(strstr(res.out, subs[i]));
    RUN("--help");
    assert_non_null(strstr(res.out, "  downgrade VERSION [--dry-run]  "));
    assert_string_equal(res.request, "");
}

static void unreachable(void **state) {
    const char *args[] = {"--socket", "/nonexistent/control.sock", "release", "list", NULL};
    run_args(false, args); /* the last --socket wins */
    assert_int_equal(res.code, 5);
    assert_non_null(strstr(res.err, "ninesctl: release list: unreachable: "));
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list),
        cmocka_unit_test(unpack),
        cmocka_unit_test(unpack_refused),
        cmocka_unit_test(permanent_and_remove),
        cmocka_unit_test(dry_run),
        cmocka_unit_test(upgrade_and_downgrade),
        cmocka_unit_test(upgrade_fails),
        cmocka_unit_test(child_upgrade),
        cmocka_unit_test(usage_and_help),
        cmocka_unit_test(unreachable),
    };
    return cmocka_run_group_tests(tests, start_fake, stop_fake);
}
