/*
 * Integration: who may use the control socket. Clients run as the
 * unprivileged user nobody (the test forks, drops to that uid with chosen
 * groups, and reports what it saw): without the control group the socket's
 * permissions refuse it; with it, reading is allowed and acting is refused
 * by the daemon; and the daemon's own check holds even on a socket whose
 * permissions were opened up by mistake. Needs root (skipped otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control_client.h"
#include "harness.h"

#define WAIT_MS 5000
#define NOBODY 65534
#define NOGROUP 65534 /* Debian's "nogroup" */
#define OTHER_GID 1   /* "daemon" */

static struct answer a;

/* What a client running as nobody got: connect's -errno, or the status of
 * `command` as an END status (>= 0). */
static int as_nobody(const char *socket, gid_t gid, const gid_t *groups, size_t n, const char *command,
                     const char *arg) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(n, groups) < 0 || setgid(gid) < 0 || setuid(NOBODY) < 0)
            _exit(200);
        int fd = control_connect(socket);
        if (fd < 0)
            _exit(100 + (-fd == EACCES ? 1 : 2));
        int r = control_ask(fd, &a, command, arg, NULL);
        _exit(r < 0 ? 99 : (int)a.status);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    int code = WEXITSTATUS(status);
    assert_int_not_equal(code, 200);
    return code == 101 ? -EACCES : code > 100 ? -EIO : code;
}

static int setup_root(void **state) {
    if (geteuid() != 0) {
        print_message("not root: the access tests need to switch users\n");
        skip();
    }
    return harness_setup(state);
}

static const char *TREE = "supervisor:\n  children:\n    - id: c\n      module: @BUILD@/examples/counter.so\n";

/* ninesd with its socket in DIR/run/ (created by ninesd), DIR traversable. */
static void start(struct ninesd *n, const char *group) {
    const char *tree = harness_write_tree(n, TREE);
    assert_int_equal(chmod(n->dir, 0711), 0);
    snprintf(n->socket, sizeof n->socket, "%s/run/control.sock", n->dir);
    if (group)
        ninesd_start(n, tree, "--socket", n->socket, "--control-group", group, NULL);
    else
        ninesd_start(n, tree, "--socket", n->socket, NULL);
    assert_non_null(ninesd_wait(n, WAIT_MS, "event=tree_started", NULL));
}

static void the_socket_is_created_restrictive(void **state) {
    struct ninesd *n = *state;
    start(n, "nogroup");
    struct stat st;
    assert_int_equal(stat(n->socket, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0660);
    assert_int_equal(st.st_gid, NOGROUP);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/run", n->dir);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0750);
    assert_int_equal(st.st_gid, NOGROUP);
}

static void others_cannot_even_connect(void **state) {
    struct ninesd *n = *state;
    start(n, "nogroup");
    gid_t none[] = {OTHER_GID};
    assert_int_equal(as_nobody(n->socket, OTHER_GID, none, 1, "status", NULL), -EACCES);
    /* Root is served. */
    assert_int_equal(control_ask_once(n->socket, &a, "restart", "c", NULL), 0);
    assert_int_equal(a.status, CTL_ST_REFUSED); /* allowed to ask; refused because it runs */
}

static void the_control_group_may_read_only(void **state) {
    struct ninesd *n = *state;
    start(n, "nogroup");
    gid_t primary[] = {NOGROUP};
    assert_int_equal(as_nobody(n->socket, NOGROUP, primary, 1, "status", NULL), CTL_ST_OK);
    assert_int_equal(as_nobody(n->socket, NOGROUP, primary, 1, "events", NULL), CTL_ST_OK);
    assert_int_equal(as_nobody(n->socket, NOGROUP, primary, 1, "restart", "c"), CTL_ST_DENIED);
    assert_int_equal(as_nobody(n->socket, NOGROUP, primary, 1, "stop", NULL), CTL_ST_DENIED);
    /* A supplementary group counts as well. */
    gid_t supplementary[] = {OTHER_GID, NOGROUP};
    assert_int_equal(as_nobody(n->socket, OTHER_GID, supplementary, 2, "status", NULL), CTL_ST_OK);
    assert_int_equal(as_nobody(n->socket, OTHER_GID, supplementary, 2, "call", "c"), CTL_ST_DENIED);
    /* None of that disturbed the tree. */
    assert_true(ninesd_count(n, "event=stopping", NULL) == 0);
    assert_int_equal(ninesd_count(n, "event=child_terminated", NULL), 0);
}

/* Permissions opened by mistake: the daemon's own check still refuses. */
static void the_daemon_checks_credentials_itself(void **state) {
    struct ninesd *n = *state;
    start(n, NULL);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/run", n->dir);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(chmod(n->socket, 0666), 0);
    gid_t none[] = {OTHER_GID};
    assert_int_equal(as_nobody(n->socket, OTHER_GID, none, 1, "status", NULL), CTL_ST_DENIED);
    assert_int_equal(as_nobody(n->socket, OTHER_GID, none, 1, "version", NULL), CTL_ST_DENIED);
}

/* ninesctl run as nobody: its exit code and its one line. */
static int ninesctl_as_nobody(const char *socket, gid_t gid, const char *command, char *line, size_t size) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        gid_t groups[] = {gid};
        dup2(p[1], 2);
        freopen("/dev/null", "w", stdout);
        if (setgroups(1, groups) < 0 || setgid(gid) < 0 || setuid(NOBODY) < 0)
            _exit(200);
        execl(BUILD_PATH("ninesctl"), "ninesctl", "--socket", socket, command, (char *)NULL);
        _exit(201);
    }
    close(p[1]);
    size_t len = 0;
    ssize_t n;
    while (len < size - 1 && (n = read(p[0], line + len, size - 1 - len)) > 0)
        len += (size_t)n;
    line[len] = '\0';
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    return WEXITSTATUS(status);
}

static void ninesctl_says_denied_with_exit_4(void **state) {
    struct ninesd *n = *state;
    start(n, "nogroup");
    char line[512];
    assert_int_equal(ninesctl_as_nobody(n->socket, OTHER_GID, "status", line, sizeof line), 4);
    assert_non_null(strstr(line, "ninesctl: "));
    if (!strstr(line, "ermission denied"))
        fail_msg("got: %s", line);
    assert_int_equal(ninesctl_as_nobody(n->socket, NOGROUP, "stop", line, sizeof line), 4);
    assert_non_null(strstr(line, "denied"));
    assert_int_equal(ninesctl_as_nobody(n->socket, NOGROUP, "status", line, sizeof line), 0);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_socket_is_created_restrictive, setup_root, harness_teardown),
        cmocka_unit_test_setup_teardown(others_cannot_even_connect, setup_root, harness_teardown),
        cmocka_unit_test_setup_teardown(the_control_group_may_read_only, setup_root, harness_teardown),
        cmocka_unit_test_setup_teardown(the_daemon_checks_credentials_itself, setup_root, harness_teardown),
        cmocka_unit_test_setup_teardown(ninesctl_says_denied_with_exit_4, setup_root, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
