/*
 * verify_appups.c — the appups of a release: each loads (its errors with
 * FILE:LINE:COLUMN) and is of one of the release's applications at its
 * version; with --previous, the release it upgrades is opened as RELEASE
 * is, and must be the same release, and the appups must plan the way from
 * it and back (the pure checks are appups.c's).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "release.h"

/* Load every appup into appups[i] (NULL where it cannot be); true when
 * all loaded. A file missing or leading out was reported with the files. */
static bool load_appups(const struct release_dir *rd, const struct nines_manifest *m, struct nines_appup **appups,
                        struct problems *p) {
    bool all = true;
    for (size_t i = 0; i < m->n_appups; i++) {
        char path[PATH_MAX], real[PATH_MAX];
        struct nines_error err;
        if (nines_manifest_resolve(rd->dir, m->appups[i].path, real) < 0) {
            all = false;
            continue;
        }
        path_printf(path, "%s/%s", rd->dir, m->appups[i].path);
        if (nines_appup_load(path, &appups[i], &err) < 0) {
            problem_error(p, &err);
            all = false;
        }
    }
    return all;
}

/* The previous release's manifest, or NULL; its problems are named as
 * its files are shown (the tarball's path, not the temporary folder). */
static struct nines_manifest *open_previous(const char *arg, struct release_dir *rd, struct problems *p) {
    struct problems own = {0};
    struct nines_manifest *m = NULL;
    struct nines_error err;
    if (release_open(arg, rd, &own) == 0) {
        own.real = rd->dir, own.shown = rd->shown;
        if (nines_manifest_load(rd->manifest, &m, &err) < 0)
            problem_error(&own, &err);
    }
    p->count += own.count;
    return m;
}

/* Up from the previous release and back down to it. `plan` is false
 * when the appups are already known to be wrong: the previous release is
 * still checked, the planner's messages would only repeat theirs. */
static void check_previous(const struct release_dir *rd, const struct nines_manifest *m,
                           const struct nines_appup *const *appups, bool plan, const char *previous,
                           struct problems *p) {
    struct release_dir prd;
    struct nines_error err;
    struct nines_manifest *prev = open_previous(previous, &prd, p);
    if (prev && previous_problem(prev, m, &err) < 0)
        problem_error(p, &err);
    else if (prev && plan)
        for (int down = 0; down <= 1; down++)
            if (plan_problem(prev, prd.dir, m, rd->dir, appups, down, &err) < 0)
                problem_error(p, &err);
    nines_manifest_free(prev);
    release_close(&prd);
}

void verify_appups(const struct release_dir *rd, const struct nines_manifest *m, const char *previous,
                   struct problems *p) {
    struct nines_appup **appups = calloc(m->n_appups + 1, sizeof *appups);
    struct nines_error err;
    if (!appups) {
        problem(p, "%s: cannot check the appups: %s", rd->shown, strerror(errno));
        return;
    }
    bool loaded = load_appups(rd, m, appups, p), ok = loaded;
    for (size_t i = 0; loaded && i < m->n_appups; i++)
        if (appup_problem(m, (const struct nines_appup *const *)appups, i, &err) < 0) {
            problem_error(p, &err);
            ok = false;
        }
    if (previous)
        check_previous(rd, m, (const struct nines_appup *const *)appups, ok, previous, p);
    for (size_t i = 0; i < m->n_appups; i++)
        nines_appup_free(appups[i]);
    free(appups);
}
