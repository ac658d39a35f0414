/*
 * host_title.c — see host_title.h.
 */
#include "host_title.h"

#include <string.h>

static char *area;
static size_t room;

void host_title_init(int argc, char **argv) {
    if (argc < 1 || !argv[0])
        return;
    area = argv[0];
    room = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - area);
}

size_t host_title_compose(const char *const *words, size_t n, char *buf, size_t size) {
    size_t used = 0, k = 0;
    memset(buf, 0, size);
    for (; k < n; k++) {
        size_t len = strlen(words[k]);
        if (used + len + 1 > size)
            break;
        memcpy(buf + used, words[k], len);
        used += len + 1;
    }
    return k;
}

void host_title_set(const char *const *words, size_t n) {
    if (area)
        (void)host_title_compose(words, n, area, room);
}
