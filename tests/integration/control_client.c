/*
 * control_client.c — see control_client.h.
 */
#include "control_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int control_connect(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int err = -errno;
        if (fd >= 0)
            close(fd);
        return err;
    }
    return fd;
}

static int send_v(int fd, va_list ap) {
    const char *argv[CTL_MAX_ARGS];
    int argc = 0;
    for (const char *s; argc < CTL_MAX_ARGS && (s = va_arg(ap, const char *));)
        argv[argc++] = s;
    static uint8_t req[CTL_MAX_REQUEST];
    int len = ctl_argv_encode(req, sizeof req, argc, argv);
    if (len < 0)
        return len;
    return ctl_send(fd, CTL_REQUEST, CTL_ST_OK, req, (size_t)len);
}

int control_answer(int fd, struct answer *a) {
    int r;
    memset(a, 0, sizeof *a);
    struct ctl_decoder d;
    ctl_decoder_init(&d, CTL_MAX_RESPONSE);
    for (;;) {
        struct ctl_frame f;
        if ((r = ctl_recv(fd, &d, &f)) < 0)
            break;
        if (f.type == CTL_END) {
            a->status = f.status;
            snprintf(a->message, sizeof a->message, "%.*s", (int)f.length, (const char *)f.payload);
            break;
        }
        size_t room = sizeof a->data - 1 - a->data_len;
        size_t n = f.length < room ? f.length : room;
        memcpy(a->data + a->data_len, f.payload, n);
        a->data_len += n;
        a->data[a->data_len] = '\0';
        a->frames++;
    }
    ctl_decoder_free(&d);
    return r < 0 ? r : 0;
}

static int ask_v(int fd, struct answer *a, va_list ap) {
    int r = send_v(fd, ap);
    return r < 0 ? r : control_answer(fd, a);
}

int control_request(int fd, ...) {
    va_list ap;
    va_start(ap, fd);
    int r = send_v(fd, ap);
    va_end(ap);
    return r;
}

int control_ask(int fd, struct answer *a, ...) {
    va_list ap;
    va_start(ap, a);
    int r = ask_v(fd, a, ap);
    va_end(ap);
    return r;
}

int control_ask_once(const char *path, struct answer *a, ...) {
    int fd = control_connect(path);
    if (fd < 0)
        return fd;
    va_list ap;
    va_start(ap, a);
    int r = ask_v(fd, a, ap);
    va_end(ap);
    close(fd);
    return r;
}

int status_field(const struct answer *a, const char *path, const char *key, char *buf, size_t size) {
    char want[512];
    snprintf(want, sizeof want, "path=%s ", path);
    for (const char *line = a->data; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (strncmp(line, want, strlen(want)) == 0) {
            struct ctl_field f[32];
            static char scratch[8192];
            int n = ctl_record_parse(line, len, f, 32, scratch);
            const char *v = n > 0 ? ctl_record_get(f, n, key) : NULL;
            if (!v)
                return false;
            snprintf(buf, size, "%s", v);
            return true;
        }
        line = nl ? nl + 1 : NULL;
    }
    return false;
}
