/*
 * build.c — `nines-release build SPEC.yaml OUTDIR`. The new release is
 * built beside anything already in OUTDIR, in a hidden staging folder
 * (.NAME-VERSION.build-XXXXXX): files copied, checksums written, the
 * result verified and packed; only then is it renamed into place. Any
 * failure removes the staging folder and leaves OUTDIR as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "release.h"

struct build {
    const char *spec, *outdir;
    const struct args *a;
    char spec_dir[PATH_MAX];
    char name[160];             /* NAME-VERSION */
    char staging[PATH_MAX];     /* OUTDIR/.NAME-VERSION.build-XXXXXX */
    char folder[PATH_MAX];      /* staging/NAME-VERSION */
    char final[PATH_MAX];       /* OUTDIR/NAME-VERSION */
    char tarball[PATH_MAX];     /* OUTDIR/NAME-VERSION.tar.gz */
    struct nines_manifest *m;
    struct problems p;
};

/* The spec's folder: the paths of the spec are relative to it. */
static void find_spec_dir(struct build *b) {
    const char *slash = strrchr(b->spec, '/');
    path_printf(b->spec_dir, "%.*s", slash ? (int)(slash - b->spec) + (slash == b->spec) : 1,
                slash ? b->spec : ".");
}

static int load_spec(struct build *b) {
    struct nines_error err;
    if (nines_manifest_load(b->spec, &b->m, &err) < 0) {
        problem_error(&b->p, &err);
        return -EINVAL;
    }
    if (b->m->has_files) {
        problem(&b->p, "%s: a spec has no 'files': build computes them", b->spec);
        return -EINVAL;
    }
    snprintf(b->name, sizeof b->name, "%s-%s", b->m->release, b->m->version);
    /* The longest path built here is the staging folder's tarball. */
    if (path_printf(b->staging, "%s/.%s.build-XXXXXX/%s.tar.gz", b->outdir, b->name, b->name) < 0) {
        problem(&b->p, "%s: the path is too long", b->outdir);
        return -ENAMETOOLONG;
    }
    path_printf(b->final, "%s/%s", b->outdir, b->name);
    path_printf(b->tarball, "%s/%s.tar.gz", b->outdir, b->name);
    return 0;
}

/* OUTDIR exists (or is made), holds no release of this version (unless
 * --force), and gets the staging folder. */
static int prepare(struct build *b) {
    struct stat st;
    if (mkdir(b->outdir, 0755) < 0 && errno != EEXIST) {
        problem(&b->p, "%s: cannot make the folder: %s", b->outdir, strerror(errno));
        return -EINVAL;
    }
    const char *taken = lstat(b->final, &st) == 0 ? b->final : lstat(b->tarball, &st) == 0 ? b->tarball : NULL;
    if (taken && !b->a->force) {
        problem(&b->p, "%s: already exists (--force replaces it)", taken);
        return -EEXIST;
    }
    if (make_staging(b->outdir, b->name, "build", b->staging, &b->p) < 0)
        return -EINVAL;
    path_printf(b->folder, "%s/%s", b->staging, b->name);
    if (mkdir(b->folder, 0755) < 0) {
        problem(&b->p, "%s: %s", b->folder, strerror(errno));
        return -EINVAL;
    }
    return 0;
}

static int fill(struct build *b) {
    struct nines_error err;
    char manifest[PATH_MAX];
    for (size_t k = 0; k < nines_manifest_n_refs(b->m); k++)
        if (copy_release_file(b->spec_dir, b->folder, nines_manifest_ref(b->m, k)->path, &b->p) < 0)
            return -EINVAL;
    if (nines_manifest_hash_files(b->m, b->folder, &err) < 0) {
        problem_error(&b->p, &err);
        return -EINVAL;
    }
    path_printf(manifest, "%s/%s", b->folder, NINES_MANIFEST_NAME);
    int r = nines_manifest_write_file(b->m, manifest);
    if (r < 0)
        problem(&b->p, "%s/%s: cannot write: %s", b->final, NINES_MANIFEST_NAME, strerror(-r));
    return r;
}

static int pack(struct build *b) {
    char out[PATH_MAX], why[2048];
    path_printf(out, "%s/%s.tar.gz", b->staging, b->name);
    char *argv[] = {TAR_PROGRAM, "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "-c", "-z",
                    "-f", out, "-C", b->staging, b->name, NULL};
    int status = nines_run_program(argv, NULL, 0, why, sizeof why, -1);
    if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    problem(&b->p, "%s: cannot write the tarball: %s", b->tarball, status < 0 ? strerror(-status) : tar_reason(why));
    return -EINVAL;
}

/* Verify the staged folder, naming its files as they will be named. */
static int check(struct build *b) {
    struct release_dir rd = {0};
    path_printf(rd.dir, "%s", b->folder);
    path_printf(rd.manifest, "%s/%s", b->folder, NINES_MANIFEST_NAME);
    path_printf(rd.shown, "%s", b->final);
    b->p.real = rd.dir, b->p.shown = rd.shown;
    verify_release(&rd, &b->a->verify, &b->p);
    b->p.real = b->p.shown = NULL;
    return b->p.count ? -EINVAL : 0;
}

/* The switch: the old release (with --force) goes, the new one comes. */
static int install(struct build *b) {
    char staged_tarball[PATH_MAX];
    path_printf(staged_tarball, "%s/%s.tar.gz", b->staging, b->name);
    if (b->a->force) {
        int r = nines_remove_tree(b->final);
        if (r < 0 && r != -ENOENT) {
            problem(&b->p, "%s: cannot remove the old release: %s", b->final, strerror(-r));
            return r;
        }
    }
    if (rename(b->folder, b->final) < 0 || rename(staged_tarball, b->tarball) < 0) {
        problem(&b->p, "%s: cannot move the release into place: %s", b->final, strerror(errno));
        return -errno;
    }
    return 0;
}

int cmd_build(const struct args *a) {
    struct build b = {.spec = a->operands[0], .outdir = a->operands[1], .a = a};
    find_spec_dir(&b);
    int r = load_spec(&b);
    if (r == 0)
        r = prepare(&b);
    if (r == 0)
        r = fill(&b);
    if (r == 0 && !a->no_verify)
        r = check(&b);
    if (r == 0)
        r = pack(&b);
    if (r == 0)
        r = install(&b);
    if (b.staging[0])
        nines_remove_tree(b.staging);
    if (r == 0)
        printf("built %s %s: %s/ and %s\n", b.m->release, b.m->version, b.final, b.tarball);
    nines_manifest_free(b.m);
    return r == 0 ? 0 : EXIT_PROBLEMS;
}
