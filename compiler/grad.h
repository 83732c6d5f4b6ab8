/* grad.h - symbolic reverse-mode differentiation of a cell's step.
 * From the forward step's DAG, grad_step derives the adjoint step: given
 * the gradients arriving at the step's output (ADJ_OUT) and at each next
 * state (ADJ_STATE i), it computes the gradients of the step's input, of
 * each previous state, and of every parameter. Back-propagation through
 * time runs it once per step, newest first; the emitters wrap it in the
 * time loop. Derivatives reuse forward values (FWD leaves): those that are
 * computed nodes are kept per step in the tape. */
#ifndef RNNC_GRAD_H
#define RNNC_GRAD_H
#include "ir.h"

typedef enum {
    PGRAD_VEC,    /* G[p] += sum over samples of node g */
    PGRAD_OUTER,  /* G[p] += sum over samples of g (rows) times v (columns) */
} ParamGradKind;

typedef struct IrParamGrad {
    int param;        /* the cell's parameter number */
    ParamGradKind kind;
    int g, v;         /* backward node ids (v for PGRAD_OUTER) */
    bool after;       /* summed over all steps after the loop (opt_sink.c) */
} IrParamGrad;

typedef struct IrAdjoint {
    const IrStep *fwd;
    IrStep *bwd;         /* leaves: FWD k (forward node k's value), ADJ_OUT,
                            ADJ_STATE i, PARAM, CONST; then derived ops */
    int d_input;         /* node of d input, or -1 when it is zero */
    int *d_state;        /* per state: node of d state at t-1, or -1 */
    IrParamGrad *pgrads;
    int npgrads;
    int *adjoint_of;     /* per forward node: the backward node of its adjoint, or -1 */
    bool *taped;         /* per forward node: its value is kept each step */
    int tape_floats;     /* per sample per step: taped nodes and states */
} IrAdjoint;

IrAdjoint *grad_step(Arena *a, const IrStep *fwd);
/* The backward nodes the step hands on: the input's gradient (if
 * want_input), each previous state's, and the parameter gradients'
 * operands; returns how many (at most 1 + states + 2 x pgrads). */
int grad_roots(const IrAdjoint *adj, bool want_input, int *roots);
/* Recompute what the tape keeps after the backward step changed. */
void grad_retape(IrAdjoint *adj);
/* Print the backward equations in the language's notation (emit --target
 * adjoint), with the names of the cell the step instantiates. */
void grad_print(FILE *out, const IrAdjoint *adj);
/* Every distinct cell step of a program, with its header. */
void grad_print_program(FILE *out, const IrProgram *p);

/* What the derivative rules (grad_rules.c) see of the differentiation. */
typedef struct GradCtx GradCtx;
int grad_node(GradCtx *g, IrOp op, int size, int a0, int a1);   /* a new backward node */
int grad_fwd(GradCtx *g, int k);                                /* forward node k's value */
int grad_const(GradCtx *g, double value, int size);
int grad_param(GradCtx *g, int k);                              /* forward PARAM node k as a leaf */
int grad_matrix(GradCtx *g, int k);                             /* a parameter or stacked parameters */
int grad_slice_of(GradCtx *g, int node, int lo, int size);     /* node[lo:lo+size] */
void grad_accum(GradCtx *g, int k, int node);                   /* adjoint(k) += node */
void grad_accum_slice(GradCtx *g, int k, int lo, int node);     /* adjoint(k)[lo:] += node */
void grad_accum_param(GradCtx *g, int param, ParamGradKind kind, int gnode, int vnode);
const IrNode *grad_fnode(GradCtx *g, int k);                    /* forward node k */

typedef void GradRule(GradCtx *g, int k, int dy);
#define IR_OP(id, name, arity, kind, call, form, eval, grad, onnx) GradRule grad;
#include "ir_ops.def"
#undef IR_OP

#endif
