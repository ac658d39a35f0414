/*
 * appup_write.c — an appup as YAML (doc/appup.md), for `nines-appup
 * generate` to write and people to review. The text loads back to the same
 * appup: child specs are written whole (args, restart, shutdown, exec and
 * ready, nested and dynamic supervisors), defaults left out only where
 * the loader puts them back, and every scalar plain only when YAML reads
 * it back as the same text. Comments come out as '#' lines, wrapped.
 *
 * Steps about children are written in block style, the others in flow
 * style on one line: `- remove_child: {supervisor: store, id: cache}`.
 *
 * Unlike the release state and manifests (lib/yaml_output.h), this writer
 * does not go through libyaml's emitter: the emitter has no comment event,
 * and the comments (why each step is there) are what a reviewer reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "appup.h"
#include "utf8.h"

#define COMMENT_WIDTH 78 /* columns of a comment line, its indent and '# ' included */
#define DEFAULT_SHUTDOWN_MS 5000 /* a worker's shutdown when none is written (tree_child.c) */

/* The file, and the first thing that could not be written (sticky). */
struct writer {
    FILE *f;
    int error;
};

/* --- scalars ------------------------------------------------------------- */

/* What YAML lets stand as itself inside double quotes: printable, and
 * not a line break (libyaml folds U+0085, U+2028 and U+2029 like '\n'). */
static bool verbatim(uint32_t c) {
    if (c < 0x80)
        return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    return (c >= 0xa0 && c <= 0xfffd && c != 0x2028 && c != 0x2029 && c != 0xfeff) || c >= 0x10000;
}

static void put_quoted(struct writer *w, const char *s) {
    fputc('"', w->f);
    const uint8_t *p = (const uint8_t *)s, *end = p + strlen(s);
    while (p < end) {
        uint32_t c;
        size_t n = nines_utf8_decode(p, (size_t)(end - p), &c);
        if (n == 0) {
            w->error = -EILSEQ;
            break;
        }
        if (verbatim(c))
            fwrite(p, 1, n, w->f);
        else if (c == '"' || c == '\\')
            fprintf(w->f, "\\%c", (int)c);
        else if (c < 0x100)
            fprintf(w->f, "\\x%02" PRIx32, c);
        else if (c < 0x10000)
            fprintf(w->f, "\\u%04" PRIx32, c);
        else
            fprintf(w->f, "\\U%08" PRIx32, c);
        p += n;
    }
    fputc('"', w->f);
}

/* Plain when YAML reads it back as this very text wherever it stands
 * here (after "key: ", in a flow collection): letters, digits and
 * `_ . / + = -`, not "-" alone (a sequence entry). Else double-quoted. */
static void put_scalar(struct writer *w, const char *s) {
    static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./+=-";
    if (*s && strspn(s, safe) == strlen(s) && strcmp(s, "-") != 0)
        fputs(s, w->f);
    else
        put_quoted(w, s);
}

/* `KEY: VALUE` after `lead` (a separator, or a new line and its indent). */
static void put_pair(struct writer *w, const char *lead, const char *key, const char *value) {
    fprintf(w->f, "%s%s: ", lead, key);
    put_scalar(w, value);
}

/* 90000 as 90s, 120000 as 2m: the largest unit that divides it. */
static void put_duration(struct writer *w, uint64_t ms) {
    if (ms && ms % 60000 == 0)
        fprintf(w->f, "%" PRIu64 "m", ms / 60000);
    else if (ms && ms % 1000 == 0)
        fprintf(w->f, "%" PRIu64 "s", ms / 1000);
    else
        fprintf(w->f, "%" PRIu64 "ms", ms);
}

/* `# ` lines at `indent`, the words wrapped to COMMENT_WIDTH (a word
 * longer than a line gets a line of its own); the text's own line breaks
 * are kept. */
static void put_comment(struct writer *w, int indent, const char *text) {
    size_t room = indent < COMMENT_WIDTH - 40 ? (size_t)(COMMENT_WIDTH - indent - 2) : 38;
    while (*text) {
        size_t len = strcspn(text, "\n"), cut = len;
        if (len > room) {
            for (cut = room; cut > 0 && text[cut] != ' ';)
                cut--;
            if (cut == 0)
                cut = strcspn(text, " \n");
        }
        fprintf(w->f, "%*s#%s%.*s\n", indent, "", cut ? " " : "", (int)cut, text);
        text += cut;
        text += *text == ' ' || *text == '\n';
    }
}

/* --- child specs --------------------------------------------------------- */

static void put_child(struct writer *w, const struct nines_child_spec *c, int indent, bool item);

