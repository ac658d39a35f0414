/* harness_run.c — see harness_run.h. */
#include "harness_run.h"

#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

int harness_run(char *out, size_t size, const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof cmd - 8) {
        fprintf(stderr, "harness_run: command too long\n");
        abort();
    }
    snprintf(cmd + len, sizeof cmd - (size_t)len, " 2>&1");
    FILE *p = popen(cmd, "r");
    if (!p) {
        perror("harness_run: popen");
        abort();
    }
    size_t got = fread(out, 1, size - 1, p);
    out[got] = '\0';
    /* Drain the rest so the command never blocks on a full pipe. */
    char sink[4096];
    while (fread(sink, 1, sizeof sink, p) > 0)
        ;
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int harness_ctl(struct ninesd *n, const char *args, char *out, size_t size) {
    return harness_run(out, size, "%s --socket %s %s", BUILD_PATH("ninesctl"), n->socket, args);
}

int harness_check(const char *tree, char *out, size_t size) {
    return harness_run(out, size, "%s --check %s", BUILD_PATH("ninesd"), tree);
}
