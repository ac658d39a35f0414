/*
 * mt_cmds.c — the script's commands (doc/modtest.md): one table of names,
 * word counts and handlers; the worker's set-up (module, arg, child, init)
 * and its messages (call, cast, fire, wait, upgrade, stop).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modtest.h"
#include "proto.h"

const char *mt_show(const void *data, size_t len, char *buf, size_t size) {
    const unsigned char *p = data;
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; i < len && o + 8 < size; i++) {
        if (p[i] == '"' || p[i] == '\\')
            o += (size_t)snprintf(buf + o, size - o, "\\%c", p[i]);
        else if (p[i] >= 0x20 && p[i] < 0x7f)
            buf[o++] = (char)p[i];
        else
            o += (size_t)snprintf(buf + o, size - o, p[i] == '\n' ? "\\n" : "\\x%02x", p[i]);
    }
    snprintf(buf + o, size - o, "\"");
    return buf;
}

int mt_tag(struct mt *mt, const struct mt_word *w, uint64_t *tag) {
    if (strcmp(w->text, "max") == 0) {
        *tag = UINT64_MAX;
        return 0;
    }
    char *end;
    errno = 0;
    *tag = strtoull(w->text, &end, 0);
    return errno || end == w->text || *end || w->text[0] == '-'
               ? mt_fail(mt, "%u: a tag is a number or max, not \"%s\"", w->col, w->text)
               : 0;
}

static int need_started(struct mt *mt) {
    return mt->started && !mt->finished ? 0 : mt_fail(mt, "the worker is not running (no init, or it ended)");
}

static int cmd_module(struct mt *mt, const struct mt_line *l) {
    if (mt->loaded)
        return mt_fail(mt, "the module is loaded already (use upgrade to change it)");
    return mt_resolve(mt, l->w[1].text, mt->module, sizeof mt->module);
}

static int cmd_arg(struct mt *mt, const struct mt_line *l) {
    char *eq = strchr(l->w[1].text, '=');
    if (!eq || eq == l->w[1].text)
        return mt_fail(mt, "%u: an argument is KEY=VALUE", l->w[1].col);
    if (mt->loaded || mt->n_args == MT_MAX_ARGS)
        return mt_fail(mt, mt->loaded ? "arguments come before init" : "too many arguments");
    char *key = strndup(l->w[1].text, (size_t)(eq - l->w[1].text)), *value = strdup(eq + 1);
    mt->args[mt->n_args++] = (struct host_arg){key, value};
    return 0;
}

static int cmd_child(struct mt *mt, const struct mt_line *l) {
    snprintf(mt->child, sizeof mt->child, "%s", l->w[1].text);
    return 0;
}

static int cmd_init(struct mt *mt, const struct mt_line *l) {
    if (!mt->module[0])
        return mt_fail(mt, "no module: say which with `module NAME.so` first");
    if (mt->loaded)
        return mt_fail(mt, "init runs once");
    bool fails = strcmp(l->w[0].text, "init-fails") == 0;
    if (mt_load(mt) < 0)
        return -1;
    return mt_init(mt, fails, l->n > 1 ? l->w[1].text : NULL);
}

struct answer {
    uint64_t ref;
};

static bool is_answer(const struct nines_msg *m, void *arg) {
    const struct answer *a = arg;
    return (m->type == NINES_MSG_REPLY || m->type == NINES_MSG_CALL_ERROR) && m->ref == a->ref;
}

/* call REQUEST REPLY | call-error REQUEST [TEXT] */
static int cmd_call(struct mt *mt, const struct mt_line *l) {
    struct answer a = {.ref = ++mt->next_ref};
    struct nines_msg m;
    char want[512], got[512];
    bool error = strcmp(l->w[0].text, "call-error") == 0;
    if (need_started(mt) < 0 || mt_send(mt, NINES_MSG_CALL, a.ref, l->w[1].text, l->w[1].len) < 0 ||
        mt_pump(mt, 2000, is_answer, &a, &m) < 0)
        return -1;
    if (error != (m.type == NINES_MSG_CALL_ERROR))
        return mt_fail(mt, "call %s: %s %s", mt_show(l->w[1].text, l->w[1].len, want, sizeof want),
                       error ? "a reply, not an error:" : "an error:",
                       mt_show(m.payload, m.length, got, sizeof got));
    if (!error && (m.length != l->w[2].len || memcmp(m.payload, l->w[2].text, m.length) != 0))
        return mt_fail(mt, "call %s: expected %s, got %s", mt_show(l->w[1].text, l->w[1].len, got, sizeof got),
                       mt_show(l->w[2].text, l->w[2].len, want, sizeof want),
                       mt_show(m.payload, m.length, got + 256, sizeof got - 256));
    if (error && l->n > 2 && !memmem(m.payload, m.length, l->w[2].text, l->w[2].len))
        return mt_fail(mt, "call error %s does not say %s", mt_show(m.payload, m.length, got, sizeof got),
                       mt_show(l->w[2].text, l->w[2].len, want, sizeof want));
    return 0;
}

