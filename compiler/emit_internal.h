/* emit_internal.h - what the program emitter's files share (emit_c.c for
 * the program and plain layers, emit_cell.c for cell layers): the state of
 * one emission and shorthands for building index arithmetic. */
#ifndef RNNC_EMIT_INTERNAL_H
#define RNNC_EMIT_INTERNAL_H
#include "emit_step.h"
#include "grad.h"
#include "util.h"

typedef struct Emit {
    Cg *g;
    const CgBackend *b;
    Arena *a;
    const IrProgram *p;
    bool pack;   /* pack the weights of the time loop's products once (host programs) */
    bool lengths;/* entry points and time loops take sequence lengths (host programs) */
} Emit;

static inline CgV I(Emit *e, int64_t v) { return cg_i(e->g, v); }
static inline CgV add(Emit *e, CgV x, CgV y) { return cg_add(e->g, x, y); }
static inline CgV mul(Emit *e, CgV x, CgV y) { return cg_mul(e->g, x, y); }
static inline CgV at(Emit *e, CgV p, CgV i) { return e->b->ptr_add(e->g, CGT_PF32, p, i); }
static inline CgV let(Emit *e, CgType t, const char *name, CgV v) {
    return e->b->let(e->g, t, arena_strdup(e->a, name), v, NULL);
}
/* A buffer of floats, with its shape as a comment where the backend keeps one. */
static inline CgV let_shaped(Emit *e, const char *name, CgV v, const char *shape) {
    return e->b->let(e->g, CGT_PF32, arena_strdup(e->a, name), v, shape);
}
/* min(x, y) of sizes, without a branch: y + (x - y) (x < y). */
static inline CgV min_of(Emit *e, CgV x, CgV y) {
    return add(e, y, mul(e, cg_sub(e->g, x, y), e->b->int_op(e->g, '<', x, y)));
}
/* max(x, y) likewise: x + (y - x) (x < y). */
static inline CgV max_of(Emit *e, CgV x, CgV y) {
    return add(e, x, mul(e, cg_sub(e->g, y, x), e->b->int_op(e->g, '<', x, y)));
}
static inline CgV name(Emit *e, const char *fmt, int i) { return arena_printf(e->a, fmt, i); }
static inline CgV bytes(Emit *e, CgV floats) { return mul(e, floats, I(e, sizeof(float))); }

/* Cell layers (emit_cell.c). */
void emit_cell_forward(Emit *e, int index);
void emit_cell_backward(Emit *e, int index);
/* A cell layer's scratch, forward or backward, is c0 + B c1 + B T c2 +
 * B W c3 floats, W = window_steps(B, T): the forward computes what the
 * loop does not need in order (the input's projections) a window of
 * window_len(B) steps at a time (ir_window_steps in generated code). */
void cell_scratch(Emit *e, const IrLayer *l, bool backward, size_t c[4]);
CgV window_len(Emit *e, CgV B);
CgV window_steps(Emit *e, CgV B, CgV T);
/* Floats of a cell layer's tape for B samples and T steps. */
CgV cell_tape_size(Emit *e, const IrLayer *l, CgV B, CgV T);
/* Backward roots: parameter gradients, previous states, and the input's gradient when wanted. */
bool *backward_live(Emit *e, const IrAdjoint *adj, bool want_input);

#endif
