/*
 * Unit tests for launch_text_line (worker/launch_text.h): which lines of
 * /proc/self/maps are a file's private mapping, the launcher's to make
 * anonymous, and with what protection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/mman.h>

#include "launch_text.h"

static void a_library_s_code_is_taken_with_its_protection(void **unused) {
    struct launch_text_map m = {0};
    assert_true(launch_text_line("7f360dcb1000-7f360de07000 r-xp 00026000 fe:00 332835                     "
                                 "/usr/lib/x86_64-linux-gnu/libc.so.6",
                                 &m));
    assert_int_equal(m.start, 0x7f360dcb1000);
    assert_int_equal(m.len, 0x7f360de07000 - 0x7f360dcb1000);
    assert_int_equal(m.prot, PROT_READ | PROT_EXEC);
}

static void every_private_segment_of_a_file_is_taken(void **unused) {
    struct launch_text_map m = {0};
    assert_true(launch_text_line("55d7a2295000-55d7a2299000 r--p 0000f000 fe:00 5327245 /work/build/nines-worker", &m));
    assert_int_equal(m.prot, PROT_READ);
    assert_true(launch_text_line("55d7a229a000-55d7a229b000 rw-p 00013000 fe:00 5327245 /work/build/nines-worker", &m));
    assert_int_equal(m.prot, PROT_READ | PROT_WRITE);
    /* A guard between segments: no bytes, still the file's mapping. */
    assert_true(launch_text_line("7f0000001000-7f0000002000 ---p 00001000 fe:00 77 /usr/lib/libx.so", &m));
    assert_int_equal(m.prot, PROT_NONE);
    /* A path with a space, and one the kernel marks deleted. */
    assert_true(launch_text_line("7f0000001000-7f0000002000 r--p 00000000 fe:00 78 /opt/my app/lib.so", &m));
    assert_true(launch_text_line("7f0000001000-7f0000002000 r-xp 00000000 fe:00 79 /usr/lib/old.so (deleted)", &m));
}

static void what_is_no_file_s_private_copy_is_left(void **unused) {
    struct launch_text_map m = {0};
    assert_false(launch_text_line("7f360de80000-7f360de82000 r-xp 00000000 00:00 0                          [vdso]", &m));
    assert_false(launch_text_line("55d7db6d8000-55d7db6f9000 rw-p 00000000 00:00 0                          [heap]", &m));
    assert_false(launch_text_line("7f360de60000-7f360de6d000 rw-p 00000000 00:00 0 ", &m));
    assert_false(launch_text_line("7ffef4b99000-7ffef4bba000 rw-p 00000000 00:00 0                          [stack]", &m));
    /* A shared mapping is the file itself: writes must reach it. */
    assert_false(launch_text_line("7f0000001000-7f0000002000 rw-s 00000000 fe:00 80 /dev/shm/x", &m));
    /* Not a maps line. */
    assert_false(launch_text_line("", &m));
    assert_false(launch_text_line("garbage", &m));
    assert_false(launch_text_line("7f0000002000-7f0000001000 r--p 00000000 fe:00 81 /usr/lib/backwards.so", &m));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_library_s_code_is_taken_with_its_protection),
        cmocka_unit_test(every_private_segment_of_a_file_is_taken),
        cmocka_unit_test(what_is_no_file_s_private_copy_is_left),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
