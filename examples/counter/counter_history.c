/*
 * counter_history.c — the last HISTORY_LEN operations (version 2's state)
 * and how an operation reads as text: "incr", "add 5", "set 7".
 */
#include <stdio.h>

#include "counter.h"

void history_add(struct history *h, const struct op *op)
{
    if (h->count < HISTORY_LEN) {
        h->ops[(h->first + h->count++) % HISTORY_LEN] = *op;
        return;
    }
    /* Full: the newest takes the oldest's place. */
    h->ops[h->first] = *op;
    h->first = (h->first + 1) % HISTORY_LEN;
}

const struct op *history_at(const struct history *h, unsigned i)
{
    return &h->ops[(h->first + i) % HISTORY_LEN];
}

int op_format(const struct op *op, char *buf, size_t size)
{
    switch (op->kind) {
    case OP_INCR:
        return snprintf(buf, size, "incr");
    case OP_ADD:
        return snprintf(buf, size, "add %lld", op->arg);
    case OP_SET:
        return snprintf(buf, size, "set %lld", op->arg);
    }
    return snprintf(buf, size, "?");
}

/* The history, oldest first, separated by commas; "" when empty. */
void history_format(const struct history *h, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < h->count && used < size; i++) {
        if (i > 0)
            used += (size_t)snprintf(buf + used, size - used, ",");
        if (used < size)
            used += (size_t)op_format(history_at(h, i), buf + used, size - used);
    }
}
