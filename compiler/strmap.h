/* strmap.h - string-keyed hash map in an arena, for scopes and tables.
 * Lookups only: nothing iterates it, so hash order never reaches output. */
#ifndef RNNC_STRMAP_H
#define RNNC_STRMAP_H
#include "arena.h"

typedef struct StrMap {
    const char **keys;
    void **vals;
    int cap, len;
} StrMap;

void *strmap_get(const StrMap *m, const char *key);
void strmap_put(Arena *a, StrMap *m, const char *key, void *val);

#endif
