/*
 * host_warden.c — see host_warden.h.
 */
#include "host_warden.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The groups alive now: an open-addressing set of positive pids. */
struct pid_set {
    int32_t *v; /* 0: free, -1: deleted */
    size_t cap, used;
};

static size_t slot(int32_t pid, size_t cap) {
    return ((uint32_t)pid * 2654435761u) & (cap - 1);
}

static int set_add(struct pid_set *s, int32_t pid);

static int set_grow(struct pid_set *s) {
    struct pid_set bigger = {calloc(s->cap ? s->cap * 2 : 256, sizeof *s->v), s->cap ? s->cap * 2 : 256, 0};
    if (!bigger.v)
        return -ENOMEM;
    for (size_t i = 0; i < s->cap; i++)
        if (s->v[i] > 0)
            set_add(&bigger, s->v[i]);
    free(s->v);
    *s = bigger;
    return 0;
}

static int set_add(struct pid_set *s, int32_t pid) {
    if ((s->used + 1) * 2 > s->cap && set_grow(s) < 0)
        return -ENOMEM;
    size_t i = slot(pid, s->cap);
    while (s->v[i] > 0 && s->v[i] != pid)
        i = (i + 1) & (s->cap - 1);
    if (s->v[i] == 0)
        s->used++;
    s->v[i] = pid;
    return 0;
}

static void set_remove(struct pid_set *s, int32_t pid) {
    if (!s->cap)
        return;
    for (size_t i = slot(pid, s->cap), n = 0; n < s->cap && s->v[i] != 0; i = (i + 1) & (s->cap - 1), n++)
        if (s->v[i] == pid) {
            s->v[i] = -1;
            return;
        }
}

/* Every child cgroup ninesd made under DIR (named "child-..."). */
static void kill_cgroups(const char *dir) {
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strncmp(e->d_name, "child-", 6) != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/cgroup.kill", dir, e->d_name);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            (void)!write(fd, "1", 1);
            close(fd);
        }
    }
    if (d)
        closedir(d);
}

static void kill_all(const struct pid_set *s, const char *cgroups) {
    size_t killed = 0;
    for (size_t i = 0; i < s->cap; i++)
        if (s->v[i] > 0 && kill(-s->v[i], SIGKILL) == 0)
            killed++;
    if (cgroups)
        kill_cgroups(cgroups);
    if (killed)
        fprintf(stderr, "nines-worker --warden: ninesd is gone: killed the process groups of %zu children\n", killed);
}

/* Records are int32s; a read may end inside one (a long write is split). */
static void take(struct pid_set *s, const uint8_t *buf, size_t len) {
    for (size_t at = 0; at + 4 <= len; at += 4) {
        int32_t v;
        memcpy(&v, buf + at, sizeof v);
        if (v > 0)
            set_add(s, v);
        else if (v < 0 && v != INT32_MIN)
            set_remove(s, -v);
    }
}

int host_warden_main(int argc, char **argv) {
    const char *cgroups = argc == 2 && strcmp(argv[0], "--cgroups") == 0 ? argv[1] : NULL;
    if (argc && !cgroups) {
        fprintf(stderr, "usage: nines-worker --warden [--cgroups DIR]\n");
        return 2;
    }
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_IGN);
    struct pid_set s = {0};
    uint8_t buf[64 * 1024 + 4];
    size_t kept = 0;
    for (;;) {
        ssize_t n = read(NINES_WARDEN_FD, buf + kept, sizeof buf - kept);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* the end of ninesd, however it came */
        size_t len = kept + (size_t)n;
        take(&s, buf, len);
        kept = len % 4;
        memmove(buf, buf + len - kept, kept);
        /* A burst of starts costs ninesd one wake-up of ours per 20 ms. */
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    kill_all(&s, cgroups);
    free(s.v);
    return 0;
}
