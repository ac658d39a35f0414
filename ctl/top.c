/*
 * top.c — `ninesctl top`: the tree refreshed in place once a second (the
 * htop / systemd-cgtop habit): restarts, CPU, memory and queued messages
 * per node, sorted by a key, `q` quits. Not on a terminal it prints plain
 * tables, one per second. The rows are decided in top_model.c; here are
 * the socket, the terminal and the clock.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "ctl.h"
#include "render.h"
#include "render_internal.h"
#include "top.h"
#include "top_model.h"

#define TOP_INTERVAL_MS 1000

static volatile sig_atomic_t stop_asked;

static void on_stop_signal(int sig) {
    (void)sig;
    stop_asked = 1;
}

static int64_t monotonic_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One `status PATH resources` answer into *rs. The exit code of a
 * failure (printed on stderr), or 0 (3, a permanent child down, is what
 * top is there to show, not a failure). */
static int take_sample(const struct ctl_args *a, const char *socket_path, struct ctl_records *rs) {
    struct ctl_args sa = *a;
    sa.cmd = ctl_command_find("status");
    sa.json = false;
    FILE *sink = fopen("/dev/null", "w");
    if (!sink)
        return CTL_EXIT_FAILED;
    struct ctl_output o;
    ctl_output_init(&o, &sa, sink, stderr, false, false);
    o.keep_records = true;
    int fd = ctl_client_connect(socket_path);
    int code;
    if (fd < 0) {
        code = ctl_client_connect_failed(&o, socket_path, fd);
    } else {
        const char *req[] = {"status", a->npos ? a->pos[0] : "/", "resources"};
        code = ctl_client_exchange(fd, 3, req, &o);
        close(fd);
    }
    *rs = o.records;
    o.records = (struct ctl_records){0};
    ctl_output_free(&o);
    fclose(sink);
    return code == CTL_EXIT_UNHEALTHY ? CTL_EXIT_OK : code;
}

static char *cpu_cell(const struct top_row *r) {
    char buf[32];
    if (r->cpu_permille < 0)
        return ctl_cell(NULL);
    snprintf(buf, sizeof buf, "%d.%d%%", r->cpu_permille / 10, r->cpu_permille % 10);
    return ctl_cell(buf);
}

static char *number_cell(uint64_t v, bool shown) {
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return ctl_cell(shown ? buf : NULL);
}

static char *mem_cell(const struct top_row *r) {
    char buf[32];
    if (!r->rss_kib)
        return ctl_cell(NULL);
    if (r->rss_kib < 10 * 1024)
        snprintf(buf, sizeof buf, "%" PRIu64 "K", r->rss_kib);
    else
        snprintf(buf, sizeof buf, "%" PRIu64 "M", r->rss_kib / 1024);
    return ctl_cell(buf);
}

enum { C_PATH, C_KIND, C_STATE, C_PID, C_CPU, C_MEM, C_RESTARTS, C_QUEUED, C_EXIT, C_N };
static const char *const top_headers[C_N] = {"PATH", "KIND",     "STATE",  "PID",      "CPU",
                                             "MEM",  "RESTARTS", "QUEUED", "LAST EXIT"};

/* The table, at most max_rows rows of nodes (0: all). */
static void print_table(FILE *out, const struct top_sample *s, size_t max_rows, bool color) {
    size_t n = max_rows && s->n > max_rows ? max_rows : s->n;
    struct ctl_table t;
    if (ctl_table_init(&t, n + 1, C_N, C_STATE) < 0)
        return;
    for (int c = 0; c < C_N; c++)
        ctl_table_row(&t, 0)[c] = ctl_cell(top_headers[c]);
    for (size_t i = 0; i < n; i++) {
        const struct top_row *r = &s->rows[i];
        char **row = ctl_table_row(&t, i + 1);
        row[C_PATH] = ctl_cell(r->path);
        row[C_KIND] = ctl_cell(r->kind);
        row[C_STATE] = ctl_cell(r->state);
        row[C_PID] = number_cell((uint64_t)r->pid, r->pid > 0);
        row[C_CPU] = cpu_cell(r);
        row[C_MEM] = mem_cell(r);
        row[C_RESTARTS] = number_cell(r->restarts, strcmp(r->path ? r->path : "/", "/") != 0);
        row[C_QUEUED] = number_cell(r->queued, r->pid > 0);
        row[C_EXIT] = ctl_cell(r->last_exit);
        t.color[i + 1] = ctl_status_state_color(r->record);
    }
    if (ctl_table_check(&t) == 0)
        ctl_table_print(out, &t, color);
    ctl_table_free(&t);
}

