/*
 * peers_sup.c — see peers_sup.h. Only bench_peers links it.
 */
#include "peers_sup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PEER_CHILD NINES_BUILD_DIR "/bench/peer_child"
#define MODULE NINES_BUILD_DIR "/tests/apps/trivial.so"

const char *peer_kind_name(enum peer_kind k) {
    static const char *const names[] = {"s6-supervise", "runsv", "supervisord", "ninesd exec:", "ninesd .so",
                                        "ninesd .so --no-spare"};
    return names[k];
}

static int bind_dgram(const char *path) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        abort();
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        abort();
    return fd;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
}

/* A service folder per child, its run a link to peer_child (s6, runit). */
static void service_dirs(const struct peer_sup *s, const char *top) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", s->dir, top);
    mkdir(path, 0755);
    for (int i = 0; i < s->n; i++) {
        snprintf(path, sizeof path, "%s/%s/c%d", s->dir, top, i);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/%s/c%d/run", s->dir, top, i);
        if (symlink(PEER_CHILD, path) < 0)
            abort();
    }
}

static void supervisord_conf(const struct peer_sup *s, const char *conf) {
    FILE *f = fopen(conf, "w");
    if (!f)
        abort();
    fprintf(f, "[supervisord]\nnodaemon=true\nuser=root\nloglevel=warn\nlogfile=%s/supervisord.log\n"
               "pidfile=%s/supervisord.pid\nchildlogdir=%s\n", s->dir, s->dir, s->dir);
    for (int i = 0; i < s->n; i++)
        fprintf(f, "\n[program:c%d]\ncommand=%s %s/peer.sock c%d\nautorestart=true\nstartsecs=0\n"
                   "startretries=1000000\nstopsignal=KILL\nstdout_logfile=NONE\nstderr_logfile=NONE\n",
                i, PEER_CHILD, s->dir, i);
    fclose(f);
}

