/*
 * main.c — ninesctl: parse the command line, connect, run one command,
 * exit with its code. Everything with a decision in it lives in the
 * other files of ctl/, where the unit tests reach it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/un.h>
#include <unistd.h>

#include "args.h"
#include "client.h"
#include "ctl.h"
#include "help.h"
#include "output.h"
#include "resolve.h"
#include "top.h"
#include "dashboard.h"

static bool want_color(const struct ctl_args *a) {
    /* https://no-color.org: set and not empty means no colour. */
    const char *no_color = getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && !a->no_color && !(no_color && no_color[0]);
}

static int run(const struct ctl_args *a, struct ctl_output *o) {
    char path[sizeof ((struct sockaddr_un *)0)->sun_path];
    if (ctl_choose_socket(path, sizeof path, a->socket, getenv("NINES_SOCKET")) < 0)
        return ctl_output_error(o, CTL_CLIENT_UNREACHABLE, "the socket path is too long for a unix socket",
                                CTL_EXIT_UNREACHABLE);
    if (a->cmd->id == CTL_CMD_DASHBOARD)
        return ctl_dashboard_run(path, a->listen);
    if (a->cmd->id == CTL_CMD_TOP)
        return ctl_top_run(a, path, stdout, isatty(STDOUT_FILENO) && isatty(STDIN_FILENO), want_color(a));
    int fd = ctl_client_connect(path);
    if (fd < 0)
        return ctl_client_connect_failed(o, path, fd);
    int code = ctl_client_check_server(fd, o, path);
    if (code >= 0) {
        close(fd);
        return code;
    }
    const char *req[CTL_MAX_ARGS];
    char num[16];
    int n = ctl_args_request(a, req, num);
    code = ctl_client_exchange(fd, n, req, o);
    close(fd);
    return code;
}

int main(int argc, char **argv) {
    /* Into a pipe or a file, stdio would write 4 KiB at a time: a status
     * of 10,000 nodes is 0.8 to 2.4 MB, 200 to 600 writes. */
    static char out_buf[1 << 16];
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
    static struct ctl_args a;
    if (ctl_args_parse(&a, argc, argv) < 0)
        return ctl_output_usage(stdout, stderr, &a);
    if (a.version) {
        ctl_print_version(stdout);
        return CTL_EXIT_OK;
    }
    if (a.help) {
        ctl_print_help(stdout, a.cmd ? a.cmd->name : a.group);
        return CTL_EXIT_OK;
    }
    /* A reader that goes away (| head) ends us quietly, as for any tool. */
    signal(SIGPIPE, SIG_DFL);
    struct ctl_output o;
    ctl_output_init(&o, &a, stdout, stderr, want_color(&a), isatty(STDOUT_FILENO));
    static struct ctl_resolved paths;
    char error[PATH_MAX + 128];
    int code = ctl_args_resolve(&a, &paths, error, sizeof error) < 0
                   ? ctl_output_error(&o, CTL_CLIENT_USAGE, error, CTL_EXIT_USAGE)
                   : run(&a, &o);
    ctl_output_free(&o);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        /* A full disk or a closed pipe must not pass for success. */
        char why[64];
        fprintf(stderr, "ninesctl: writing the output: %s\n", ctl_strerror(errno, why));
        return CTL_EXIT_FAILED;
    }
    return code;
}
