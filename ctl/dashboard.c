/*
 * dashboard.c — `ninesctl dashboard`: the tree in a browser, read-only,
 * served with libmicrohttpd by this process (ninesd gains no HTTP surface;
 * the library is loaded only for this command, dashboard_mhd.h):
 *
 *   GET /            the page (dashboard_page.h)
 *   GET /api/status  what `ninesctl status --json` prints
 *   GET /events      server-sent events: one per supervisor report, live
 *                    (an `events follow` stream of the control socket)
 *   GET /metrics     what `ninesctl metrics` prints (Prometheus text)
 *
 * Anything else is 404, any method but GET 405: nothing here can change
 * the tree.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "client.h"
#include "ctl.h"
#include "ctl_proto.h"
#include "dashboard.h"
#include "dashboard_mhd.h"
#include "dashboard_page.h"
#include "output.h"

int ctl_dashboard_parse_listen(const char *listen, struct sockaddr_in *out) {
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    char host[64];
    if (!colon || (size_t)(colon - listen) >= sizeof host || !colon[1])
        return -EINVAL;
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || port > 65535) /* 0: the kernel picks one */
        return -EINVAL;
    *out = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -EINVAL;
}

static const char *socket_path;
static struct ctl_mhd mhd; /* loaded by ctl_dashboard_run */
/* ninesctl's request path keeps a static buffer: one command at a time. */
static pthread_mutex_t command_lock = PTHREAD_MUTEX_INITIALIZER;

/* One ninesctl command's stdout, as it would print it (json or not). */
static char *run_command(const char *name, bool json, int argc, const char **req, size_t *len) {
    struct ctl_args a = {.cmd = ctl_command_find(name), .json = json};
    char *text = NULL, *err = NULL;
    size_t err_len = 0;
    FILE *out = open_memstream(&text, len), *errs = open_memstream(&err, &err_len);
    if (!out || !errs) {
        if (out)
            fclose(out);
        free(text);
        return NULL;
    }
    pthread_mutex_lock(&command_lock);
    struct ctl_output o;
    ctl_output_init(&o, &a, out, errs, false, false);
    int fd = ctl_client_connect(socket_path);
    if (fd < 0) {
        ctl_client_connect_failed(&o, socket_path, fd);
    } else {
        ctl_client_exchange(fd, argc, req, &o);
        close(fd);
    }
    ctl_output_free(&o);
    pthread_mutex_unlock(&command_lock);
    fclose(out);
    fclose(errs);
    free(err);
    return text;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned code, const char *type, char *body,
                              size_t len) {
    struct MHD_Response *r = mhd.create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    mhd.add_response_header(r, "Content-Type", type);
    mhd.add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = mhd.queue_response(conn, code, r);
    mhd.destroy_response(r);
    return ok;
}

static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned code, const char *text) {
    return answer(conn, code, "text/plain; charset=utf-8", strdup(text), strlen(text));
}

/* --- /events: the control socket's report stream as server-sent events --- */

struct sse {
    int fd;
    struct ctl_decoder dec;
    struct sse *next; /* every open stream, so that a stop can end them */
};

static pthread_mutex_t streams_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sse *streams;

