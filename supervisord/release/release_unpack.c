/*
 * release_unpack.c — unpacking releases: `nines-release unpack` run as a
 * child process (it verifies checksums, the tree and every module in
 * throw-away hosts, then moves the release into DIR/NAME/VERSION through
 * a hidden staging folder), so that hashing and loading never block
 * ninesd's loop. Unpacks come from the operator (release-unpack) and from
 * the folder watch (release_watch.h); they run one at a time, in order.
 * When one succeeds the release is added to the state as unpacked, and,
 * with --auto-upgrade, installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "fs_tree.h"
#include "release_internal.h"
#include "reaper.h"
#include "tarball_limits.h"
#include "yaml_limits.h"

extern char **environ;

static void start_next_unpack(struct daemon *d);

static void job_free(struct unpack_job *j) {
    free(j->path);
    free(j);
}

/* An arrival that is a release the state already has: nothing to do (the
 * watch reports what it finds at every start of ninesd). */
static bool already_known(const struct releases *r, const char *path) {
    char copy[PATH_MAX], name[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    const char *base = basename(copy);
    for (size_t i = 0; r->state.release && i < r->state.n; i++) {
        snprintf(name, sizeof name, "%s-%s", r->state.release, r->state.v[i].version);
        size_t len = strlen(name);
        if (strncmp(base, name, len) == 0 && (base[len] == '\0' || strcmp(base + len, ".tar.gz") == 0))
            return true;
    }
    return false;
}

void release_unpack_queue(struct daemon *d, const char *path, uint64_t conn_id) {
    struct releases *r = d->releases;
    struct unpack_job *j = calloc(1, sizeof *j);
    if (j && !(j->path = strdup(path))) {
        free(j);
        j = NULL;
    }
    if (!j) {
        struct control_conn *c = conn_id ? control_conn_find(d, conn_id) : NULL;
        if (c)
            control_send_end(c, CTL_ST_INTERNAL, "out of memory");
        return;
    }
    j->conn_id = conn_id;
    struct unpack_job **tail = &r->unpacks;
    while (*tail)
        tail = &(*tail)->next;
    *tail = j;
    if (r->unpack_pid == 0)
        start_next_unpack(d);
}

/* An arrival, once unpacked, is gone from the top of the folder: its copy
 * is DIR/NAME/VERSION, and a release removed later must not come back
 * from it at the next start. */
void release_drop_arrival(const char *path) {
    int e = nines_remove_tree(path);
    if (e < 0)
        release_log(LOG_WARNING, "release_arrival_kept", path, NULL, strerror(-e));
}

void release_on_arrival(void *userdata, const char *path) {
    struct daemon *d = userdata;
    if (d->stopping || already_known(d->releases, path))
        return;
    release_log(LOG_NOTICE, "release_arrived", path, NULL, NULL);
    release_unpack_queue(d, path, 0);
}

/* --- the child process ------------------------------------------------------------ */

int release_tool_spawn(const char *tool, const char *worker, const char *path, const char *dir, int out_fd,
                       pid_t *pid) {
    char limits[256], tar_limits[128];
    yaml_limits_format(&yaml_limits, limits, sizeof limits); /* ninesd's own, raised or not */
    tarball_limits_format(&tarball_limits, tar_limits, sizeof tar_limits);
    char *argv[] = {(char *)tool, "unpack", "--worker", (char *)worker, "--yaml-limits", limits,
                    "--tarball-limits", tar_limits, (char *)path, (char *)dir, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
    int e = posix_spawn(pid, tool, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return -e;
}

void release_tool_output(int fd, char *buf, size_t size) {
    ssize_t n = pread(fd, buf, size - 1, 0);
    n = n < 0 ? 0 : n;
    while (n > 0 && buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
}

static void finish_job(struct daemon *d, enum ctl_status st, const char *msg) {
    struct releases *r = d->releases;
    struct unpack_job *j = r->unpacks;
    struct control_conn *c = j->conn_id ? control_conn_find(d, j->conn_id) : NULL;
    if (c)
        control_send_end(c, st, "%s", msg);
    r->unpacks = j->next;
    job_free(j);
    r->unpack_pid = 0;
    r->reaper = NULL;
    if (r->unpacks && !d->stopping)
        start_next_unpack(d);
}

/* "unpacked NAME VERSION DIR": record it. */
static void unpacked(struct daemon *d, const char *out) {
    struct releases *r = d->releases;
    const char *line = strstr(out, "unpacked ");
    char name[65], version[65], dir[PATH_MAX], why[512], msg[PATH_MAX + 200];
    if (!line || sscanf(line, "unpacked %64s %64s %4095s", name, version, dir) != 3) {
        finish_job(d, CTL_ST_INTERNAL, "nines-release unpack said something unexpected");
        return;
    }
    if (nines_rel_state_add(&r->state, name, version, why, sizeof why) < 0 || release_save_state(d) < 0) {
        nines_remove_tree(dir); /* not this system's, or not recorded: not kept */
        release_log(LOG_ERR, "release_unpack_failed", why, version, why);
        finish_job(d, CTL_ST_REFUSED, why);
        return;
    }
    snprintf(msg, sizeof msg, "unpacked %s %s into %s", name, version, dir);
    release_log(LOG_NOTICE, "release_unpacked", msg, version, NULL);
    bool from_watch = r->unpacks->conn_id == 0;
    if (from_watch)
        release_drop_arrival(r->unpacks->path);
    finish_job(d, CTL_ST_OK, msg);
    if (r->auto_upgrade && from_watch)
        release_install_begin(d, 0, version, false);
}

static void on_tool_exit(void *userdata, const siginfo_t *si) {
    struct daemon *d = userdata;
    struct releases *r = d->releases;
    r->reaper = NULL;
    char out[16384];
    release_tool_output(r->unpack_out, out, sizeof out);
    close(r->unpack_out);
    r->unpack_out = -1;
    if (si->si_code == CLD_EXITED && si->si_status == 0) {
        unpacked(d, out);
        return;
    }
    char msg[sizeof out + 256];
    if (si->si_code == CLD_EXITED)
        snprintf(msg, sizeof msg, "%s", out[0] ? out : "nines-release unpack failed");
    else
        snprintf(msg, sizeof msg, "nines-release unpack was killed by signal %d", si->si_status);
    release_log(LOG_ERR, "release_unpack_failed", "a release was not unpacked", NULL, msg);
    finish_job(d, si->si_code == CLD_EXITED && si->si_status == 1 ? CTL_ST_FAILED : CTL_ST_INTERNAL, msg);
}

static void start_next_unpack(struct daemon *d) {
    struct releases *r = d->releases;
    struct unpack_job *j = r->unpacks;
    struct control_conn *c = j->conn_id ? control_conn_find(d, j->conn_id) : NULL;
    pid_t pid = 0;
    int e = (r->unpack_out = memfd_create("nines-unpack", MFD_CLOEXEC)) < 0 ? -errno : 0;
    if (e == 0)
        e = release_tool_spawn(r->tool, r->worker, j->path, r->dir, r->unpack_out, &pid);
    if (e == 0)
        e = reaper_watch(d->reaper, pid, on_tool_exit, d);
    if (e == 0)
        r->reaper = d->reaper;
    if (e < 0) {
        if (pid > 0)
            waitpid(pid, NULL, 0);
        if (r->unpack_out >= 0)
            close(r->unpack_out);
        r->unpack_out = -1;
        char msg[PATH_MAX + 100];
        snprintf(msg, sizeof msg, "cannot run %s: %s", r->tool, strerror(-e));
        finish_job(d, CTL_ST_INTERNAL, msg);
        return;
    }
    r->unpack_pid = pid;
    if (c) {
        static const char line[] = "phase=verify\n";
        control_send_data(c, line, sizeof line - 1);
    }
}

void release_unpack_free(struct releases *r) {
    if (r->unpack_pid > 0) {
        if (r->reaper)
            reaper_unwatch(r->reaper, r->unpack_pid);
        kill(r->unpack_pid, SIGKILL);
        waitpid(r->unpack_pid, NULL, 0);
    }
    if (r->unpack_out >= 0)
        close(r->unpack_out);
    while (r->unpacks) {
        struct unpack_job *j = r->unpacks;
        r->unpacks = j->next;
        job_free(j);
    }
}
