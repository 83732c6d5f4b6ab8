/* util.c - allocation wrappers and internal-error exits. */
#include "util.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory allocating %zu bytes", n);
    return p;
}

void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory allocating %zu bytes", n);
    return p;
}

void die_at(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "rnnc: internal error at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(3);
}
