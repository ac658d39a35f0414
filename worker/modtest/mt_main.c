/*
 * mt_main.c — nines-modtest [-v] [-L DIR]... SCRIPT...
 *
 * Runs each script (doc/modtest.md) against a fresh worker host, stops at
 * a script's first failing line with FILE:LINE and why, and exits 0 when
 * every script passed, 1 when one failed, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "modtest.h"

static const char usage_text[] =
    "usage: nines-modtest [-v] [-L DIR]... SCRIPT...\n"
    "Run a Nines module's test scripts without ninesd (doc/modtest.md): the real\n"
    "worker host loads the module, and each line of a script is a request, an\n"
    "event, an upgrade or a check. Exit 0 when every script passed, 1 at the first\n"
    "failing line of one (FILE:LINE: why), 2 on bad usage.\n"
    "  -L DIR     look for modules named without a '/' in DIR (before the script's folder)\n"
    "  -v         show what the module logs as it runs\n"
    "  --help     this text\n"
    "  --version  the version\n";

static int usage(void) {
    fputs(usage_text, stderr);
    return 2;
}

/* A TCP port on 127.0.0.1 free at the time of asking: $PORT. */
static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int port = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
                       getsockname(fd, (struct sockaddr *)&sa, &len) == 0
                   ? ntohs(sa.sin_port)
                   : 0;
    if (fd >= 0)
        close(fd);
    return port;
}

/* The line with every $PORT replaced by the port. */
static void substitute(const char *in, int port, char *out, size_t size) {
    size_t o = 0;
    while (*in && o + 8 < size) {
        if (strncmp(in, "$PORT", 5) == 0) {
            o += (size_t)snprintf(out + o, size - o, "%d", port);
            in += 5;
        } else {
            out[o++] = *in++;
        }
    }
    out[o] = '\0';
}

static int run_lines(struct mt *mt, FILE *f, unsigned *commands) {
    static struct mt_line l;
    char raw[8192], text[8300], why[256];
    while (fgets(raw, sizeof raw, f)) {
        mt->line++;
        substitute(raw, mt->port, text, sizeof text);
        if (mt_lex(text, &l, why, sizeof why) < 0) {
            printf("%s:%u:%s\n", mt->script, mt->line, why);
            return -1;
        }
        if (l.n == 0)
            continue;
        if (mt_command(mt, &l) < 0) {
            /* A reason that starts with a column is FILE:LINE:COLUMN: ... */
            bool col = mt->why[0] >= '1' && mt->why[0] <= '9' && strchr(mt->why, ':') &&
                       strspn(mt->why, "0123456789") == (size_t)(strchr(mt->why, ':') - mt->why);
            printf("%s:%u:%s%s\n", mt->script, mt->line, col ? "" : " ", mt->why);
            return -1;
        }
        ++*commands;
    }
    /* The end of a script stops the worker, as ninesd would. */
    if (mt_stop(mt) < 0) {
        printf("%s:%u: at the end: %s\n", mt->script, mt->line, mt->why);
        return -1;
    }
    return 0;
}

static int run_script(const char *path, const char **dirs, size_t n_dirs, bool verbose) {
    static struct mt mt;
    mt = (struct mt){.script = path, .n_dirs = n_dirs, .verbose = verbose, .log_fd = -1,
                     .saved_stderr = -1, .peer = -1, .port = free_port()};
    memcpy(mt.dirs, dirs, n_dirs * sizeof *dirs);
    snprintf(mt.child, sizeof mt.child, "modtest");
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    snprintf(mt.dir, sizeof mt.dir, "%s", dirname(copy));
    FILE *f = fopen(path, "re");
    if (!f) {
        printf("%s: %s\n", path, strerror(errno));
        return -1;
    }
    unsigned commands = 0;
    int r = run_lines(&mt, f, &commands);
    fclose(f);
    mt_cleanup(&mt);
    if (r == 0)
        printf("ok   %s (%u commands)\n", path, commands);
    fflush(stdout);
    return r;
}

int main(int argc, char **argv) {
    const char *dirs[MT_MAX_DIRS];
    size_t n_dirs = 0;
    bool verbose = false;
    int opt;
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        return fputs(usage_text, stdout) < 0;
    if (argc == 2 && strcmp(argv[1], "--version") == 0)
        return printf("nines-modtest %s\n", NINES_VERSION) < 0;
    while ((opt = getopt(argc, argv, "vL:h")) != -1) {
        if (opt == 'v')
            verbose = true;
        else if (opt == 'L' && n_dirs < MT_MAX_DIRS)
            dirs[n_dirs++] = optarg;
        else
            return usage();
    }
    if (optind >= argc)
        return usage();
    signal(SIGPIPE, SIG_IGN); /* as the worker host: a closed peer is EPIPE */
    setvbuf(stdout, NULL, _IOLBF, 0);
    int failed = 0;
    for (int i = optind; i < argc; i++)
        failed += run_script(argv[i], dirs, n_dirs, verbose) < 0;
    return failed ? 1 : 0;
}
