/*
 * proc_usage.c — CPU time and memory of a process from /proc
 * (proc_usage.h): the parsers are pure, the reads at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_usage.h"

/* Field n (1-based, as proc(5) numbers them) of the fields after the
 * command: field 3 (state) is the first one after ") ". */
static const char *field_after_comm(const char *p, int n) {
    for (int i = 3; i < n && p; i++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p;
}

static bool number_at(const char *p, uint64_t *out) {
    if (!p || *p < '0' || *p > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
        return false;
    *out = v;
    return true;
}

bool proc_stat_parse(const char *text, long ticks_per_s, long page_size, struct proc_usage *out) {
    const char *close = text ? strrchr(text, ')') : NULL;
    if (!close || close[1] != ' ' || ticks_per_s <= 0 || page_size <= 0)
        return false;
    const char *after = close + 2;
    uint64_t utime, stime, rss;
    if (!number_at(field_after_comm(after, 14), &utime) || !number_at(field_after_comm(after, 15), &stime) ||
        !number_at(field_after_comm(after, 24), &rss))
        return false;
    out->cpu_ms = (utime + stime) * 1000 / (uint64_t)ticks_per_s;
    out->rss_kib = rss * (uint64_t)page_size / 1024;
    return true;
}

bool proc_smaps_pss(const char *text, uint64_t *pss_kib) {
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, "Pss:", 4) != 0)
            continue;
        const char *q = p + 4;
        while (*q == ' ' || *q == '\t')
            q++;
        char *end;
        unsigned long long v = strtoull(q, &end, 10);
        if (end == q)
            return false;
        *pss_kib = v;
        return true;
    }
    return false;
}

/* The whole of a small /proc file, NUL-terminated; false if unreadable. */
static bool read_small(pid_t pid, const char *name, char *buf, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    size_t used = 0;
    ssize_t n;
    while (used + 1 < size && (n = read(fd, buf + used, size - 1 - used)) > 0)
        used += (size_t)n;
    close(fd);
    buf[used] = '\0';
    return used > 0;
}

bool proc_usage_read(pid_t pid, struct proc_usage *out) {
    char buf[2048];
    *out = (struct proc_usage){0};
    if (pid <= 0 || !read_small(pid, "stat", buf, sizeof buf))
        return false;
    if (!proc_stat_parse(buf, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), out))
        return false;
    if (read_small(pid, "smaps_rollup", buf, sizeof buf))
        proc_smaps_pss(buf, &out->pss_kib);
    return true;
}
