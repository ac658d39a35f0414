/*
 * ctl_requests.c — the control protocol's requests (see ctl_requests.h).
 */
#include "ctl_requests.h"

#include <stdio.h>
#include <string.h>

const struct ctl_request_info ctl_requests[] = {
    {"version", 0, 0, "version", true},
    {"status", 0, 2, "status [PATH [resources]]", true},
    {"events", 0, 1, "events [follow]", true},
    {"metrics", 0, 0, "metrics", true},
    {"call", 2, 3, "call PATH REQUEST [TIMEOUT_MS]", false},
    {"cast", 2, 2, "cast PATH MESSAGE", false},
    {"restart", 1, 1, "restart PATH", false},
    {"terminate", 1, 1, "terminate PATH", false},
    {"signal", 2, 2, "signal PATH SIGNAL", false},
    {"delete", 1, 1, "delete PATH", false},
    {"start", 2, 2, "start SUPERVISOR SPEC", false},
    {"start-child", 1, -1, "start-child SUPERVISOR [--id ID] [KEY=VALUE]...", false},
    {"upgrade", 2, 3, "upgrade PATH MODULE [EXTRA]", false},
    {"stop", 0, 0, "stop", false},
    {"reload", 0, 0, "reload", false},
    {"release-list", 0, 0, "release-list", true},
    {"release-unpack", 1, 1, "release-unpack PATH", false},
    {"release-make-permanent", 1, 1, "release-make-permanent VERSION", false},
    {"release-remove", 1, 1, "release-remove VERSION", false},
    {"release-install", 2, 4, "release-install VERSION up|down [dry-run] [json]", false},
};

const size_t ctl_n_requests = sizeof ctl_requests / sizeof ctl_requests[0];

const struct ctl_request_info *ctl_request_find(const char *name) {
    for (size_t i = 0; i < ctl_n_requests; i++)
        if (strcmp(name, ctl_requests[i].name) == 0)
            return &ctl_requests[i];
    return NULL;
}

int ctl_request_names(char *buf, size_t size) {
    size_t len = 0;
    for (size_t i = 0; i < ctl_n_requests; i++) {
        int n = snprintf(buf + (len < size ? len : size), len < size ? size - len : 0, "%s%s", i ? ", " : "",
                         ctl_requests[i].name);
        len += (size_t)n;
    }
    return (int)len;
}
