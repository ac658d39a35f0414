/*
 * launch_text.c — see launch_text.h.
 */
#include "launch_text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

bool launch_text_line(const char *line, struct launch_text_map *out) {
    unsigned long long start, end, offset;
    char perms[5], dev[16];
    unsigned long long inode;
    int path_at = 0;
    if (sscanf(line, "%llx-%llx %4s %llx %15s %llu %n", &start, &end, perms, &offset, dev, &inode, &path_at) < 6 ||
        end <= start || strlen(perms) != 4)
        return false;
    const char *path = path_at ? line + path_at : "";
    /* A file's private mapping: a shared one is the file itself, and
     * [vdso], [stack], the heap and anonymous memory are no file's. */
    if (inode == 0 || path[0] != '/' || perms[3] != 'p')
        return false;
    *out = (struct launch_text_map){
        .start = (uintptr_t)start,
        .len = (size_t)(end - start),
        .prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                (perms[2] == 'x' ? PROT_EXEC : 0),
    };
    return true;
}

/* One mapping moved in place onto the image's own file: its bytes
 * written at `*end` in it, then that part of the file mapped over it,
 * privately, with its protection (the code doing it runs from the same
 * bytes). A guard between a library's segments has no bytes: it becomes
 * anonymous, inaccessible memory. */
static int move_one(int fd, const struct launch_text_map *m, off_t *end) {
    void *at = (void *)m->start;
    if (!(m->prot & PROT_READ))
        return mmap(at, m->len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? -errno
                                                                                                       : 0;
    for (size_t done = 0; done < m->len;) {
        /* The system call itself: a sanitizer's pwrite would check the
         * bytes read, and a segment holds the red zones it put there. */
        ssize_t n = syscall(SYS_pwrite64, fd, (const char *)at + done, m->len - done, *end + (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        done += (size_t)n;
    }
    if (mmap(at, m->len, m->prot, MAP_PRIVATE | MAP_FIXED, fd, *end) == MAP_FAILED)
        return -errno;
    *end += (off_t)m->len;
    return 0;
}

int launch_text_detach(void) {
    /* All of it read first: the mappings change as they are replaced. */
    static char text[64 * 1024];
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t used = 0;
    ssize_t n;
    while (used + 1 < sizeof text && (n = read(fd, text + used, sizeof text - 1 - used)) > 0)
        used += (size_t)n;
    close(fd);
    text[used] = '\0';
    if (used + 1 >= sizeof text)
        return -E2BIG;
    struct launch_text_map maps[128];
    size_t count = 0;
    for (char *line = text, *next; line && *line && count < 128; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        count += launch_text_line(line, &maps[count]);
    }
    int img = memfd_create("nines-launcher-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (img < 0)
        return -errno;
    off_t end = 0;
    int e = 0;
    for (size_t i = 0; i < count && e == 0; i++)
        e = move_one(img, &maps[i], &end);
    /* Nobody writes to it again: its mappings are private copies. */
    (void)fcntl(img, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    close(img); /* the mappings hold it */
    return e < 0 ? e : (int)count;
}
