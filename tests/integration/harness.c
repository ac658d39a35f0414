/*
 * harness.c — see harness.h.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *harness_write_tree(struct ninesd *n, const char *yaml) {
    static char path[512];
    if (!n->dir[0]) {
        snprintf(n->dir, sizeof n->dir, "/tmp/nines-test-XXXXXX");
        if (!mkdtemp(n->dir))
            abort();
    }
    snprintf(path, sizeof path, "%s/tree.yaml", n->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    /* "@BUILD@" stands for the build folder. */
    for (const char *p = yaml; *p;) {
        const char *at = strstr(p, "@BUILD@");
        size_t len = at ? (size_t)(at - p) : strlen(p);
        fwrite(p, 1, len, f);
        if (!at)
            break;
        fputs(NINES_BUILD_DIR, f);
        p = at + 7;
    }
    fclose(f);
    return path;
}

static void start_argv(struct ninesd *n, char *const *wrapper, const char *tree, va_list ap);

void ninesd_start(struct ninesd *n, const char *tree, ...) {
    va_list ap;
    va_start(ap, tree);
    start_argv(n, NULL, tree, ap);
    va_end(ap);
}

void ninesd_start_wrapped(struct ninesd *n, char *const *wrapper, const char *tree, ...) {
    va_list ap;
    va_start(ap, tree);
    start_argv(n, wrapper, tree, ap);
    va_end(ap);
}

static void start_argv(struct ninesd *n, char *const *wrapper, const char *tree, va_list ap) {
    char *argv[48];
    size_t k = 0;
    for (; wrapper && *wrapper && k < 16; wrapper++)
        argv[k++] = *wrapper;
    argv[k++] = BUILD_PATH("ninesd");
    argv[k++] = "--log-target";
    argv[k++] = "stderr";
    bool own_socket = false;
    for (char *a; (a = va_arg(ap, char *)) && k < 42;) {
        own_socket |= strcmp(a, "--socket") == 0 || strcmp(a, "--no-control") == 0;
        argv[k++] = a;
    }
    /* Each test's ninesd has its control socket in the test's folder, so
     * that tests never meet another ninesd's socket. */
    if (!own_socket) {
        snprintf(n->socket, sizeof n->socket, "%s/control.sock", n->dir);
        argv[k++] = "--socket";
        argv[k++] = n->socket;
    }
    argv[k++] = (char *)tree;
    argv[k] = NULL;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        abort();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    /* Crashes must stay real signals under the sanitizers. A test may add
     * options of its own (NINES_TEST_ASAN_OPTIONS), e.g. to measure
     * ninesd's memory without ASan's quarantine of freed blocks. */
    const char *more = getenv("NINES_TEST_ASAN_OPTIONS");
    char asan[256];
    snprintf(asan, sizeof asan, "handle_segv=0:handle_abort=0:detect_leaks=0%s%s", more ? ":" : "",
             more ? more : "");
    setenv("ASAN_OPTIONS", asan, 1);
    setenv("UBSAN_OPTIONS", "halt_on_error=1", 1);
    if (posix_spawn(&n->pid, argv[0], &fa, NULL, argv, environ) != 0)
        abort();
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    n->log_fd = p[0];
    fcntl(n->log_fd, F_SETFL, O_NONBLOCK);
    n->exited = false;
}

static void append(struct ninesd *n, const char *buf, size_t len) {
    if (n->len + len + 1 > n->cap) {
        n->cap = (n->len + len + 1) * 2;
        n->log = realloc(n->log, n->cap);
    }
    memcpy(n->log + n->len, buf, len);
    n->len += len;
    n->log[n->len] = '\0';
}

void ninesd_pump(struct ninesd *n, int ms) {
    long long end = now_ms() + ms;
    do {
        struct pollfd pfd = {.fd = n->log_fd, .events = POLLIN};
        long long left = end - now_ms();
        if (n->log_fd < 0 || poll(&pfd, 1, left > 0 ? (int)left : 0) <= 0)
            return;
        char buf[8192];
        ssize_t r = read(n->log_fd, buf, sizeof buf);
        if (r <= 0) {
            if (r == 0) {
                close(n->log_fd);
                n->log_fd = -1;
            }
            return;
        }
        append(n, buf, (size_t)r);
        if (getenv("NINES_TEST_VERBOSE"))
            fwrite(buf, 1, (size_t)r, stderr);
    } while (now_ms() < end);
}

static bool line_has_all(const char *line, size_t len, va_list ap) {
    char tmp[8192];
    if (len >= sizeof tmp)
        len = sizeof tmp - 1;
    memcpy(tmp, line, len);
    tmp[len] = '\0';
    for (const char *s; (s = va_arg(ap, const char *));)
        if (!strstr(tmp, s))
            return false;
    return true;
}

