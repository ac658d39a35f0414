/* Unit tests of the trust rule for modules, programs and the control
 * socket's folder (lib/path_trust.c): every mode, kind and owner through
 * the pure judge, the words of each refusal, then the walk on real files
 * (as root, to give them away). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path_trust.h"

#define ME 1000
#define STRANGER 65534

static enum path_trust_verdict judge(uid_t uid, mode_t mode, uid_t me) {
    struct path_trust_stat st = {.uid = uid, .mode = mode};
    return path_trust_judge(&st, me);
}

/* All 4096 permission words, for a file and for a folder, owned by root,
 * by us and by a stranger: the verdict follows from the bits alone. */
static void test_every_mode(void **state) {
    const mode_t kinds[] = {S_IFREG, S_IFDIR};
    const uid_t owners[] = {0, ME, STRANGER};
    for (size_t k = 0; k < 2; k++)
        for (size_t o = 0; o < 3; o++)
            for (mode_t perm = 0; perm <= 07777; perm++) {
                enum path_trust_verdict v = judge(owners[o], kinds[k] | perm, ME);
                bool g = perm & 020, w = perm & 002;
                bool excused = kinds[k] == S_IFDIR && (perm & 01000);
                enum path_trust_verdict want = owners[o] == STRANGER ? PATH_TRUST_FOREIGN_OWNER
                                               : excused || (!g && !w) ? PATH_TRUST_OK
                                               : g && w               ? PATH_TRUST_GROUP_OTHER_WRITABLE
                                               : g                    ? PATH_TRUST_GROUP_WRITABLE
                                                                      : PATH_TRUST_OTHER_WRITABLE;
                if (v != want)
                    fail_msg("kind %o owner %u mode %04o: verdict %d, want %d", (unsigned)kinds[k],
                             (unsigned)owners[o], (unsigned)perm, v, want);
            }
}

/* The cases people meet, by name. */
static void test_named_cases(void **state) {
    assert_int_equal(judge(0, S_IFDIR | 01777, ME), PATH_TRUST_OK);          /* /tmp */
    assert_int_equal(judge(0, S_IFDIR | 0755, ME), PATH_TRUST_OK);           /* /usr/lib */
    assert_int_equal(judge(ME, S_IFREG | 0644, ME), PATH_TRUST_OK);          /* our build */
    assert_int_equal(judge(ME, S_IFREG | 0755, 0), PATH_TRUST_FOREIGN_OWNER); /* a user's file, ninesd root */
    assert_int_equal(judge(0, S_IFREG | 0666, ME), PATH_TRUST_GROUP_OTHER_WRITABLE);
    assert_int_equal(judge(0, S_IFREG | 01777, ME), PATH_TRUST_GROUP_OTHER_WRITABLE); /* sticky file: no excuse */
    assert_int_equal(judge(0, S_IFDIR | 0777, ME), PATH_TRUST_GROUP_OTHER_WRITABLE);
    assert_int_equal(judge(0, S_IFDIR | 02775, ME), PATH_TRUST_GROUP_WRITABLE); /* a setgid shared folder */
    assert_int_equal(judge(STRANGER, S_IFDIR | 01777, ME), PATH_TRUST_FOREIGN_OWNER);
    assert_int_equal(judge(STRANGER, S_IFREG | 0644, STRANGER), PATH_TRUST_OK); /* it is ours */
}

