/*
 * output_sock.c — see output_sock.h.
 */
#include "output_sock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output_limit.h"
#include "u64_map.h"

struct sink {
    output_sink_fn fn;
    void *userdata;
    int tag;
};

struct output_sock {
    int fd;
    int path_fd; /* O_PATH: the socket's inode, once its name is gone */
    sd_event_source *src;
    struct sockaddr_un addr; /* where senders connect: /proc/self/fd/PATH_FD */
    char dir[sizeof ((struct sockaddr_un *)0)->sun_path]; /* "" once removed */
    struct u64_map sinks; /* address key -> struct sink */
};

/* The largest datagram a sender can write (its default send buffer). */
#define DGRAM_MAX (256 * 1024)

uint64_t output_addr_key(const struct sockaddr_un *addr, socklen_t len) {
    size_t base = offsetof(struct sockaddr_un, sun_path);
    if (len <= base + 1 || addr->sun_family != AF_UNIX || addr->sun_path[0] != '\0')
        return 0;
    size_t n = len - base - 1;
    if (n > 7)
        return 0;
    uint64_t key = (uint64_t)n << 56;
    for (size_t i = 0; i < n; i++)
        key |= (uint64_t)(unsigned char)addr->sun_path[1 + i] << (8 * i);
    return key;
}

static void deliver(struct output_sock *o, const struct sockaddr_un *from, socklen_t from_len, const char *buf,
                    size_t n) {
    uint64_t key = output_addr_key(from, from_len);
    struct sink *s = key ? u64_map_get(&o->sinks, key) : NULL;
    if (s)
        s->fn(s->userdata, s->tag, buf, n);
}

void output_sock_drain(struct output_sock *o, size_t budget) {
    static char buf[DGRAM_MAX];
    size_t done = 0;
    while (done < budget) {
        struct sockaddr_un from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(o->fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return; /* EAGAIN: all taken */
        deliver(o, &from, from_len, buf, (size_t)n);
        done += (size_t)n + 1; /* empty datagrams count too */
    }
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
    /* A budget per wake-up, as for a pipe: the socket stays readable. */
    output_sock_drain(userdata, 4 * NINES_OUTPUT_READ_BUDGET);
    return 0;
}

static const char *base_dir(const char *dir) {
    if (dir)
        return dir;
    const char *v = getenv("RUNTIME_DIRECTORY");
    if (v && *v && !strchr(v, ':'))
        return v;
    v = getenv("XDG_RUNTIME_DIR");
    return v && *v ? v : "/tmp";
}

/* Keep the bound socket by an O_PATH descriptor and take its name and
 * folder away: senders connect through /proc/self/fd/N, which resolves to
 * the inode itself, unlinked or not. Nothing is left on disk for a killed
 * ninesd to leave behind, and no path reaches the socket (only
 * /proc/PID/fd, which only ninesd's user and root may follow). Where that
 * does not connect (no /proc), the name stays, removed at a clean stop. */
static void unname(struct output_sock *o) {
    o->path_fd = open(o->addr.sun_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (o->path_fd < 0)
        return;
    struct sockaddr_un by_fd = {.sun_family = AF_UNIX};
    snprintf(by_fd.sun_path, sizeof by_fd.sun_path, "/proc/self/fd/%d", o->path_fd);
    int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool reached = probe >= 0 && connect(probe, (struct sockaddr *)&by_fd, sizeof by_fd) == 0;
    if (probe >= 0)
        close(probe);
    if (!reached) {
        close(o->path_fd);
        o->path_fd = -1;
        return;
    }
    unlink(o->addr.sun_path);
    rmdir(o->dir);
    o->dir[0] = '\0';
    o->addr = by_fd;
}

static int bind_receiver(struct output_sock *o, const char *dir) {
    char tmpl[sizeof o->dir];
    int n = snprintf(tmpl, sizeof tmpl, "%s/ninesd-output-XXXXXX", base_dir(dir));
    if (n < 0 || (size_t)n >= sizeof tmpl - sizeof "/sock")
        return -ENAMETOOLONG;
    if (!mkdtemp(tmpl)) /* mode 0700 */
        return -errno;
    memcpy(o->dir, tmpl, (size_t)n + 1);
    o->addr.sun_family = AF_UNIX;
    memcpy(o->addr.sun_path, o->dir, (size_t)n);
    memcpy(o->addr.sun_path + n, "/sock", sizeof "/sock");
    o->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (o->fd < 0 || bind(o->fd, (struct sockaddr *)&o->addr, sizeof o->addr) < 0)
        return -errno;
    unname(o);
    return 0;
}

int output_sock_new(sd_event *loop, const char *dir, struct output_sock **out) {
    struct output_sock *o = calloc(1, sizeof *o);
    if (!o)
        return -ENOMEM;
    o->fd = -1;
    o->path_fd = -1;
    int r = bind_receiver(o, dir);
    if (r >= 0)
        r = sd_event_add_io(loop, &o->src, o->fd, EPOLLIN, on_readable, o);
    if (r < 0) {
        output_sock_free(o);
        return r;
    }
    *out = o;
    return 0;
}

void output_sock_free(struct output_sock *o) {
    if (!o)
        return;
    sd_event_source_disable_unref(o->src);
    if (o->fd >= 0)
        close(o->fd);
    if (o->path_fd >= 0)
        close(o->path_fd);
    if (o->dir[0]) { /* still named: a failed start, or no /proc */
        char path[sizeof o->addr.sun_path + 8];
        snprintf(path, sizeof path, "%s/sock", o->dir);
        unlink(path);
        rmdir(o->dir);
    }
    struct u64_map *m = &o->sinks;
    for (size_t i = 0; i < m->cap; i++)
        if (m->v[i].value && u64_map_get(m, m->v[i].key) == m->v[i].value)
            free(m->v[i].value);
    u64_map_free(m);
    free(o);
}

int output_sock_sender(struct output_sock *o, int *fd, uint64_t *key) {
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    sa_family_t autobind = AF_UNIX;
    struct sockaddr_un me;
    socklen_t me_len = sizeof me;
    if (bind(s, (struct sockaddr *)&autobind, sizeof autobind) < 0 ||
        connect(s, (struct sockaddr *)&o->addr, sizeof o->addr) < 0 ||
        getsockname(s, (struct sockaddr *)&me, &me_len) < 0) {
        int r = -errno;
        close(s);
        return r;
    }
    *key = output_addr_key(&me, me_len);
    if (!*key) {
        close(s);
        return -EADDRNOTAVAIL;
    }
    *fd = s;
    return 0;
}

int output_sock_attach(struct output_sock *o, uint64_t key, output_sink_fn fn, void *userdata, int tag) {
    struct sink *s = malloc(sizeof *s);
    if (!s)
        return -ENOMEM;
    *s = (struct sink){fn, userdata, tag};
    free(u64_map_del(&o->sinks, key));
    if (u64_map_put(&o->sinks, key, s) < 0) {
        free(s);
        return -ENOMEM;
    }
    return 0;
}

void output_sock_detach(struct output_sock *o, uint64_t key) {
    if (o)
        free(u64_map_del(&o->sinks, key));
}
