/*
 * args.c — the command line of nines-release's commands, as one table of
 * options: which take a value, what each means. A command names the
 * options it takes and its operands; parsing checks the words against
 * that and nothing else, so that every command reads its line the same
 * way and --help, the synopsis and the parser cannot disagree. Pure.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "release.h"

struct option_rule {
    const char *name;
    const char *value; /* the value's name in the synopsis, or NULL: a flag */
    const char *help;  /* lines after the first indented by the help's column */
};

static const struct option_rule rules[OPT_COUNT] = {
    [OPT_FORCE] = {"--force", NULL, "build: replace an existing release of the same version"},
    [OPT_NO_VERIFY] = {"--no-verify", NULL, "build: do not verify the result"},
    [OPT_JSON] = {"--json", NULL, "inspect: one JSON object on stdout"},
    [OPT_WORKER] = {"--worker", "PATH",
                    "the worker host that checks modules (default: beside\n"
                    "this program, else " NINES_LIBEXECDIR "/nines-worker)"},
    [OPT_PREVIOUS] = {"--previous", "RELEASE",
                      "the release this one upgrades (a folder, tarball or\n"
                      "manifest): check that the appups plan the way from it\n"
                      "and back, and that it is the same release"},
    [OPT_YAML_LIMITS] = {"--yaml-limits", "NAME=N,...",
                         "raise the limits of every YAML file read: size (bytes,\n"
                         "16M), nodes (1000000), aliases (nodes reached through\n"
                         "them, 1000000), depth (128), args (of a child, 10000)"},
    [OPT_TARBALL_LIMITS] = {"--tarball-limits", "NAME=N,...",
                            "raise the limits of a release tarball: size (of its\n"
                            "files unpacked, bytes, 1G), members (files and\n"
                            "folders, 10000)"},
};

static int find_option(const struct command *c, const char *word) {
    for (int i = 0; i < OPT_COUNT; i++)
        if ((c->options & (1u << i)) && strcmp(rules[i].name, word) == 0)
            return i;
    return -1;
}

static void set_option(struct args *a, int id, const char *value) {
    switch (id) {
    case OPT_FORCE: a->force = true; break;
    case OPT_NO_VERIFY: a->no_verify = true; break;
    case OPT_JSON: a->json = true; break;
    case OPT_WORKER: a->verify.worker = value; break;
    case OPT_PREVIOUS: a->verify.previous = value; break;
    case OPT_YAML_LIMITS: a->yaml_limits = value; break;
    case OPT_TARBALL_LIMITS: a->tarball_limits = value; break;
    }
}

static size_t count_operands(const struct command *c) {
    size_t n = 0;
    while (n < ARGS_MAX_OPERANDS && c->operands[n])
        n++;
    return n;
}

static int unexpected(const char *word, char *why, size_t size) {
    snprintf(why, size, "unexpected '%s'", word);
    return -EINVAL;
}

/* --help anywhere asks for help, whatever else the line says. */
static bool wants_help(int argc, char *const *argv) {
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

int args_parse(const struct command *c, int argc, char *const *argv, struct args *a, char *why, size_t size) {
    size_t n = 0, want = count_operands(c);
    *a = (struct args){.help = wants_help(argc, argv)};
    if (a->help)
        return 0;
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        if (w[0] != '-' || w[1] == '\0') {
            if (n == want)
                return unexpected(w, why, size);
            a->operands[n++] = w;
            continue;
        }
        int id = find_option(c, w);
        if (id < 0)
            return unexpected(w, why, size);
        if (rules[id].value && i + 1 == argc) {
            snprintf(why, size, "'%s' needs a value (%s)", w, rules[id].value);
            return -EINVAL;
        }
        set_option(a, id, rules[id].value ? argv[++i] : NULL);
    }
    if (n < want) {
        snprintf(why, size, "missing %s", c->operands[n]);
        return -EINVAL;
    }
    return 0;
}

/* Append to buf as snprintf would, counting what does not fit. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(*len < size ? buf + *len : NULL, *len < size ? size - *len : 0, fmt, ap);
    va_end(ap);
    *len += n > 0 ? (size_t)n : 0;
}

size_t args_synopsis(const struct command *c, char *buf, size_t size) {
    size_t len = 0;
    if (size)
        buf[0] = '\0';
    append(buf, size, &len, "%s", c->name);
    for (int i = 0; i < OPT_COUNT; i++)
        if (c->options & (1u << i))
            append(buf, size, &len, rules[i].value ? " [%s %s]" : " [%s]", rules[i].name,
                   rules[i].value ? rules[i].value : "");
    for (size_t i = 0; i < count_operands(c); i++)
        append(buf, size, &len, " %s", c->operands[i]);
    return len;
}

/* "  --worker PATH       the worker host ...": the help in a column. */
void args_print_options(FILE *f, unsigned mask) {
    enum { COLUMN = 22 };
    for (int i = 0; i < OPT_COUNT; i++) {
        if (!(mask & (1u << i)))
            continue;
        char head[64];
        snprintf(head, sizeof head, "  %s%s%s", rules[i].name, rules[i].value ? " " : "",
                 rules[i].value ? rules[i].value : "");
        fprintf(f, "%-*s", COLUMN, head);
        for (const char *s = rules[i].help; *s;) {
            size_t n = strcspn(s, "\n");
            fprintf(f, "%*s%.*s\n", s == rules[i].help ? 0 : (int)COLUMN, "", (int)n, s);
            s += n + (s[n] == '\n');
        }
    }
}
