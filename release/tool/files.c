/*
 * files.c — the files of a release as build and unpack write them: copied
 * with their permissions into a staging folder, read and written whole,
 * and synced to disk before the staging folder is renamed into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "release.h"

int make_staging(const char *dir, const char *name, const char *what, char *out, struct problems *p) {
    if (path_printf(out, "%s/.%s.%s-XXXXXX", dir, name, what) == 0 && mkdtemp(out))
        return 0;
    int e = errno;
    problem(p, "%s: cannot make a staging folder: %s", dir, strerror(e));
    out[0] = '\0';
    return -e;
}

/* Make the folders above `rel` in `folder`. */
static int make_parents(const char *folder, const char *rel) {
    char path[PATH_MAX];
    size_t base = strlen(folder) + 1;
    if (path_printf(path, "%s/%s", folder, rel) < 0)
        return -ENAMETOOLONG;
    for (char *s = strchr(path + base, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        int r = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
        *s = '/';
        if (r < 0)
            return r;
    }
    return 0;
}

static int write_all(int fd, const char *buf, size_t n) {
    for (size_t done = 0; done < n;) {
        ssize_t w = write(fd, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        done += (size_t)w;
    }
    return 0;
}

static int copy_fd(int in, int out) {
    char buf[16384];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        int r = write_all(out, buf, (size_t)n);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The permissions are set with fchmod, so that the umask does not change
 * them. */
int copy_release_file(const char *from_dir, const char *to_dir, const char *rel, struct problems *p) {
    char from[PATH_MAX], to[PATH_MAX];
    struct stat st;
    int in = -1, out = -1, r = 0;
    if (path_printf(from, "%s/%s", from_dir, rel) < 0 || path_printf(to, "%s/%s", to_dir, rel) < 0)
        r = -ENAMETOOLONG;
    else if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0 || fstat(in, &st) < 0)
        r = -errno;
    else if (!S_ISREG(st.st_mode))
        r = -EISDIR;
    else if ((r = make_parents(to_dir, rel)) == 0 &&
             ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0777)) < 0 ||
              fchmod(out, st.st_mode & 0777) < 0))
        r = -errno;
    if (r == 0)
        r = copy_fd(in, out);
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) < 0 && r == 0)
        r = -errno;
    if (r < 0)
        problem(p, "%s: cannot copy it into the release: %s", from,
                r == -EISDIR ? "not a regular file" : strerror(-r));
    return r;
}

/* `size` bytes, fewer only at the end of the file: how many, or -errno. */
static ssize_t read_full(int fd, char *buf, size_t size) {
    size_t n = 0;
    while (n < size) {
        ssize_t got = read(fd, buf + n, size - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -errno;
        if (got == 0)
            break;
        n += (size_t)got;
    }
    return (ssize_t)n;
}

/* What was there when it was opened: the bytes read are the bytes
 * checked, whatever happens to the file afterwards. */
int read_whole_file(const char *path, size_t max, char **text, size_t *len, mode_t *mode) {
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r = 0;
    char *buf = NULL;
    if (fd < 0 || fstat(fd, &st) < 0)
        r = -errno;
    else if (!S_ISREG(st.st_mode))
        r = -EINVAL;
    else if ((size_t)st.st_size > max)
        r = -EFBIG;
    else if (!(buf = malloc((size_t)st.st_size + 1)))
        r = -ENOMEM;
    else
        r = read_full(fd, buf, (size_t)st.st_size);
    if (fd >= 0)
        close(fd);
    if (r < 0) {
        free(buf);
        return (int)r;
    }
    buf[r] = '\0';
    *text = buf, *len = (size_t)r, *mode = st.st_mode & 0777;
    return 0;
}

int write_new_file(const char *path, const char *text, size_t len, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    int r = fchmod(fd, mode) < 0 ? -errno : write_all(fd, text, len);
    if (close(fd) < 0 && r == 0)
        r = -errno;
    return r;
}

int sync_path(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return r;
}

/* nftw stops at a non-zero return and returns it: an errno. */
static int sync_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    return flag == FTW_F || flag == FTW_D ? -sync_path(path) : 0;
}

int sync_tree(const char *path) {
    int r = nftw(path, sync_one, 16, FTW_PHYS);
    return r > 0 ? -r : r < 0 ? -errno : 0;
}
