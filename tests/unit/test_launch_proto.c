/*
 * Unit tests for lib/launch_proto.c: ninesd's requests to its launcher
 * and the environment a launched child gets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "launch_proto.h"

static uint8_t buf[LAUNCH_MAX_REQUEST];
static const char *slots[LAUNCH_MAX_STRINGS + 2];

static void an_exec_request_round_trips(void **unused) {
    const char *argv[] = {"server", "--port", "80"};
    const char *env[] = {"NOTIFY_SOCKET=@x", "MODE=prod"};
    struct launch_request r = {.flags = LAUNCH_EXEC | LAUNCH_USER, .uid = 65534, .gid = 65533, .user = "nobody",
                               .cwd = "/srv", .program = "server", .argv = argv, .argc = 3, .env = env, .n_env = 2};
    int len = launch_request_encode(&r, buf, sizeof buf);
    assert_true(len > 0);
    struct launch_request d;
    assert_int_equal(launch_request_decode(buf, (size_t)len, slots, sizeof slots / sizeof *slots, &d), 0);
    assert_int_equal(d.flags, LAUNCH_EXEC | LAUNCH_USER);
    assert_int_equal(d.uid, 65534);
    assert_int_equal(d.gid, 65533);
    assert_string_equal(d.user, "nobody");
    assert_string_equal(d.cwd, "/srv");
    assert_string_equal(d.program, "server");
    assert_int_equal(d.argc, 3);
    assert_string_equal(d.argv[2], "80");
    assert_null(d.argv[3]);
    assert_int_equal(d.n_env, 2);
    assert_string_equal(d.env[1], "MODE=prod");
    assert_null(d.env[2]);
}

static void a_worker_request_has_no_user_nor_folder(void **unused) {
    const char *argv[] = {"/usr/libexec/nines/nines-worker", "--spare", "   "};
    struct launch_request r = {.flags = LAUNCH_CHANNEL, .program = argv[0], .argv = argv, .argc = 3};
    int len = launch_request_encode(&r, buf, sizeof buf);
    struct launch_request d;
    assert_int_equal(launch_request_decode(buf, (size_t)len, slots, sizeof slots / sizeof *slots, &d), 0);
    assert_null(d.user);
    assert_null(d.cwd);
    assert_int_equal(d.n_env, 0);
    assert_string_equal(d.argv[1], "--spare");
}

/* Every cut of a valid request, and a few corruptions, are refused. */
static void broken_requests_are_refused(void **unused) {
    const char *argv[] = {"prog", "a"};
    const char *env[] = {"A=1"};
    struct launch_request r = {.flags = LAUNCH_EXEC, .program = "prog", .argv = argv, .argc = 2, .env = env,
                               .n_env = 1};
    int len = launch_request_encode(&r, buf, sizeof buf);
    struct launch_request d;
    for (int cut = 0; cut < len; cut++)
        assert_int_equal(launch_request_decode(buf, (size_t)cut, slots, 64, &d), -EBADMSG);
    buf[len] = 'x'; /* a trailing byte */
    assert_int_equal(launch_request_decode(buf, (size_t)len + 1, slots, 64, &d), -EBADMSG);
    assert_int_equal(launch_request_decode(buf, (size_t)len, slots, 3, &d), -EBADMSG); /* too few slots */
    buf[0] ^= 1; /* the magic */
    assert_int_equal(launch_request_decode(buf, (size_t)len, slots, 64, &d), -EBADMSG);
    buf[0] ^= 1;
    assert_int_equal(launch_request_decode(buf, (size_t)len, slots, 64, &d), 0);
    /* LAUNCH_USER without a name */
    r.flags |= LAUNCH_USER;
    len = launch_request_encode(&r, buf, sizeof buf);
    assert_int_equal(launch_request_decode(buf, (size_t)len, slots, 64, &d), -EBADMSG);
}