/* Find a complete line from `from` containing all substrings of ap. */
static const char *find_line(struct ninesd *n, size_t from, size_t *end, va_list ap) {
    const char *p = n->log ? n->log + from : "";
    while (*p) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            return NULL;
        va_list copy;
        va_copy(copy, ap);
        bool hit = line_has_all(p, (size_t)(nl - p), copy);
        va_end(copy);
        if (hit) {
            *end = (size_t)(nl + 1 - n->log);
            return p;
        }
        p = nl + 1;
    }
    return NULL;
}

const char *ninesd_wait(struct ninesd *n, int timeout_ms, ...) {
    static char line[8192];
    long long end = now_ms() + timeout_ms;
    size_t from = n->cursor;
    for (;;) {
        size_t stop;
        va_list ap;
        va_start(ap, timeout_ms);
        const char *hit = find_line(n, from, &stop, ap);
        va_end(ap);
        if (hit) {
            size_t len = stop - 1 - (size_t)(hit - n->log);
            snprintf(line, sizeof line, "%.*s", (int)len, hit);
            n->cursor = stop;
            return line;
        }
        /* The whole lines read so far were looked at: the next look starts
         * after them. Looking again from the cursor after every pump made a
         * wait over a log of 33,000 lines quadratic, and ninesd, blocked on
         * the full pipe meanwhile, stalled (itest_status_big's boot under
         * check-asan). */
        const char *last = n->log && n->len > from ? memrchr(n->log + from, '\n', n->len - from) : NULL;
        if (last)
            from = (size_t)(last + 1 - n->log);
        if (now_ms() >= end || n->log_fd < 0)
            return NULL;
        ninesd_pump(n, 20);
    }
}

int ninesd_count(struct ninesd *n, ...) {
    int count = 0;
    size_t from = 0, stop;
    for (;;) {
        va_list ap;
        va_start(ap, n);
        const char *hit = find_line(n, from, &stop, ap);
        va_end(ap);
        if (!hit)
            return count;
        count++;
        from = stop;
    }
}

bool ninesd_wait_exit(struct ninesd *n, int timeout_ms) {
    long long end = now_ms() + timeout_ms;
    while (!n->exited) {
        pid_t r = waitpid(n->pid, &n->status, WNOHANG);
        if (r == n->pid) {
            n->exited = true;
            break;
        }
        if (now_ms() >= end)
            return false;
        ninesd_pump(n, 10);
    }
    ninesd_pump(n, 50); /* the last lines */
    return true;
}

void ninesd_stop(struct ninesd *n) {
    if (n->pid > 0 && !n->exited) {
        kill(n->pid, SIGTERM);
        if (!ninesd_wait_exit(n, 15000)) {
            kill(n->pid, SIGKILL);
            ninesd_wait_exit(n, 5000);
        }
    }
}

void ninesd_cleanup(struct ninesd *n) {
    ninesd_stop(n);
    if (n->log_fd >= 0)
        close(n->log_fd);
    free(n->log);
    if (n->dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", n->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", n->dir);
    }
    memset(n, 0, sizeof *n);
    n->log_fd = -1;
}

bool logfmt_field(const char *line, const char *key, char *buf, size_t size) {
    size_t klen = strlen(key);
    for (const char *p = line; (p = strstr(p, key)); p += klen) {
        if ((p != line && p[-1] != ' ') || p[klen] != '=')
            continue;
        const char *v = p + klen + 1;
        size_t len;
        if (*v == '"') {
            v++;
            const char *q = v;
            while (*q && *q != '"')
                q += (*q == '\\' && q[1]) ? 2 : 1;
            len = (size_t)(q - v);
        } else {
            len = strcspn(v, " ");
        }
        snprintf(buf, size, "%.*s", (int)len, v);
        return true;
    }
    return false;
}

pid_t line_pid(const char *line) {
    char buf[32];
    return line && logfmt_field(line, "pid", buf, sizeof buf) ? (pid_t)atoi(buf) : -1;
}

/* State letter and parent of a process from /proc/PID/stat, or false. */
static bool proc_stat(pid_t pid, char *state, pid_t *ppid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r <= 0)
        return false;
    buf[r] = '\0';
    const char *close_paren = strrchr(buf, ')');
    int pp;
    if (!close_paren || sscanf(close_paren + 2, "%c %d", state, &pp) != 2)
        return false;
    *ppid = pp;
    return true;
}

pid_t harness_parent_of(pid_t pid) {
    char state;
    pid_t ppid;
    return pid > 0 && proc_stat(pid, &state, &ppid) ? ppid : -1;
}

