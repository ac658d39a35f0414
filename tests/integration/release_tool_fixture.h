/*
 * release_tool_fixture.h — running the real nines-release in integration
 * tests (itest_release*.c): a folder per test with a release spec of the
 * example applications (myapp 1.1.0: counter and echo 1.0.0, a tree), the
 * tool run with its output and exit status captured, and small file
 * helpers.
 */
#ifndef NINES_RELEASE_TOOL_FIXTURE_H
#define NINES_RELEASE_TOOL_FIXTURE_H

#include "harness.h"
#include "sha256.h"

#define RT_TOOL BUILD_PATH("nines-release")
#define RT_OUT_MAX 16384

struct rt_fx {
    char dir[64];      /* everything of one test */
    char spec[128];    /* DIR/spec/release.yaml */
    char out[128];     /* DIR/out */
    char rel[160];     /* DIR/out/myapp-1.1.0 */
    char tarball[192]; /* DIR/out/myapp-1.1.0.tar.gz */
};

struct rt_result {
    int code;
    char out[RT_OUT_MAX], err[RT_OUT_MAX];
};

/* The tree of the spec: counter and echo. */
extern const char rt_tree_yaml[];
/* The spec's first lines, up to and with the counter application. */
extern const char rt_spec_head[];

/* Run a program (argv NULL-terminated): its exit status and output. */
void rt_runv(struct rt_result *r, const char *const *argv);
#define RT_RUN(r, ...) rt_runv(r, (const char *const[]){RT_TOOL, __VA_ARGS__, NULL})

void rt_write_text(const char *path, const char *text);
void rt_append_byte(const char *path);
/* system() of a formatted command, which must succeed. */
void rt_shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_sum_of(const char *dir, const char *rel, char hex[NINES_SHA256_HEX]);

/* DIR/spec/release.yaml: rt_spec_head, then echo at that version. */
void rt_write_spec(struct rt_fx *f, const char *echo_version);

/* cmocka setup: DIR/spec/ holds the tree, counter.so and echo.so and the
 * spec; TMPDIR is DIR/tmp. Teardown removes DIR. */
int rt_setup(void **state);
int rt_teardown(void **state);

/* Build DIR/spec/release.yaml into DIR/out, which must succeed. */
void rt_build_ok(struct rt_fx *f);

/* verify RELEASE fails with exactly these lines on stderr. */
void rt_expect_problems(const char *release, const char *lines);

#endif /* NINES_RELEASE_TOOL_FIXTURE_H */
