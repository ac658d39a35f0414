/*
 * release_handler.c — the release handler's state and its simple
 * commands: list, make-permanent, remove; the entry points of unpack and
 * install (release_unpack.c, release_install.c). See release_handler.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "fs_tree.h"
#include "log.h"
#include "release_internal.h"
#include "release_watch.h"

/* --- a loaded release ------------------------------------------------------------ */

static int load_appups(struct release_set *s, struct nines_error *err) {
    const struct nines_manifest *m = s->manifest;
    s->appups = calloc(m->n_appups ? m->n_appups : 1, sizeof *s->appups);
    if (!s->appups)
        return -ENOMEM;
    for (size_t i = 0; i < m->n_appups; i++) {
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", s->dir, m->appups[i].path) >= (int)sizeof path)
            return -ENAMETOOLONG;
        int e = nines_appup_load(path, &s->appups[i], err);
        if (e < 0)
            return e;
        s->n_appups++;
    }
    return 0;
}

int release_set_load(const char *dir, struct nines_tree *tree, struct release_set *out, struct nines_error *err) {
    memset(out, 0, sizeof *out);
    char path[PATH_MAX];
    snprintf(out->dir, sizeof out->dir, "%s", dir);
    if (snprintf(path, sizeof path, "%s/" NINES_MANIFEST_NAME, dir) >= (int)sizeof path)
        return -ENAMETOOLONG;
    int e = nines_manifest_load(path, &out->manifest, err);
    if (e == 0 && tree) {
        out->tree = tree;
        out->tree_borrowed = true;
    } else if (e == 0) {
        if (snprintf(path, sizeof path, "%s/%s", dir, out->manifest->tree.path) >= (int)sizeof path)
            e = -ENAMETOOLONG;
        else
            e = nines_tree_load(path, &out->tree, err);
    }
    if (e == 0)
        e = load_appups(out, err);
    if (e < 0)
        release_set_free(out);
    return e;
}

void release_set_free(struct release_set *s) {
    for (size_t i = 0; i < s->n_appups; i++)
        nines_appup_free(s->appups[i]);
    free(s->appups);
    if (!s->tree_borrowed)
        nines_tree_free(s->tree);
    nines_manifest_free(s->manifest);
    memset(s, 0, sizeof *s);
}

/* --- the folder and the state -------------------------------------------------- */

int release_version_dir(const struct releases *r, const char *version, char out[PATH_MAX]) {
    const char *name = r->state.release ? r->state.release : r->running.manifest->release;
    char joined[PATH_MAX * 2];
    size_t len = (size_t)snprintf(joined, sizeof joined, "%s/%s/%s", r->dir, name, version);
    if (len >= PATH_MAX)
        return -ENAMETOOLONG;
    memcpy(out, joined, len + 1);
    return 0;
}

void release_log(int prio, const char *event, const char *msg, const char *version, const char *reason) {
    struct nines_field f[] = {{"version", version}, {"reason", reason}};
    nines_log_event(prio, event, msg, f, 2);
}

int release_save_state(struct daemon *d) {
    struct releases *r = d->releases;
    int e = nines_rel_state_write_file(&r->state, r->state_path);
    if (e < 0) {
        char msg[PATH_MAX + 64];
        snprintf(msg, sizeof msg, "cannot write %s", r->state_path);
        release_log(LOG_ERR, "release_state_error", msg, NULL, strerror(-e));
    }
    return e;
}

int releases_start(struct daemon *d, const struct release_options *opt, const struct release_boot *boot,
                   char *why, size_t size) {
    struct releases *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    d->releases = r;
    r->unpack_out = -1;
    r->auto_upgrade = opt->auto_upgrade;
    snprintf(r->dir, sizeof r->dir, "%s", opt->dir);
    snprintf(r->state_path, sizeof r->state_path, "%s/" NINES_REL_STATE_NAME, opt->dir);
    snprintf(r->tool, sizeof r->tool, "%s", opt->tool);
    snprintf(r->worker, sizeof r->worker, "%s", opt->worker);
    struct nines_error err = {0};
    int e = nines_rel_state_load(r->state_path, &r->state, &err);
    if (e == 0)
        e = release_set_load(boot->dir, d->tree, &r->running, &err);
    if (e < 0) {
        nines_error_format(&err, why, size);
        return e;
    }
    char msg[PATH_MAX + 256];
    snprintf(msg, sizeof msg, "booting %s %s from %s", boot->name, boot->version, boot->dir);
    release_log(LOG_NOTICE, "release_booted", msg, boot->version, NULL);
    e = release_watch_start(d->loop, r->dir, release_on_arrival, d, &r->watch);
    if (e < 0)
        snprintf(why, size, "cannot watch %s: %s", r->dir, strerror(-e));
    return e;
}

const char *releases_running(struct daemon *d, char *buf, size_t size) {
    const struct nines_manifest *m = d->releases ? d->releases->running.manifest : NULL;
    if (!m)
        return NULL;
    snprintf(buf, size, "%s %s", m->release, m->version);
    return buf;
}

void releases_free(struct daemon *d) {
    struct releases *r = d->releases;
    if (!r)
        return;
    release_watch_free(r->watch);
    release_install_free(r);
    release_unpack_free(r);
    release_set_free(&r->running);
    nines_rel_state_free(&r->state);
    free(r);
    d->releases = NULL;
}

bool releases_on_reply(struct daemon *d, const struct engine_reply *r) {
    return release_install_on_reply(d, r);
}

/* --- commands --------------------------------------------------------------------- */

static struct releases *handler_of(struct daemon *d, struct control_conn *c) {
    if (!d->releases)
        control_send_end(c, CTL_ST_REFUSED, "ninesd runs a tree file, not releases (start it with --releases DIR)");
    return d->releases;
}

