/*
 * appups.c — what verify asks of a release's appups, as pure functions
 * of loaded manifests and appups: each appup belongs to one of the
 * release's applications at the version the release has; and, given the
 * release it upgrades, that the planner finds the way up from it and the
 * way back down, with this release's appups (doc/relup.md). The trees are
 * not needed for that: they only give the undo steps their old specs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "relup.h"
#include "release.h"

/* The error is where the manifest lists appup i (its message is set). */
static int at_appup(const struct nines_manifest *m, size_t i, struct nines_error *err) {
    snprintf(err->file, sizeof err->file, "%s", m->path);
    err->line = m->appups[i].mark.line, err->column = m->appups[i].mark.column;
    return -EINVAL;
}

/* The planner takes the first appup of an application: a second one
 * would never be read. */
int appup_problem(const struct nines_manifest *m, const struct nines_appup *const *appups, size_t i,
                  struct nines_error *err) {
    const struct nines_appup *a = appups[i];
    const char *path = m->appups[i].path;
    const struct nines_manifest_app *app = nines_manifest_find_app(m, a->application);
    if (!app) {
        snprintf(err->message, sizeof err->message, "appup %s is of application '%s', which is not in the release",
                 path, a->application);
        return at_appup(m, i, err);
    }
    if (strcmp(app->version, a->version) != 0) {
        snprintf(err->message, sizeof err->message, "appup %s leads to %s %s, the release has %s %s", path,
                 a->application, a->version, app->name, app->version);
        return at_appup(m, i, err);
    }
    for (size_t j = 0; j < i; j++)
        if (strcmp(appups[j]->application, a->application) == 0) {
            snprintf(err->message, sizeof err->message, "appup %s is a second appup of '%s' (the first is %s)",
                     path, a->application, m->appups[j].path);
            return at_appup(m, i, err);
        }
    return 0;
}

int previous_problem(const struct nines_manifest *prev, const struct nines_manifest *m, struct nines_error *err) {
    if (strcmp(prev->release, m->release) == 0)
        return 0;
    snprintf(err->file, sizeof err->file, "%s", m->path);
    err->line = err->column = 0;
    snprintf(err->message, sizeof err->message,
             "the previous release is %s %s, not a version of %s: an upgrade goes between versions of one release",
             prev->release, prev->version, m->release);
    return -EINVAL;
}

/* Going up the previous release runs and this one is the target; going
 * down this one runs, and its appups' `down` entries lead back. Either
 * way the appups are this release's. The plan itself is not kept, only
 * whether it can be made: so the folders need not be absolute. */
int plan_problem(const struct nines_manifest *prev, const char *prev_dir, const struct nines_manifest *m,
                 const char *dir, const struct nines_appup *const *appups, bool down, struct nines_error *err) {
    struct nines_relup_input in = {
        .current = down ? m : prev, .current_dir = down ? dir : prev_dir,
        .target = down ? prev : m,  .target_dir = down ? prev_dir : dir,
        .appups = appups,           .n_appups = m->n_appups,
        .down = down,
    };
    struct nines_relup *plan = NULL;
    int r = nines_relup_plan(&in, &plan, err);
    nines_relup_free(plan);
    return r;
}