bool process_zombie(pid_t pid) {
    char state;
    pid_t ppid;
    return pid > 0 && proc_stat(pid, &state, &ppid) && state == 'Z';
}

bool process_alive(pid_t pid) {
    char state;
    pid_t ppid;
    return pid > 0 && proc_stat(pid, &state, &ppid) && state != 'Z' && state != 'X';
}

bool wait_process_gone(pid_t pid, int timeout_ms) {
    long long end = now_ms() + timeout_ms;
    while (process_alive(pid)) {
        if (now_ms() >= end)
            return false;
        usleep(5000);
    }
    return true;
}

/* Its first argument is `arg`. */
static bool first_arg_is(pid_t pid, const char *arg) {
    char path[64], buf[64] = "";
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    size_t first = r > 0 ? strnlen(buf, (size_t)r) : 0;
    return r > 0 && first + 1 < (size_t)r && strncmp(buf + first + 1, arg, strlen(arg)) == 0;
}

bool is_spare_host(pid_t pid) { return first_arg_is(pid, "--spare"); }
bool is_launcher(pid_t pid) { return first_arg_is(pid, "--launcher"); }
bool is_warden(pid_t pid) { return first_arg_is(pid, "--warden"); }
bool is_exec_ready(pid_t pid) { return first_arg_is(pid, "--ready"); }

/* Children of `parent` in /proc, zombies or live ones. */
static int children_where(pid_t parent, bool zombies, pid_t *out, int max) {
    DIR *d = opendir("/proc");
    int count = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        pid_t pid = (pid_t)atoi(e->d_name);
        char state;
        pid_t ppid;
        if (pid > 0 && proc_stat(pid, &state, &ppid) && ppid == parent && (state == 'Z') == zombies) {
            if (out && count < max)
                out[count] = pid;
            count++;
        }
    }
    if (d)
        closedir(d);
    return out && count > max ? max : count;
}

int list_children(pid_t parent, pid_t *out, int max) { return children_where(parent, false, out, max); }

static int count_children_where(pid_t parent, bool zombies) {
    pid_t pids[1024];
    int n = children_where(parent, zombies, pids, 1024), count = 0;
    for (int i = 0; i < n; i++)
        if (zombies ||
            (!is_spare_host(pids[i]) && !is_launcher(pids[i]) && !is_warden(pids[i]) && !is_exec_ready(pids[i])))
            count++;
    return count;
}

int count_zombie_children(pid_t parent) { return count_children_where(parent, true); }
int count_children(pid_t parent) { return count_children_where(parent, false); }

/* A child's channel can close before its exit is reaped: a zombie may
 * live for a turn of the loop, never for long. */
bool wait_no_zombie_children(pid_t parent, int timeout_ms) {
    long long end = now_ms() + timeout_ms;
    while (count_zombie_children(parent) > 0) {
        if (now_ms() > end)
            return false;
        usleep(5000);
    }
    return true;
}

static pid_t find_child(pid_t parent, int timeout_ms, bool (*is)(pid_t)) {
    long long end = now_ms() + timeout_ms;
    do {
        pid_t kids[1024];
        int n = list_children(parent, kids, 1024);
        for (int i = 0; i < n; i++)
            if (is(kids[i]))
                return kids[i];
        usleep(5000);
    } while (now_ms() < end);
    return -1;
}

pid_t find_spare_host(pid_t parent, int timeout_ms) { return find_child(parent, timeout_ms, is_spare_host); }
pid_t find_launcher(pid_t parent, int timeout_ms) { return find_child(parent, timeout_ms, is_launcher); }
pid_t find_exec_ready(pid_t parent, int timeout_ms) { return find_child(parent, timeout_ms, is_exec_ready); }

int harness_setup(void **state) {
    static struct ninesd n;
    memset(&n, 0, sizeof n);
    n.log_fd = -1;
    *state = &n;
    return 0;
}

int harness_teardown(void **state) {
    ninesd_cleanup(*state);
    return 0;
}

const char *ninesd_wait_event(struct ninesd *n, const char *event, const char *id, int timeout_ms) {
    char ev[64], child[128];
    snprintf(ev, sizeof ev, "event=%s ", event);
    snprintf(child, sizeof child, "child=%s ", id);
    return ninesd_wait(n, timeout_ms, ev, child, NULL);
}

pid_t ninesd_wait_started(struct ninesd *n, const char *id, int timeout_ms) {
    return line_pid(ninesd_wait_event(n, "child_started", id, timeout_ms));
}

int harness_count_fds(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    int count = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        count += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return count;
}
