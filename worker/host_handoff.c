/*
 * host_handoff.c — the memory a live upgrade writes during its pause, made
 * ready before the upgrade is asked for (doc/design.md §4); and, after a swap,
 * the old code let go of. Both happen in idle turns of the loop.
 *
 * For a large state, a swap's pause is mostly page faults: touching a page
 * for the first time costs far more than copying into it (on the project's
 * VM, 0.5 to 0.9 ms per MiB, against 0.03 to 0.1 ms for the copy). Two
 * things are written during the pause: the snapshot, which export_state()
 * writes into the buffer that becomes the hand-off to ninesd, and the new
 * code's state, which code_change() allocates. So the host makes both
 * ready beforehand:
 *
 *  - the hand-off buffers: memfds mapped shared, their pages faulted in.
 *    export_state() writes straight into one, and that memfd is what
 *    ninesd receives: the snapshot is never copied. There are two, written
 *    in turn: the one handed over last may be given by ninesd to a worker
 *    restarted on the old code, within the rollback window, so it is not
 *    written again until a newer hand-off has replaced it — which ninesd
 *    has received by the time it asks for the next upgrade (upgrades of a
 *    worker are serialized, and the hand-off comes before the result);
 *  - free heap: a block allocated, touched and freed, which malloc keeps
 *    (its mmap and trim thresholds are raised for that) and gives to
 *    code_change()'s allocations; after a swap the old state's memory,
 *    freed in the first idle turn, is kept the same way.
 *
 * Each is as big as the last snapshot plus a quarter or, before the first
 * upgrade, as the memory init touched; malloc keeps up to twice that free.
 * Nothing is kept when that is over KEEP_MAX (a snapshot over 6.4 MiB): the
 * snapshot is then written into memory faulted during the pause, as it
 * always was, and let go of after. The work is done STEP bytes per idle
 * turn, so a request waits behind one step at most (README, "Live
 * upgrades", says what this costs in memory).
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "host.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* The largest hand-off buffer kept (README, "Live upgrades"). */
#define KEEP_MAX ((size_t)8 << 20)
/* Bytes faulted in per idle turn: about 0.1 ms. */
#define STEP ((size_t)128 << 10)
/* Below this the new state's faults cost less than a step: no free heap
 * is prepared. */
#define HEAP_MIN ((size_t)256 << 10)

