/*
 * module_check.c — the checks a descriptor passes before any of its code
 * runs (see module_check.h).
 */
#include "module_check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NAME_MAX_LEN 64
#define VERSION_MAX_LEN 64

int nines_module_name_valid(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > NAME_MAX_LEN)
        return 0;
    return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* A version is printable text without spaces: it goes into logs as is. */
int nines_module_version_valid(const char *v) {
    size_t n = strlen(v);
    if (n == 0 || n > VERSION_MAX_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] <= ' ' || v[i] > '~')
            return 0;
    return 1;
}

static int refuse(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *err, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return -EPROTO;
}

int nines_module_check(const struct nines_module *m, char *err, size_t size) {
    if (m->magic != NINES_MAGIC)
        return refuse(err, size, "bad magic 0x%08x, expected 0x%08x: not a Nines module descriptor",
                      m->magic, NINES_MAGIC);
    if (m->abi_version != NINES_ABI_VERSION)
        return refuse(err, size, "ABI version %u, this host supports %u", m->abi_version,
                      NINES_ABI_VERSION);
    /* Fields are only ever appended: any descriptor at least as big as the
     * first revision's runs; fields after it are read behind
     * NINES_MODULE_HAS(), so comparing with today's sizeof would refuse
     * every module built before a field was added. */
    if (m->size < NINES_MODULE_SIZE_V1)
        return refuse(err, size, "descriptor size %u, expected at least %zu (revision 1)", m->size,
                      (size_t)NINES_MODULE_SIZE_V1);
    if (m->reserved != 0)
        return refuse(err, size, "reserved field is %u, expected 0: a descriptor this host does not know",
                      m->reserved);
    if (NINES_MODULE_HAS(m, flags) && (m->flags & ~(uint32_t)NINES_MODULE_KNOWN_FLAGS))
        return refuse(err, size, "flags 0x%x has bits this host does not know (known: 0x%x)", m->flags,
                      (unsigned)NINES_MODULE_KNOWN_FLAGS);
    if (!m->name || !nines_module_name_valid(m->name))
        return refuse(err, size, "invalid name \"%.64s\": expected 1 to 64 of [a-z0-9_-]",
                      m->name ? m->name : "(null)");
    if (!m->version || !nines_module_version_valid(m->version))
        return refuse(err, size, "invalid version \"%.64s\": expected 1 to 64 printable characters without spaces",
                      m->version ? m->version : "(null)");
    if (!m->init)
        return refuse(err, size, "%s %s: required callback init is missing", m->name, m->version);
    if (!m->terminate)
        return refuse(err, size, "%s %s: required callback terminate is missing", m->name, m->version);
    return 0;
}
