/*
 * tree_sockets.c — a worker's `sockets:` key (README "Sockets"): the
 * listening sockets it is handed, each named. An entry with `tcp:` or
 * `unix:` is a socket ninesd opens and keeps across the child's restarts;
 * one with a name alone is a socket handed to ninesd itself (socket
 * activation) under that name. Addresses are checked here, at load; they
 * are bound when ninesd starts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "tree_internal.h"

static int parse_port(const char *s, unsigned *port) {
    char *end;
    if (*s < '0' || *s > '9' || strlen(s) > 5)
        return -EINVAL;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v < 1 || v > 65535)
        return -EINVAL;
    *port = (unsigned)v;
    return 0;
}

int nines_socket_tcp_parse(const char *text, struct sockaddr_storage *out, unsigned *len) {
    char host[64];
    const char *colon = strrchr(text, ':');
    unsigned port;
    memset(out, 0, sizeof *out);
    const char *port_text = colon ? colon + 1 : text;
    size_t hlen = colon ? (size_t)(colon - text) : 0;
    if (hlen >= sizeof host || parse_port(port_text, &port) < 0)
        return -EINVAL;
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    struct sockaddr_in *in4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    if (!colon || strcmp(host, "*") == 0) {
        in6->sin6_family = AF_INET6, in6->sin6_port = htons((uint16_t)port), in6->sin6_addr = in6addr_any;
        *len = sizeof *in6;
        return 0;
    }
    if (hlen > 2 && host[0] == '[' && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
            return -EINVAL;
        in6->sin6_family = AF_INET6, in6->sin6_port = htons((uint16_t)port);
        *len = sizeof *in6;
        return 0;
    }
    if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
        return -EINVAL;
    in4->sin_family = AF_INET, in4->sin_port = htons((uint16_t)port);
    *len = sizeof *in4;
    return 0;
}

struct one {
    struct schema_loader *l;
    struct nines_socket *s;
};

static int set_name(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    if (!s || !tree_id_valid(s) || strlen(s) > 255)
        return schema_fail(l, v, "invalid socket name '%s' (letters, digits, '_', '.' and '-', at most 255)",
                           s ? s : schema_node_kind(v));
    return (((struct one *)t)->s->name = strdup(s)) ? 0 : -ENOMEM;
}

static int set_tcp(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    struct sockaddr_storage ss;
    unsigned len;
    if (!s || nines_socket_tcp_parse(s, &ss, &len) < 0)
        return schema_fail(l, v, "invalid tcp address '%s' (HOST:PORT with an IPv4 address, [IPv6] or *, "
                                 "or a port alone; ports 1 to 65535)", s ? s : schema_node_kind(v));
    struct nines_socket *so = ((struct one *)t)->s;
    so->kind = NINES_SOCKET_TCP;
    free(so->address); /* 'unix' came first: the error about both follows */
    return (so->address = strdup(s)) ? 0 : -ENOMEM;
}

static int set_unix(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    char path[PATH_MAX * 2];
    if (!s || !*s)
        return schema_fail(l, v, "'unix' must be the path of the socket file");
    snprintf(path, sizeof path, "%s%s%s", s[0] == '/' ? "" : l->base_dir, s[0] == '/' ? "" : "/", s);
    if (strlen(path) >= sizeof ((struct sockaddr_un *)0)->sun_path)
        return schema_fail(l, v, "unix socket path '%s' is too long (at most %zu bytes)", path,
                           sizeof ((struct sockaddr_un *)0)->sun_path - 1);
    struct nines_socket *so = ((struct one *)t)->s;
    so->kind = NINES_SOCKET_UNIX;
    free(so->address); /* 'tcp' came first: the error about both follows */
    return (so->address = strdup(path)) ? 0 : -ENOMEM;
}

static int set_backlog(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    char *end = NULL;
    unsigned long n = s && *s >= '0' && *s <= '9' ? strtoul(s, &end, 10) : 0;
    if (!end || *end || n < 1 || n > 65535)
        return schema_fail(l, v, "invalid backlog '%s' (an integer from 1 to 65535)", s ? s : schema_node_kind(v));
    ((struct one *)t)->s->backlog = (unsigned)n;
    return 0;
}

static int set_mode(struct schema_loader *l, yaml_node_t *v, void *t) {
    const char *s = schema_scalar(v);
    char *end = NULL;
    unsigned long n = s && *s >= '0' && *s <= '7' ? strtoul(s, &end, 8) : 0;
    if (!end || *end || n > 0777)
        return schema_fail(l, v, "invalid mode '%s' (octal permission bits such as 0660, at most 0777)",
                           s ? s : schema_node_kind(v));
    ((struct one *)t)->s->mode = (unsigned)n;
    return 0;
}

static int load_socket(struct schema_loader *l, yaml_node_t *node, struct nines_socket *so) {
    static const struct schema_key rules[] = {{"name", set_name},       {"tcp", set_tcp},  {"unix", set_unix},
                                              {"backlog", set_backlog}, {"mode", set_mode}};
    enum { K_NAME, K_TCP, K_UNIX, K_BACKLOG, K_MODE, K_N };
    yaml_node_t *seen[K_N] = {0};
    struct one o = {l, so};
    *so = (struct nines_socket){.backlog = NINES_SOCKET_BACKLOG, .mode = 0666};
    int r = schema_apply_keys(l, node, rules, K_N, &o, "a socket", seen);
    if (r < 0)
        return r;
    if (!seen[K_NAME])
        return schema_fail(l, node, "a socket needs a 'name' (what LISTEN_FDNAMES calls it)");
    if (seen[K_TCP] && seen[K_UNIX])
        return schema_fail(l, seen[K_UNIX], "socket '%s' has both 'tcp' and 'unix': one address only", so->name);
    if (seen[K_MODE] && !seen[K_UNIX])
        return schema_fail(l, seen[K_MODE], "'mode' is only for a 'unix' socket");
    if (seen[K_BACKLOG] && !seen[K_TCP] && !seen[K_UNIX])
        return schema_fail(l, seen[K_BACKLOG], "'backlog' is for a socket ninesd opens ('tcp' or 'unix'): "
                                               "a socket handed to ninesd has its own");
    return 0;
}

int tree_set_sockets(struct schema_loader *l, yaml_node_t *v, void *t) {
    struct nines_child_spec *c = t;
    if (v->type != YAML_SEQUENCE_NODE)
        return schema_fail(l, v, "'sockets' must be a sequence of sockets ({name, tcp | unix, backlog, mode}), got %s",
                           schema_node_kind(v));
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n > NINES_SOCKETS_MAX)
        return schema_fail(l, v, "%zu sockets, more than %d", n, NINES_SOCKETS_MAX);
    if (n && !(c->sockets = calloc(n, sizeof *c->sockets)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = schema_node(l, v->data.sequence.items.start[i]);
        c->n_sockets = i + 1;
        int r = load_socket(l, item, &c->sockets[i]);
        if (r < 0)
            return r;
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->sockets[j].name, c->sockets[i].name) == 0)
                return schema_fail(l, item, "duplicate socket name '%s'", c->sockets[i].name);
    }
    return 0;
}
