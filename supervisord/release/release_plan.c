/*
 * release_plan.c — the plan of a release install: the target release
 * loaded and the relup planner (appup/relup.h) run from the running one.
 * Used by the install (release_install.c) and by `ninesctl release plan`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "release_internal.h"

/* Load `version` and plan the way there from the running release. */
int release_make_plan(struct daemon *d, const char *version, bool down, struct release_set *target,
                     struct nines_relup **plan, char *why, size_t size) {
    struct releases *r = d->releases;
    char dir[PATH_MAX];
    struct nines_error err = {0};
    if (!nines_rel_state_find(&r->state, version)) {
        snprintf(why, size, "no release %s in %s (see ninesctl release list)", version, r->dir);
        return -ENOENT;
    }
    if (strcmp(version, r->running.manifest->version) == 0) {
        snprintf(why, size, "%s %s is the release running now", r->running.manifest->release, version);
        return -EALREADY;
    }
    int e = release_version_dir(r, version, dir);
    if (e == 0)
        e = release_set_load(dir, NULL, target, &err);
    if (e < 0) {
        if (err.message[0])
            nines_error_format(&err, why, size);
        else
            snprintf(why, size, "cannot load release %s: %s", version, strerror(-e));
        return e;
    }
    struct nines_relup_input in = {
        .current = r->running.manifest, .current_dir = r->running.dir, .current_tree = r->running.tree,
        .target = target->manifest, .target_dir = target->dir, .down = down,
        .appups = (const struct nines_appup *const *)(down ? r->running.appups : target->appups),
        .n_appups = down ? r->running.n_appups : target->n_appups,
    };
    memset(&err, 0, sizeof err);
    e = nines_relup_plan(&in, plan, &err);
    if (e < 0) {
        nines_error_format(&err, why, size);
        release_set_free(target);
    }
    return e;
}

int release_plan_text(struct daemon *d, const char *version, bool down, bool json, char **text, char *why,
                      size_t size) {
    struct release_set target = {0};
    struct nines_relup *plan = NULL;
    int e = release_make_plan(d, version, down, &target, &plan, why, size);
    if (e < 0)
        return e;
    size_t len = nines_relup_format(plan, NULL, 0, json);
    *text = malloc(len + 1);
    if (*text)
        nines_relup_format(plan, *text, len + 1, json);
    nines_relup_free(plan);
    release_set_free(&target);
    return *text ? 0 : -ENOMEM;
}
