/* strmap.c - open addressing with linear probing, FNV-1a hashes. */
#include "strmap.h"
#include <stdint.h>
#include <string.h>

static uint32_t hash(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

void *strmap_get(const StrMap *m, const char *key) {
    if (!m->cap)
        return NULL;
    for (uint32_t i = hash(key) & (uint32_t)(m->cap - 1);; i = (i + 1) & (uint32_t)(m->cap - 1)) {
        if (!m->keys[i])
            return NULL;
        if (!strcmp(m->keys[i], key))
            return m->vals[i];
    }
}

static void insert(StrMap *m, const char *key, void *val) {
    for (uint32_t i = hash(key) & (uint32_t)(m->cap - 1);; i = (i + 1) & (uint32_t)(m->cap - 1)) {
        if (!m->keys[i]) {
            m->keys[i] = key;
            m->vals[i] = val;
            m->len++;
            return;
        }
        if (!strcmp(m->keys[i], key)) {
            m->vals[i] = val;
            return;
        }
    }
}

void strmap_put(Arena *a, StrMap *m, const char *key, void *val) {
    if (2 * (m->len + 1) > m->cap) {
        StrMap bigger = {0};
        bigger.cap = m->cap ? m->cap * 2 : 16;
        bigger.keys = arena_alloc(a, sizeof(char *) * (size_t)bigger.cap);
        bigger.vals = arena_alloc(a, sizeof(void *) * (size_t)bigger.cap);
        for (int i = 0; i < m->cap; i++)
            if (m->keys[i])
                insert(&bigger, m->keys[i], m->vals[i]);
        *m = bigger;
    }
    insert(m, key, val);
}
