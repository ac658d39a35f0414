/*
 * mt_io.c — the commands that look at the worker from outside: its
 * registrations (through nines_registration(), as a module would), its
 * log, its snapshots (export_state run on the current code), and client
 * sockets to a module that listens.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "modtest.h"

static struct mt_named *find(struct mt *mt, const char *name) {
    for (size_t i = 0; i < mt->n_named; i++)
        if (strcmp(mt->named[i].name, name) == 0)
            return &mt->named[i];
    return NULL;
}

static struct mt_named *add(struct mt *mt, const char *name) {
    struct mt_named *n = find(mt, name);
    if (n) {
        free(n->data);
        if (n->fd >= 0)
            close(n->fd);
    } else if (mt->n_named < MT_MAX_NAMED) {
        n = &mt->named[mt->n_named++];
    } else {
        mt_fail(mt, "more than %d names", MT_MAX_NAMED);
        return NULL;
    }
    *n = (struct mt_named){.fd = -1};
    snprintf(n->name, sizeof n->name, "%s", name);
    return n;
}

/* expect log TEXT: a line logged since the last match holds TEXT. */
static int expect_log(struct mt *mt, const struct mt_word *w) {
    mt_drain_log(mt);
    const char *from = mt->log ? mt->log + mt->log_seen : "";
    const char *at = strstr(from, w->text);
    if (!at) {
        size_t n = strlen(from);
        return mt_fail(mt, "no log line says \"%s\"; logged since the last match:\n%s", w->text,
                       n ? from + (n > 800 ? n - 800 : 0) : "(nothing)");
    }
    mt->log_seen = (size_t)(at - mt->log) + w->len;
    return 0;
}

static uint32_t events_of(const struct mt_line *l, size_t from) {
    uint32_t ev = 0;
    for (size_t i = from; i < l->n; i++)
        ev |= strcmp(l->w[i].text, "readable") == 0 ? NINES_READABLE
              : strcmp(l->w[i].text, "writable") == 0 ? NINES_WRITABLE : 1u << 31;
    return ev;
}

/* expect [no] fd TAG [readable] [writable] | expect [no] timer TAG */
int mt_cmd_expect(struct mt *mt, const struct mt_line *l) {
    if (strcmp(l->w[1].text, "log") == 0)
        return l->n == 3 ? expect_log(mt, &l->w[2]) : mt_fail(mt, "usage: expect log TEXT");
    bool no = strcmp(l->w[1].text, "no") == 0;
    size_t k = no ? 2 : 1;
    if (l->n < k + 2)
        return mt_fail(mt, "usage: expect [no] fd TAG [readable] [writable] | expect [no] timer TAG");
    bool fd = strcmp(l->w[k].text, "fd") == 0;
    if (!fd && strcmp(l->w[k].text, "timer") != 0)
        return mt_fail(mt, "%u: expect fd, timer or log, not %s", l->w[k].col, l->w[k].text);
    uint64_t tag;
    if (!mt->loaded || mt_tag(mt, &l->w[k + 1], &tag) < 0)
        return mt->loaded ? -1 : mt_fail(mt, "no worker yet");
    struct nines_registration r;
    int found = nines_registration(&mt->ctx, fd ? NINES_INFO_FD : NINES_INFO_TIMER, tag, &r) == 0;
    const char *what = fd ? "an fd watch" : "an armed timer";
    if (no)
        return found ? mt_fail(mt, "%s under tag %s, none expected", what, l->w[k + 1].text) : 0;
    if (!found)
        return mt_fail(mt, "no %s under tag %s", what, l->w[k + 1].text);
    uint32_t want = events_of(l, k + 2);
    if (fd && l->n > k + 2 && want != r.events)
        return mt_fail(mt, "fd tag %s watches events %u, not %u (1 readable, 2 writable)", l->w[k + 1].text,
                       r.events, want);
    return 0;
}

