/* harness_run.c — see harness_run.h. */
#include "harness_run.h"

#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* The pid tracing `pid` (TracerPid in /proc/PID/status), or 0. */
static pid_t tracer_of(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    pid_t t = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "TracerPid:", 10) == 0)
            t = (pid_t)atoi(line + 10);
    if (f)
        fclose(f);
    return t;
}

pid_t harness_strace(struct ninesd *n, const char *calls, const char *out) {
    char target[16], trace[256];
    snprintf(target, sizeof target, "%d", (int)n->pid);
    snprintf(trace, sizeof trace, "trace=%s", calls);
    pid_t s = fork();
    if (s == 0) {
        execl(STRACE_PATH, STRACE_PATH, "-qq", "-xx", "-s", "600", "-e", trace, "-o", out, "-p", target, (char *)NULL);
        _exit(127);
    }
    /* Attached once ninesd is traced by it and has answered a request
     * since (it is running again, traced). */
    char buf[4096];
    for (int i = 0; i < 100; i++) {
        if (tracer_of(n->pid) == s) {
            harness_ctl(n, "status", buf, sizeof buf);
            return s;
        }
        usleep(50000);
    }
    kill(s, SIGTERM);
    waitpid(s, NULL, 0);
    return -1;
}
