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

/* One mapping made anonymous in place: a copy of its bytes, moved over
 * it with its protection (the code doing it runs from the same bytes). */
static int detach_one(const struct launch_text_map *m) {
    void *at = (void *)m->start;
    if (!(m->prot & PROT_READ)) /* a guard between a library's segments: nothing to copy */
        return mmap(at, m->len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? -errno
                                                                                                       : 0;
    void *copy = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copy == MAP_FAILED)
        return -errno;
    memcpy(copy, at, m->len);
    if (mprotect(copy, m->len, m->prot) < 0 || mremap(copy, m->len, m->len, MREMAP_MAYMOVE | MREMAP_FIXED, at) == MAP_FAILED) {
        int e = -errno;
        munmap(copy, m->len);
        return e;
    }
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
    for (size_t i = 0; i < count; i++) {
        int e = detach_one(&maps[i]);
        if (e < 0)
            return e;
    }
    return (int)count;
}
