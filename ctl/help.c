/*
 * help.c — the help texts. The list of commands comes from the command
 * table (commands.c), so the help cannot miss one; the exit codes are
 * spelt out because scripts are written against them.
 */
#include <string.h>

#include "ctl_proto.h"
#include "help.h"

#ifndef NINES_VERSION
#define NINES_VERSION "unknown"
#endif

static const char options_text[] =
    "options (anywhere on the line; -- ends them):\n"
    "  --socket PATH  the control socket; default $NINES_SOCKET, else\n"
    "                 $RUNTIME_DIRECTORY/control.sock, /run/nines/control.sock\n"
    "                 for root, $XDG_RUNTIME_DIR/nines/control.sock,\n"
    "                 /tmp/nines-UID/control.sock\n"
    "  --json         one JSON object on stdout (events --follow: one per line)\n"
    "  --no-color     no colours (neither when NO_COLOR is set or stdout is\n"
    "                 not a terminal)\n"
    "  -h, --help     this help; COMMAND --help: that command's\n"
    "  --version      ninesctl's version\n";

static const char exit_text[] =
    "exit status:\n"
    "  0  done\n"
    "  1  the operation failed, was refused, found nothing, timed out, was too\n"
    "     big, or the tree is shutting down\n"
    "  2  usage: wrong arguments (as ninesctl or the daemon judged them)\n"
    "  3  status: a permanent child is not running\n"
    "  4  denied: the daemon does not allow it, or the socket's mode keeps us out\n"
    "  5  cannot reach ninesd: no socket, nobody listening on it, or the one\n"
    "     listening is neither root nor this user (nothing is sent to it)\n"
    "  6  protocol error: the daemon's answer made no sense\n"
    "Errors are one line on stderr: ninesctl: COMMAND CHILD: STATUS: MESSAGE\n";

static void program_help(FILE *f) {
    fputs("usage: ninesctl [--socket PATH] [--json] [--no-color] COMMAND [ARGS]\n"
          "       ninesctl COMMAND --help | ninesctl --help | ninesctl --version\n\n"
          "Controls a running ninesd through its control socket. CHILD is a path\n"
          "from the root, web/listener; / is the root supervisor.\n\n"
          "commands:\n",
          f);
    size_t width = 0;
    for (size_t i = 0; i < ctl_n_commands; i++)
        width = strlen(ctl_commands[i].usage) > width ? strlen(ctl_commands[i].usage) : width;
    for (size_t i = 0; i < ctl_n_commands; i++)
        fprintf(f, "  %-*s  %s\n", (int)width, ctl_commands[i].usage, ctl_commands[i].summary);
    fprintf(f, "\n%s\n%s", options_text, exit_text);
}

/* Whether cmd is about `topic`: its name, or the group it is in. */
static bool on_topic(const struct ctl_command *cmd, const char *topic) {
    size_t n = strlen(topic);
    return strncmp(cmd->name, topic, n) == 0 && (cmd->name[n] == '\0' || cmd->name[n] == ' ');
}

void ctl_print_help(FILE *f, const char *topic) {
    static const char global[] = "ninesctl [--socket PATH] [--json] [--no-color]";
    if (!topic) {
        program_help(f);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < ctl_n_commands; i++)
        if (on_topic(&ctl_commands[i], topic))
            fprintf(f, "%s %s %s\n", n++ ? "      " : "usage:", global, ctl_commands[i].usage);
    /* Several forms or subcommands: each text under its own usage. */
    for (size_t i = 0; i < ctl_n_commands; i++)
        if (on_topic(&ctl_commands[i], topic))
            fprintf(f, "\n%s%s%s", n > 1 ? ctl_commands[i].usage : "", n > 1 ? "\n" : "", ctl_commands[i].help);
    fputs("\n--socket, --json and --no-color as for every command (ninesctl --help).\n", f);
}

void ctl_print_version(FILE *f) {
    fprintf(f, "ninesctl %s protocol %d\n", NINES_VERSION, CTL_VERSION);
}
