/* memory.c - the runtime's large buffers (workspaces, tapes, outputs):
 * 64-byte aligned, so the generated loops' vectors start on cache lines,
 * and, from a few MiB on, on transparent huge pages where the kernel gives
 * them on request (madvise): a long sequence's first touch then costs a
 * fault per 2 MiB instead of per 4 KiB (at batch 1 the page faults were a
 * sixth of an inference step). Freed with free(). */
#define _DEFAULT_SOURCE
#include "rt_internal.h"
#include <stdlib.h>
#include <sys/mman.h>

enum { HUGE_PAGE = 2 << 20 };

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

float *rt_alloc_floats(size_t n) {
    size_t bytes = sizeof(float) * (n + 1); /* never zero bytes */
    if (bytes < 2 * (size_t)HUGE_PAGE)
        return aligned_alloc(64, round_up(bytes, 64));
    bytes = round_up(bytes, HUGE_PAGE);
    float *p = aligned_alloc(HUGE_PAGE, bytes);
#ifdef MADV_HUGEPAGE
    if (p)
        madvise(p, bytes, MADV_HUGEPAGE); /* advice: without it, small pages */
#endif
    return p;
}