void release_cmd_list(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    struct releases *r = handler_of(d, c);
    if (!r)
        return;
    for (size_t i = 0; i < r->state.n; i++) {
        const struct nines_rel_entry *e = &r->state.v[i];
        char dir[PATH_MAX], line[PATH_MAX + 256];
        release_version_dir(r, e->version, dir);
        bool running = strcmp(e->version, r->running.manifest->version) == 0;
        struct nines_field f[] = {{"release", r->state.release}, {"version", e->version},
                                  {"status", nines_rel_status_name(e->status)}, {"dir", dir},
                                  {"running", running ? "yes" : NULL}};
        size_t len = nines_logfmt_record(line, sizeof line, f, 5);
        control_send_data(c, line, len < sizeof line ? len : sizeof line - 1);
    }
    control_send_end(c, CTL_ST_OK, "%s", "");
}

/* A pure transition of the state, then the file; the state is put back
 * if the file cannot be written, so memory and disk agree. */
typedef int (*transition_fn)(struct nines_rel_state *s, const char *version, char *why, size_t size);

static int apply(struct daemon *d, transition_fn fn, const char *version, char *why, size_t size) {
    struct releases *r = d->releases;
    struct nines_rel_state before;
    if (nines_rel_state_copy(&r->state, &before) < 0) {
        nines_rel_state_free(&before);
        snprintf(why, size, "out of memory");
        return -ENOMEM;
    }
    int e = fn(&r->state, version, why, size);
    if (e == 0 && (e = release_save_state(d)) < 0)
        snprintf(why, size, "cannot write %.300s: %s", r->state_path, strerror(-e));
    if (e < 0) {
        nines_rel_state_free(&r->state);
        r->state = before;
    } else
        nines_rel_state_free(&before);
    return e;
}

static enum ctl_status status_of_errno(int e) {
    return e == -ENOENT ? CTL_ST_NOT_FOUND : e == -ENOMEM || e == -EIO ? CTL_ST_INTERNAL : CTL_ST_REFUSED;
}

void release_cmd_make_permanent(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    struct releases *r = handler_of(d, c);
    char why[512];
    if (!r)
        return;
    if (r->install) {
        control_send_end(c, CTL_ST_REFUSED, "an upgrade is under way");
        return;
    }
    int e = apply(d, nines_rel_state_make_permanent, argv[1], why, sizeof why);
    if (e < 0) {
        control_send_end(c, status_of_errno(e), "%s", why);
        return;
    }
    char msg[256];
    snprintf(msg, sizeof msg, "%s %s is permanent", r->state.release, argv[1]);
    release_log(LOG_NOTICE, "release_permanent", msg, argv[1], NULL);
    control_send_end(c, CTL_ST_OK, "%s", msg);
}

void release_cmd_remove(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    struct releases *r = handler_of(d, c);
    char why[512], dir[PATH_MAX];
    if (!r)
        return;
    if (r->install) {
        control_send_end(c, CTL_ST_REFUSED, "an upgrade is under way");
        return;
    }
    if (strcmp(argv[1], r->running.manifest->version) == 0) {
        control_send_end(c, CTL_ST_REFUSED, "%s %s is the release running now", r->state.release, argv[1]);
        return;
    }
    release_version_dir(r, argv[1], dir);
    int e = apply(d, nines_rel_state_remove, argv[1], why, sizeof why);
    if (e < 0) {
        control_send_end(c, status_of_errno(e), "%s", why);
        return;
    }
    /* The state no longer names it: a failure to remove the files leaves
     * litter, not an inconsistent state. */
    e = nines_remove_tree(dir);
    char msg[PATH_MAX + 128];
    snprintf(msg, sizeof msg, "removed %s %s%s%s", r->state.release, argv[1], e < 0 ? "; could not delete " : "",
             e < 0 ? dir : "");
    release_log(e < 0 ? LOG_WARNING : LOG_NOTICE, "release_removed", msg, argv[1], e < 0 ? strerror(-e) : NULL);
    control_send_end(c, CTL_ST_OK, "%s", msg);
}

void release_cmd_unpack(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    if (!handler_of(d, c))
        return;
    if (argv[1][0] != '/') {
        control_send_end(c, CTL_ST_BAD_REQUEST, "the release path must be absolute, got '%s'", argv[1]);
        return;
    }
    release_unpack_queue(d, argv[1], control_conn_id(c));
}

/* release-install VERSION up|down [dry-run] [json] */
void release_cmd_install(struct daemon *d, struct control_conn *c, int argc, const char **argv) {
    if (!handler_of(d, c))
        return;
    bool down = strcmp(argv[2], "down") == 0, dry = false, json = false;
    if (!down && strcmp(argv[2], "up") != 0) {
        control_send_end(c, CTL_ST_BAD_REQUEST, "expected 'up' or 'down', got '%s'", argv[2]);
        return;
    }
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "dry-run") == 0)
            dry = true;
        else if (strcmp(argv[i], "json") == 0)
            json = true;
        else {
            control_send_end(c, CTL_ST_BAD_REQUEST, "unknown option '%s' (allowed: dry-run, json)", argv[i]);
            return;
        }
    }
    if (!dry) {
        release_install_begin(d, control_conn_id(c), argv[1], down);
        return;
    }
    char *text = NULL, why[2048];
    int e = release_plan_text(d, argv[1], down, json, &text, why, sizeof why);
    if (e < 0) {
        control_send_end(c, status_of_errno(e), "%s", why);
        return;
    }
    control_send_data(c, text, strlen(text));
    control_send_end(c, CTL_ST_OK, "%s", "");
    free(text);
}