static void what_does_not_fit_is_too_big(void **unused) {
    const char *argv[] = {"prog"};
    const char *bad_env[] = {"NOEQUALS"};
    struct launch_request r = {.program = "prog", .argv = argv, .argc = 1};
    assert_int_equal(launch_request_encode(&r, buf, 30), -E2BIG);
    assert_true(launch_request_encode(&r, buf, 64) > 0);
    r.env = bad_env, r.n_env = 1;
    assert_int_equal(launch_request_encode(&r, buf, sizeof buf), -EINVAL);
    r.argc = 0;
    assert_int_equal(launch_request_encode(&r, buf, sizeof buf), -EINVAL);
}

static void answers_are_checked(void **unused) {
    struct launch_answer a = {LAUNCH_CHILD_PID, 42, 0}, out;
    assert_true(launch_answer_decode(&a, sizeof a, &out));
    assert_int_equal(out.pid, 42);
    assert_false(launch_answer_decode(&a, sizeof a - 1, &out));
    a.kind = LAUNCH_READY_PID;
    assert_true(launch_answer_decode(&a, sizeof a, &out));
    assert_int_equal(out.kind, LAUNCH_READY_PID);
    a.kind = 7;
    assert_false(launch_answer_decode(&a, sizeof a, &out));
}

/* Dropped names go, later entries replace earlier ones in place. */
static void the_environment_is_merged(void **unused) {
    const char *base[] = {"PATH=/bin", "NINES_PARENT_PID=1", "HOME=/root", "LANG=C", NULL};
    const char *drop[] = {"NINES_PARENT_PID=", NULL};
    const char *over[] = {"HOME=/home/u", "NEW=1", "HOME=/srv", "PATH=/opt/bin"};
    const char *out[16];
    assert_int_equal(launch_env_merge(base, drop, over, 4, out, 16), 4);
    assert_string_equal(out[0], "PATH=/opt/bin");
    assert_string_equal(out[1], "HOME=/srv");
    assert_string_equal(out[2], "LANG=C");
    assert_string_equal(out[3], "NEW=1");
    assert_null(out[4]);
    /* Without drops, base stays whole. */
    assert_int_equal(launch_env_merge(base, NULL, NULL, 0, out, 16), 4);
    assert_string_equal(out[1], "NINES_PARENT_PID=1");
    /* A prefix is not the same name. */
    const char *over2[] = {"PAT=x"};
    assert_int_equal(launch_env_merge(base, NULL, over2, 1, out, 16), 5);
    /* Room for the entries and the NULL, or -E2BIG. */
    assert_int_equal(launch_env_merge(base, NULL, over, 4, out, 5), -E2BIG);
    assert_int_equal(launch_env_merge(base, drop, over, 4, out, 5), 4);
}

/* Only a worker host of the launcher's own program, with its channel,
 * may be asked for as a fork. */
static void only_worker_hosts_are_forkable(void **unused) {
    const char *spare[] = {"/usr/libexec/nines/nines-worker", "--spare", "    "};
    const char *module[] = {"/usr/libexec/nines/nines-worker", "--module", "/m.so", "--child", "a"};
    const char *restore[] = {"/usr/libexec/nines/nines-worker", "--restore", "--module", "/m.so"};
    const char *check[] = {"/usr/libexec/nines/nines-worker", "--check", "/m.so"};
    const char *exec[] = {"/usr/libexec/nines/nines-worker", "--exec", "--", "/bin/sleep"};
    const char *alone[] = {"/usr/libexec/nines/nines-worker"};
    const char *w = spare[0];
    struct launch_request r = {.flags = LAUNCH_CHANNEL, .program = w, .argv = spare, .argc = 3};
    assert_true(launch_request_forkable(&r, w));
    r.argv = module, r.argc = 5;
    assert_true(launch_request_forkable(&r, w));
    r.argv = restore, r.argc = 4;
    assert_true(launch_request_forkable(&r, w));
    r.argv = check, r.argc = 3;
    assert_false(launch_request_forkable(&r, w));
    r.argv = exec, r.argc = 4;
    assert_false(launch_request_forkable(&r, w));
    r.argv = alone, r.argc = 1;
    assert_false(launch_request_forkable(&r, w));
    /* Another program, no channel, an exec child, no worker path. */
    r.argv = module, r.argc = 5;
    assert_false(launch_request_forkable(&r, "/opt/other/nines-worker"));
    assert_false(launch_request_forkable(&r, NULL));
    r.flags = 0;
    assert_false(launch_request_forkable(&r, w));
    r.flags = LAUNCH_CHANNEL | LAUNCH_EXEC;
    assert_false(launch_request_forkable(&r, w));
}