static void print_header(FILE *out, const struct top_sample *s, enum top_sort key, bool tty) {
    time_t now = time(NULL);
    struct tm tm;
    char clock[16];
    localtime_r(&now, &tm);
    strftime(clock, sizeof clock, "%H:%M:%S", &tm);
    fprintf(out, "ninesctl top  %s  %zu nodes  sorted by %s%s\n", clock, s->n, top_sort_name(key),
            tty ? "  (c cpu, m mem, r restarts, u queued, t tree, q quit)" : "");
}

static size_t terminal_rows(void) {
    struct winsize ws;
    return ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 3 ? ws.ws_row - 3u : 0;
}

/* Waits up to ms for a key; the sort it asks for, TOP_KEY_QUIT, or -1
 * when the time is up. A stdin at its end (</dev/null) is left alone. */
#define TOP_KEY_QUIT (-2)
static bool stdin_done;
static int wait_key(int ms) {
    struct pollfd p = {.fd = stdin_done ? -1 : STDIN_FILENO, .events = POLLIN};
    int64_t deadline = monotonic_ms() + ms;
    for (int64_t left = ms; left > 0 && !stop_asked; left = deadline - monotonic_ms()) {
        p.fd = stdin_done ? -1 : STDIN_FILENO;
        if (poll(&p, 1, (int)left) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
            continue;
        char c;
        if (read(STDIN_FILENO, &c, 1) <= 0) {
            stdin_done = true;
            continue;
        }
        if (c == 'q' || c == 'Q' || c == 3 /* ^C in raw mode */)
            return TOP_KEY_QUIT;
        int k = top_sort_for_key(c);
        if (k >= 0)
            return k;
    }
    return -1;
}

struct terminal {
    bool raw;
    struct termios saved;
};

static void terminal_enter(struct terminal *t, FILE *out) {
    t->raw = tcgetattr(STDIN_FILENO, &t->saved) == 0;
    if (t->raw) {
        struct termios r = t->saved;
        r.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        r.c_cc[VMIN] = 1;
        r.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &r);
    }
    fputs("\033[?1049h\033[?25l", out); /* the alternate screen, no cursor */
}

static void terminal_leave(struct terminal *t, FILE *out) {
    fputs("\033[?25h\033[?1049l", out);
    fflush(out);
    if (t->raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
}

static void draw(FILE *out, const struct top_sample *s, enum top_sort key, bool tty, bool color) {
    if (tty)
        fputs("\033[H\033[2J", out);
    print_header(out, s, key, tty);
    print_table(out, s, tty ? terminal_rows() : 0, color);
    if (!tty)
        fputc('\n', out);
    fflush(out);
}

int ctl_top_run(const struct ctl_args *a, const char *socket_path, FILE *out, bool tty, bool color) {
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct terminal term = {0};
    if (tty)
        terminal_enter(&term, out);
    enum top_sort key = TOP_SORT_TREE;
    struct ctl_records recs = {0}, prev_recs = {0};
    struct top_sample s = {0}, prev = {0};
    int code = CTL_EXIT_OK;
    while (!stop_asked) {
        if ((code = take_sample(a, socket_path, &recs)) != CTL_EXIT_OK)
            break;
        if (top_sample_build(&s, &recs, monotonic_ms(), prev.rows ? &prev : NULL) < 0) {
            code = CTL_EXIT_FAILED;
            break;
        }
        int k;
        do {
            top_sample_sort(&s, key);
            draw(out, &s, key, tty, color);
            k = wait_key(TOP_INTERVAL_MS);
            if (k >= 0)
                key = (enum top_sort)k;
        } while (k >= 0 && !stop_asked); /* a new order: the same sample, drawn again */
        top_sample_free(&prev);
        ctl_records_free(&prev_recs);
        prev = s, prev_recs = recs;
        s = (struct top_sample){0}, recs = (struct ctl_records){0};
        if (k == TOP_KEY_QUIT)
            break;
    }
    top_sample_free(&s);
    top_sample_free(&prev);
    ctl_records_free(&recs);
    ctl_records_free(&prev_recs);
    if (tty)
        terminal_leave(&term, out);
    return code;
}
