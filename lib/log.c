/*
 * log.c — logfmt lines and journal entries for every event.
 */
#include "log.h"

#include <stdint.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log_buffer.h"
#include "sha256.h"

#define MAX_FIELDS 24
#define LINE_MAX_BYTES 8192

static void timestamp(char *buf, size_t size);

static bool to_journal;

static bool stderr_is_journal(void) {
    const char *stream = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!stream || sscanf(stream, "%llu:%llu", &dev, &ino) != 2)
        return false;
    if (fstat(STDERR_FILENO, &st) < 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void nines_log_setup(enum nines_log_target target) {
    if (target == NINES_LOG_TARGET_AUTO)
        to_journal = stderr_is_journal();
    else
        to_journal = target == NINES_LOG_TARGET_JOURNAL;
}

int nines_log_target_parse(const char *text, enum nines_log_target *out) {
    static const char *const names[] = {"auto", "stderr", "journal"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (enum nines_log_target)i;
            return 0;
        }
    return -EINVAL;
}

bool nines_log_to_journal(void) { return to_journal; }

const char *nines_log_level_name(int priority) {
    if (priority <= LOG_ERR)
        return "error";
    switch (priority) {
    case LOG_WARNING: return "warning";
    case LOG_NOTICE: return "notice";
    case LOG_INFO: return "info";
    default: return "debug";
    }
}

/* iscntrl in the C locale, without a table lookup per byte: status
 * records go through here 10,000 at a time. */
static bool is_control(unsigned char c) {
    return c < 0x20 || c == 0x7f;
}

/* The bytes a value is quoted for: space, '=', '"', '\\' and control bytes. */
static const bool special_byte[256] = {
    [0 ... 0x20] = true, ['='] = true, ['"'] = true, ['\\'] = true, [0x7f] = true,
};

static bool special(char c) {
    return special_byte[(unsigned char)c];
}

/* Copy v to buf at *len while no byte of it needs quotes and it fits:
 * true, *len past it, if all of it did (an empty value needs quotes);
 * else false and *len as it was. One pass, no strlen: status records
 * go through here 300,000 fields at a time. */
static bool put_plain(char *buf, size_t size, size_t *len, const char *v) {
    size_t at = *len, room = at < size ? size - at : 0;
    for (size_t i = 0;; i++) {
        if (v[i] == '\0') {
            *len += i;
            return i > 0;
        }
        if (i == room || special(v[i])) {
            *len = at;
            return false;
        }
        buf[at + i] = v[i];
    }
}

/* Append to buf at *len, never past size, always counting what was needed. */
static void put(char *buf, size_t size, size_t *len, const char *s, size_t n) {
    if (*len < size) {
        size_t room = size - *len;
        memcpy(buf + *len, s, n < room ? n : room);
    }
    *len += n;
}

static void put_value(char *buf, size_t size, size_t *len, const char *v) {
    if (put_plain(buf, size, len, v))
        return;
    bool quote = !v[0];
    for (const char *p = v; !quote && *p; p++)
        quote = special(*p);
    if (!quote) { /* plain, but past the end of buf: counted only */
        put(buf, size, len, v, strlen(v));
        return;
    }
    put(buf, size, len, "\"", 1);
    for (; *v; v++) {
        char esc[8];
        if (*v == '"' || *v == '\\') {
            esc[0] = '\\', esc[1] = *v;
            put(buf, size, len, esc, 2);
        } else if (*v == '\n') {
            put(buf, size, len, "\\n", 2);
        } else if (is_control((unsigned char)*v)) {
            int k = snprintf(esc, sizeof esc, "\\x%02x", (unsigned char)*v);
            put(buf, size, len, esc, (size_t)k);
        } else {
            put(buf, size, len, v, 1);
        }
    }
    put(buf, size, len, "\"", 1);
}

static void put_pair(char *buf, size_t size, size_t *len, const char *k, const char *v) {
    if (*len > 0)
        put(buf, size, len, " ", 1);
    /* A key goes as it is, whatever its bytes (callers pass names of
     * [A-Za-z0-9_.-]): one copy, not the byte-by-byte look for bytes to
     * quote a value gets (a status of 10,000 nodes has 300,000 keys). */
    put(buf, size, len, k, strlen(k));
    put(buf, size, len, "=", 1);
    put_value(buf, size, len, v);
}

size_t nines_logfmt_format(char *buf, size_t size, const char *ts, int priority,
                           const char *event, const char *message,
                           const struct nines_field *fields, size_t n_fields) {
    size_t len = 0;
    put_pair(buf, size, &len, "ts", ts);
    put_pair(buf, size, &len, "level", nines_log_level_name(priority));
    put_pair(buf, size, &len, "event", event);
    for (size_t i = 0; i < n_fields; i++)
        if (fields[i].value)
            put_pair(buf, size, &len, fields[i].key, fields[i].value);
    if (message)
        put_pair(buf, size, &len, "msg", message);
    put(buf, size, &len, "\n", 1);
    if (size > 0)
        buf[len < size ? len : size - 1] = '\0';
    return len;
}

size_t nines_logfmt_record(char *buf, size_t size, const struct nines_field *fields, size_t n_fields) {
    size_t len = 0;
    for (size_t i = 0; i < n_fields; i++)
        if (fields[i].value)
            put_pair(buf, size, &len, fields[i].key, fields[i].value);
    put(buf, size, &len, "\n", 1);
    if (size > 0)
        buf[len < size ? len : size - 1] = '\0';
    return len;
}

static nines_log_tap_fn tap;
static void *tap_userdata;

void nines_log_set_tap(nines_log_tap_fn fn, void *userdata) {
    tap = fn;
    tap_userdata = userdata;
}

/* Hand the record, as a logfmt line, to whoever listens (the control
 * socket's event history), wherever the record itself goes. */
static void tap_record(int priority, const char *event, const char *message,
                       const struct nines_field *fields, size_t n_fields) {
    char ts[40], line[LINE_MAX_BYTES];
    timestamp(ts, sizeof ts);
    size_t need = nines_logfmt_format(line, sizeof line, ts, priority, event, message, fields, n_fields);
    tap(tap_userdata, event, line, need < sizeof line ? need : sizeof line - 1);
}

static void timestamp(char *buf, size_t size) {
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03ldZ", now.tv_nsec / 1000000);
}

/* --- the stderr sink ------------------------------------------------------
 * By default a record is one blocking write(2) to stderr. ninesd asks for
 * nines_log_nonblocking(): its records then go through a descriptor of
 * their own (a new open of the same pipe or terminal, so stderr's flags,
 * shared with whoever else holds it, stay as they are) that never blocks,
 * and what the sink does not take waits in a bounded buffer. */

static int sink_fd = STDERR_FILENO;
static bool sink_socket; /* stderr is a socket: send(MSG_DONTWAIT) instead */
static struct nines_log_buffer *pending;
static void (*wait_hook)(void *);
static void *wait_hook_arg;

void nines_log_set_wait_hook(void (*fn)(void *), void *userdata) {
    wait_hook = fn, wait_hook_arg = userdata;
}

static ssize_t sink_put(const char *bytes, size_t len) {
    ssize_t n;
    do
        n = sink_socket ? send(sink_fd, bytes, len, MSG_DONTWAIT | MSG_NOSIGNAL) : write(sink_fd, bytes, len);
    while (n < 0 && errno == EINTR);
    return n;
}

static void report_dropped(uint64_t dropped) {
    char ts[40], line[256], count[24];
    snprintf(count, sizeof count, "%llu", (unsigned long long)dropped);
    struct nines_field f[] = {{"dropped", count}};
    timestamp(ts, sizeof ts);
    size_t len = nines_logfmt_format(line, sizeof line, ts, LOG_WARNING, "log_dropped",
                                     "log records were dropped while the log's reader did not keep up", f, 1);
    nines_log_buffer_add(pending, line, len < sizeof line ? len : sizeof line - 1);
}

void nines_log_flush(void) {
    while (pending && pending->len > 0) {
        ssize_t n = sink_put(pending->data, pending->len);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            pending->len = 0; /* the sink is gone: nothing will ever read these */
            return;
        }
        nines_log_buffer_consume(pending, (size_t)n);
        uint64_t dropped = nines_log_buffer_take_dropped(pending);
        if (dropped)
            report_dropped(dropped);
    }
}