static void put_exec(struct writer *w, const struct nines_child_spec *c, const char *lead) {
    fprintf(w->f, "%sexec: [", lead);
    for (char **a = c->exec_argv; a && *a; a++) {
        fputs(a == c->exec_argv ? "" : ", ", w->f);
        put_scalar(w, *a);
    }
    fputc(']', w->f);
    if (c->notify)
        fprintf(w->f, "%sready: notify", lead);
    if (c->n_sockets)
        fprintf(w->f, "%ssockets: [", lead);
    for (size_t i = 0; i < c->n_sockets; i++) {
        const struct nines_socket *so = &c->sockets[i];
        fputs(i ? ", {name: " : "{name: ", w->f);
        put_scalar(w, so->name);
        if (so->kind != NINES_SOCKET_PASSED) {
            fputs(so->kind == NINES_SOCKET_TCP ? ", tcp: " : ", unix: ", w->f);
            put_scalar(w, so->address);
            fprintf(w->f, ", backlog: %u", so->backlog);
        }
        if (so->kind == NINES_SOCKET_UNIX)
            fprintf(w->f, ", mode: \"0%o\"", so->mode);
        fputc('}', w->f);
    }
    if (c->n_sockets)
        fputc(']', w->f);
}

static void put_args(struct writer *w, const struct nines_child_spec *c, const char *lead) {
    if (c->n_args == 0)
        return;
    fprintf(w->f, "%sargs: {", lead);
    for (size_t i = 0; i < c->n_args; i++) {
        fputs(i ? ", " : "", w->f);
        put_scalar(w, c->args[i].key);
        fputs(": ", w->f);
        put_scalar(w, c->args[i].value);
    }
    fputc('}', w->f);
}

/* A worker's shutdown, unless it is the default; a supervisor's is always
 * infinity, which the loader sets. */
static void put_shutdown(struct writer *w, const struct nines_child_spec *c, const char *lead) {
    const struct nines_shutdown *s = &c->shutdown;
    if (c->kind == NINES_CHILD_SUPERVISOR || (s->kind == NINES_SHUTDOWN_TIMEOUT && s->ms == DEFAULT_SHUTDOWN_MS))
        return;
    fprintf(w->f, "%sshutdown: ", lead);
    if (s->kind == NINES_SHUTDOWN_TIMEOUT)
        put_duration(w, s->ms);
    else
        fputs(s->kind == NINES_SHUTDOWN_BRUTAL_KILL ? "brutal_kill" : "infinity", w->f);
}

/* A worker's timeout, unless it is the default (0: infinity). */
static void put_timeout(struct writer *w, const char *lead, const char *key, uint64_t ms, uint64_t dflt) {
    if (ms == dflt)
        return;
    fprintf(w->f, "%s%s: ", lead, key);
    if (ms)
        put_duration(w, ms);
    else
        fputs("infinity", w->f);
}

static void put_supervisor(struct writer *w, const struct nines_sup_spec *s, int indent) {
    fprintf(w->f, "\n%*sstrategy: %s\n%*sintensity: %u\n%*speriod: ", indent, "", nines_strategy_name(s->strategy),
            indent, "", s->intensity, indent, "");
    put_duration(w, s->period_ms);
    if (s->strategy == NINES_DYNAMIC) {
        if (s->max_children)
            fprintf(w->f, "\n%*smax_children: %u", indent, "", s->max_children);
        fprintf(w->f, "\n%*schild:", indent, "");
        put_child(w, s->child_template, indent + 2, false);
        return;
    }
    fprintf(w->f, "\n%*schildren:%s", indent, "", s->n_children ? "" : " []");
    for (size_t i = 0; i < s->n_children; i++)
        put_child(w, &s->children[i], indent + 4, true);
}

/* A child spec in block style, each key on a line of its own at
 * `indent`; as a sequence item, the first line starts with "- ". */