/* The launcher forks only what it was asked to, from the same file, when
 * it can; a replaced file is exec'd and renews the launcher. */
static void the_launcher_forks_only_its_own_image(void **unused) {
    const uint32_t asked = LAUNCH_FORK | LAUNCH_CHANNEL;
    assert_int_equal(launch_how(asked, 1, true), LAUNCH_HOW_FORK);
    assert_int_equal(launch_how(asked | LAUNCH_CGROUP, 1, true), LAUNCH_HOW_FORK);
    assert_int_equal(launch_how(asked, 1, false), LAUNCH_HOW_EXEC);
    assert_int_equal(launch_how(asked, 0, true), LAUNCH_HOW_EXEC_STALE);
    assert_int_equal(launch_how(asked, 0, false), LAUNCH_HOW_EXEC_STALE);
    assert_int_equal(launch_how(asked, -1, true), LAUNCH_HOW_EXEC);
    /* Not asked for (ninesd --exec-hosts), or not a worker host. */
    for (int image = -1; image <= 1; image++) {
        assert_int_equal(launch_how(LAUNCH_CHANNEL, image, true), LAUNCH_HOW_EXEC);
        assert_int_equal(launch_how(LAUNCH_FORK, image, true), LAUNCH_HOW_EXEC);
        assert_int_equal(launch_how(asked | LAUNCH_EXEC, image, true), LAUNCH_HOW_EXEC);
        assert_int_equal(launch_how(LAUNCH_EXEC | LAUNCH_USER, image, true), LAUNCH_HOW_EXEC);
    }
}

/* A stale image is renewed at once; a current one after its share of
 * forks (LAUNCH_FORKS_PER_IMAGE), never after an exec. */
static void the_launcher_renews_a_stale_or_well_used_image(void **unused) {
    assert_true(launch_should_renew(LAUNCH_HOW_EXEC_STALE, 0));
    assert_true(launch_should_renew(LAUNCH_HOW_EXEC_STALE, 1000));
    assert_false(launch_should_renew(LAUNCH_HOW_FORK, 0));
    assert_false(launch_should_renew(LAUNCH_HOW_FORK, LAUNCH_FORKS_PER_IMAGE - 1));
    assert_true(launch_should_renew(LAUNCH_HOW_FORK, LAUNCH_FORKS_PER_IMAGE));
    assert_false(launch_should_renew(LAUNCH_HOW_EXEC, LAUNCH_FORKS_PER_IMAGE));
    assert_false(launch_should_renew(LAUNCH_HOW_EXEC, 100000));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_exec_request_round_trips),
        cmocka_unit_test(a_worker_request_has_no_user_nor_folder),
        cmocka_unit_test(broken_requests_are_refused),
        cmocka_unit_test(what_does_not_fit_is_too_big),
        cmocka_unit_test(answers_are_checked),
        cmocka_unit_test(the_environment_is_merged),
        cmocka_unit_test(only_worker_hosts_are_forkable),
        cmocka_unit_test(the_launcher_forks_only_its_own_image),
        cmocka_unit_test(the_launcher_renews_a_stale_or_well_used_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
