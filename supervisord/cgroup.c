/*
 * cgroup.c — see cgroup.h.
 */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

#define RETRY_MS 100
#define RETRIES 50

struct cgroups {
    char base[PATH_MAX];
    bool warned;          /* a child cgroup that could not be made was logged */
    char **pending;       /* child folders to remove once empty */
    unsigned *tries;
    size_t n_pending, cap_pending;
    sd_event_source *retry;
};

/* Does dir's cgroup.procs list us? */
static bool holds_us(const char *dir) {
    char procs[PATH_MAX + 16];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    FILE *f = fopen(procs, "re");
    long pid, me = (long)getpid(); /* once: the folder may list thousands */
    bool found = false;
    while (f && !found && fscanf(f, "%ld", &pid) == 1)
        found = pid == me;
    if (f)
        fclose(f);
    return found;
}

/* ninesd's cgroup v2 folder: the cgroup2 mount plus /proc/self/cgroup's
 * "0::PATH" taken relative to the mount's root (both are as seen from
 * our cgroup namespace, so either may start with "/.."), and checked to
 * hold us. 0 or -ENOENT. */
static int find_base(char *out, size_t size) {
    char line[PATH_MAX + 64], rel[PATH_MAX] = "", mnt[PATH_MAX] = "", root[PATH_MAX] = "";
    FILE *f = fopen("/proc/self/cgroup", "re");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "0::", 3) == 0) {
            size_t len = strcspn(line + 3, "\n");
            if (len < sizeof rel)
                memcpy(rel, line + 3, len), rel[len] = '\0';
        }
    if (f)
        fclose(f);
    f = fopen("/proc/self/mountinfo", "re");
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) == 2)
            break;
    if (f)
        fclose(f);
    if (!rel[0] || !mnt[0])
        return -ENOENT;
    size_t skip = strcmp(root, "/") != 0 && strncmp(rel, root, strlen(root)) == 0 ? strlen(root) : 0;
    const char *tail = rel + skip;
    int n = snprintf(out, size, "%s%s", mnt, strcmp(tail, "/") == 0 ? "" : tail);
    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    return holds_us(out) ? 0 : -ENOENT;
}

static bool delegated(const char *base) {
    const char *names[] = {"trusted.delegate", "user.delegate"};
    for (size_t i = 0; i < 2; i++) {
        char v[8] = "";
        ssize_t n = getxattr(base, names[i], v, sizeof v - 1);
        if (n > 0 && v[0] == '1')
            return true;
    }
    return false;
}

static void facts_of(const char *base, bool found, struct cgroup_facts *f) {
    char procs[PATH_MAX + 16];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", base);
    const char *last = strrchr(base, '/');
    *f = (struct cgroup_facts){
        .v2 = found,
        .writable = found && access(base, W_OK) == 0 && access(procs, W_OK) == 0,
        .delegated = found && delegated(base),
        .in_unit = getenv("INVOCATION_ID") && last && strlen(last) > 8 && strcmp(last + strlen(last) - 8, ".service") == 0,
        .pid1 = getpid() == 1,
    };
}

int cgroups_setup(struct daemon *d, enum nines_cgroup_mode mode, char *why, size_t size) {
    char base[PATH_MAX] = "";
    bool found = mode != NINES_CGROUPS_OFF && find_base(base, sizeof base) == 0;
    struct cgroup_facts f;
    facts_of(base, found, &f);
    const char *reason;
    enum cgroup_verdict v = cgroup_decide(mode, &f, &reason);
    char msg[PATH_MAX + 300];
    if (v == CGROUP_REFUSE) {
        snprintf(why, size, "--cgroups on: %s%s%s", reason, found ? ": " : "", base);
        return -EPERM;
    }
    if (v == CGROUP_SKIP) {
        snprintf(msg, sizeof msg, "no cgroup per child (%s): a child is its process group", reason);
        struct nines_field fl[] = {{"cgroup", found ? base : NULL}};
        nines_log_event(f.in_unit ? LOG_NOTICE : LOG_INFO, "cgroups", msg, fl, found ? 1 : 0);
        return 0;
    }
    if (!(d->cgroups = calloc(1, sizeof *d->cgroups)))
        return -ENOMEM;
    memcpy(d->cgroups->base, base, sizeof base);
    snprintf(msg, sizeof msg, "each child in a cgroup of its own (%s)", reason);
    struct nines_field fl[] = {{"cgroup", base}};
    nines_log_event(LOG_INFO, "cgroups", msg, fl, 1);
    return 0;
}

const char *cgroups_base(const struct daemon *d) {
    return d->cgroups ? d->cgroups->base : NULL;
}

