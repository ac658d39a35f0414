/*
 * tarball.c — a release tarball unpacked with libarchive, never trusted
 * (issue 16): a first pass reads every member's header, skipping the data,
 * and checks it (tarball_limits.h: a file or folder under a relative path
 * with no "..", within the unpacked size and the member count) before
 * anything is written; a second pass, over the same open file, checks
 * each member again (the file may have changed in between) and writes
 * it. Files are created anew, never through a link: a member named twice
 * is refused, and no member can reach outside the folder it is unpacked
 * into, so at most the size limit is ever written.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "release.h"
#include "tarball_limits.h"

#define BLOCK_BYTES (64u << 10)

static enum tarball_kind entry_kind(struct archive_entry *e) {
    if (archive_entry_hardlink(e))
        return TARBALL_HARDLINK;
    switch (archive_entry_filetype(e)) {
    case AE_IFREG: return archive_entry_sparse_count(e) > 0 ? TARBALL_SPARSE : TARBALL_FILE;
    case AE_IFDIR: return TARBALL_DIR;
    case AE_IFLNK: return TARBALL_SYMLINK;
    default: return TARBALL_OTHER;
    }
}

/* libarchive's words; a tarball cut short is said so one way, whichever
 * of its layers (gzip, tar) noticed. */
static int archive_problem(struct archive *a, char *why, size_t size) {
    const char *s = archive_error_string(a);
    if (s && (strstr(s, "runcated") || strstr(s, "Unexpected EOF")))
        snprintf(why, size, "the tarball ends too soon (not copied whole?): %s", s);
    else
        snprintf(why, size, "%s", s ? s : "the tarball cannot be read");
    return -EINVAL;
}

/* A reader of the tarball at `fd`, from its start: gzip-compressed or not,
 * any tar format. */
static struct archive *open_reader(int fd, char *why, size_t size) {
    struct archive *a = archive_read_new();
    if (!a) {
        snprintf(why, size, "out of memory");
        return NULL;
    }
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(a, fd, BLOCK_BYTES) != ARCHIVE_OK) {
        archive_problem(a, why, size);
        archive_read_free(a);
        return NULL;
    }
    return a;
}

/* The next member's header, checked and counted: 1, 0 at the end, or
 * -EINVAL with `why`. */
static int next_member(struct archive *a, struct archive_entry **e, struct tarball_count *c, char *why,
                       size_t size) {
    int r = archive_read_next_header(a, e);
    if (r == ARCHIVE_EOF)
        return 0;
    if (r < ARCHIVE_WARN)
        return archive_problem(a, why, size);
    const char *name = archive_entry_pathname(*e);
    int64_t bytes = archive_entry_size_is_set(*e) ? archive_entry_size(*e) : -1;
    if (tarball_member_check(&tarball_limits, c, name ? name : "", entry_kind(*e), bytes, why, size) < 0)
        return -EINVAL;
    return 1;
}

static int check_all(int fd, char *why, size_t size) {
    struct archive *a = open_reader(fd, why, size);
    struct archive_entry *e;
    struct tarball_count c = {0};
    int r = a ? 1 : -EINVAL;
    while (r > 0 && (r = next_member(a, &e, &c, why, size)) > 0)
        if (archive_read_data_skip(a) != ARCHIVE_OK)
            r = archive_problem(a, why, size);
    if (a)
        archive_read_free(a);
    return r;
}

static int system_problem(const char *path, const char *dir, int e, char *why, size_t size) {
    snprintf(why, size, "%s: %s", path + strlen(dir) + 1, strerror(e));
    return -e;
}

/* The folders above DIR/NAME, made as needed (members may come in any
 * order). Nothing in DIR is a link: only this file makes what is in it. */
static int make_parents(char *path, const char *dir, char *why, size_t size) {
    for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        int r = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
        *p = '/';
        if (r < 0)
            return system_problem(path, dir, -r, why, size);
    }
    return 0;
}

static int write_data(struct archive *a, int out, const char *path, const char *dir, char *why, size_t size) {
    char buf[BLOCK_BYTES];
    ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
        for (ssize_t done = 0, w; done < n; done += w)
            if ((w = write(out, buf + done, (size_t)(n - done))) < 0)
                return system_problem(path, dir, errno, why, size);
    return n < 0 ? archive_problem(a, why, size) : 0;
}

static int write_member(struct archive *a, struct archive_entry *e, const char *dir, char *why, size_t size) {
    char path[PATH_MAX];
    if (path_printf(path, "%s/%s", dir, archive_entry_pathname(e)) < 0) {
        snprintf(why, size, "%.1024s: the path is too long", archive_entry_pathname(e));
        return -ENAMETOOLONG;
    }
    int r = make_parents(path, dir, why, size);
    mode_t mode = archive_entry_perm(e) & 0777;
    if (r == 0 && archive_entry_filetype(e) == AE_IFDIR) {
        struct stat st;
        if (mkdir(path, mode | 0700) < 0 && (errno != EEXIST || lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)))
            r = system_problem(path, dir, errno, why, size);
    } else if (r == 0) {
        int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode | 0600);
        if (out < 0)
            return system_problem(path, dir, errno, why, size);
        r = write_data(a, out, path, dir, why, size);
        if (close(out) < 0 && r == 0)
            r = system_problem(path, dir, errno, why, size);
    }
    return r;
}

static int write_all(int fd, const char *dir, char *why, size_t size) {
    struct archive *a = open_reader(fd, why, size);
    struct archive_entry *e;
    struct tarball_count c = {0};
    int r = a ? 1 : -EINVAL;
    while (r > 0 && (r = next_member(a, &e, &c, why, size)) > 0)
        if (write_member(a, e, dir, why, size) < 0)
            r = -EINVAL;
    if (a)
        archive_read_free(a);
    return r;
}

int tarball_unpack(const char *path, const char *dir, char *why, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(why, size, "%s", strerror(e));
        return -e;
    }
    int r = check_all(fd, why, size);
    if (r == 0)
        r = write_all(fd, dir, why, size);
    close(fd);
    return r;
}