static size_t page_size(void) {
    static size_t page;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

static size_t min_size(size_t a, size_t b) {
    return a < b ? a : b;
}

/* --- the buffer: a memfd, all of it mapped shared ------------------------ */

/* Make b's memfd `cap` bytes, mapped; its contents are kept. */
static int resize(nines_buf *b, size_t cap) {
    if (!b->data) {
        int fd = memfd_create("nines-snapshot", MFD_CLOEXEC);
        if (fd < 0)
            return -errno;
        void *p = ftruncate(fd, (off_t)cap) == 0
                      ? mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                      : MAP_FAILED;
        if (p == MAP_FAILED) {
            int err = -errno;
            close(fd);
            return err;
        }
        *b = (nines_buf){.data = p, .cap = cap, .memfd = fd};
        return 0;
    }
    if (ftruncate(b->memfd, (off_t)cap) < 0)
        return -errno;
    void *p = mremap(b->data, b->cap, cap, MREMAP_MAYMOVE);
    if (p == MAP_FAILED)
        return -errno;
    b->data = p;
    b->cap = cap;
    return 0;
}

static void release(nines_buf *b) {
    if (b->data) {
        munmap(b->data, b->cap);
        close(b->memfd);
    }
    memset(b, 0, sizeof *b);
}

int nines_buf_append(nines_buf *buf, const void *data, size_t len) {
    if (len == 0)
        return 0;
    if (len > buf->cap - buf->len) {
        size_t cap = buf->cap ? buf->cap : page_size();
        while (cap - buf->len < len) {
            if (cap > SIZE_MAX / 4)
                return -ENOMEM;
            cap *= 2;
        }
        int r = resize(buf, cap);
        if (r < 0)
            return r;
    }
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    return 0;
}

/* --- preparing, one step per idle turn ------------------------------------ */

/* Fault in [p, p + n) for writing: in one call where the kernel can, else
 * a write to each page (the bytes are free to take). */
static void fault_in(unsigned char *p, size_t n) {
    size_t page = page_size(), skew = (uintptr_t)p % page;
    if (skew == 0 && n % page == 0 && madvise(p, n, MADV_POPULATE_WRITE) == 0)
        return;
    for (size_t i = 0; i < n; i += page - (i == 0 ? skew : 0))
        ((volatile unsigned char *)p)[i] = 0;
    ((volatile unsigned char *)p)[n - 1] = 0;
}

/* Give malloc back the block being touched: what was touched is free heap
 * already faulted in. */
static void heap_let_go(struct host_prepared *p) {
    free(p->heap);
    p->heap = NULL;
}

static void heap_step(struct host_prepared *p) {
#ifdef __GLIBC__
    if (!p->heap) {
        /* Blocks up to KEEP_MAX come from the heap, and up to twice the
         * state stays there once freed: the prepared block, then the old
         * state freed after a swap, for the next one. */
        mallopt(M_MMAP_THRESHOLD, (int)KEEP_MAX);
        mallopt(M_TRIM_THRESHOLD, (int)(2 * p->want + STEP));
        p->heap = malloc(p->want);
        p->heap_done = 0;
        if (!p->heap) {
            p->heap_ready = true;
            return;
        }
    }
    size_t n = min_size(STEP, p->want - p->heap_done);
    fault_in(p->heap + p->heap_done, n);
    p->heap_done += n;
    if (p->heap_done < p->want)
        return;
    heap_let_go(p);
#endif
    p->heap_ready = true;
}

/* How much to prepare for a state whose snapshot is about `bytes`. */
static void size_for(struct nines_ctx *ctx, size_t bytes) {
    struct host_prepared *p = &ctx->prepared;
    size_t want = bytes + bytes / 4, page = page_size();
    p->sized = true;
    p->want = ctx->mod->export_state && want <= KEEP_MAX ? (want / page + 1) * page : 0;
    if (p->heap)
        heap_let_go(p);
    p->heap_ready = p->want < HEAP_MIN;
}

/* A buffer not worth keeping: none is wanted, or it is over KEEP_MAX. */
static bool excess(const struct host_prepared *p, int i) {
    const nines_buf *b = &p->buf[i];
    return b->data && (!p->want || b->cap > KEEP_MAX);
}

/* The buffer to write next is much bigger than wanted: it shrinks, keeping
 * its first pages faulted in. (Never the other one: it may be ninesd's,
 * and its memfd must stay as it was handed over.) */
static bool oversized(const struct host_prepared *p) {
    return p->want && p->buf[p->next].cap > p->want + p->want / 2;
}

bool host_handoff_pending(struct nines_ctx *ctx) {
    struct host_prepared *p = &ctx->prepared;
    if (!p->sized) {
        /* Before the first upgrade: as much as init touched. */
        struct rusage ru;
        long faults = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt - p->faults : 0;
        size_for(ctx, faults > 0 ? (size_t)faults * page_size() : 0);
    }
    const nines_buf *next = &p->buf[p->next];
    return ctx->retired.dl || excess(p, 0) || excess(p, 1) || oversized(p) || (p->want && next->warm < p->want) ||
           !p->heap_ready;
}

void host_handoff_step(struct nines_ctx *ctx) {
    struct host_prepared *p = &ctx->prepared;
    nines_buf *next = &p->buf[p->next];
    if (ctx->retired.dl) {
        host_upgrade_release_old(ctx); /* its memory is then free heap, faulted in */
    } else if (excess(p, 0) || excess(p, 1)) {
        release(&p->buf[excess(p, 0) ? 0 : 1]); /* ninesd has its own reference */
    } else if (oversized(p) || (p->want && next->cap < p->want)) {
        if (resize(next, p->want) < 0)
            p->want = 0; /* no memfd: the next export makes its own */
        next->warm = min_size(next->warm, next->cap);
    } else if (p->want && next->warm < p->want) {
        size_t n = min_size(STEP, p->want - next->warm);
        fault_in(next->data + next->warm, n);
        next->warm += n;
    } else if (!p->heap_ready) {
        heap_step(p);
    }
}

void host_handoff_init(struct nines_ctx *ctx) {
    struct rusage ru;
    ctx->prepared.faults = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

struct nines_buf *host_handoff_buffer(struct nines_ctx *ctx) {
    struct host_prepared *p = &ctx->prepared;
    if (p->heap)
        heap_let_go(p); /* code_change is about to need it */
    p->buf[p->next].len = 0;
    return &p->buf[p->next];
}

void host_handoff_done(struct nines_ctx *ctx, bool handed, size_t snapshot_len) {
    struct host_prepared *p = &ctx->prepared;
    if (handed)
        p->next ^= 1; /* that one is ninesd's now, until the next hand-off */
    size_for(ctx, snapshot_len);
}

void host_handoff_free(struct nines_ctx *ctx) {
    struct host_prepared *p = &ctx->prepared;
    host_upgrade_release_old(ctx);
    release(&p->buf[0]);
    release(&p->buf[1]);
    if (p->heap)
        heap_let_go(p);
}

void host_buf_free(nines_buf *b) {
    release(b);
}