/* snapshot NAME: export_state of the code running now, kept as NAME. */
int mt_cmd_snapshot(struct mt *mt, const struct mt_line *l) {
    if (!mt->started || mt->finished)
        return mt_fail(mt, "the worker is not running");
    if (!mt->ctx.mod->export_state)
        return mt_fail(mt, "%s has no export_state", mt->ctx.mod->version);
    nines_buf buf = {0};
    int r = mt->ctx.mod->export_state(&mt->ctx, mt->ctx.state, &buf);
    mt_drain_log(mt);
    struct mt_named *n = r < 0 ? NULL : add(mt, l->w[1].text);
    if (n && buf.len) {
        n->data = malloc(buf.len);
        if (n->data)
            memcpy(n->data, buf.data, buf.len);
        n->len = n->data ? buf.len : 0;
    }
    host_buf_free(&buf);
    return r < 0 ? mt_fail(mt, "export_state of %s failed: %s", mt->ctx.mod->version, strerror(-r))
                 : n ? 0 : -1;
}

/* same A B: two snapshots are the same bytes. */
int mt_cmd_same(struct mt *mt, const struct mt_line *l) {
    const struct mt_named *a = find(mt, l->w[1].text), *b = find(mt, l->w[2].text);
    if (!a || !b || a->fd >= 0 || b->fd >= 0)
        return mt_fail(mt, "no snapshot named %s", !a || a->fd >= 0 ? l->w[1].text : l->w[2].text);
    size_t i = 0;
    while (i < a->len && i < b->len && a->data[i] == b->data[i])
        i++;
    if (i == a->len && i == b->len)
        return 0;
    return mt_fail(mt, "snapshots %s (%zu bytes) and %s (%zu bytes) differ from byte %zu", a->name, a->len,
                   b->name, b->len, i);
}

/* connect NAME PORT: a TCP client to 127.0.0.1:PORT ($PORT: the free port). */
int mt_cmd_connect(struct mt *mt, const struct mt_line *l) {
    char *end;
    long port = strtol(l->w[2].text, &end, 10);
    if (*end || port <= 0 || port > 65535)
        return mt_fail(mt, "%u: a port is 1 to 65535", l->w[2].col);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return mt_fail(mt, "connect to 127.0.0.1:%ld: %s", port, strerror(e));
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    struct mt_named *n = add(mt, l->w[1].text);
    if (!n) {
        close(fd);
        return -1;
    }
    n->fd = fd;
    return mt_pump(mt, 20, NULL, NULL, NULL); /* the module accepts */
}

static struct mt_named *sock(struct mt *mt, const struct mt_word *w) {
    struct mt_named *n = find(mt, w->text);
    if (!n || n->fd < 0)
        mt_fail(mt, "%u: no connection named %s", w->col, w->text);
    return n && n->fd >= 0 ? n : NULL;
}

int mt_cmd_send(struct mt *mt, const struct mt_line *l) {
    struct mt_named *n = sock(mt, &l->w[1]);
    if (!n)
        return -1;
    if (write(n->fd, l->w[2].text, l->w[2].len) != (ssize_t)l->w[2].len)
        return mt_fail(mt, "send on %s: %s", n->name, strerror(errno));
    return mt_pump(mt, 20, NULL, NULL, NULL);
}

/* recv NAME BYTES: exactly those bytes arrive within 2 s (the loop runs). */
int mt_cmd_recv(struct mt *mt, const struct mt_line *l) {
    struct mt_named *n = sock(mt, &l->w[1]);
    char got[8192], a[600], b[600];
    size_t have = 0, want = l->w[2].len < sizeof got ? l->w[2].len : sizeof got;
    if (!n)
        return -1;
    for (int turn = 0; turn < 400 && have < want; turn++) {
        ssize_t r = read(n->fd, got + have, want - have);
        if (r > 0) {
            have += (size_t)r;
            continue;
        }
        if (r == 0)
            break;
        if (mt_pump(mt, 5, NULL, NULL, NULL) < 0)
            return -1;
    }
    if (have != want || memcmp(got, l->w[2].text, want) != 0)
        return mt_fail(mt, "recv on %s: expected %s, got %s", n->name, mt_show(l->w[2].text, want, a, sizeof a),
                       mt_show(got, have, b, sizeof b));
    return 0;
}

int mt_cmd_close(struct mt *mt, const struct mt_line *l) {
    struct mt_named *n = sock(mt, &l->w[1]);
    if (!n)
        return -1;
    close(n->fd);
    n->fd = -1;
    n->name[0] = '\0';
    return mt_pump(mt, 20, NULL, NULL, NULL);
}