/* The peer in a process group of its own, $PEER_SOCK set, output to a file. */
static bool spawn_peer(struct peer_sup *s, char *const *argv) {
    char env_sock[128], out[128];
    snprintf(env_sock, sizeof env_sock, "PEER_SOCK=%s/peer.sock", s->dir);
    snprintf(out, sizeof out, "%s/output.log", s->dir);
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    memcpy(env, environ, n * sizeof *env);
    env[n] = env_sock;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    int err = posix_spawnp(&s->top, argv[0], &fa, &at, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    free(env);
    if (err)
        fprintf(stderr, "bench_peers: cannot run %s: %s\n", argv[0], strerror(err));
    return err == 0;
}

static void nines_tree(struct peer_sup *s) {
    size_t size = 256 + (size_t)s->n * 256, used = 0;
    char *yaml = malloc(size);
    used += (size_t)snprintf(yaml, size, "supervisor:\n  intensity: 1000000\n  period: 1s\n  children:\n");
    for (int i = 0; i < s->n; i++) {
        if (s->kind == PEER_NINES_EXEC)
            used += (size_t)snprintf(yaml + used, size - used,
                                     "    - {id: c%d, exec: [%s, %s/peer.sock, c%d], shutdown: brutal_kill}\n", i,
                                     PEER_CHILD, s->d.dir, i);
        else
            used += (size_t)snprintf(yaml + used, size - used,
                                     "    - {id: c%d, module: %s, shutdown: brutal_kill}\n", i, MODULE);
    }
    char path[128];
    snprintf(path, sizeof path, "%s/tree.yaml", s->d.dir);
    write_file(path, yaml);
    free(yaml);
    const char *args[] = {s->kind == PEER_NINES_SO_COLD ? "--no-spare" : path,
                          s->kind == PEER_NINES_SO_COLD ? path : NULL, NULL};
    bench_daemon_spawn(&s->d, args);
    s->top = s->d.pid;
}

bool peer_start(struct peer_sup *s, enum peer_kind k, int n) {
    memset(s, 0, sizeof *s);
    s->kind = k;
    s->name = peer_kind_name(k);
    s->n = n < PEER_MAX_CHILDREN ? n : PEER_MAX_CHILDREN;
    s->nines = k >= PEER_NINES_EXEC;
    s->sock = -1;
    char path[160];
    if (s->nines) {
        bench_daemon_dir(&s->d);
        snprintf(s->dir, sizeof s->dir, "%s", s->d.dir);
    } else {
        snprintf(s->dir, sizeof s->dir, "/tmp/nines-peers-XXXXXX");
        if (!mkdtemp(s->dir))
            abort();
    }
    if (k != PEER_NINES_SO && k != PEER_NINES_SO_COLD) {
        snprintf(path, sizeof path, "%s/peer.sock", s->dir);
        s->sock = bind_dgram(path);
    }
    switch (k) {
    case PEER_S6: {
        service_dirs(s, "scan");
        snprintf(path, sizeof path, "%s/scan", s->dir);
        char *argv[] = {"s6-svscan", path, NULL};
        return spawn_peer(s, argv);
    }
    case PEER_RUNIT: {
        service_dirs(s, "sv");
        snprintf(path, sizeof path, "%s/sv", s->dir);
        char *argv[] = {"runsvdir", path, NULL};
        return spawn_peer(s, argv);
    }
    case PEER_SUPERVISORD: {
        snprintf(path, sizeof path, "%s/supervisord.conf", s->dir);
        supervisord_conf(s, path);
        char *argv[] = {"supervisord", "-n", "-c", path, NULL};
        return spawn_peer(s, argv);
    }
    default: nines_tree(s); return true;
    }
}

/* A child_started line of ninesd's log: the child's index and pid. */
struct started_line {
    int index;
    pid_t pid;
};

static bool on_line(void *ctx, const char *line) {
    struct started_line *st = ctx;
    const char *c = strstr(line, " child=c"), *p = strstr(line, " pid=");
    if (!strstr(line, "event=child_started") || !c || !p)
        return false;
    st->index = atoi(c + 8);
    st->pid = (pid_t)atoi(p + 5);
    return true;
}

static int record(struct peer_sup *s, int index, pid_t pid) {
    if (index < 0 || index >= s->n)
        return -1;
    s->child[index] = pid;
    s->started_us[index] = bench_now_us();
    return index;
}

static int wait_so(struct peer_sup *s, int timeout_ms) {
    struct started_line st = {-1, 0};
    bench_daemon_lines(&s->d, timeout_ms, on_line, &st);
    return st.index < 0 ? -1 : record(s, st.index, st.pid);
}

int peer_wait(struct peer_sup *s, int timeout_ms) {
    if (s->sock < 0)
        return wait_so(s, timeout_ms);
    double end = bench_now_us() + timeout_ms * 1000.0;
    for (;;) {
        struct pollfd pfd[2] = {{.fd = s->sock, .events = POLLIN}, {.fd = s->nines ? s->d.log_fd : -1, .events = POLLIN}};
        double left = (end - bench_now_us()) / 1000.0;
        if (left <= 0 || poll(pfd, 2, (int)left + 1) <= 0)
            return -1;
        if (pfd[1].revents)
            bench_daemon_drain(&s->d); /* a full log pipe would stop ninesd */
        char msg[128];
        ssize_t r = pfd[0].revents ? recv(s->sock, msg, sizeof msg - 1, 0) : -1;
        if (r <= 0)
            continue;
        msg[r] = '\0';
        int index = -1, pid = 0;
        if (sscanf(msg, "c%d %d", &index, &pid) == 2)
            return record(s, index, (pid_t)pid);
    }
}

bool peer_wait_all(struct peer_sup *s, int timeout_ms) {
    double end = bench_now_us() + timeout_ms * 1000.0;
    int seen = 0;
    while (seen < s->n) {
        for (seen = 0; seen < s->n && s->child[seen] > 0; seen++)
            ;
        if (seen == s->n)
            break;
        int left = (int)((end - bench_now_us()) / 1000.0);
        if (left <= 0 || peer_wait(s, left) < 0)
            return false;
    }
    return true;
}

/* Every descendant of `top` (top included), from /proc: at most max. */
static int descendants(pid_t top, pid_t *out, int max) {
    enum { CAP = 1 << 16 };
    static pid_t pid[CAP], ppid[CAP];
    int n = 0;
    DIR *dir = opendir("/proc");
    struct dirent *e;
    while (dir && n < CAP && (e = readdir(dir))) {
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? fopen(path, "r") : NULL;
        size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[len] = '\0';
        char *paren = strrchr(buf, ')');
        int parent;
        if (paren && sscanf(paren + 1, " %*c %d", &parent) == 1) {
            pid[n] = (pid_t)atoi(buf);
            ppid[n++] = (pid_t)parent;
        }
    }
    if (dir)
        closedir(dir);
    int found = 0;
    out[found++] = top;
    for (int done = 0; done < found; done++)
        for (int i = 0; i < n && found < max; i++)
            if (ppid[i] == out[done])
                out[found++] = pid[i];
    return found;
}

static bool supervised(const struct peer_sup *s, pid_t pid) {
    for (int i = 0; i < s->n; i++)
        if (s->child[i] == pid)
            return true;
    return false;
}

static long smaps_field(pid_t pid, const char *field) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    long v = 0;
    size_t len = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, len))
            v = atol(line + len);
    if (f)
        fclose(f);
    return v;
}

void peer_memory(const struct peer_sup *s, long *rss_kib, long *pss_kib, int *procs) {
    static pid_t all[PEER_MAX_CHILDREN * 3];
    int n = descendants(s->top, all, (int)(sizeof all / sizeof all[0]));
    *rss_kib = *pss_kib = 0;
    *procs = 0;
    for (int i = 0; i < n; i++) {
        if (supervised(s, all[i]))
            continue;
        *rss_kib += smaps_field(all[i], "Rss:");
        *pss_kib += smaps_field(all[i], "Pss:");
        ++*procs;
    }
}

void peer_stop(struct peer_sup *s) {
    static pid_t all[PEER_MAX_CHILDREN * 3];
    int n = descendants(s->top, all, (int)(sizeof all / sizeof all[0]));
    if (s->nines) {
        bench_daemon_stop(&s->d); /* ninesd stops its children */
    } else {
        kill(-s->top, SIGKILL);
        /* What runs in a session of its own (s6-supervise's children) goes
         * too: alive until now, so these pids are still theirs. */
        for (int i = 1; i < n; i++)
            kill(all[i], SIGKILL);
        waitpid(s->top, NULL, 0);
    }
    if (s->sock >= 0)
        close(s->sock);
    if (!s->nines) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_peers: could not remove %s\n", s->dir);
    }
}
