/*
 * args.c — parse ninesctl's command line (see args.h).
 *
 * Options may come anywhere, before or after the command and its
 * arguments, the way people add "--json" at the end of a line they
 * already typed; "--" ends them, for arguments that start with '-'
 * (a REQUEST of "-1"). A lone "-" is an argument.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "module_check.h"

/* Longest --timeout: the daemon keeps the call open this long at most,
 * and the number must fit in an int on its side. */
#define TIMEOUT_MAX_MS 2147483647u

__attribute__((format(printf, 2, 3))) static int fail(struct ctl_args *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->error, sizeof a->error, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int parse_timeout(struct ctl_args *a, const char *text) {
    unsigned long v = 0;
    if (!text[0])
        return fail(a, "--timeout needs a number of milliseconds");
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return fail(a, "--timeout '%s' is not a number of milliseconds", text);
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > TIMEOUT_MAX_MS)
            return fail(a, "--timeout '%s' is over %u ms", text, TIMEOUT_MAX_MS);
    }
    if (v == 0)
        return fail(a, "--timeout must be at least 1 ms");
    a->has_timeout = true;
    a->timeout_ms = (unsigned)v;
    return 0;
}

/* The value of an option that takes one: after '=' in the same word, or
 * the next word. */
static int option_value(struct ctl_args *a, int argc, char *const *argv, int *i, const char *eq,
                        const char *name, const char **out) {
    if (eq) {
        *out = eq + 1;
        return 0;
    }
    if (*i + 1 >= argc)
        return fail(a, "%s needs a value", name);
    *out = argv[++*i];
    return 0;
}

/* One option at argv[*i], which may consume the next word. */
static int parse_option(struct ctl_args *a, int argc, char *const *argv, int *i) {
    const char *arg = argv[*i];
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), arg);
    const char *v = NULL;
    if (strcmp(name, "--module") == 0 || strcmp(name, "--extra") == 0) {
        int r = option_value(a, argc, argv, i, eq, name, &v);
        if (r < 0)
            return r;
        if (name[2] == 'm' && !v[0])
            return fail(a, "--module needs a path");
        *(name[2] == 'm' ? &a->module : &a->extra) = v;
        return 0;
    }
    if (strcmp(name, "--listen") == 0) {
        int r = option_value(a, argc, argv, i, eq, name, &v);
        if (r < 0)
            return r;
        a->listen = v;
        return 0;
    }
    if (strcmp(name, "--id") == 0) {
        int r = option_value(a, argc, argv, i, eq, name, &v);
        if (r < 0)
            return r;
        if (!v[0])
            return fail(a, "--id needs the child's id");
        a->id = v;
        return 0;
    }
    if (strcmp(name, "--socket") == 0 || strcmp(name, "--timeout") == 0) {
        int r = option_value(a, argc, argv, i, eq, name, &v);
        if (r < 0)
            return r;
        if (strcmp(name, "--timeout") == 0)
            return parse_timeout(a, v);
        if (!v[0])
            return fail(a, "--socket needs a path");
        a->socket = v;
        return 0;
    }
    if (eq)
        return fail(a, "%s takes no value", name);
    if (strcmp(arg, "--json") == 0)
        a->json = true;
    else if (strcmp(arg, "--no-color") == 0)
        a->no_color = true;
    else if (strcmp(arg, "--follow") == 0)
        a->follow = true;
    else if (strcmp(arg, "--dry-run") == 0)
        a->dry_run = true;
    else if (strcmp(arg, "--resources") == 0 || strcmp(arg, "-r") == 0)
        a->resources = true;
    else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
        a->help = true;
    else if (strcmp(arg, "--version") == 0)
        a->version = true;
    else
        return fail(a, "unknown option '%s'", arg);
    return 0;
}

/* "upgrade --module" for the form of upgrade that takes it: errors name
 * the form the line was taken as. */
static const char *form_name(const struct ctl_command *c, char buf[static 64]) {
    snprintf(buf, 64, "%s%s", c->name, ctl_command_form(c, false) != c ? " --module" : "");
    return buf;
}

