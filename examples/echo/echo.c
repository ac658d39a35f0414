/*
 * echo — a TCP line echo server driven entirely by the worker's event loop:
 * every socket is watched through nines_fd_watch(), nothing blocks and
 * there are no threads. The example of a live upgrade that keeps open
 * connections (echo.h: the two versions and their snapshots).
 *
 * Args:
 *   port   TCP port (integer 0-65535, default 7007; 0 picks a free port)
 *   bind   IPv4 address to listen on (default 127.0.0.1)
 * or, instead of both, a socket ninesd holds for it across its restarts:
 *   sockets: [{name: echo, tcp: '127.0.0.1:7007'}]   (nines_listen_fd)
 *
 * Each complete line a client sends ("\n"-terminated, at most 64 KiB) is
 * written back byte for byte. A longer line closes that connection. Output
 * that cannot be written at once is kept and flushed when the socket is
 * writable; while more than 1 MiB is pending the connection is not read
 * (backpressure on a client that does not read its echoes). Version 2
 * writes "[N] " before each line, N counting that connection's lines
 * from 1 ("[1] hello\n", "[2] again\n").
 *
 * Calls:
 *   port     the port actually listened on, in decimal
 *   stats    "connections=N served=M" (open connections, lines echoed)
 *   version  this build's version: "1.0.0" or "2.0.0"
 *
 * Tags: 0 is the listener, connections get 1, 2, 3, ... in accept order.
 * Timer ACCEPT_RETRY_TAG re-watches the listener after running out of
 * descriptors.
 *
 * The files: echo.c (arguments and callbacks), echo_io.c (connections),
 * echo_conns.c (buffers and the table), echo_snapshot.c (live upgrade).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo.h"

/* --- Callbacks. --------------------------------------------------------- */

/* Stop the worker with "echo: MESSAGE" and return -err. */
static int fail(nines_ctx *ctx, int err, const char *fmt, ...) NINES_PRINTF(3, 4);

static int fail(nines_ctx *ctx, int err, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    nines_stop(ctx, NINES_STOP_ERROR, msg);
    return -err;
}

static int parse_args(nines_ctx *ctx, struct in_addr *addr, const char **bind_str,
                      int *port)
{
    long long p = DEFAULT_PORT;
    int r = nines_arg_int(ctx, "port", &p);

    if (r < 0 && r != -ENOENT)
        return fail(ctx, EINVAL, "echo: port must be an integer");
    if (p < 0 || p > 65535)
        return fail(ctx, EINVAL, "echo: port must be between 0 and 65535 (got %lld)", p);
    *port = (int)p;
    *bind_str = nines_arg(ctx, "bind");
    if (*bind_str == NULL)
        *bind_str = DEFAULT_BIND;
    if (inet_pton(AF_INET, *bind_str, addr) != 1)
        return fail(ctx, EINVAL, "echo: bind must be an IPv4 address (got '%s')", *bind_str);
    return 0;
}

/* Open the listening socket and learn its real port. */
static int open_listener(nines_ctx *ctx, const char *bind_str, struct in_addr addr,
                         int port, struct echo *e)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr = addr};
    socklen_t salen = sizeof(sa);
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return fail(ctx, errno, "echo: cannot create a socket: %s", strerror(errno));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, BACKLOG) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
        int err = errno;
        close(fd);
        return fail(ctx, err, "echo: cannot listen on %s:%d: %s", bind_str, port,
                    strerror(err));
    }
    e->listen_fd = fd;
    e->port = ntohs(sa.sin_port);
    return 0;
}

/* The socket ninesd holds for this child (`sockets: [{name: echo, tcp:
 * ...}]`): kept across the worker's crashes, so clients wait in its
 * backlog while it restarts. It comes blocking; accepting needs it not. */
static int adopt_listener(nines_ctx *ctx, int fd, struct echo *e)
{
    struct sockaddr_storage sa;
    socklen_t salen = sizeof(sa);
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &salen) < 0)
        return fail(ctx, errno, "echo: cannot use the socket ninesd holds: %s", strerror(errno));
    e->listen_fd = fd;
    e->port = sa.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port)
                                       : ntohs(((struct sockaddr_in *)&sa)->sin_port);
    return 0;
}

static int echo_init(nines_ctx *ctx, void **state)
{
    struct in_addr addr;
    const char *bind_str = NULL;
    int port = 0;
    int r = parse_args(ctx, &addr, &bind_str, &port);

    if (r < 0)
        return r;
    struct echo *e = echo_new();
    if (e == NULL)
        return fail(ctx, ENOMEM, "echo: out of memory");
    int held = nines_listen_fd(ctx, "echo");
    r = held >= 0 ? adopt_listener(ctx, held, e) : open_listener(ctx, bind_str, addr, port, e);
    if (r < 0) {
        echo_free(NULL, e);
        return r;
    }
    r = nines_fd_watch(ctx, LISTENER_TAG, e->listen_fd, NINES_READABLE);
    if (r < 0) {
        close(e->listen_fd);
        echo_free(NULL, e);
        return fail(ctx, -r, "echo: cannot watch the listener: %s", strerror(-r));
    }
    nines_log(ctx, NINES_LOG_INFO, "echo: listening on %s:%d", bind_str, e->port);
    *state = e;
    return 0;
}

static int echo_info(nines_ctx *ctx, void *state, const struct nines_info *info)
{
    struct echo *e = state;

    if (info->kind == NINES_INFO_TIMER)
        return info->tag == ACCEPT_RETRY_TAG && e->listener_paused
                   ? resume_listener(ctx, e)
                   : 0;
    if (info->tag == LISTENER_TAG)
        return e->listener_paused ? 0 : accept_all(ctx, e);
    struct conn *c = table_find(e, info->tag);
    /* An event for a connection closed earlier in this loop turn. */
    if (c != NULL)
        conn_event(ctx, e, c, info->events);
    return 0;
}

static int reply_text(nines_ctx *ctx, uint64_t ref, const char *text)
{
    return nines_reply(ctx, ref, text, strlen(text));
}

static int echo_call(nines_ctx *ctx, void *state, const struct nines_request *call)
{
    const struct echo *e = state;
    const char *req = call->data;
    size_t len = call->len;
    char out[160];

    while (len > 0 && (req[len - 1] == '\n' || req[len - 1] == ' '))
        len--;
    if (len == 4 && memcmp(req, "port", 4) == 0)
        snprintf(out, sizeof(out), "%d", e->port);
    else if (len == 5 && memcmp(req, "stats", 5) == 0)
        snprintf(out, sizeof(out), "connections=%zu served=%llu", e->count, e->served);
    else if (len == 7 && memcmp(req, "version", 7) == 0)
        snprintf(out, sizeof(out), "%s", ECHO_VSN);
    else
        snprintf(out, sizeof(out),
                 "error: unknown request '%.*s' (expected port, stats, version)",
                 len > 64 ? 64 : (int)len, req);
    return reply_text(ctx, call->ref, out);
}

static void echo_terminate(nines_ctx *ctx, void *state,
                           const struct nines_stop_reason *reason)
{
    echo_free(ctx, state);
}

/* After an upgrade: free the memory only; the descriptors, their watches
 * and the retry timer now belong to the new code. */
static void echo_free_state(nines_ctx *ctx, void *state)
{
    echo_free(NULL, state);
}

NINES_MODULE_V1(.name = "echo", .version = ECHO_VSN, .init = echo_init,
                .handle_call = echo_call, .handle_info = echo_info,
                .terminate = echo_terminate, .export_state = echo_export,
                .code_change = echo_code_change, .free_state = echo_free_state);
