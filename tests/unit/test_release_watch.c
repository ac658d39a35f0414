/*
 * Tests of the releases folder's watch (release_watch.h) on a real
 * sd-event loop, a real temporary folder and real inotify.
 *
 * Nothing here sleeps to see whether something happened. To show that
 * something was NOT reported, a test writes a "barrier" tarball and runs
 * the loop until the barrier is reported: the watch thread handles the
 * kernel's events in order, so anything reported for what came before
 * the barrier has been reported by then.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "release_watch.h"
#include "sha256.h"

#define WAIT_SECONDS 20 /* for what must happen; generous for valgrind and sanitizers */

struct fixture {
    char root[64]; /* the temporary folder, removed at the end */
    char dir[128]; /* the folder watched: root, or one inside it */
    sd_event *loop;
    struct release_watch *w;
    char *reported[256];
    size_t n_reported;
    unsigned barriers;
};

static void on_arrived(void *userdata, const char *path) {
    struct fixture *fx = userdata;
    assert_true(fx->n_reported < 256);
    fx->reported[fx->n_reported++] = strdup(path);
}

/* --- the folder --------------------------------------------------------- */

static void path_of(const struct fixture *fx, const char *rel, char *out) {
    snprintf(out, 512, "%s/%s", fx->dir, rel);
}

