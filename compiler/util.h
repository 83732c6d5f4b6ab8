/* util.h - process-level helpers: allocation that cannot fail silently,
 * and die()/unreachable() for internal errors (never for user errors). */
#ifndef RNNC_UTIL_H
#define RNNC_UTIL_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
_Noreturn void die_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define die(...) die_at(__FILE__, __LINE__, __VA_ARGS__)
#define unreachable() die_at(__FILE__, __LINE__, "unreachable")

#endif
