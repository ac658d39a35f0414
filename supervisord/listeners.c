/*
 * listeners.c — see listeners.h. The table is small (a tree names a few
 * sockets): a linear search.
 */
#include "listeners.h"

#include "fd_budget.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

static const char *kind_name(enum nines_socket_kind k) {
    return k == NINES_SOCKET_TCP ? "tcp" : k == NINES_SOCKET_UNIX ? "unix" : "handed";
}

struct listener *listeners_find(const struct listeners *ls, const struct nines_socket *s) {
    for (size_t i = 0; i < ls->n; i++) {
        struct listener *l = &ls->v[i];
        if (l->kind != s->kind)
            continue;
        if (s->kind == NINES_SOCKET_PASSED ? strcmp(l->name, s->name) == 0 : strcmp(l->address, s->address) == 0)
            return l;
    }
    return NULL;
}

static int add(struct listeners *ls, enum nines_socket_kind kind, const char *name, const char *address, int fd,
               bool made_file) {
    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 8;
        struct listener *v = realloc(ls->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        ls->v = v, ls->cap = cap;
    }
    struct listener *l = &ls->v[ls->n];
    *l = (struct listener){.kind = kind, .fd = fd, .made_file = made_file};
    if ((name && !(l->name = strdup(name))) || (address && !(l->address = strdup(address)))) {
        free(l->name), free(l->address);
        return -ENOMEM;
    }
    ls->n++;
    return 0;
}

int listeners_take_passed(struct listeners *ls) {
    char **names = NULL;
    int n = sd_listen_fds_with_names(1, &names);
    if (n <= 0)
        return n;
    int r = 0;
    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        if (r == 0 && (r = add(ls, NINES_SOCKET_PASSED, names && names[i] ? names[i] : "unknown", NULL, fd, false)) < 0)
            close(fd);
        free(names ? names[i] : NULL);
    }
    free(names);
    return r;
}

/* A stale socket file (a previous ninesd's) is replaced; anything else
 * at the path is not ours to remove. */
static int clear_path(const char *path) {
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode))
        return -EEXIST;
    return unlink(path) < 0 ? -errno : 0;
}

static int bind_unix(int fd, const struct nines_socket *s) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", s->address);
    int r = clear_path(s->address);
    if (r < 0)
        return r;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        return -errno;
    return chmod(s->address, s->mode) < 0 ? -errno : 0;
}

static int bind_tcp(int fd, const struct sockaddr_storage *ss, unsigned len) {
    int one = 1, zero = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        return -errno;
    if (ss->ss_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero); /* "*": IPv4 too */
    return bind(fd, (const struct sockaddr *)ss, len) < 0 ? -errno : 0;
}

/* socket, bind, listen: the descriptor or -errno. */
static int open_one(const struct nines_socket *s) {
    struct sockaddr_storage ss;
    unsigned len = 0;
    int family = AF_UNIX;
    if (s->kind == NINES_SOCKET_TCP) {
        if (nines_socket_tcp_parse(s->address, &ss, &len) < 0)
            return -EINVAL;
        family = ss.ss_family;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int r = s->kind == NINES_SOCKET_TCP ? bind_tcp(fd, &ss, len) : bind_unix(fd, s);
    if (r == 0 && listen(fd, (int)s->backlog) < 0)
        r = -errno;
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
}

__attribute__((format(printf, 6, 7))) static void say(char *why, size_t size, const struct nines_child_spec *c,
                                                      const char *file, int err, const char *fmt, ...) {
    char what[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (file)
        snprintf(why, size, "%s:%u:%u: child '%s': %s%s%s", file, c->mark.line, c->mark.column, c->id, what,
                 err ? ": " : "", err ? strerror(err) : "");
    else
        snprintf(why, size, "child '%s': %s%s%s", c->id, what, err ? ": " : "", err ? strerror(err) : "");
}

/* The names handed to ninesd, for an error that says which there are. */
static void passed_names(const struct listeners *ls, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ls->n && used < size; i++)
        if (ls->v[i].kind == NINES_SOCKET_PASSED)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "", ls->v[i].name);
    if (!used)
        snprintf(buf, size, "none: LISTEN_FDS is not set");
}

static int child_sockets(struct listeners *ls, const struct nines_child_spec *c, const char *file, int *fds,
                         char *why, size_t size) {
    for (size_t i = 0; i < c->n_sockets; i++) {
        const struct nines_socket *s = &c->sockets[i];
        struct listener *l = listeners_find(ls, s);
        if (!l && s->kind == NINES_SOCKET_PASSED) {
            char names[300];
            passed_names(ls, names, sizeof names);
            say(why, size, c, file, 0, "socket '%s' was not handed to ninesd (it has: %s)", s->name, names);
            return -ENOENT;
        }
        if (!l) {
            int fd = open_one(s);
            if (fd < 0) {
                say(why, size, c, file, -fd, "cannot listen on %s %s", kind_name(s->kind), s->address);
                return fd;
            }
            int r = add(ls, s->kind, NULL, s->address, fd, s->kind == NINES_SOCKET_UNIX);
            if (r < 0) {
                close(fd);
                return r;
            }
            l = &ls->v[ls->n - 1];
        }
        l->named = true;
        if (fds)
            fds[i] = l->fd;
    }
    return 0;
}

static int open_sup(struct listeners *ls, const struct nines_sup_spec *sup, const char *file, char *why, size_t size);

static int open_child(struct listeners *ls, const struct nines_child_spec *c, const char *file, char *why,
                      size_t size) {
    if (c->kind == NINES_CHILD_SUPERVISOR)
        return c->supervisor ? open_sup(ls, c->supervisor, file, why, size) : 0;
    return child_sockets(ls, c, file, NULL, why, size);
}

static int open_sup(struct listeners *ls, const struct nines_sup_spec *sup, const char *file, char *why, size_t size) {
    for (size_t i = 0; i < sup->n_children; i++) {
        int r = open_child(ls, &sup->children[i], file, why, size);
        if (r < 0)
            return r;
    }
    return sup->child_template ? open_child(ls, sup->child_template, file, why, size) : 0;
}

int listeners_open_tree(struct listeners *ls, const struct nines_tree *tree, char *why, size_t size) {
    return open_sup(ls, &tree->root, tree->path, why, size);
}

int listeners_for_child(struct listeners *ls, const struct nines_child_spec *c, int *fds, char *why, size_t size) {
    return child_sockets(ls, c, NULL, fds, why, size);
}

static bool held(const struct nines_socket *s, const void *ls) {
    return listeners_find(ls, s) != NULL;
}

size_t listeners_count_with(const struct listeners *ls, const struct nines_tree *tree) {
    return ls->n + (size_t)fd_budget_distinct_sockets(tree, held, ls);
}

void listeners_free(struct listeners *ls) {
    for (size_t i = 0; i < ls->n; i++) {
        struct listener *l = &ls->v[i];
        if (l->made_file)
            unlink(l->address);
        close(l->fd);
        free(l->name), free(l->address);
    }
    free(ls->v);
    *ls = (struct listeners){0};
}
