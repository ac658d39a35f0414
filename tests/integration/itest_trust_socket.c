/*
 * Integration: nobody else can stand in for ninesd on its control socket
 * (issue 16, item 3). Another user (nobody, uid 65534) pre-creates the
 * socket's folder, or the folder is one anyone may write (where the
 * socket could be swapped): ninesd refuses to start, naming the folder,
 * its owner and its mode. The default /tmp fallback of a non-root ninesd
 * is refused the same way when someone else made the folder first. And a
 * fake server run by another user gets nothing from ninesctl: it refuses
 * before sending a byte, whatever forged reply waits for it. Needs root
 * (skipped otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "harness.h"

#define WAIT_MS 5000
#define NOBODY 65534
#define STRANGER 65533 /* a third user: neither root, nor nobody */

static int setup_root(void **state) {
    if (geteuid() != 0) {
        print_message("not root: the squat tests need to switch users\n");
        skip();
    }
    return harness_setup(state);
}

static const char *TREE = "supervisor:\n  children:\n    - id: c\n      module: @BUILD@/examples/counter.so\n";

static void become(uid_t uid) {
    gid_t g = uid;
    if (setgroups(1, &g) < 0 || setgid(g) < 0 || setuid(uid) < 0)
        _exit(200);
}

/* ninesd as `uid` (0: as we are), its stderr read by the harness. With
 * `socket` NULL it chooses its default path, with no runtime folder in
 * its environment. */
static void start_as(struct ninesd *n, uid_t uid, const char *tree, const char *socket) {
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    n->pid = fork();
    assert_true(n->pid >= 0);
    if (n->pid == 0) {
        dup2(p[1], 2);
        if (uid)
            become(uid);
        unsetenv("XDG_RUNTIME_DIR");
        unsetenv("RUNTIME_DIRECTORY");
        char *argv[] = {BUILD_PATH("ninesd"), "--log-target", "stderr", "--socket", (char *)socket, (char *)tree,
                        NULL};
        if (!socket)
            argv[3] = (char *)tree, argv[4] = NULL;
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    n->log_fd = p[0];
    fcntl(n->log_fd, F_SETFL, O_NONBLOCK);
    n->exited = false;
}

/* Done with one ninesd of a test; the test's folder stays. */
static void forget(struct ninesd *n) {
    ninesd_stop(n);
    if (n->log_fd >= 0)
        close(n->log_fd);
    free(n->log);
    n->log = NULL, n->len = n->cap = n->cursor = 0;
    n->log_fd = -1, n->pid = 0;
}

/* ninesd must exit non-zero at once, with one line holding every fragment. */
static void refused_at_start(struct ninesd *n, const char *socket, ...) {
    assert_true(ninesd_wait_exit(n, WAIT_MS));
    assert_true(WIFEXITED(n->status) && WEXITSTATUS(n->status) != 0);
    ninesd_pump(n, 50);
    va_list ap;
    va_start(ap, socket);
    for (const char *s; (s = va_arg(ap, const char *));)
        if (!strstr(n->log ? n->log : "", s))
            fail_msg("no '%s' in ninesd's output:\n%s", s, n->log ? n->log : "");
    va_end(ap);
    assert_int_equal(ninesd_count(n, "event=child_started", NULL), 0);
    struct stat st;
    assert_int_equal(lstat(socket, &st), -1); /* nothing was bound there */
}

static void a_folder_another_user_made_is_refused(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n, TREE);
    char dir[280], want[1024];
    snprintf(dir, sizeof dir, "%s/run", n->dir);
    snprintf(n->socket, sizeof n->socket, "%s/control.sock", dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chown(dir, NOBODY, NOBODY), 0);
    start_as(n, 0, tree, n->socket);
    snprintf(want, sizeof want, "control socket folder %s is owned by uid 65534 (mode 0700)", dir);
    refused_at_start(n, n->socket, want, "ninesd does not serve", NULL);
}

static void a_folder_others_may_write_is_refused(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n, TREE);
    char dir[280], want[1024];
    snprintf(dir, sizeof dir, "%s/run", n->dir);
    snprintf(n->socket, sizeof n->socket, "%s/control.sock", dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0777), 0); /* root's, but anyone could swap the socket */
    start_as(n, 0, tree, n->socket);
    snprintf(want, sizeof want, "control socket folder %s is writable by group and others (mode 0777)", dir);
    refused_at_start(n, n->socket, want, NULL);
    /* The same folder above the socket's own is refused as well. */
    forget(n);
    snprintf(n->socket, sizeof n->socket, "%s/sub/control.sock", dir);
    start_as(n, 0, tree, n->socket);
    snprintf(want, sizeof want, "folder %s above control socket folder %s/sub is writable by group and others", dir,
             dir);
    refused_at_start(n, n->socket, want, NULL);
}

/* The squatted folder goes whatever the test's outcome, if it made it. */
static bool made_tmp;
static int teardown_tmp(void **state) {
    if (made_tmp && system("rm -rf /tmp/nines-65534") != 0)
        fprintf(stderr, "could not remove /tmp/nines-65534\n");
    made_tmp = false;
    return harness_teardown(state);
}

/* A non-root ninesd without a runtime folder falls back to /tmp/nines-UID:
 * squatted, it is refused; left alone, ninesd makes it and serves there. */
