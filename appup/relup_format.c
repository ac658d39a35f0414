/*
 * relup_format.c — the plan as `ninesctl upgrade --dry-run` prints it:
 * numbered lines, each step with its undo below it, or one JSON object
 * for tools. Pure: it writes into the caller's buffer and returns the
 * length the whole text needs, so a caller can size the buffer and retry.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "relup.h"

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bool room = o->len < o->size;
    int r = vsnprintf(room ? o->buf + o->len : NULL, room ? o->size - o->len : 0, fmt, ap);
    va_end(ap);
    if (r > 0)
        o->len += (size_t)r;
}

/* A JSON string, or null; control characters as \u00XX. */
static void put_json(struct out *o, const char *s) {
    if (!s) {
        put(o, "null");
        return;
    }
    put(o, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            put(o, "\\%c", c);
        else if (c < 0x20)
            put(o, "\\u%04x", c);
        else
            put(o, "%c", c);
    }
    put(o, "\"");
}

static const char *child_kind(const struct nines_child_spec *c) {
    return c->kind == NINES_CHILD_MODULE ? "module" : c->kind == NINES_CHILD_EXEC ? "exec" : "supervisor";
}

static const char *child_runs(const struct nines_child_spec *c) {
    return c->kind == NINES_CHILD_MODULE ? c->module : c->kind == NINES_CHILD_EXEC ? c->exec_argv[0] : NULL;
}

static void text_flags(struct out *o, const struct nines_appup_flags *f) {
    const char *sep = "";
    if (f->has_strategy)
        put(o, "strategy %s", nines_strategy_name(f->strategy)), sep = ", ";
    if (f->has_intensity)
        put(o, "%sintensity %u", sep, f->intensity), sep = ", ";
    if (f->has_period)
        put(o, "%speriod %" PRIu64 "ms", sep, f->period_ms);
}

static void text_op(struct out *o, const struct nines_relup_op *op) {
    switch (op->kind) {
    case NINES_RELUP_SWAP:
        put(o, "swap workers %s -> %s on %s, code_change extra ", op->from_version, op->to_version, op->module);
        put_json(o, op->extra); /* quoted and escaped: it may hold anything but NUL */
        break;
    case NINES_RELUP_RESTART:
        put(o, "restart workers %s -> %s on %s", op->from_version, op->to_version, op->module);
        break;
    case NINES_RELUP_ADD_CHILD:
    case NINES_RELUP_CHANGE_CHILD: {
        const char *runs = child_runs(op->child);
        put(o, "%s child %s under %s: %s%s%s", op->kind == NINES_RELUP_ADD_CHILD ? "add" : "change", op->id,
            op->supervisor, child_kind(op->child), runs ? " " : "", runs ? runs : "");
        break;
    }
    case NINES_RELUP_REMOVE_CHILD:
        put(o, "remove child %s under %s", op->id, op->supervisor);
        break;
    case NINES_RELUP_SUPERVISOR_FLAGS:
        put(o, "set flags of %s: ", op->supervisor);
        text_flags(o, &op->flags);
        break;
    }
}

static void text_plan(struct out *o, const struct nines_relup *p) {
    put(o, "%s %s %s -> %s: %zu step%s\n", p->down ? "downgrade" : "upgrade", p->release, p->from_version,
        p->to_version, p->n_steps, p->n_steps == 1 ? "" : "s");
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct nines_relup_step *s = &p->steps[i];
        put(o, "%3zu. %s: ", i + 1, s->application);
        text_op(o, &s->op);
        put(o, "\n     undo: ");
        if (s->has_undo)
            text_op(o, &s->undo);
        else
            put(o, "none (the old state is not known)");
        put(o, "\n");
    }
    for (size_t i = 0; i < p->n_notes; i++)
        put(o, "note: %s\n", p->notes[i]);
}

static void json_op(struct out *o, const struct nines_relup_op *op) {
    put(o, "{\"action\":\"%s\"", nines_relup_kind_name(op->kind));
    if (op->kind == NINES_RELUP_SWAP || op->kind == NINES_RELUP_RESTART) {
        put(o, ",\"module\":"), put_json(o, op->module);
        put(o, ",\"from_version\":"), put_json(o, op->from_version);
        put(o, ",\"to_version\":"), put_json(o, op->to_version);
        if (op->kind == NINES_RELUP_SWAP)
            put(o, ",\"extra\":"), put_json(o, op->extra);
    } else {
        put(o, ",\"supervisor\":"), put_json(o, op->supervisor);
    }
    if (op->id)
        put(o, ",\"id\":"), put_json(o, op->id);
    if (op->child) {
        put(o, ",\"child\":{\"kind\":\"%s\",\"runs\":", child_kind(op->child));
        put_json(o, child_runs(op->child));
        put(o, "}");
    }
    if (op->kind == NINES_RELUP_SUPERVISOR_FLAGS) {
        const struct nines_appup_flags *f = &op->flags;
        if (f->has_strategy)
            put(o, ",\"strategy\":\"%s\"", nines_strategy_name(f->strategy));
        if (f->has_intensity)
            put(o, ",\"intensity\":%u", f->intensity);
        if (f->has_period)
            put(o, ",\"period_ms\":%" PRIu64, f->period_ms);
    }
    put(o, "}");
}

static void json_plan(struct out *o, const struct nines_relup *p) {
    put(o, "{\"direction\":\"%s\",\"release\":", p->down ? "down" : "up");
    put_json(o, p->release);
    put(o, ",\"from\":"), put_json(o, p->from_version);
    put(o, ",\"to\":"), put_json(o, p->to_version);
    put(o, ",\"steps\":[");
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct nines_relup_step *s = &p->steps[i];
        put(o, "%s{\"application\":", i ? "," : "");
        put_json(o, s->application);
        put(o, ",\"appup\":"), put_json(o, s->appup);
        put(o, ",\"line\":%u,\"column\":%u,\"do\":", s->mark.line, s->mark.column);
        json_op(o, &s->op);
        put(o, ",\"undo\":");
        if (s->has_undo)
            json_op(o, &s->undo);
        else
            put(o, "null");
        put(o, "}");
    }
    put(o, "],\"notes\":[");
    for (size_t i = 0; i < p->n_notes; i++)
        put(o, "%s", i ? "," : ""), put_json(o, p->notes[i]);
    put(o, "]}\n");
}

size_t nines_relup_format(const struct nines_relup *p, char *buf, size_t size, bool json) {
    struct out o = {.buf = buf, .size = size};
    if (size > 0)
        buf[0] = '\0';
    if (json)
        json_plan(&o, p);
    else
        text_plan(&o, p);
    return o.len;
}

size_t nines_relup_op_format(const struct nines_relup_op *op, char *buf, size_t size) {
    struct out o = {.buf = buf, .size = size};
    if (size > 0)
        buf[0] = '\0';
    text_op(&o, op);
    return o.len;
}
