/* ir_interp.h - evaluate a step DAG for one sample in double precision:
 * the reference that derivative rules are checked against by finite
 * differences, independent of any emitter. */
#ifndef RNNC_IR_INTERP_H
#define RNNC_IR_INTERP_H
#include "ir.h"

typedef struct IrLeaves {
    const double *input;
    const double *const *states;      /* STATE i */
    const double *const *params;      /* PARAM by the cell's parameter number, row-major */
    const double *const *fwd;         /* FWD k: forward node k's value */
    const double *adj_out;            /* ADJ_OUT */
    const double *const *adj_states;  /* ADJ_STATE i */
} IrLeaves;

/* Every node's value, in the arena: result[k] has nodes[k].size doubles. */
double **ir_interp(Arena *a, const IrStep *s, const IrLeaves *leaves);

#endif