static void put_child(struct writer *w, const struct nines_child_spec *c, int indent, bool item) {
    char lead[80];
    snprintf(lead, sizeof lead, "\n%*s", indent, "");
    fprintf(w->f, "\n%*s%s", item ? indent - 2 : indent, "", item ? "- " : "");
    put_pair(w, "", "id", c->id);
    if (c->kind == NINES_CHILD_MODULE)
        put_pair(w, lead, "module", c->module);
    else if (c->kind == NINES_CHILD_EXEC)
        put_exec(w, c, lead);
    put_args(w, c, lead);
    if (c->restart != NINES_PERMANENT)
        fprintf(w->f, "%srestart: %s", lead, nines_restart_name(c->restart));
    put_shutdown(w, c, lead);
    if (c->kind == NINES_CHILD_MODULE && c->max_queued_casts && c->max_queued_casts != NINES_MAX_QUEUED_CASTS)
        fprintf(w->f, "%smax_queued_casts: %u", lead, c->max_queued_casts);
    if (c->kind == NINES_CHILD_MODULE || (c->kind == NINES_CHILD_EXEC && c->notify)) /* a start that waits */
        put_timeout(w, lead, "start_timeout", c->start_timeout_ms, NINES_START_TIMEOUT_MS);
    if (c->kind == NINES_CHILD_MODULE)
        put_timeout(w, lead, "swap_timeout", c->swap_timeout_ms, NINES_SWAP_TIMEOUT_MS);
    if (c->backoff.initial_ms) {
        fprintf(w->f, "%sbackoff: {initial: ", lead);
        put_duration(w, c->backoff.initial_ms);
        fputs(", max: ", w->f);
        put_duration(w, c->backoff.max_ms);
        fputs(", reset: ", w->f);
        put_duration(w, c->backoff.reset_ms);
        fputc('}', w->f);
    }
    if (c->kind == NINES_CHILD_SUPERVISOR) {
        fprintf(w->f, "%ssupervisor:", lead);
        put_supervisor(w, c->supervisor, indent + 2);
    }
}

/* --- steps and entries ---------------------------------------------------- */

static void put_flags(struct writer *w, const struct nines_appup_flags *f) {
    if (f->has_strategy)
        fprintf(w->f, ", strategy: %s", nines_strategy_name(f->strategy));
    if (f->has_intensity)
        fprintf(w->f, ", intensity: %u", f->intensity);
    if (f->has_period) {
        fputs(", period: ", w->f);
        put_duration(w, f->period_ms);
    }
}

/* One step at `indent` (the column of its "- "). */
static void put_step(struct writer *w, const struct nines_appup_step *s, int indent) {
    char lead[80];
    snprintf(lead, sizeof lead, "\n%*s", indent + 4, "");
    if (s->comment)
        put_comment(w, indent, s->comment);
    fprintf(w->f, "%*s- %s:", indent, "", nines_appup_step_name(s->kind));
    switch (s->kind) {
    case NINES_STEP_CODE_CHANGE:
        fputs(s->extra ? " {" : " {}", w->f);
        if (s->extra) {
            put_pair(w, "", "extra", s->extra);
            fputc('}', w->f);
        }
        break;
    case NINES_STEP_RESTART: fputs(" {}", w->f); break;
    case NINES_STEP_ADD_CHILD:
    case NINES_STEP_CHANGE_CHILD:
        put_pair(w, lead, "supervisor", s->supervisor);
        if (s->kind == NINES_STEP_CHANGE_CHILD)
            put_pair(w, lead, "id", s->id);
        fprintf(w->f, "%schild:", lead);
        put_child(w, s->child, indent + 6, false);
        break;
    case NINES_STEP_REMOVE_CHILD:
    case NINES_STEP_SUPERVISOR_FLAGS:
        put_pair(w, " {", "supervisor", s->supervisor);
        if (s->kind == NINES_STEP_REMOVE_CHILD)
            put_pair(w, ", ", "id", s->id);
        else
            put_flags(w, &s->flags);
        fputc('}', w->f);
        break;
    }
    fputc('\n', w->f);
}

static void put_versions(struct writer *w, const struct nines_appup_entry *e) {
    if (e->n_versions != 1)
        fputc('[', w->f);
    for (size_t i = 0; i < e->n_versions; i++) {
        fputs(i ? ", " : "", w->f);
        put_scalar(w, e->versions[i]);
    }
    fputs(e->n_versions != 1 ? "]\n" : "\n", w->f);
}

static void put_entries(struct writer *w, const char *key, const struct nines_appup_entry *v, size_t n, bool up) {
    fprintf(w->f, "%s:%s\n", key, n ? "" : " []");
    for (size_t i = 0; i < n; i++) {
        fprintf(w->f, "  - %s: ", up ? "from" : "to");
        put_versions(w, &v[i]);
        fprintf(w->f, "    steps:%s\n", v[i].n_steps ? "" : " []");
        for (size_t j = 0; j < v[i].n_steps; j++)
            put_step(w, &v[i].steps[j], 6);
    }
}

int nines_appup_write(const struct nines_appup *a, FILE *f) {
    struct writer w = {.f = f};
    if (a->comment)
        put_comment(&w, 0, a->comment);
    put_pair(&w, "", "application", a->application);
    put_pair(&w, "\n", "version", a->version);
    fputc('\n', f);
    put_entries(&w, "up", a->up, a->n_up, true);
    put_entries(&w, "down", a->down, a->n_down, false);
    if (w.error)
        return w.error;
    return ferror(f) ? -EIO : 0;
}