/* cast MESSAGE: delivered, then the loop runs until it is idle. */
static int cmd_cast(struct mt *mt, const struct mt_line *l) {
    if (need_started(mt) < 0 || mt_send(mt, NINES_MSG_CAST, 0, l->w[1].text, l->w[1].len) < 0)
        return -1;
    return mt_pump(mt, 20, NULL, NULL, NULL);
}

static const char *const event_names[] = {"readable", "writable", "hangup"};

/* fire fd TAG [readable|writable|hangup]... | fire timer TAG */
static int cmd_fire(struct mt *mt, const struct mt_line *l) {
    bool fd = strcmp(l->w[1].text, "fd") == 0;
    uint64_t tag;
    if (!fd && strcmp(l->w[1].text, "timer") != 0)
        return mt_fail(mt, "%u: fire fd or fire timer, not %s", l->w[1].col, l->w[1].text);
    if (need_started(mt) < 0 || mt_tag(mt, &l->w[2], &tag) < 0)
        return -1;
    uint32_t events = 0;
    for (size_t i = 3; i < l->n; i++) {
        size_t k = 0;
        while (k < 3 && strcmp(l->w[i].text, event_names[k]) != 0)
            k++;
        if (k == 3 || !fd)
            return mt_fail(mt, "%u: an fd event is readable, writable or hangup", l->w[i].col);
        events |= 1u << k;
    }
    int idx = regs_find(&mt->ctx.regs, fd ? REG_FD : REG_TIMER, tag);
    if (idx < 0)
        return mt_fail(mt, "no %s registered under tag %s", fd ? "fd watch" : "armed timer", l->w[2].text);
    host_deliver(&mt->ctx, &mt->ctx.regs.slots[idx], events ? events : NINES_READABLE);
    mt_drain_log(mt);
    return mt->ctx.stop_requested ? mt_fail(mt, "the worker stopped: %s", mt->ctx.stop_message) : 0;
}

static int cmd_wait(struct mt *mt, const struct mt_line *l) {
    char *end;
    long ms = strtol(l->w[1].text, &end, 10);
    if (*end || ms < 0 || ms > 60000)
        return mt_fail(mt, "%u: wait takes milliseconds, 0 to 60000", l->w[1].col);
    return need_started(mt) < 0 ? -1 : mt_pump(mt, (int)ms, NULL, NULL, NULL);
}

static bool is_upgrade_result(const struct nines_msg *m, void *arg) {
    return m->type == NINES_MSG_UPGRADE_RESULT && m->length >= sizeof(struct nines_upgrade_result);
}