static void the_tmp_fallback_is_checked(void **state) {
    struct ninesd *n = *state;
    const char *tree = harness_write_tree(n, TREE);
    assert_int_equal(chmod(n->dir, 0755), 0);
    const char *dir = "/tmp/nines-65534";
    struct stat st;
    if (lstat(dir, &st) == 0) {
        print_message("%s exists already: cannot play the squatter\n", dir);
        skip();
    }
    assert_int_equal(mkdir(dir, 0755), 0);
    made_tmp = true;
    assert_int_equal(chown(dir, STRANGER, STRANGER), 0);
    start_as(n, NOBODY, tree, NULL);
    refused_at_start(n, "/tmp/nines-65534/control.sock",
                     "control socket folder /tmp/nines-65534 is owned by uid 65533 (mode 0755)", NULL);
    assert_int_equal(rmdir(dir), 0);
    /* Nobody squats: the folder is ninesd's own and it serves there. */
    forget(n);
    start_as(n, NOBODY, tree, NULL);
    bool up = ninesd_wait(n, WAIT_MS, "event=tree_started", NULL) != NULL;
    int st_ok = lstat(dir, &st);
    ninesd_stop(n);
    assert_true(up);
    assert_int_equal(st_ok, 0);
    assert_int_equal(st.st_uid, NOBODY);
    assert_int_equal(st.st_mode & 0777, 0750);
}

/* --- ninesctl and a fake server ------------------------------------------- */

/* A server run as `uid` on `path`: it sends a forged "done" answer as soon
 * as someone connects, then counts what it receives until the client
 * hangs up, and writes that count to `report`. */
static pid_t fake_server(uid_t uid, const char *path, int ready, int report) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid)
        return pid;
    become(uid);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, 0666) < 0 || listen(l, 1) < 0)
        _exit(201);
    if (write(ready, "r", 1) != 1)
        _exit(202);
    int c = accept(l, NULL, NULL);
    struct ctl_header h;
    ctl_header_make(&h, CTL_END, CTL_ST_OK, 4);
    if (write(c, &h, sizeof h) < 0 || write(c, "done", 4) < 0)
        _exit(203);
    long total = 0;
    char buf[4096];
    struct pollfd p = {.fd = c, .events = POLLIN};
    for (ssize_t r = 1; r > 0 && poll(&p, 1, 3000) > 0;)
        if ((r = read(c, buf, sizeof buf)) > 0)
            total += r;
    dprintf(report, "%ld", total);
    _exit(0);
}

/* ninesctl (as root) asking the fake server to store a secret: its exit
 * code, its stderr in `err`, what the server received in *got. */
static int ask_fake(uid_t server_uid, const char *dir, char *err, size_t size, long *got) {
    char path[300];
    snprintf(path, sizeof path, "%s/control.sock", dir);
    unlink(path);
    int ready[2], report[2], e[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(report), 0);
    assert_int_equal(pipe(e), 0);
    pid_t server = fake_server(server_uid, path, ready[1], report[1]);
    close(ready[1]), close(report[1]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    pid_t ctl = fork();
    if (ctl == 0) {
        dup2(e[1], 2);
        freopen("/dev/null", "w", stdout);
        execl(BUILD_PATH("ninesctl"), "ninesctl", "--socket", path, "call", "c", "put secret-token hunter2",
              (char *)NULL);
        _exit(127);
    }
    close(e[1]);
    size_t len = 0;
    ssize_t r;
    while (len < size - 1 && (r = read(e[0], err + len, size - 1 - len)) > 0)
        len += (size_t)r;
    err[len] = '\0';
    int status;
    waitpid(ctl, &status, 0);
    char count[32] = "";
    ssize_t k = read(report[0], count, sizeof count - 1);
    count[k > 0 ? k : 0] = '\0';
    *got = atol(count);
    waitpid(server, NULL, 0);
    close(ready[0]), close(report[0]), close(e[0]);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void ninesctl_refuses_a_server_of_another_user(void **state) {
    struct ninesd *n = *state;
    harness_write_tree(n, TREE);
    char dir[280], err[1024];
    snprintf(dir, sizeof dir, "%s/fake", n->dir);
    assert_int_equal(chmod(n->dir, 0711), 0);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(chown(dir, NOBODY, NOBODY), 0);
    long got = -1;
    /* The same fake server run by root is believed: the test can tell. */
    assert_int_equal(ask_fake(0, dir, err, sizeof err, &got), 0);
    assert_true(got > 0);
    /* Run by nobody: refused, and nothing was sent to it. */
    int code = ask_fake(NOBODY, dir, err, sizeof err, &got);
    if (code != 5 || !strstr(err, "untrusted") || !strstr(err, "is served by uid 65534"))
        fail_msg("exit %d, stderr: %s", code, err);
    assert_int_equal(got, 0);
    assert_null(strstr(err, "done"));
    assert_int_equal(strchr(err, '\n') - err + 1, (long)strlen(err)); /* one line */
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_folder_another_user_made_is_refused, setup_root, harness_teardown),
        cmocka_unit_test_setup_teardown(a_folder_others_may_write_is_refused, setup_root, harness_teardown),
        cmocka_unit_test_setup_teardown(the_tmp_fallback_is_checked, setup_root, teardown_tmp),
        cmocka_unit_test_setup_teardown(ninesctl_refuses_a_server_of_another_user, setup_root, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