static void test_words(void **state) {
    char buf[512];
    struct path_trust_stat st = {.uid = 0, .mode = S_IFREG | 0666};
    path_trust_explain(PATH_TRUST_GROUP_OTHER_WRITABLE, "module", "/x/a.so", "/x/a.so", &st, buf, sizeof buf);
    assert_string_equal(buf, "module /x/a.so is writable by group and others (mode 0666): "
                             "only its owner and root may write it (chmod go-w)");
    st = (struct path_trust_stat){.uid = 0, .mode = S_IFDIR | 0757};
    path_trust_explain(PATH_TRUST_OTHER_WRITABLE, "program", "/x/y/run", "/x", &st, buf, sizeof buf);
    assert_string_equal(buf, "folder /x above program /x/y/run is writable by others (mode 0757): "
                             "only its owner and root may write it (chmod go-w, or +t for a shared folder)");
    st = (struct path_trust_stat){.uid = STRANGER, .mode = S_IFDIR | 0700};
    path_trust_explain(PATH_TRUST_FOREIGN_OWNER, "control socket folder", "/tmp/nines-0", "/tmp/nines-0", &st,
                       buf, sizeof buf);
    assert_string_equal(buf, "control socket folder /tmp/nines-0 is owned by uid 65534 (mode 0700): "
                             "only root or ninesd's own user may own it");
    st = (struct path_trust_stat){.uid = 0, .mode = S_IFREG | 0620};
    path_trust_explain(PATH_TRUST_GROUP_WRITABLE, "module", "/a.so", "/a.so", &st, buf, sizeof buf);
    assert_non_null(strstr(buf, "is writable by group (mode 0620)"));
    char small[16];
    path_trust_explain(PATH_TRUST_GROUP_WRITABLE, "module", "/a.so", "/a.so", &st, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
}

/* --- the walk, on real files -------------------------------------------- */

static char dir[64];

static int make_dir(void **state) {
    snprintf(dir, sizeof dir, "/tmp/nines-trust-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void touch(const char *path, mode_t mode) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_walk(void **state) {
    if (geteuid() != 0)
        skip();
    char sub[128], file[160], why[1024], link[160];
    snprintf(sub, sizeof sub, "%s/lib", dir);
    snprintf(file, sizeof file, "%s/a.so", sub);
    assert_int_equal(mkdir(sub, 0755), 0);
    touch(file, 0644);
    assert_int_equal(path_trust_check("module", file, why, sizeof why), 0); /* /tmp is sticky: fine */
    assert_int_equal(chmod(file, 0666), 0);
    assert_int_equal(path_trust_check("module", file, why, sizeof why), -EPERM);
    assert_non_null(strstr(why, "is writable by group and others (mode 0666)"));
    assert_int_equal(chmod(file, 0644), 0);
    assert_int_equal(chmod(sub, 0777), 0);
    assert_int_equal(path_trust_check("module", file, why, sizeof why), -EPERM);
    char want[512];
    snprintf(want, sizeof want, "folder %s above module %s is writable by group and others (mode 0777)", sub, file);
    assert_non_null(strstr(why, want));
    assert_int_equal(chmod(sub, 0755), 0);
    assert_int_equal(chown(file, STRANGER, STRANGER), 0);
    assert_int_equal(path_trust_check("module", file, why, sizeof why), -EPERM);
    assert_non_null(strstr(why, "is owned by uid 65534 (mode 0644)"));
    assert_int_equal(chown(file, 0, 0), 0);
    /* A link in a folder others may write can be pointed elsewhere later. */
    assert_int_equal(chmod(dir, 0777), 0);
    snprintf(link, sizeof link, "%s/link.so", dir);
    assert_int_equal(symlink(file, link), 0);
    assert_int_equal(path_trust_check("module", link, why, sizeof why), -EPERM);
    assert_non_null(strstr(why, "folder"));
    assert_int_equal(chmod(dir, 0700), 0);
    assert_int_equal(path_trust_check("module", link, why, sizeof why), 0);
    snprintf(link, sizeof link, "%s/none.so", dir);
    assert_int_equal(path_trust_check("module", link, why, sizeof why), -ENOENT);
    assert_non_null(strstr(why, "No such file"));
    /* A folder reached through a link, and paths with "//", "." and "..":
     * each judged as its real path is, the link's folder too. */
    char linked[200], odd[240];
    snprintf(link, sizeof link, "%s/via", dir);
    assert_int_equal(symlink(sub, link), 0);
    snprintf(linked, sizeof linked, "%s/a.so", link);
    assert_int_equal(path_trust_check("module", linked, why, sizeof why), 0);
    assert_int_equal(chmod(sub, 0775), 0);
    assert_int_equal(path_trust_check("module", linked, why, sizeof why), -EPERM);
    snprintf(want, sizeof want, "folder %s above module %s is writable by group (mode 0775)", sub, linked);
    assert_non_null(strstr(why, want));
    snprintf(odd, sizeof odd, "%s//./lib/../lib/a.so", dir);
    assert_int_equal(path_trust_check("module", odd, why, sizeof why), -EPERM);
    assert_non_null(strstr(why, "writable by group (mode 0775)"));
    assert_int_equal(chmod(sub, 0755), 0);
    assert_int_equal(path_trust_check("module", odd, why, sizeof why), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(path_trust_check("module", linked, why, sizeof why), -EPERM); /* the link may be repointed */
    assert_int_equal(chmod(dir, 0700), 0);
    /* A file under a file, and a folder as deep as the quick walk goes and
     * deeper: errors and verdicts as ever. */
    snprintf(odd, sizeof odd, "%s/a.so/b.so", sub);
    assert_true(path_trust_check("module", odd, why, sizeof why) < 0);
    assert_non_null(strstr(why, "Not a directory"));
    char deep[400];
    size_t len = (size_t)snprintf(deep, sizeof deep, "%s", dir);
    for (int i = 0; i < 34; i++) {
        len += (size_t)snprintf(deep + len, sizeof deep - len, "/d");
        assert_int_equal(mkdir(deep, 0755), 0);
    }
    assert_int_equal(chmod(deep, 0770), 0);
    snprintf(deep + len, sizeof deep - len, "/a.so");
    touch(deep, 0644);
    assert_int_equal(path_trust_check("module", deep, why, sizeof why), -EPERM);
    assert_non_null(strstr(why, "/d/d above module"));
    deep[len] = '\0';
    assert_int_equal(chmod(deep, 0755), 0);
    deep[len] = '/';
    assert_int_equal(path_trust_check("module", deep, why, sizeof why), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_mode),
        cmocka_unit_test(test_named_cases),
        cmocka_unit_test(test_words),
        cmocka_unit_test_setup_teardown(test_walk, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
