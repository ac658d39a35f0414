/* Unit tests of the log's hold (nines_log_hold, lib/log.h): records held
 * back are written at the release, all of them, in order; nothing is
 * written while held; holds nest; one that does not fit is written, not
 * dropped. stderr is a pipe the test reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "log_buffer.h"

static int reader = -1, saved_stderr = -1;

static int setup(void **unused) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    fcntl(p[1], F_SETPIPE_SZ, 1 << 20); /* room for every record below */
    saved_stderr = dup(STDERR_FILENO);
    dup2(p[1], STDERR_FILENO);
    close(p[1]);
    reader = p[0];
    nines_log_setup(NINES_LOG_TARGET_STDERR);
    return nines_log_nonblocking();
}

static int teardown(void **unused) {
    nines_log_close();
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    close(reader);
    return 0;
}

/* What the pipe holds now. */
static size_t take(char *buf, size_t size) {
    size_t used = 0;
    ssize_t n;
    while (used < size - 1 && (n = read(reader, buf + used, size - 1 - used)) > 0)
        used += (size_t)n;
    buf[used] = '\0';
    return used;
}

static void held_records_go_out_at_the_release_in_order(void **unused) {
    static char buf[4096];
    nines_log_hold();
    nines_log_event(LOG_INFO, "child_terminated", "first", NULL, 0);
    nines_log_event(LOG_INFO, "output", "second", NULL, 0);
    assert_int_equal(take(buf, sizeof buf), 0); /* nothing yet */
    nines_log_release();
    assert_true(take(buf, sizeof buf) > 0);
    char *first = strstr(buf, "event=child_terminated"), *second = strstr(buf, "event=output");
    assert_non_null(first);
    assert_non_null(second);
    assert_true(first < second);
    assert_int_equal(nines_log_pending_fd(), -1);
    /* Unheld, a record goes out at once. */
    nines_log_event(LOG_INFO, "child_started", "third", NULL, 0);
    assert_non_null(strstr((take(buf, sizeof buf), buf), "event=child_started"));
}

static void holds_nest(void **unused) {
    static char buf[4096];
    nines_log_hold();
    nines_log_hold();
    nines_log_event(LOG_INFO, "one", "x", NULL, 0);
    nines_log_release();
    assert_int_equal(take(buf, sizeof buf), 0); /* the outer hold still holds */
    nines_log_release();
    assert_non_null(strstr((take(buf, sizeof buf), buf), "event=one"));
}

/* More than the buffer takes, held: the sink gets it all, none dropped. */
static void a_hold_never_drops(void **unused) {
    static char big[7000], buf[1 << 20];
    memset(big, 'y', sizeof big - 1);
    int records = (int)(NINES_LOG_BUFFER_SIZE / (sizeof big - 1)) + 10;
    nines_log_hold();
    for (int i = 0; i < records; i++)
        nines_log_event(LOG_INFO, "big", big, NULL, 0);
    nines_log_release();
    size_t got = take(buf, sizeof buf);
    int lines = 0;
    for (size_t i = 0; i < got; i++)
        lines += buf[i] == '\n';
    assert_int_equal(lines, records);
    assert_null(strstr(buf, "log_dropped"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(held_records_go_out_at_the_release_in_order),
        cmocka_unit_test(holds_nest),
        cmocka_unit_test(a_hold_never_drops),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
