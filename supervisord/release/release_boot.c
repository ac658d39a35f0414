/*
 * release_boot.c — which release ninesd starts with `--releases DIR`
 * (release_handler.h): the permanent one. A release that was installed but not
 * made permanent goes back to unpacked, as in Erlang, where a node that
 * restarts boots its permanent release.
 *
 * The first boot has no permanent release yet: if DIR holds exactly one
 * release — unpacked already, or arrived at the top of the folder (a
 * NAME-VERSION.tar.gz or a NAME-VERSION/ folder) — it is unpacked if
 * needed and becomes the permanent one. Anything else is an error that
 * says what DIR holds and what to do.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "release_internal.h"

/* A NAME-VERSION.tar.gz or a folder with a release.yaml at the top of DIR. */
static bool is_arrival(const char *dir, const struct dirent *e) {
    size_t len = strlen(e->d_name);
    char path[PATH_MAX];
    struct stat st;
    if (e->d_name[0] == '.')
        return false;
    if (len > 7 && strcmp(e->d_name + len - 7, ".tar.gz") == 0)
        return true;
    snprintf(path, sizeof path, "%s/%s/" NINES_MANIFEST_NAME, dir, e->d_name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The only arrival in DIR, into `out`; how many there are. */
static int find_arrivals(const char *dir, char out[PATH_MAX], char *names, size_t size) {
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    int n = 0;
    names[0] = '\0';
    for (struct dirent *e; (e = readdir(d));) {
        if (!is_arrival(dir, e))
            continue;
        if (n++ == 0)
            snprintf(out, PATH_MAX, "%s/%s", dir, e->d_name);
        size_t len = strlen(names);
        snprintf(names + len, size - len, "%s%s", len ? ", " : "", e->d_name);
    }
    closedir(d);
    return n;
}

/* nines-release unpack, waited for: the first boot has no loop yet. */
static int unpack_now(const struct release_options *opt, const char *path, struct nines_rel_state *st, char *why,
                      size_t size) {
    int fd = memfd_create("nines-unpack", MFD_CLOEXEC);
    pid_t pid = 0;
    int status = 0;
    int e = fd < 0 ? -errno : release_tool_spawn(opt->tool, opt->worker, path, opt->dir, fd, &pid);
    while (e == 0 && waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            e = -errno;
    char out[8192], name[65], version[65];
    if (fd >= 0)
        release_tool_output(fd, out, sizeof out);
    if (fd >= 0)
        close(fd);
    if (e < 0) {
        snprintf(why, size, "cannot run %s: %s", opt->tool, strerror(-e));
        return e;
    }
    const char *line = strstr(out, "unpacked ");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !line ||
        sscanf(line, "unpacked %64s %64s", name, version) != 2) {
        snprintf(why, size, "cannot unpack %s:\n%s", path, out);
        return -EINVAL;
    }
    return nines_rel_state_add(st, name, version, why, size);
}

/* No permanent release: make the only one there is permanent. */
static int first_boot(const struct release_options *opt, struct nines_rel_state *st, char *why, size_t size) {
    if (st->n > 1) {
        snprintf(why, size, "%s has %zu releases and none is permanent: keep one (ninesd boots the only release "
                 "there is) or restore %s/" NINES_REL_STATE_NAME, opt->dir, st->n, opt->dir);
        return -EINVAL;
    }
    if (st->n == 0) {
        char path[PATH_MAX], names[2048];
        int n = find_arrivals(opt->dir, path, names, sizeof names);
        if (n != 1) {
            if (n < 0)
                snprintf(why, size, "cannot read %s: %s", opt->dir, strerror(-n));
            else
                snprintf(why, size, "%s holds %s release%s%s%s: put exactly one release there (NAME-VERSION.tar.gz "
                         "or a NAME-VERSION/ folder) for the first boot", opt->dir, n ? "several" : "no",
                         n ? "s (" : "", names, n ? ")" : "");
            return n < 0 ? n : -ENOENT;
        }
        int e = unpack_now(opt, path, st, why, size);
        if (e < 0)
            return e;
        release_drop_arrival(path);
    }
    const char *version = st->v[0].version;
    if (nines_rel_state_installed(st, version, why, size) < 0)
        return -EINVAL;
    return nines_rel_state_make_permanent(st, version, why, size) < 0 ? -EINVAL : 0;
}

static int describe(const struct release_options *opt, const struct nines_rel_state *st,
                    struct release_boot *out, char *why, size_t size) {
    const char *version = nines_rel_state_permanent(st);
    snprintf(out->name, sizeof out->name, "%s", st->release);
    snprintf(out->version, sizeof out->version, "%s", version);
    if (snprintf(out->dir, sizeof out->dir, "%s/%s/%s", opt->dir, st->release, version) >= (int)sizeof out->dir)
        return -ENAMETOOLONG;
    char manifest[PATH_MAX + 32];
    struct nines_manifest *m = NULL;
    struct nines_error err = {0};
    snprintf(manifest, sizeof manifest, "%s/" NINES_MANIFEST_NAME, out->dir);
    int e = nines_manifest_load(manifest, &m, &err);
    if (e < 0) {
        nines_error_format(&err, why, size);
        return e;
    }
    e = snprintf(out->tree, sizeof out->tree, "%s/%s", out->dir, m->tree.path) >= (int)sizeof out->tree
            ? -ENAMETOOLONG
            : 0;
    nines_manifest_free(m);
    return e;
}

int release_boot(const struct release_options *opt, struct release_boot *out, char *why, size_t size) {
    char path[PATH_MAX];
    struct nines_rel_state st = {0};
    struct nines_error err = {0};
    snprintf(path, sizeof path, "%s/" NINES_REL_STATE_NAME, opt->dir);
    int e = nines_rel_state_load(path, &st, &err);
    if (e < 0 && e != -ENOENT) {
        nines_error_format(&err, why, size);
        nines_rel_state_free(&st);
        return e;
    }
    nines_rel_state_boot(&st);
    e = nines_rel_state_permanent(&st) ? 0 : first_boot(opt, &st, why, size);
    if (e == 0 && (e = nines_rel_state_write_file(&st, path)) < 0)
        snprintf(why, size, "cannot write %s: %s", path, strerror(-e));
    if (e == 0)
        e = describe(opt, &st, out, why, size);
    nines_rel_state_free(&st);
    return e;
}
