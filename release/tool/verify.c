/*
 * verify.c — `nines-release verify`: everything that can be known about a
 * release without running it. Each problem is one line; verification goes
 * on after a problem wherever the next check still means something, so
 * that one run lists everything to fix.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "release.h"
#include "worker_path.h"

/* Files of the folder that the manifest does not list (below `rel`). */
static void find_unlisted(const struct nines_manifest *m, const char *dir, const char *rel, int depth,
                          struct problems *p) {
    char path[PATH_MAX], shown[PATH_MAX];
    path_printf(path, "%s%s%s", dir, *rel ? "/" : "", rel);
    DIR *d = depth < 64 ? opendir(path) : NULL;
    if (!d) {
        problem(p, "%s: cannot list the folder: %s", problem_path(p, path, shown, sizeof shown),
                depth < 64 ? strerror(errno) : "nested too deep");
        return;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[PATH_MAX], full[PATH_MAX];
        struct stat st;
        path_printf(sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        path_printf(full, "%s/%s", dir, sub);
        if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode))
            find_unlisted(m, dir, sub, depth + 1, p);
        else if (strcmp(sub, NINES_MANIFEST_NAME) != 0 && !nines_manifest_find_file(m, sub))
            problem(p, "%s: not listed in %s", problem_path(p, full, shown, sizeof shown), NINES_MANIFEST_NAME);
    }
    closedir(d);
}

/* A tarball holds NAME-VERSION/: its name must be the manifest's. */
static void check_folder_name(const struct release_dir *rd, const struct nines_manifest *m, struct problems *p) {
    const char *slash = strrchr(rd->dir, '/');
    const char *name = slash ? slash + 1 : rd->dir;
    char expected[256];
    snprintf(expected, sizeof expected, "%s-%s", m->release, m->version);
    if (rd->from_tarball && strcmp(name, expected) != 0)
        problem(p, "%s: the folder is '%s', the manifest says release %s %s (expected '%s')", rd->shown, name,
                m->release, m->version, expected);
}

void verify_loaded(const struct release_dir *rd, const struct nines_manifest *m, const struct verify_options *o,
                   struct problems *p) {
    struct nines_error err;
    check_folder_name(rd, m, p);
    if (!m->has_files && nines_manifest_check_files(m, rd->dir, &err) < 0)
        problem_error(p, &err);
    for (size_t i = 0; i < m->n_files; i++)
        if (nines_manifest_check_file(m, i, rd->dir, &err) < 0)
            problem_error(p, &err);
    if (m->has_files)
        find_unlisted(m, rd->dir, "", 0, p);
    verify_tree(rd, m, p);
    verify_modules(rd, m, o->worker ? o->worker : nines_worker_default_path(), p);
    verify_appups(rd, m, o->previous, p);
}

void verify_release(const struct release_dir *rd, const struct verify_options *o, struct problems *p) {
    struct nines_manifest *m = NULL;
    struct nines_error err;
    if (nines_manifest_load(rd->manifest, &m, &err) < 0) {
        problem_error(p, &err);
        return;
    }
    verify_loaded(rd, m, o, p);
    nines_manifest_free(m);
}

int cmd_verify(const struct args *a) {
    const char *arg = a->operands[0];
    struct problems p = {0};
    struct release_dir rd;
    if (release_open(arg, &rd, &p) == 0) {
        p.real = rd.dir, p.shown = rd.shown;
        verify_release(&rd, &a->verify, &p);
    }
    release_close(&rd);
    if (p.count == 0)
        printf("%s: ok\n", arg);
    return p.count ? EXIT_PROBLEMS : 0;
}
