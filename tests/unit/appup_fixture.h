/*
 * appup_fixture.h — helpers shared by the appup parser's unit tests: a
 * folder holding apps/cache.so (child specs name modules that must exist,
 * as in a tree file), and loading text expecting success or one exact
 * FILE:LINE:COLUMN error.
 */
#ifndef NINES_APPUP_FIXTURE_H
#define NINES_APPUP_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appup.h"

static char fixture_dir[64];

static int fixture_setup(void **unused) {
    char path[128];
    snprintf(fixture_dir, sizeof fixture_dir, "/tmp/nines-appup-XXXXXX");
    assert_non_null(mkdtemp(fixture_dir));
    snprintf(path, sizeof path, "%s/apps", fixture_dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/apps/cache.so", fixture_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    return fclose(f);
}

static int fixture_teardown(void **unused) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fixture_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The head every test file shares; tests append `up:` and `down:`. */
#define HEAD "application: echo\nversion: 1.1.0\n"

static inline struct nines_appup *appup_ok(const char *yaml) {
    struct nines_appup *a = NULL;
    struct nines_error err;
    if (nines_appup_load_string("echo.appup.yaml", fixture_dir, yaml, strlen(yaml), &a, &err) < 0) {
        char text[5000];
        nines_error_format(&err, text, sizeof text);
        fail_msg("unexpected error: %s", text);
    }
    return a;
}

/* Load, expect failure at line:column with `fragment` in the message. */
static inline void appup_err(const char *yaml, unsigned line, unsigned column, const char *fragment) {
    struct nines_appup *a = (struct nines_appup *)1;
    struct nines_error err;
    int r = nines_appup_load_string("echo.appup.yaml", fixture_dir, yaml, strlen(yaml), &a, &err);
    assert_int_equal(r, -EINVAL);
    assert_null(a);
    assert_string_equal(err.file, "echo.appup.yaml");
    if (!strstr(err.message, fragment) || err.line != line || err.column != column)
        fail_msg("got %u:%u: %s — wanted %u:%u: ...%s...", err.line, err.column, err.message, line, column, fragment);
}

#endif
