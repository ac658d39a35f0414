/*
 * counter_snapshot.c — the state as bytes for a live upgrade, and back.
 *
 * Each version writes its own layout and reads both (counter.h): reading
 * is one decoder into a picture of the snapshot (value and history) that
 * does not depend on the version built; only what a version keeps of that
 * picture differs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"

#define LAYOUT1_LEN 8
#define LAYOUT2_HEAD 10 /* version, value, count */
#define LAYOUT2_OP 9    /* kind, argument */

/* What a snapshot holds, whichever its layout. */
struct image {
    int layout;
    long long value;
    struct history history; /* empty for layout 1 */
};

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#if COUNTER_VERSION == 1
static int export_layout1(const struct counter *c, nines_buf *out)
{
    unsigned char b[LAYOUT1_LEN];

    put64(b, (uint64_t)c->value);
    return nines_buf_append(out, b, sizeof(b));
}
#else
static int export_layout2(const struct counter *c, nines_buf *out)
{
    unsigned char b[LAYOUT2_HEAD + HISTORY_LEN * LAYOUT2_OP];
    size_t n = LAYOUT2_HEAD;

    b[0] = 2;
    put64(b + 1, (uint64_t)c->value);
    b[9] = (unsigned char)c->history.count;
    for (unsigned i = 0; i < c->history.count; i++, n += LAYOUT2_OP) {
        const struct op *op = history_at(&c->history, i);
        b[n] = (unsigned char)op->kind;
        put64(b + n + 1, (uint64_t)op->arg);
    }
    return nines_buf_append(out, b, n);
}
#endif

int counter_export(nines_ctx *ctx, void *state, nines_buf *out)
{
#if COUNTER_VERSION == 1
    return export_layout1(state, out);
#else
    return export_layout2(state, out);
#endif
}

/* Layout 2's history; NULL, or why it is not one. */
static const char *decode_history(const unsigned char *p, size_t len, struct history *h)
{
    unsigned n = p[0];

    if (n > HISTORY_LEN)
        return "more operations in the history than 16";
    if (len != 1 + (size_t)n * LAYOUT2_OP)
        return "the history's length does not match its count";
    for (unsigned i = 0; i < n; i++) {
        const unsigned char *o = p + 1 + (size_t)i * LAYOUT2_OP;
        struct op op = {.kind = (enum op_kind)o[0], .arg = (long long)get64(o + 1)};
        if (op.kind != OP_INCR && op.kind != OP_ADD && op.kind != OP_SET)
            return "an operation of an unknown kind in the history";
        history_add(h, &op);
    }
    return NULL;
}

/* Read a snapshot of either layout; NULL, or why it is neither. */
static const char *decode(const unsigned char *p, size_t len, struct image *img)
{
    *img = (struct image){0};
    if (len == LAYOUT1_LEN) {
        img->layout = 1;
        img->value = (long long)get64(p);
        return NULL;
    }
    if (len == 0)
        return "it is empty";
    if (p[0] != 2)
        return "it is neither 8 bytes (layout 1) nor starts with the byte 2 (layout 2)";
    if (len < LAYOUT2_HEAD)
        return "it is shorter than a layout 2 header";
    img->layout = 2;
    img->value = (long long)get64(p + 1);
    return decode_history(p + 9, len - 9, &img->history);
}

int counter_code_change(nines_ctx *ctx, const char *from_version, const void *snapshot,
                        size_t len, const char *extra, void **state)
{
    struct image img;
    const char *why = decode(snapshot, len, &img);

    if (why != NULL) {
        nines_log(ctx, NINES_LOG_ERR,
                  "counter %s: refusing the snapshot of %s (%zu bytes): %s", COUNTER_VSN,
                  from_version, len, why);
        return -EINVAL;
    }
    struct counter *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return -ENOMEM;
    c->value = img.value;
#if COUNTER_VERSION >= 2
    c->history = img.history;
#else
    if (img.history.count > 0)
        nines_log(ctx, NINES_LOG_NOTICE, "counter %s: dropping a history of %u operations",
                  COUNTER_VSN, img.history.count);
#endif
    *state = c;
    nines_log(ctx, NINES_LOG_INFO, "counter %s: %s %s at %lld (snapshot layout %d)",
              COUNTER_VSN,
              strcmp(from_version, COUNTER_VSN) == 0 ? "restored from" : "took over from",
              from_version, c->value, img.layout);
    return 0;
}
