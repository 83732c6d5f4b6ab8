/* sema.c - semantic analysis of a whole program: register every cell,
 * check cells (prelude first, generically), then check models. */
#include "ir.h" /* the op table: which functions the language has */
#include "sema.h"
#include <string.h>

/* Names a user's cell may not take: built-in layers and losses, and the
 * functions. */
static const char *const builtin_names[] = {
    "rnn", "embedding", "linear", "last", "dropout", "concat", "cross_entropy", "mse",
};

static bool is_builtin(const char *name) {
    if (ir_function(name) >= 0) /* the functions of ir_ops.def */
        return true;
    for (size_t i = 0; i < sizeof builtin_names / sizeof *builtin_names; i++)
        if (!strcmp(builtin_names[i], name))
            return true;
    return false;
}

static void register_cells(Sema *s, Program *p, bool prelude) {
    for (int i = 0; i < p->nblocks; i++) {
        Block *b = p->blocks[i];
        b->prelude = prelude;
        if (b->kind != BLOCK_CELL || !strcmp(b->name, "<error>"))
            continue;
        CellInfo *old = strmap_get(&s->cells, b->name);
        if (old && old->block->prelude && ast_same_block(old->block, b)) {
            b->duplicate = true; /* the prelude's own text, as emit prints it */
            continue;
        }
        if (old && old->block->prelude) {
            diag_error(s->diags, b->loc, "'%s' is a prelude cell; choose another name for this one", b->name);
            continue;
        }
        if (old) {
            diag_error(s->diags, b->loc, "cell '%s' is defined twice", b->name);
            diag_note(s->diags, old->block->loc, "the first definition is here");
            continue;
        }
        if (is_builtin(b->name)) {
            diag_error(s->diags, b->loc, "'%s' is a built-in name; choose another name for this cell", b->name);
            continue;
        }
        CellInfo *c = arena_alloc(s->arena, sizeof *c);
        c->block = b;
        strmap_put(s->arena, &s->cells, b->name, c);
    }
}

static void check_blocks(Sema *s, Program *p, BlockKind kind, StrMap *models) {
    for (int i = 0; i < p->nblocks; i++) {
        Block *b = p->blocks[i];
        if (b->kind != kind)
            continue;
        if (kind == BLOCK_CELL && b->duplicate)
            continue;
        if (kind == BLOCK_CELL) {
            CellInfo *c = sema_cell(s, b);
            CellInfo *slot = strmap_get(&s->cells, b->name);
            if (slot && slot->block == b) {
                *slot = *c; /* models find the checked cell by name */
                c = slot;
            }
            vec_push(s->arena, &s->cell_list, c);
            continue;
        }
        ModelInfo *old = strcmp(b->name, "<error>") ? strmap_get(models, b->name) : NULL;
        if (old) {
            diag_error(s->diags, b->loc, "model '%s' is defined twice", b->name);
            diag_note(s->diags, old->block->loc, "the first definition is here");
        }
        ModelInfo *m = sema_model(s, b);
        strmap_put(s->arena, models, b->name, m);
        vec_push(s->arena, &s->model_list, m);
    }
}

bool sema_check(Sema *s, Program *prelude, Program *user) {
    int before = s->diags->errors;
    StrMap models = {0};
    register_cells(s, prelude, true);
    register_cells(s, user, false);
    check_blocks(s, prelude, BLOCK_CELL, &models);
    check_blocks(s, user, BLOCK_CELL, &models);
    check_blocks(s, user, BLOCK_MODEL, &models);
    return s->diags->errors == before;
}
