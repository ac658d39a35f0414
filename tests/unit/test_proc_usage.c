/* Unit tests of the /proc parsers behind status --resources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "proc_usage.h"

/* Fields after the command: state ppid pgrp session tty tpgid flags minflt
 * cminflt majflt cmajflt utime(14) stime(15) ... rss(24). */
#define TAIL "S 1 1 1 0 -1 4194304 99 0 0 0 250 130 0 0 20 0 1 0 5383496 3133440 409 18446744073709551615 0\n"

static void parses_time_and_rss(void **unused) {
    struct proc_usage u = {0};
    assert_true(proc_stat_parse("42 (nines-worker) " TAIL, 100, 4096, &u));
    assert_int_equal(u.cpu_ms, 3800); /* (250 + 130) ticks at 100/s */
    assert_int_equal(u.rss_kib, 409 * 4);
}

/* A command may hold spaces and ')': fields count from the last one. */
static void a_command_with_parentheses_and_spaces(void **unused) {
    struct proc_usage u = {0};
    assert_true(proc_stat_parse("42 (a) b (c d) " TAIL, 100, 4096, &u));
    assert_int_equal(u.cpu_ms, 3800);
    assert_int_equal(u.rss_kib, 1636);
}

static void refuses_what_is_not_a_stat_line(void **unused) {
    struct proc_usage u = {0};
    assert_false(proc_stat_parse("", 100, 4096, &u));
    assert_false(proc_stat_parse("42 (x)", 100, 4096, &u));
    assert_false(proc_stat_parse("42 (x) S 1 1 1 0 -1 4194304 99 0 0 0 250", 100, 4096, &u)); /* cut short */
    assert_false(proc_stat_parse("42 (x) S 1 1 1 0 -1 4194304 99 0 0 0 2x0 130 0 0 20 0 1 0 5 3 409 1 0", 100, 4096, &u));
    assert_false(proc_stat_parse(NULL, 100, 4096, &u));
    assert_false(proc_stat_parse("42 (x) " TAIL, 0, 4096, &u));
}

static void reads_pss_from_smaps_rollup(void **unused) {
    uint64_t pss = 0;
    assert_true(proc_smaps_pss("55d0-7ff0 ---p 00000000 00:00 0 [rollup]\nRss: 1636 kB\nPss:  624 kB\n"
                               "Pss_Dirty: 152 kB\n", &pss));
    assert_int_equal(pss, 624);
    assert_false(proc_smaps_pss("Rss: 1636 kB\nPss_Anon: 10 kB\n", &pss));
    assert_false(proc_smaps_pss("Pss: kB\n", &pss));
}

/* The reader on a real process: this one has used memory and is alive. */
static void reads_a_live_process(void **unused) {
    struct proc_usage u;
    assert_true(proc_usage_read(getpid(), &u));
    assert_true(u.rss_kib > 0);
    assert_true(u.pss_kib > 0);
    assert_false(proc_usage_read(0, &u));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_time_and_rss),
        cmocka_unit_test(a_command_with_parentheses_and_spaces),
        cmocka_unit_test(refuses_what_is_not_a_stat_line),
        cmocka_unit_test(reads_pss_from_smaps_rollup),
        cmocka_unit_test(reads_a_live_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
