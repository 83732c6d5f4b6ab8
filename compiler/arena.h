/* arena.h - bump allocator for everything the compiler builds (AST, shapes, IR).
 * Nothing is freed on its own; the whole arena is released at once. */
#ifndef RNNC_ARENA_H
#define RNNC_ARENA_H
#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head; /* newest block; older ones chain behind it */
} Arena;

void *arena_alloc(Arena *a, size_t size);       /* zeroed, 16-byte aligned */
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void arena_free(Arena *a);
/* Text built by appending, in time linear in its length. */
typedef struct ArenaText {
    char *s;
    size_t len, cap;
} ArenaText;
void text_append(Arena *a, ArenaText *t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The text so far ("" when nothing was appended). */
const char *text_of(const ArenaText *t);

/* A growable array of pointers whose storage lives in an arena. */
typedef struct PtrVec {
    void **items;
    int len, cap;
} PtrVec;
void vec_push(Arena *a, PtrVec *v, void *item);

#endif
