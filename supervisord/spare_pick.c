/*
 * spare_pick.c — see spare_pick.h.
 */
#include "spare_pick.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int spare_pick_note(struct spare_pick *p, const char *module, uint64_t now_ms) {
    char *copy = strdup(module);
    if (!copy)
        return -ENOMEM;
    if (p->n == SPARE_PICK_HISTORY)
        free(p->module[p->next]);
    else
        p->n++;
    p->module[p->next] = copy;
    p->at_ms[p->next] = now_ms;
    p->next = (p->next + 1) % SPARE_PICK_HISTORY;
    return 0;
}

static bool in_window(uint64_t at, uint64_t now) {
    return at + SPARE_PICK_WINDOW_MS > now;
}

/* Entry i, counting back from the newest (0). */
static size_t back(const struct spare_pick *p, size_t i) {
    return (p->next + SPARE_PICK_HISTORY - 1 - i) % SPARE_PICK_HISTORY;
}

const char *spare_pick_choose(const struct spare_pick *p, uint64_t now_ms) {
    if (p->n == 0)
        return NULL;
    const char *best = p->module[back(p, 0)];
    size_t best_count = 0;
    /* Newest first: a later module wins only with strictly more starts. */
    for (size_t i = 0; i < p->n; i++) {
        const char *m = p->module[back(p, i)];
        size_t count = 0;
        for (size_t j = 0; j < p->n; j++) {
            size_t k = back(p, j);
            count += in_window(p->at_ms[k], now_ms) && strcmp(p->module[k], m) == 0;
        }
        if (count > best_count)
            best = m, best_count = count;
    }
    return best;
}

void spare_pick_free(struct spare_pick *p) {
    for (size_t i = 0; i < p->n; i++)
        free(p->module[i]);
    *p = (struct spare_pick){0};
}
