/* passes.h - the IR optimisation passes (one file each, opt_*.c) and the
 * order they run in (passes.c). A pass works on one cell step: a forward
 * step, or a derived backward step together with its adjoint, whose node
 * references (the input's and states' gradients, the parameter gradients)
 * are roots that renumbering keeps up to date. */
#ifndef RNNC_PASSES_H
#define RNNC_PASSES_H
#include "grad.h"

typedef struct PassStep {
    Arena *a;
    IrStep *s;
    IrAdjoint *adj;      /* a backward step's adjoint; NULL for a forward step */
    const bool *taped;   /* a forward step after differentiation: the nodes the tape keeps */
} PassStep;

/* Each returns whether it changed the step. */
typedef bool PassFn(PassStep *p);
PassFn opt_fold;          /* constant folding, algebraic identities */
PassFn opt_cse;           /* common subexpressions */
PassFn opt_dce;           /* dead code */
PassFn opt_fuse_matmul;   /* products of one vector by several matrices become one */
PassFn opt_hoist;         /* forward: what does not depend on the state, before the loop */
PassFn opt_sink;          /* backward: what the loop does not need, after it */
PassFn opt_fuse_elem;     /* elementwise chains in one loop */
PassFn opt_memplan;       /* buffers reused once their values are dead */

/* The nodes the step hands on (output and next states, or the adjoint's
 * gradients), n of them, in the arena. */
int *pass_roots(const PassStep *p, int *n);
/* The nodes the step's results depend on (roots: output and next states,
 * or the adjoint's gradients). */
bool *pass_live(const PassStep *p);
/* ir_compact, keeping the adjoint's roots up to date. */
void pass_compact(PassStep *p, const int *replace);
/* How many nodes read each node (roots count as readers). */
int *pass_uses(const PassStep *p);

/* Differentiate and optimise a lowered program: at level 0 only
 * differentiate; otherwise the forward passes, differentiation, then the
 * backward passes. stepwise: the code runs one time step per call
 * (embedded C), so no hoisting. With trace, print the program after each
 * pass. */
void opt_program(Arena *a, IrProgram *p, int level, bool stepwise, FILE *trace);

#endif