/* Wakes every stream's thread out of its read: MHD_stop_daemon waits for them. */
static void end_streams(void) {
    pthread_mutex_lock(&streams_lock);
    for (struct sse *s = streams; s; s = s->next)
        shutdown(s->fd, SHUT_RDWR);
    pthread_mutex_unlock(&streams_lock);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max) {
    struct sse *s = cls;
    (void)pos;
    struct ctl_frame f;
    for (;;) {
        if (ctl_recv(s->fd, &s->dec, &f) < 0 || f.type == CTL_END)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (f.type != CTL_DATA)
            continue;
        /* A DATA frame holds whole records, one a line. */
        size_t used = 0;
        const char *p = (const char *)f.payload, *endp = p + f.length;
        while (p < endp) {
            const char *nl = memchr(p, '\n', (size_t)(endp - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(endp - p);
            if (n && used + n + 8 <= max) {
                memcpy(buf + used, "data: ", 6);
                memcpy(buf + used + 6, p, n);
                memcpy(buf + used + 6 + n, "\n\n", 2);
                used += n + 8;
            }
            p += n + 1;
        }
        if (used)
            return (ssize_t)used;
    }
}

static void sse_free(void *cls) {
    struct sse *s = cls;
    pthread_mutex_lock(&streams_lock);
    for (struct sse **p = &streams; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    pthread_mutex_unlock(&streams_lock);
    close(s->fd);
    ctl_decoder_free(&s->dec);
    free(s);
}

static enum MHD_Result serve_events(struct MHD_Connection *conn) {
    struct sse *s = calloc(1, sizeof *s);
    uint8_t buf[64];
    const char *req[] = {"events", "follow"};
    int n = ctl_argv_encode(buf, sizeof buf, 2, req);
    if (!s || n < 0 || (s->fd = ctl_client_connect(socket_path)) < 0) {
        free(s);
        return answer_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "ninesd does not answer\n");
    }
    ctl_decoder_init(&s->dec, CTL_MAX_RESPONSE);
    if (ctl_send(s->fd, CTL_REQUEST, CTL_ST_OK, buf, (size_t)n) < 0) {
        sse_free(s);
        return answer_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "ninesd does not answer\n");
    }
    pthread_mutex_lock(&streams_lock);
    s->next = streams;
    streams = s;
    pthread_mutex_unlock(&streams_lock);
    struct MHD_Response *r = mhd.create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, sse_read, s, sse_free);
    mhd.add_response_header(r, "Content-Type", "text/event-stream");
    mhd.add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = mhd.queue_response(conn, MHD_HTTP_OK, r);
    mhd.destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state) {
    (void)cls, (void)version, (void)upload, (void)upload_size, (void)state;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "read-only: GET only\n");
    size_t len = 0;
    char *body;
    if (strcmp(url, "/") == 0)
        return answer(conn, MHD_HTTP_OK, "text/html; charset=utf-8", strdup(dashboard_page),
                      sizeof dashboard_page - 1);
    if (strcmp(url, "/events") == 0)
        return serve_events(conn);
    if (strcmp(url, "/api/status") == 0) {
        const char *req[] = {"status"};
        if ((body = run_command("status", true, 1, req, &len)) && len)
            return answer(conn, MHD_HTTP_OK, "application/json", body, len);
    } else if (strcmp(url, "/metrics") == 0) {
        const char *req[] = {"metrics"};
        if ((body = run_command("metrics", false, 1, req, &len)) && len)
            return answer(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len);
    } else {
        return answer_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    free(body);
    return answer_text(conn, MHD_HTTP_BAD_GATEWAY, "ninesd did not answer\n");
}

int ctl_dashboard_run(const char *path, const char *listen) {
    struct sockaddr_in addr;
    if (ctl_dashboard_parse_listen(listen, &addr) < 0) {
        fprintf(stderr, "ninesctl: dashboard: --listen wants ADDRESS:PORT (IPv4, e.g. 127.0.0.1:8080), got '%s'\n",
                listen ? listen : "");
        return CTL_EXIT_USAGE;
    }
    char why[512];
    if (ctl_mhd_load(&mhd, why, sizeof why) < 0) {
        fprintf(stderr, "ninesctl: dashboard: %s\n", why);
        return CTL_EXIT_FAILED;
    }
    socket_path = path;
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the server's threads inherit it: only sigwait takes them */
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *server = mhd.start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
                                                 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                                                 MHD_OPTION_END);
    if (!server) {
        fprintf(stderr, "ninesctl: dashboard: cannot listen on %s: %s\n", listen, strerror(errno));
        return CTL_EXIT_FAILED;
    }
    /* The port bound, which the kernel picked when --listen said 0. */
    const union MHD_DaemonInfo *bound = mhd.get_daemon_info(server, MHD_DAEMON_INFO_BIND_PORT);
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr.sin_addr, host, sizeof host);
    fprintf(stderr, "ninesctl: dashboard on http://%s:%u/ (read-only), Ctrl-C stops it\n", host,
            bound ? (unsigned)bound->port : (unsigned)ntohs(addr.sin_port));
    int sig;
    sigwait(&stop, &sig);
    mhd.quiesce_daemon(server);
    end_streams();
    mhd.stop_daemon(server);
    return CTL_EXIT_OK;
}