/* The options given, against those the command takes. */
static int check_options(struct ctl_args *a) {
    const struct ctl_command *c = a->cmd;
    char name[64];
    if (a->follow && !(c->options & CTL_OPT_FOLLOW))
        return fail(a, "%s does not take --follow", c->name);
    if (a->listen && !(c->options & CTL_OPT_LISTEN))
        return fail(a, "%s does not take --listen", c->name);
    if ((c->options & CTL_OPT_LISTEN) && !a->listen)
        return fail(a, "%s needs --listen ADDRESS:PORT", c->name);
    if (a->resources && !(c->options & CTL_OPT_RESOURCES))
        return fail(a, "%s does not take --resources", c->name);
    if (a->has_timeout && !(c->options & CTL_OPT_TIMEOUT))
        return fail(a, "%s does not take --timeout", c->name);
    if (a->id && !(c->options & CTL_OPT_ID))
        return fail(a, "%s does not take --id", c->name);
    if (a->id && a->npos > CTL_MAX_ARGS - 4)
        return fail(a, "too many arguments");
    if (a->dry_run && !(c->options & CTL_OPT_DRY_RUN))
        return fail(a, "%s does not take --dry-run", form_name(c, name));
    if ((a->module || a->extra) && !(c->options & CTL_OPT_MODULE))
        return fail(a, "%s does not take --module or --extra", c->name);
    if ((c->options & CTL_OPT_MODULE) && !a->module)
        return fail(a, a->extra ? "--extra goes with --module PATH (a child upgrade)" : "missing --module PATH");
    return 0;
}

/* A release version names a folder NAME-VERSION: what a manifest allows
 * (module_check.h), and no '/'. A path here is a child upgrade without
 * its --module, more likely than a version. */
static int check_version(struct ctl_args *a, const char *v) {
    if (nines_module_version_valid(v) && !strchr(v, '/'))
        return 0;
    return fail(a, "'%s' is not a release version (1 to 64 printable characters, no space or '/')%s", v,
                ctl_command_form(a->cmd, true) != a->cmd ? "; a child upgrade needs --module PATH" : "");
}

/* The positional arguments, against those the command takes. */
static int check_arguments(struct ctl_args *a) {
    const struct ctl_command *c = a->cmd;
    if (a->npos < c->required)
        return a->npos == 0 && c->missing ? fail(a, "%s", c->missing) : fail(a, "missing %s", c->names[a->npos]);
    int fixed = c->required + c->optional;
    if (!c->variadic && a->npos > fixed)
        return fail(a, "unexpected argument '%s'", a->pos[fixed]);
    for (int i = fixed; c->variadic && i < a->npos; i++) {
        const char *eq = strchr(a->pos[i], '=');
        if (!eq || eq == a->pos[i])
            return fail(a, "'%s' is not KEY=VALUE", a->pos[i]);
    }
    if (c->names[0] && strcmp(c->names[0], "VERSION") == 0)
        return check_version(a, a->pos[0]);
    return 0;
}

/* What the command itself requires of its arguments and options, once
 * its form is known. */
static int check_command(struct ctl_args *a) {
    a->cmd = ctl_command_form(a->cmd, a->module || a->extra);
    int r = check_options(a);
    return r < 0 ? r : check_arguments(a);
}

/* The subcommands of a group, for the error that says one is missing or
 * unknown: "list, unpack, make-permanent, remove". */
static const char *subcommands(const char *group, char *buf, size_t size) {
    size_t n = strlen(group), len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ctl_n_commands && len < size; i++) {
        const char *name = ctl_commands[i].name;
        if (strncmp(name, group, n) == 0 && name[n] == ' ')
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", name + n + 1);
    }
    return buf;
}

/* The word that names the command: a command, a group ("release"), or
 * the subcommand after a group. */