static unsigned held; /* nines_log_hold() depth */

void nines_log_hold(void) {
    held++;
}

void nines_log_release(void) {
    if (held && --held == 0 && pending) {
        nines_log_flush();
        if (pending->len > 0 && wait_hook)
            wait_hook(wait_hook_arg);
    }
}

/* One write per record so lines from several writers never interleave
 * (held ones: one write for them all, whole lines). */
static void sink_write(const char *line, size_t len) {
    if (!pending) {
        ssize_t ignored = write(STDERR_FILENO, line, len);
        (void)ignored;
        return;
    }
    if (held && len <= sizeof pending->data - pending->len) {
        nines_log_buffer_add(pending, line, len);
        return;
    }
    nines_log_flush();
    if (pending->len > 0) {
        nines_log_buffer_add(pending, line, len); /* behind the others, or dropped */
    } else {
        ssize_t n = sink_put(line, len);
        if (n < 0)
            n = errno == EAGAIN ? 0 : (ssize_t)len; /* a broken sink loses it, as before */
        if ((size_t)n < len)
            nines_log_buffer_add(pending, line + n, len - (size_t)n); /* fits: the buffer was empty */
    }
    if (pending->len > 0 && wait_hook)
        wait_hook(wait_hook_arg);
}

int nines_log_nonblocking(void) {
    struct stat st;
    if (pending)
        return 0;
    if (fstat(STDERR_FILENO, &st) < 0)
        return -errno;
    if (!(pending = calloc(1, sizeof *pending)))
        return -ENOMEM;
    if (S_ISSOCK(st.st_mode)) {
        sink_socket = true;
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        int fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0)
            sink_fd = fd;
        else if (fcntl(STDERR_FILENO, F_SETFL, fcntl(STDERR_FILENO, F_GETFL) | O_NONBLOCK) < 0)
            return -errno;
    }
    return 0; /* a regular file never makes the writer wait on a reader */
}