static void write_file(const struct fixture *fx, const char *rel, const char *content) {
    char path[512];
    path_of(fx, rel, path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    assert_int_equal(close(fd), 0);
}

static void make_dir(const struct fixture *fx, const char *rel) {
    char path[512];
    path_of(fx, rel, path);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void rename_in(const struct fixture *fx, const char *from, const char *to) {
    char a[512], b[512];
    path_of(fx, from, a), path_of(fx, to, b);
    assert_int_equal(rename(a, b), 0);
}

static void remove_tree(const char *path) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

/* A release folder's files, written one by one in the order given
 * ("release.yaml", "tree.yaml", "apps/counter.so"; "apps/" makes the
 * subfolder), with a manifest whose checksums are right. */
#define TREE_TEXT "supervisor: {children: [{id: c, module: apps/counter.so}]}\n"
#define SO_TEXT "not really a shared object, but its checksum is right\n"

static void manifest_text(const char *version, char *out, size_t size) {
    char tree[NINES_SHA256_HEX], so[NINES_SHA256_HEX];
    nines_sha256_buffer(TREE_TEXT, strlen(TREE_TEXT), tree);
    nines_sha256_buffer(SO_TEXT, strlen(SO_TEXT), so);
    snprintf(out, size,
             "release: myapp\nversion: %s\ntree: tree.yaml\n"
             "applications: [{name: counter, version: 1.0.0, module: apps/counter.so}]\n"
             "files:\n  apps/counter.so: %s\n  tree.yaml: %s\n",
             version, so, tree);
}

static void write_part(const struct fixture *fx, const char *folder, const char *part) {
    char rel[256], manifest[1024];
    snprintf(rel, sizeof rel, "%s/%s", folder, part);
    if (strcmp(part, "apps/") == 0)
        make_dir(fx, rel);
    else if (strcmp(part, "release.yaml") == 0)
        manifest_text(strchr(folder, '-') ? strchr(folder, '-') + 1 : "1", manifest, sizeof manifest),
            write_file(fx, rel, manifest);
    else
        write_file(fx, rel, strcmp(part, "tree.yaml") == 0 ? TREE_TEXT : SO_TEXT);
}

static void write_release(const struct fixture *fx, const char *folder) {
    make_dir(fx, folder);
    static const char *const parts[] = {"release.yaml", "tree.yaml", "apps/", "apps/counter.so"};
    for (size_t i = 0; i < 4; i++)
        write_part(fx, folder, parts[i]);
}

/* --- the loop ----------------------------------------------------------- */

static size_t count(const struct fixture *fx, const char *rel) {
    char path[512];
    size_t n = 0;
    path_of(fx, rel, path);
    for (size_t i = 0; i < fx->n_reported; i++)
        n += strcmp(fx->reported[i], path) == 0;
    return n;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run the loop until `rel` has been reported `times` times. */
static void run_until(struct fixture *fx, const char *rel, size_t times) {
    double deadline = now() + WAIT_SECONDS;
    while (count(fx, rel) < times) {
        if (now() > deadline)
            fail_msg("%s was reported %zu times, not %zu, within %d s", rel, count(fx, rel), times, WAIT_SECONDS);
        assert_true(sd_event_run(fx->loop, 100000) >= 0);
    }
}

/* Everything the watch would report for what happened so far has been
 * reported when this returns. */
static void barrier(struct fixture *fx) {
    char name[64];
    snprintf(name, sizeof name, "zz-barrier-%u.tar.gz", ++fx->barriers);
    write_file(fx, name, "barrier");
    run_until(fx, name, 1);
}

/* The reports that are not barriers, one string: "a b c" (names in DIR). */
static const char *arrivals(const struct fixture *fx) {
    static char buf[4096];
    size_t used = 0, dir_len = strlen(fx->dir);
    buf[0] = '\0';
    for (size_t i = 0; i < fx->n_reported; i++) {
        const char *name = fx->reported[i] + dir_len + 1;
        assert_memory_equal(fx->reported[i], fx->dir, dir_len);
        if (strncmp(name, "zz-barrier-", 11) != 0)
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", used ? " " : "", name);
    }
    return buf;
}

/* Run until `rel` has arrived `times` times; by then, `all` has arrived
 * and nothing else. */
static void arrived(struct fixture *fx, const char *rel, size_t times, const char *all) {
    run_until(fx, rel, times);
    barrier(fx);
    assert_string_equal(arrivals(fx), all);
}

static void nothing_arrived(struct fixture *fx) {
    barrier(fx);
    assert_string_equal(arrivals(fx), "");
}

static void start(struct fixture *fx) {
    assert_int_equal(release_watch_start(fx->loop, fx->dir, on_arrived, fx, &fx->w), 0);
    assert_non_null(fx->w);
}

static int setup(void **state) {
    struct fixture *fx = calloc(1, sizeof *fx);
    snprintf(fx->root, sizeof fx->root, "/tmp/nines-watch-XXXXXX");
    assert_non_null(mkdtemp(fx->root));
    snprintf(fx->dir, sizeof fx->dir, "%s", fx->root);
    assert_int_equal(sd_event_new(&fx->loop), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    struct fixture *fx = *state;
    release_watch_free(fx->w);
    sd_event_unref(fx->loop);
    remove_tree(fx->root);
    for (size_t i = 0; i < fx->n_reported; i++)
        free(fx->reported[i]);
    free(fx);
    return 0;
}

/* --- tests -------------------------------------------------------------- */

static void a_tarball_is_reported_once_after_it_is_closed(void **state) {
    struct fixture *fx = *state;
    char path[512];
    start(fx);
    path_of(fx, "myapp-1.0.0.tar.gz", path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "first half ", 11), 11);
    nothing_arrived(fx);
    assert_int_equal(write(fd, "second half", 11), 11);
    nothing_arrived(fx); /* still open */
    assert_int_equal(close(fd), 0);
    arrived(fx, "myapp-1.0.0.tar.gz", 1, "myapp-1.0.0.tar.gz");
    /* Written again later: a new arrival. */
    write_file(fx, "myapp-1.0.0.tar.gz", "again");
    arrived(fx, "myapp-1.0.0.tar.gz", 2, "myapp-1.0.0.tar.gz myapp-1.0.0.tar.gz");
}

static void hidden_names_state_and_other_files_are_ignored(void **state) {
    struct fixture *fx = *state;
    start(fx);
    write_file(fx, "state.yaml", "releases: []\n");
    write_file(fx, ".hidden.tar.gz", "x");
    write_file(fx, ".myapp-2.0.0.tar.gz.Xa8f3q", "rsync's temporary file");
    write_file(fx, "notes.txt", "x");
    write_file(fx, "myapp.tar", "x");
    make_dir(fx, ".staging");
    write_release(fx, ".myapp-9.0.0.build-XXXXXX");
    make_dir(fx, "empty");
    nothing_arrived(fx);
    /* The rsync way: a hidden temporary file renamed into place. */
    rename_in(fx, ".myapp-2.0.0.tar.gz.Xa8f3q", "myapp-2.0.0.tar.gz");
    arrived(fx, "myapp-2.0.0.tar.gz", 1, "myapp-2.0.0.tar.gz");
}

static void a_folder_moved_in_is_reported(void **state) {
    struct fixture *fx = *state;
    start(fx);
    write_release(fx, ".myapp-3.0.0.build-abcdef");
    make_dir(fx, ".no-manifest");
    write_file(fx, ".no-manifest/tree.yaml", TREE_TEXT);
    rename_in(fx, ".no-manifest", "myapp-4.0.0"); /* no release.yaml: not a release */
    rename_in(fx, ".myapp-3.0.0.build-abcdef", "myapp-3.0.0");
    arrived(fx, "myapp-3.0.0", 1, "myapp-3.0.0");
}

/* A `cp -r` into the folder: reported once its last file is written. */
static void a_folder_copied_in_place_is_reported_when_complete(void **state) {
    struct fixture *fx = *state;
    char path[512];
    start(fx);
    make_dir(fx, "myapp-1.1.0");
    static const char *const parts[] = {"release.yaml", "tree.yaml", "apps/"};
    for (size_t i = 0; i < 3; i++) {
        write_part(fx, "myapp-1.1.0", parts[i]);
        nothing_arrived(fx);
    }
    path_of(fx, "myapp-1.1.0/apps/counter.so", path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, SO_TEXT, 10), 10);
    nothing_arrived(fx);
    assert_int_equal(write(fd, SO_TEXT + 10, strlen(SO_TEXT) - 10), (ssize_t)strlen(SO_TEXT) - 10);
    nothing_arrived(fx); /* complete, but not closed: its close is the event */
    assert_int_equal(close(fd), 0);
    run_until(fx, "myapp-1.1.0", 1);
    /* Once reported, it is not watched any more: changes do not report it again. */
    write_file(fx, "myapp-1.1.0/extra", "x");
    write_part(fx, "myapp-1.1.0", "tree.yaml");
    barrier(fx);
    assert_string_equal(arrivals(fx), "myapp-1.1.0");
}

/* Make `folder` in place, writing its `parts` in this order: it is not
 * reported before the last one is written, and reported once after. */
static void copy_in_place(struct fixture *fx, const char *folder, const char *const *parts, size_t n) {
    make_dir(fx, folder);
    for (size_t i = 0; i < n; i++) {
        nothing_arrived(fx);
        write_part(fx, folder, parts[i]);
    }
    arrived(fx, folder, 1, folder);
}

/* The manifest last: the files in the subfolder were written before
 * anything inside was watched. */
static void a_folder_whose_manifest_comes_last(void **state) {
    static const char *const parts[] = {"apps/", "apps/counter.so", "tree.yaml", "release.yaml"};
    start(*state);
    copy_in_place(*state, "myapp-1.2.0", parts, 4);
}

/* The subfolder was made before the manifest, its file written after:
 * the subfolders already there are watched when the manifest appears. */
static void a_folder_whose_subfolder_comes_before_its_manifest(void **state) {
    static const char *const parts[] = {"apps/", "tree.yaml", "release.yaml", "apps/counter.so"};
    start(*state);
    copy_in_place(*state, "myapp-1.4.0", parts, 4);
}

/* An interrupted copy, removed, and copied again under the same name. */
static void a_folder_removed_and_copied_again(void **state) {
    struct fixture *fx = *state;
    char path[512];
    start(fx);
    make_dir(fx, "myapp-1.3.0");
    write_part(fx, "myapp-1.3.0", "release.yaml");
    write_part(fx, "myapp-1.3.0", "apps/");
    barrier(fx);
    path_of(fx, "myapp-1.3.0", path);
    remove_tree(path);
    nothing_arrived(fx);
    write_release(fx, "myapp-1.3.0");
    arrived(fx, "myapp-1.3.0", 1, "myapp-1.3.0");
}

/* nines-release unpack fills DIR/NAME/VERSION/ through a hidden staging
 * folder renamed into place: none of that is an arrival. */
static void the_store_is_never_reported(void **state) {
    struct fixture *fx = *state;
    start(fx);
    make_dir(fx, "myapp");
    write_release(fx, "myapp/.1.0.0.unpack-XXXXXX");
    rename_in(fx, "myapp/.1.0.0.unpack-XXXXXX", "myapp/1.0.0");
    write_release(fx, ".myapp-1.1.0.unpack-XXXXXX");
    rename_in(fx, ".myapp-1.1.0.unpack-XXXXXX", "myapp/1.1.0");
    write_release(fx, "myapp/1.2.0");
    nothing_arrived(fx);
}

/* What is there at start is reported once; a folder not complete yet is
 * reported when it is. */
static void what_is_already_there_is_reported(void **state) {
    struct fixture *fx = *state;
    write_file(fx, "old-1.0.0.tar.gz", "x");
    write_release(fx, "old-2.0.0");
    make_dir(fx, "old-3.0.0");
    write_part(fx, "old-3.0.0", "release.yaml");
    write_part(fx, "old-3.0.0", "apps/");
    write_part(fx, "old-3.0.0", "apps/counter.so");
    write_file(fx, "state.yaml", "releases: []\n");
    write_file(fx, ".hidden.tar.gz", "x");
    make_dir(fx, "myapp");
    write_release(fx, "myapp/1.0.0");
    start(fx);
    run_until(fx, "old-1.0.0.tar.gz", 1);
    run_until(fx, "old-2.0.0", 1);
    barrier(fx);
    assert_int_equal(count(fx, "old-1.0.0.tar.gz") + count(fx, "old-2.0.0"), 2);
    assert_int_equal(fx->n_reported, 3);
    write_part(fx, "old-3.0.0", "tree.yaml");
    run_until(fx, "old-3.0.0", 1);
    barrier(fx);
    assert_int_equal(fx->n_reported, 5);
}

static bool inheritable_inotify_fd(void) {
    DIR *d = opendir("/proc/self/fd");
    bool found = false;
    for (struct dirent *e; d && (e = readdir(d));) {
        char target[64];
        ssize_t len = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
        if (len < 0)
            continue;
        target[len] = '\0';
        if (strcmp(target, "anon_inode:inotify") == 0 && !(fcntl(atoi(e->d_name), F_GETFD) & FD_CLOEXEC))
            found = true;
    }
    if (d)
        closedir(d);
    return found;
}

static void starting_and_stopping(void **state) {
    struct fixture *fx = *state;
    struct release_watch *other = (struct release_watch *)1;
    char path[512];
    path_of(fx, "missing", path);
    assert_int_equal(release_watch_start(fx->loop, path, on_arrived, fx, &other), -ENOENT);
    assert_null(other);
    write_file(fx, "file", "x");
    path_of(fx, "file", path);
    assert_int_equal(release_watch_start(fx->loop, path, on_arrived, fx, &other), -ENOTDIR);
    start(fx);
    /* libinotifytools' descriptor is not handed to the workers ninesd spawns. */
    assert_false(inheritable_inotify_fd());
    assert_int_equal(release_watch_start(fx->loop, fx->dir, on_arrived, fx, &other), -EBUSY);
    assert_null(other);
    /* Stopping wakes the thread at once: it does not wait for its timeout
     * (the barrier makes it wait for events first). */
    barrier(fx);
    double t0 = now();
    release_watch_free(fx->w);
    fx->w = NULL;
    assert_true(now() - t0 < 0.9);
    release_watch_free(NULL);
    /* And it can start again, on a folder given with a relative path. */
    assert_int_equal(chdir(fx->dir), 0);
    assert_int_equal(release_watch_start(fx->loop, ".", on_arrived, fx, &fx->w), 0);
    write_file(fx, "myapp-5.0.0.tar.gz", "x");
    run_until(fx, "myapp-5.0.0.tar.gz", 1);
    assert_int_equal(chdir("/"), 0);
}

/* A folder in place whose check takes a while: release.yaml lists a big
 * file with its right checksum, then a small one with a wrong one, so
 * each file written into it costs the thread the hashing of the big one. */
#define BIG_SIZE (8 << 20)

static void write_slow_folder(struct fixture *fx, const char *folder) {
    char rel[256], sum[NINES_SHA256_HEX], manifest[1024], path[512];
    char *big = malloc(BIG_SIZE);
    memset(big, 'x', BIG_SIZE);
    nines_sha256_buffer(big, BIG_SIZE, sum);
    make_dir(fx, folder);
    snprintf(rel, sizeof rel, "%s/tree.yaml", folder);
    path_of(fx, rel, path);
    FILE *f = fopen(path, "we");
    assert_int_equal(fwrite(big, 1, BIG_SIZE, f), BIG_SIZE);
    assert_int_equal(fclose(f), 0);
    free(big);
    snprintf(rel, sizeof rel, "%s/small", folder);
    write_file(fx, rel, "not what the manifest says");
    snprintf(manifest, sizeof manifest,
             "release: big\nversion: 1\ntree: tree.yaml\napplications: []\nfiles:\n  tree.yaml: %s\n"
             "  small: %064d\n", sum, 0);
    snprintf(rel, sizeof rel, "%s/release.yaml", folder);
    write_file(fx, rel, manifest);
}

static void write_tarballs(struct fixture *fx, const char *prefix, int n) {
    char name[64];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s-%d.tar.gz", prefix, i);
        write_file(fx, name, "x");
    }
}

/* A watch stopped with events read but not handled leaves nothing behind
 * for the next one: libinotifytools keeps them in a static buffer, where
 * they would come out first, with the old watch's descriptors (which the
 * new watch gets again). */
static void a_new_watch_sees_nothing_of_the_old_one(void **state) {
    struct fixture *fx = *state;
    start(fx);
    write_slow_folder(fx, "big-1");
    barrier(fx);
    /* While the thread hashes for a-0, everything after it queues up; it
     * reads the queue in one go once done, reports b-0 (so it has read
     * the queue), and is hashing for a-1 when the watch stops: the c-*
     * events are read and not handled. */
    write_file(fx, "big-1/a-0", "x");
    write_tarballs(fx, "b", 5);
    write_file(fx, "big-1/a-1", "x");
    write_tarballs(fx, "c", 50);
    run_until(fx, "b-0.tar.gz", 1);
    release_watch_free(fx->w);
    fx->w = NULL;
    for (size_t i = 0; i < fx->n_reported; i++)
        free(fx->reported[i]);
    fx->n_reported = 0;
    /* The same watch descriptors on another folder: c-* must not come out. */
    snprintf(fx->dir, sizeof fx->dir, "%s/other", fx->root);
    assert_int_equal(mkdir(fx->dir, 0755), 0);
    start(fx);
    nothing_arrived(fx);
}

/* Arrivals still queued when the watch stops are dropped, not reported. */
static void stopping_with_arrivals_queued(void **state) {
    struct fixture *fx = *state;
    start(fx);
    barrier(fx);
    write_file(fx, "myapp-6.0.0.tar.gz", "x");
    write_file(fx, "myapp-7.0.0.tar.gz", "x");
    release_watch_free(fx->w);
    fx->w = NULL;
    size_t n = fx->n_reported;
    assert_true(sd_event_run(fx->loop, 0) >= 0);
    assert_int_equal(fx->n_reported, n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_tarball_is_reported_once_after_it_is_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(hidden_names_state_and_other_files_are_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(a_folder_moved_in_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(a_folder_copied_in_place_is_reported_when_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(a_folder_whose_manifest_comes_last, setup, teardown),
        cmocka_unit_test_setup_teardown(a_folder_whose_subfolder_comes_before_its_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(a_folder_removed_and_copied_again, setup, teardown),
        cmocka_unit_test_setup_teardown(the_store_is_never_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(what_is_already_there_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(starting_and_stopping, setup, teardown),
        cmocka_unit_test_setup_teardown(a_new_watch_sees_nothing_of_the_old_one, setup, teardown),
        cmocka_unit_test_setup_teardown(stopping_with_arrivals_queued, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