static int command_word(struct ctl_args *a, const char *word) {
    char name[64], list[128];
    if (a->group) {
        snprintf(name, sizeof name, "%s %s", a->group, word);
        a->cmd = ctl_command_find(name);
        if (!a->cmd)
            return fail(a, "unknown %s command '%s' (%s)", a->group, word, subcommands(a->group, list, sizeof list));
        return 0;
    }
    if (ctl_command_is_group(word)) {
        a->group = word;
        return 0;
    }
    a->cmd = ctl_command_find(word);
    return a->cmd ? 0 : fail(a, "unknown command '%s'", word);
}

/* --json applies to the error about the command line too, wherever it
 * stands: look for it before anything can fail. */
static void prescan(struct ctl_args *a, int argc, char *const *argv) {
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0)
            a->json = true;
}

int ctl_args_parse(struct ctl_args *a, int argc, char *const *argv) {
    *a = (struct ctl_args){.timeout_ms = CTL_DEFAULT_TIMEOUT_MS};
    prescan(a, argc, argv);
    bool options = true;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (options && strcmp(s, "--") == 0) {
            options = false;
        } else if (options && s[0] == '-' && s[1]) {
            int r = parse_option(a, argc, argv, &i);
            if (r < 0)
                return r;
        } else if (!a->cmd) {
            int r = command_word(a, s);
            if (r < 0)
                return r;
        } else {
            /* The request carries the command and, for call, a timeout. */
            if (a->npos >= CTL_MAX_ARGS - 2)
                return fail(a, "too many arguments");
            a->pos[a->npos++] = s;
        }
    }
    if (a->help || a->version)
        return 0; /* asking how is never wrong */
    char list[128];
    if (!a->cmd && a->group)
        return fail(a, "missing %s command (%s)", a->group, subcommands(a->group, list, sizeof list));
    if (!a->cmd)
        return fail(a, "missing COMMAND");
    return check_command(a);
}

int ctl_args_request(const struct ctl_args *a, const char **req, char num[static 16]) {
    int n = 0;
    req[n++] = ctl_command_request(a->cmd);
    for (int i = 0; i < a->npos; i++) {
        req[n++] = a->pos[i];
        if (i == 0 && a->id) { /* start-child SUPERVISOR --id ID KEY=VALUE... */
            req[n++] = "--id";
            req[n++] = a->id;
        }
    }
    /* The client always says how long it will wait, so what it prints in
     * --help is what happens, whatever the daemon's own default. */
    if (a->cmd->id == CTL_CMD_CALL) {
        snprintf(num, 16, "%u", a->timeout_ms);
        req[n++] = num;
    }
    if (a->cmd->id == CTL_CMD_EVENTS && a->follow)
        req[n++] = "follow";
    if (a->cmd->id == CTL_CMD_STATUS && a->resources) {
        if (a->npos == 0)
            req[n++] = "/"; /* status PATH resources: the root is "/" */
        req[n++] = "resources";
    }
    if (a->cmd->id == CTL_CMD_UPGRADE) {
        req[n++] = a->module;
        if (a->extra)
            req[n++] = a->extra;
    }
    if (a->cmd->id == CTL_CMD_RELEASE_UPGRADE || a->cmd->id == CTL_CMD_RELEASE_DOWNGRADE) {
        req[n++] = a->cmd->id == CTL_CMD_RELEASE_UPGRADE ? "up" : "down";
        if (a->dry_run)
            req[n++] = "dry-run";
        /* Only a plan has a JSON form on the daemon's side; the steps of
         * a running install are records, made into JSON here. */
        if (a->dry_run && a->json)
            req[n++] = "json";
    }
    return n;
}

void ctl_args_what(const struct ctl_args *a, char *buf, size_t size) {
    if (!a->cmd)
        snprintf(buf, size, "%s", "");
    else if (a->npos > 0 && a->cmd->required + a->cmd->optional > 0)
        snprintf(buf, size, "%s %s", a->cmd->name, a->pos[0]);
    else
        snprintf(buf, size, "%s", a->cmd->name);
}