/* upgrade MODULE [EXTRA] | upgrade-fails MODULE [TEXT]: the real swap. */
static int cmd_upgrade(struct mt *mt, const struct mt_line *l) {
    bool fails = strcmp(l->w[0].text, "upgrade-fails") == 0;
    char path[PATH_MAX], payload[PATH_MAX + 4200];
    uint64_t max_snapshot = 0;
    if (need_started(mt) < 0 || mt_resolve(mt, l->w[1].text, path, sizeof path) < 0)
        return -1;
    const char *extra = !fails && l->n > 2 ? l->w[2].text : "";
    memcpy(payload, &max_snapshot, sizeof max_snapshot);
    int n = snprintf(payload + 8, sizeof payload - 8, "%s%c%s", path, '\0', extra);
    struct nines_msg m;
    if (mt_send(mt, NINES_MSG_UPGRADE, 0, payload, 8 + (size_t)n + 1) < 0 ||
        mt_pump(mt, 5000, is_upgrade_result, NULL, &m) < 0)
        return -1;
    struct nines_upgrade_result r;
    memcpy(&r, m.payload, sizeof r);
    const char *from = (const char *)m.payload + sizeof r, *end = (const char *)m.payload + m.length;
    const char *to = memchr(from, '\0', (size_t)(end - from));
    const char *msg = to ? memchr(to + 1, '\0', (size_t)(end - to - 1)) : NULL;
    char text[512];
    snprintf(text, sizeof text, "%.*s", msg ? (int)(end - msg - 1) : 0, msg ? msg + 1 : "");
    if (fails && r.status == 0)
        return mt_fail(mt, "upgrade to %s succeeded, a failure was expected", path);
    if (!fails && r.status != 0)
        return mt_fail(mt, "upgrade to %s failed: %s", path, text);
    if (fails && l->n > 2 && !strstr(text, l->w[2].text))
        return mt_fail(mt, "upgrade failed with \"%s\", not with \"%s\"", text, l->w[2].text);
    return mt_pump(mt, 20, NULL, NULL, NULL); /* the old code let go of when idle */
}

static int cmd_stop(struct mt *mt, const struct mt_line *l) {
    return need_started(mt) < 0 ? -1 : mt_stop(mt);
}

struct command {
    const char *name;
    size_t min, max; /* words after the name */
    int (*run)(struct mt *mt, const struct mt_line *l);
    const char *usage;
};

static const struct command commands[] = {
    {"module", 1, 1, cmd_module, "module NAME.so"},
    {"arg", 1, 1, cmd_arg, "arg KEY=VALUE"},
    {"child", 1, 1, cmd_child, "child PATH"},
    {"init", 0, 0, cmd_init, "init"},
    {"init-fails", 0, 1, cmd_init, "init-fails [TEXT]"},
    {"call", 2, 2, cmd_call, "call REQUEST REPLY"},
    {"call-error", 1, 2, cmd_call, "call-error REQUEST [TEXT]"},
    {"cast", 1, 1, cmd_cast, "cast MESSAGE"},
    {"fire", 2, 5, cmd_fire, "fire fd TAG [readable|writable|hangup]... | fire timer TAG"},
    {"wait", 1, 1, cmd_wait, "wait MS"},
    {"expect", 2, 5, mt_cmd_expect, "expect log TEXT | expect [no] fd TAG [EVENTS] | expect [no] timer TAG"},
    {"snapshot", 1, 1, mt_cmd_snapshot, "snapshot NAME"},
    {"same", 2, 2, mt_cmd_same, "same NAME NAME"},
    {"upgrade", 1, 2, cmd_upgrade, "upgrade NAME.so [EXTRA]"},
    {"upgrade-fails", 1, 2, cmd_upgrade, "upgrade-fails NAME.so [TEXT]"},
    {"connect", 2, 2, mt_cmd_connect, "connect NAME PORT"},
    {"send", 2, 2, mt_cmd_send, "send NAME BYTES"},
    {"recv", 2, 2, mt_cmd_recv, "recv NAME BYTES"},
    {"close", 1, 1, mt_cmd_close, "close NAME"},
    {"stop", 0, 0, cmd_stop, "stop"},
};

int mt_command(struct mt *mt, const struct mt_line *l) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const struct command *c = &commands[i];
        if (strcmp(l->w[0].text, c->name) != 0)
            continue;
        if (l->n - 1 < c->min || l->n - 1 > c->max)
            return mt_fail(mt, "usage: %s", c->usage);
        return c->run(mt, l);
    }
    char known[512];
    size_t o = 0;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", i ? " " : "", commands[i].name);
    return mt_fail(mt, "%u: unknown command %s (known: %s)", l->w[0].col, l->w[0].text, known);
}