void nines_log_close(void) {
    if (!pending)
        return;
    nines_log_flush();
    free(pending);
    pending = NULL;
    if (sink_fd != STDERR_FILENO)
        close(sink_fd);
    sink_fd = STDERR_FILENO;
    sink_socket = false;
}

int nines_log_sink_fd(void) { return sink_fd; }

int nines_log_pending_fd(void) { return pending && pending->len > 0 ? sink_fd : -1; }

/* A formatted record of `need` bytes (cut to LINE_MAX_BYTES) to stderr. */
static void emit_line(char line[static LINE_MAX_BYTES], size_t need) {
    size_t len = need < LINE_MAX_BYTES ? need : LINE_MAX_BYTES - 1;
    if (need >= LINE_MAX_BYTES)
        line[len - 1] = '\n'; /* truncated: still one line */
    sink_write(line, len);
}

static void emit_stderr(int priority, const char *event, const char *message,
                        const struct nines_field *fields, size_t n_fields) {
    char ts[40], line[LINE_MAX_BYTES];
    timestamp(ts, sizeof ts);
    emit_line(line, nines_logfmt_format(line, sizeof line, ts, priority, event, message, fields, n_fields));
}

/* Journal field names: NINES_ + the key in upper case. */
static int journal_field(char *dst, size_t size, const char *key, const char *value) {
    char name[64];
    size_t i = 0;
    for (; key[i] && i < sizeof name - 1; i++)
        name[i] = (char)toupper((unsigned char)key[i]);
    name[i] = '\0';
    return snprintf(dst, size, "NINES_%s=%s", name, value);
}

