/*
 * unpack.c — `nines-release unpack RELEASE DIR`: the release handler's
 * unpack step. ninesd runs it as a child process, so that hashing and
 * module checks never block its event loop, and reads the one line it
 * prints. The release is opened and verified as `verify` does; then its
 * manifest and the files it lists are copied into a hidden staging folder
 * DIR/.NAME-VERSION.unpack-XXXXXX, synced to disk, checked again, and the
 * folder is renamed to DIR/NAME/VERSION. Releases live side by side, so
 * two versions of a .so never share a path (doc/design.md §4). Any failure
 * removes what was made: DIR gets the whole release or nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "release.h"

#define MANIFEST_MAX_BYTES (64u << 20) /* far beyond 10000 files of 1024-byte paths */

struct unpack {
    const struct args *a;
    struct release_dir rd;
    struct nines_manifest *m;
    char *text; /* the manifest's bytes: the ones verified are the ones installed */
    size_t len;
    mode_t mode;
    char dir[PATH_MAX];     /* DIR, absolute */
    char parent[PATH_MAX];  /* DIR/NAME */
    char final[PATH_MAX];   /* DIR/NAME/VERSION */
    char staging[PATH_MAX]; /* DIR/.NAME-VERSION.unpack-XXXXXX, "" once renamed or removed */
    bool made_parent;       /* DIR/NAME was made here: removed again on failure */
    bool installed;         /* DIR/NAME/VERSION is ours: removed again on failure */
    struct problems p;
};

static int load_manifest(struct unpack *u) {
    char shown[PATH_MAX];
    struct nines_error err;
    int r = read_whole_file(u->rd.manifest, MANIFEST_MAX_BYTES, &u->text, &u->len, &u->mode);
    if (r < 0) {
        problem(&u->p, "%s: cannot read the release manifest: %s",
                problem_path(&u->p, u->rd.manifest, shown, sizeof shown),
                r == -EINVAL ? "not a regular file" : strerror(-r));
        return r;
    }
    if (nines_manifest_load_string(u->rd.manifest, u->text, u->len, &u->m, &err) < 0) {
        problem_error(&u->p, &err);
        return -EINVAL;
    }
    return 0;
}

static int already_unpacked(struct unpack *u) {
    problem(&u->p, "release %s %s is already unpacked in %s", u->m->release, u->m->version, u->final);
    return -EEXIST;
}

/* DIR is a folder; the release goes to DIR/NAME/VERSION, which must not
 * be there yet. */
static int find_place(struct unpack *u) {
    const char *dir = u->a->operands[1];
    struct stat st;
    if (!realpath(dir, u->dir) || stat(u->dir, &st) < 0) {
        problem(&u->p, "%s: %s", dir, strerror(errno));
        return -ENOENT;
    }
    if (!S_ISDIR(st.st_mode)) {
        problem(&u->p, "%s: not a folder", dir);
        return -ENOTDIR;
    }
    if (path_printf(u->parent, "%s/%s", u->dir, u->m->release) < 0 ||
        path_printf(u->final, "%s/%s", u->parent, u->m->version) < 0) {
        problem(&u->p, "%s: the path is too long", dir);
        return -ENAMETOOLONG;
    }
    return lstat(u->final, &st) == 0 ? already_unpacked(u) : 0;
}

/* The staging folder as the release folder was, permissions included. */
static int fill(struct unpack *u) {
    char path[PATH_MAX];
    struct stat st;
    for (size_t i = 0; i < u->m->n_files; i++)
        if (copy_release_file(u->rd.dir, u->staging, u->m->files[i].path, &u->p) < 0)
            return -EINVAL;
    path_printf(path, "%s/%s", u->staging, NINES_MANIFEST_NAME);
    int r = write_new_file(path, u->text, u->len, u->mode);
    if (r == 0 && (stat(u->rd.dir, &st) < 0 || chmod(u->staging, st.st_mode & 0777) < 0))
        r = -errno;
    if (r < 0)
        problem(&u->p, "%s: cannot write the release: %s", u->staging, strerror(-r));
    return r;
}

/* Copied, then on disk, then read back: what lands is what was verified. */
static int stage(struct unpack *u) {
    char name[PATH_MAX];
    struct nines_error err;
    path_printf(name, "%s-%s", u->m->release, u->m->version);
    if (make_staging(u->dir, name, "unpack", u->staging, &u->p) < 0 || fill(u) < 0)
        return -EINVAL;
    int r = sync_tree(u->staging);
    if (r < 0) {
        problem(&u->p, "%s: cannot sync the release to disk: %s", u->staging, strerror(-r));
        return r;
    }
    if (nines_manifest_check_files(u->m, u->staging, &err) < 0) {
        problem_error(&u->p, &err);
        return -EINVAL;
    }
    return 0;
}

/* RENAME_NOREPLACE, so that a release unpacked meanwhile is never
 * replaced; a file system without it gets a plain rename. */
static int rename_new(const char *from, const char *to) {
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EINVAL && rename(from, to) == 0)
        return 0;
    return -errno;
}

static int move_into_place(struct unpack *u) {
    if (mkdir(u->parent, 0755) == 0)
        u->made_parent = true;
    else if (errno != EEXIST) {
        int e = errno;
        problem(&u->p, "%s: cannot make the folder: %s", u->parent, strerror(e));
        return -e;
    }
    int r = rename_new(u->staging, u->final);
    if (r == -EEXIST || r == -ENOTEMPTY)
        return already_unpacked(u);
    if (r < 0) {
        problem(&u->p, "%s: cannot move the release into place: %s", u->final, strerror(-r));
        return r;
    }
    u->staging[0] = '\0';
    u->installed = true;
    if ((r = sync_path(u->parent)) < 0 || (r = sync_path(u->dir)) < 0)
        problem(&u->p, "%s: cannot sync the folder to disk: %s", u->final, strerror(-r));
    return r;
}

/* After a failure: nothing of this run stays in DIR. */
static void undo(struct unpack *u) {
    if (u->staging[0])
        nines_remove_tree(u->staging);
    if (u->installed)
        nines_remove_tree(u->final);
    if (u->made_parent)
        rmdir(u->parent);
}

int cmd_unpack(const struct args *a) {
    struct unpack u = {.a = a};
    int r = release_open(a->operands[0], &u.rd, &u.p);
    if (r == 0) {
        u.p.real = u.rd.dir, u.p.shown = u.rd.shown;
        r = load_manifest(&u);
    }
    if (r == 0)
        r = find_place(&u);
    if (r == 0) {
        verify_loaded(&u.rd, u.m, &a->verify, &u.p);
        r = u.p.count ? -EINVAL : 0;
    }
    if (r == 0)
        r = stage(&u);
    if (r == 0)
        r = move_into_place(&u);
    if (r < 0)
        undo(&u);
    else
        printf("unpacked %s %s %s\n", u.m->release, u.m->version, u.final);
    release_close(&u.rd);
    nines_manifest_free(u.m);
    free(u.text);
    return r < 0 ? EXIT_PROBLEMS : 0;
}