static int child_dir(const struct cgroups *c, const char *path, char *out, size_t size) {
    char name[CGROUP_NAME_MAX + 1];
    cgroup_child_name(path, name);
    int n = snprintf(out, size, "%s/%s", c->base, name);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static void forget_pending(struct cgroups *c, const char *dir) {
    for (size_t i = 0; i < c->n_pending; i++)
        if (strcmp(c->pending[i], dir) == 0) {
            free(c->pending[i]);
            c->pending[i] = c->pending[--c->n_pending];
            c->tries[i] = c->tries[c->n_pending];
            return;
        }
}

int cgroups_open(struct daemon *d, const char *path) {
    struct cgroups *c = d->cgroups;
    char dir[PATH_MAX], procs[PATH_MAX + 16];
    if (!c || child_dir(c, path, dir, sizeof dir) < 0)
        return -1;
    forget_pending(c, dir);
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    int fd = -1;
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 && !c->warned) {
        c->warned = true;
        char msg[PATH_MAX + 200];
        snprintf(msg, sizeof msg, "cannot make the cgroup %s (%s): the child runs in ninesd's", dir, strerror(errno));
        nines_log_event(LOG_WARNING, "cgroups", msg, NULL, 0);
    }
    return fd;
}

int cgroups_move(int procs_fd, pid_t pid) {
    char text[16];
    int n = snprintf(text, sizeof text, "%d", (int)pid);
    return write(procs_fd, text, (size_t)n) == n ? 0 : -errno;
}

void cgroups_move_home(struct daemon *d, pid_t pid) {
    char procs[PATH_MAX + 16];
    if (!d->cgroups)
        return;
    snprintf(procs, sizeof procs, "%s/cgroup.procs", d->cgroups->base);
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)cgroups_move(fd, pid);
        close(fd);
    }
}

/* Kernels before 5.14 have no cgroup.kill: each process, a few rounds
 * (one forking meanwhile is caught by the next). */
static void kill_each(const char *dir) {
    char procs[PATH_MAX + 16];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    for (int round = 0; round < 5; round++) {
        FILE *f = fopen(procs, "re");
        long pid;
        int n = 0;
        while (f && fscanf(f, "%ld", &pid) == 1)
            n += kill((pid_t)pid, SIGKILL) == 0;
        if (f)
            fclose(f);
        if (!n)
            return;
    }
}

void cgroups_kill(struct daemon *d, const char *path) {
    char dir[PATH_MAX], file[PATH_MAX + 16];
    if (!d->cgroups || child_dir(d->cgroups, path, dir, sizeof dir) < 0)
        return;
    snprintf(file, sizeof file, "%s/cgroup.kill", dir);
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && access(dir, F_OK) == 0)
            kill_each(dir);
        return;
    }
    (void)!write(fd, "1", 1);
    close(fd);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata);

static void arm_retry(struct daemon *d) {
    struct cgroups *c = d->cgroups;
    if (!c->retry && c->n_pending)
        sd_event_add_time_relative(d->loop, &c->retry, CLOCK_MONOTONIC, RETRY_MS * 1000, 10 * 1000, on_retry, d);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
    struct daemon *d = userdata;
    struct cgroups *c = d->cgroups;
    c->retry = sd_event_source_disable_unref(c->retry);
    for (size_t i = c->n_pending; i-- > 0;)
        if ((rmdir(c->pending[i]) == 0 || errno != EBUSY || ++c->tries[i] >= RETRIES)) {
            free(c->pending[i]);
            c->pending[i] = c->pending[--c->n_pending];
            c->tries[i] = c->tries[c->n_pending];
        }
    arm_retry(d);
    return 0;
}

void cgroups_release(struct daemon *d, const char *path) {
    struct cgroups *c = d->cgroups;
    char dir[PATH_MAX];
    if (!c || child_dir(c, path, dir, sizeof dir) < 0 || rmdir(dir) == 0 || errno != EBUSY)
        return;
    forget_pending(c, dir);
    if (c->n_pending == c->cap_pending) {
        size_t cap = c->cap_pending ? c->cap_pending * 2 : 16;
        char **v = realloc(c->pending, cap * sizeof *v);
        unsigned *t = v ? realloc(c->tries, cap * sizeof *t) : NULL;
        if (v)
            c->pending = v;
        if (!t)
            return;
        c->tries = t, c->cap_pending = cap;
    }
    if (!(c->pending[c->n_pending] = strdup(dir)))
        return;
    c->tries[c->n_pending++] = 0;
    arm_retry(d);
}

/* rmdir of every child-* folder; true when none is left. */
static bool remove_all(const char *base) {
    DIR *dir = opendir(base);
    bool left = false;
    for (struct dirent *e; dir && (e = readdir(dir));) {
        char path[PATH_MAX + 300];
        if (strncmp(e->d_name, "child-", 6) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", base, e->d_name);
        left |= rmdir(path) < 0 && errno == EBUSY;
    }
    if (dir)
        closedir(dir);
    return !left;
}

void cgroups_free(struct daemon *d) {
    struct cgroups *c = d->cgroups;
    if (!c)
        return;
    for (int i = 0; i < 100 && !remove_all(c->base); i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    sd_event_source_disable_unref(c->retry);
    for (size_t i = 0; i < c->n_pending; i++)
        free(c->pending[i]);
    free(c->pending);
    free(c->tries);
    free(c);
    d->cgroups = NULL;
}