size_t nines_log_message_id(const char *event, char out[static 33]) {
    uint8_t digest[NINES_SHA256_SIZE];
    struct nines_sha256 h;
    nines_sha256_init(&h);
    nines_sha256_update(&h, "nines/", 6);
    nines_sha256_update(&h, event, strlen(event));
    nines_sha256_final(&h, digest);
    for (size_t i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
    return 32;
}

static const char *field_value(const struct nines_field *fields, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++)
        if (fields[i].value && strcmp(fields[i].key, key) == 0)
            return fields[i].value;
    return NULL;
}

/* One journal entry: MESSAGE= the human text, MESSAGE_ID= the event
 * kind's stable id, every field as NINES_KEY=. A child's output line is
 * the child's own entry: SYSLOG_IDENTIFIER= its path and OBJECT_PID= its
 * pid (journald then adds the OBJECT_ fields of that process), so
 * `journalctl -t web/listener` shows that child alone. */
static void emit_journal(int priority, const char *event, const char *message,
                         const struct nines_field *fields, size_t n_fields) {
    static char text[MAX_FIELDS + 6][LINE_MAX_BYTES + 16];
    struct iovec iov[MAX_FIELDS + 6];
    size_t n = 0;
    char id[33];
    bool output = strcmp(event, "output") == 0;
    const char *child = field_value(fields, n_fields, "child");
    nines_log_message_id(event, id);
    snprintf(text[n++], sizeof text[0], "MESSAGE=%s", message ? message : event);
    snprintf(text[n++], sizeof text[0], "MESSAGE_ID=%s", id);
    snprintf(text[n++], sizeof text[0], "PRIORITY=%d", priority);
    snprintf(text[n++], sizeof text[0], "NINES_EVENT=%s", event);
    snprintf(text[n++], sizeof text[0], "SYSLOG_IDENTIFIER=%s", output && child ? child : "ninesd");
    if (output && field_value(fields, n_fields, "pid"))
        snprintf(text[n++], sizeof text[0], "OBJECT_PID=%s", field_value(fields, n_fields, "pid"));
    for (size_t i = 0; i < n_fields && n < MAX_FIELDS + 6; i++)
        if (fields[i].value)
            journal_field(text[n++], sizeof text[0], fields[i].key, fields[i].value);
    for (size_t i = 0; i < n; i++)
        iov[i] = (struct iovec){.iov_base = text[i], .iov_len = strlen(text[i])};
    if (sd_journal_sendv(iov, (int)n) < 0)
        emit_stderr(priority, event, message, fields, n_fields);
}

/* libsystemd drops entries silently when journald is not there (a
 * missing socket is not an error to sd_journal_send()): look for it. */
int nines_log_journal_check(char *why, size_t size) {
    static const char path[] = "/run/systemd/journal/socket";
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, path, sizeof path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int r = fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0 ? -errno : 0;
    if (fd >= 0)
        close(fd);
    if (r < 0)
        snprintf(why, size, "no journal at %s (%s): is systemd-journald running? (--log-target stderr logs to stderr)",
                 path, strerror(-r));
    return r;
}

void nines_log_event(int priority, const char *event, const char *message,
                     const struct nines_field *fields, size_t n_fields) {
    if (to_journal) {
        if (tap)
            tap_record(priority, event, message, fields, n_fields);
        emit_journal(priority, event, message, fields, n_fields);
        return;
    }
    /* The tap's line and stderr's are the same line: made once. */
    char ts[40], line[LINE_MAX_BYTES];
    timestamp(ts, sizeof ts);
    size_t need = nines_logfmt_format(line, sizeof line, ts, priority, event, message, fields, n_fields);
    if (tap)
        tap(tap_userdata, event, line, need < sizeof line ? need : sizeof line - 1);
    emit_line(line, need);
}
