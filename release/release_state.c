/*
 * release_state.c — the release handler's rules, as pure functions of the
 * state: each transition checks everything first and only then changes
 * the struct, so a refusal leaves it exactly as it was.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "module_check.h"
#include "release_state.h"

static const char *const status_names[] = {"unpacked", "current", "permanent", "old"};

const char *nines_rel_status_name(enum nines_rel_status status) {
    return (unsigned)status < sizeof status_names / sizeof status_names[0] ? status_names[status] : "?";
}

void nines_rel_state_free(struct nines_rel_state *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].version);
    free(s->v), free(s->release);
    *s = (struct nines_rel_state){0};
}

int nines_rel_state_copy(const struct nines_rel_state *from, struct nines_rel_state *to) {
    *to = (struct nines_rel_state){0};
    if (!from->n)
        return 0;
    if (!(to->release = strdup(from->release)) || !(to->v = calloc(from->n, sizeof *to->v)))
        goto fail;
    for (; to->n < from->n; to->n++) {
        to->v[to->n].status = from->v[to->n].status;
        if (!(to->v[to->n].version = strdup(from->v[to->n].version)))
            goto fail;
    }
    return 0;
fail:
    nines_rel_state_free(to);
    return -ENOMEM;
}

static struct nines_rel_entry *find(const struct nines_rel_state *s, const char *version) {
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].version, version) == 0)
            return &s->v[i];
    return NULL;
}

const struct nines_rel_entry *nines_rel_state_find(const struct nines_rel_state *s, const char *version) {
    return find(s, version);
}

static struct nines_rel_entry *with_status(const struct nines_rel_state *s, enum nines_rel_status status) {
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].status == status)
            return &s->v[i];
    return NULL;
}

const char *nines_rel_state_permanent(const struct nines_rel_state *s) {
    const struct nines_rel_entry *e = with_status(s, NINES_REL_PERMANENT);
    return e ? e->version : NULL;
}

static struct nines_rel_entry *running(const struct nines_rel_state *s) {
    struct nines_rel_entry *e = with_status(s, NINES_REL_CURRENT);
    return e ? e : with_status(s, NINES_REL_PERMANENT);
}

const char *nines_rel_state_running(const struct nines_rel_state *s) {
    const struct nines_rel_entry *e = running(s);
    return e ? e->version : NULL;
}

/* Say why in `why` and return `code`, for `return refuse(...)`. */
static int refuse(int code, char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int refuse(int code, char *why, size_t size, const char *fmt, ...) {
    if (why && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int check_new(const struct nines_rel_state *s, const char *release, const char *version, char *why,
                     size_t size) {
    if (!nines_module_name_valid(release))
        return refuse(-EINVAL, why, size, "invalid release name '%.100s' (1 to 64 of a-z, 0-9, '_' and '-')",
                      release);
    if (!nines_manifest_version_valid(version))
        return refuse(-EINVAL, why, size, "invalid release version '%.100s' (" NINES_MANIFEST_VERSION_RULE ")",
                      version);
    if (s->release && strcmp(s->release, release) != 0)
        return refuse(-EINVAL, why, size, "this node runs release '%s', not '%s'", s->release, release);
    if (find(s, version))
        return refuse(-EEXIST, why, size, "release %s %s is already known (%s)", s->release, version,
                      nines_rel_status_name(find(s, version)->status));
    return 0;
}

int nines_rel_state_add(struct nines_rel_state *s, const char *release, const char *version, char *why,
                        size_t size) {
    int r = check_new(s, release, version, why, size);
    if (r < 0)
        return r;
    char *name = s->release ? NULL : strdup(release), *copy = strdup(version);
    struct nines_rel_entry *v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (v)
        s->v = v;
    if (!v || !copy || (!s->release && !name)) {
        free(name), free(copy);
        return refuse(-ENOMEM, why, size, "out of memory");
    }
    if (name)
        s->release = name;
    s->v[s->n++] = (struct nines_rel_entry){copy, NINES_REL_UNPACKED};
    return 0;
}

static int known(const struct nines_rel_state *s, const char *version, char *why, size_t size,
                 struct nines_rel_entry **out) {
    if (!(*out = find(s, version)))
        return refuse(-ENOENT, why, size, "release version %s is unknown (it was never unpacked, or was removed)",
                      version);
    return 0;
}

int nines_rel_state_can_install(const struct nines_rel_state *s, const char *version, char *why, size_t size) {
    struct nines_rel_entry *e;
    int r = known(s, version, why, size, &e);
    if (r < 0)
        return r;
    if (e == running(s))
        return refuse(-EEXIST, why, size, "release %s %s is already running (%s)", s->release, version,
                      nines_rel_status_name(e->status));
    return 0;
}

int nines_rel_state_installed(struct nines_rel_state *s, const char *version, char *why, size_t size) {
    int r = nines_rel_state_can_install(s, version, why, size);
    if (r < 0)
        return r;
    struct nines_rel_entry *e = find(s, version), *current = with_status(s, NINES_REL_CURRENT);
    if (current)
        current->status = NINES_REL_UNPACKED;
    if (e->status != NINES_REL_PERMANENT)
        e->status = NINES_REL_CURRENT;
    return 0;
}

int nines_rel_state_make_permanent(struct nines_rel_state *s, const char *version, char *why, size_t size) {
    struct nines_rel_entry *e, *now = running(s);
    int r = known(s, version, why, size, &e);
    if (r < 0)
        return r;
    if (e != now && !now)
        return refuse(-EINVAL, why, size, "release %s %s is not running (%s): install it first", s->release,
                      version, nines_rel_status_name(e->status));
    if (e != now)
        return refuse(-EINVAL, why, size, "release %s %s is not running (%s): %s runs, install %s first",
                      s->release, version, nines_rel_status_name(e->status), now->version, version);
    struct nines_rel_entry *old = with_status(s, NINES_REL_PERMANENT);
    if (old && old != e)
        old->status = NINES_REL_OLD;
    e->status = NINES_REL_PERMANENT;
    return 0;
}

int nines_rel_state_remove(struct nines_rel_state *s, const char *version, char *why, size_t size) {
    struct nines_rel_entry *e;
    int r = known(s, version, why, size, &e);
    if (r < 0)
        return r;
    if (e->status == NINES_REL_CURRENT || e->status == NINES_REL_PERMANENT)
        return refuse(-EBUSY, why, size, "release %s %s is %s: it cannot be removed", s->release, version,
                      nines_rel_status_name(e->status));
    size_t i = (size_t)(e - s->v);
    free(e->version);
    memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
    if (--s->n == 0) {
        free(s->v), free(s->release);
        s->v = NULL, s->release = NULL;
    }
    return 0;
}

void nines_rel_state_boot(struct nines_rel_state *s) {
    struct nines_rel_entry *current = with_status(s, NINES_REL_CURRENT);
    if (current)
        current->status = NINES_REL_UNPACKED;
}
