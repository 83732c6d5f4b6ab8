/* ir.h - the intermediate representation (ARCHITECTURE.md, principle 2).
 * Two levels. A cell's time step is an IrStep: a DAG of vector ops for one
 * sample, nodes in topological order, every size a concrete integer. A
 * model is an IrProgram: a schedule of layers over buffers of B sequences,
 * where a cell layer is a loop over time around its step. The batch
 * belongs to the emitter: W @ x over a batch becomes one matrix product. */
#ifndef RNNC_IR_H
#define RNNC_IR_H
#include "sema.h"
#include <stdio.h>

typedef enum {
#define IR_OP(id, name, arity, kind, call, form, eval, grad, onnx) IR_##id,
#include "ir_ops.def"
#undef IR_OP
    IR_NUM_OPS
} IrOp;

typedef enum { IRK_LEAF, IRK_ELEMWISE, IRK_MATVEC, IRK_SLICE, IRK_CONCAT, IRK_MATVEC_T, IRK_PAD } IrKind;

typedef enum { IRC_NONE, IRC_FUNCTION } IrCall;

typedef struct IrOpInfo {
    const char *name;
    int arity;
    IrKind kind;
    IrCall call;       /* IRC_FUNCTION: the language calls it by name */
    const char *onnx;  /* the ONNX operator computing the same, or NULL */
} IrOpInfo;

extern const IrOpInfo ir_ops[IR_NUM_OPS];
/* The function the language calls NAME, or -1. */
int ir_function(const char *name);
/* The functions' names, "sigmoid, tanh, ..., sqrt" (of arity 1 or 2; 0:
 * all), for messages; in a static buffer. */
const char *ir_function_names(int arity);
/* Elementwise op in double precision (the IR interpreter). */
double ir_eval_elem(IrOp op, double a, double b);

/* When a cell step's node is computed (opt_hoist.c, opt_sink.c): in the
 * time loop, or once for every step before it (it does not depend on the
 * state) or after it (nothing in the loop needs it). */
typedef enum { IRP_LOOP, IRP_BEFORE, IRP_AFTER } IrPhase;

typedef struct IrNode {
    IrOp op;
    int size;          /* elements per sample; a PARAM matrix: its rows */
    int cols;          /* PARAM: matrix columns, 0 for a vector */
    int *args;         /* operand node ids, all lower than this node's */
    int nargs;
    int index;         /* STATE: state number; PARAM: the cell's parameter number */
    int lo;            /* SLICE: first element */
    double value;      /* CONST: the number, broadcast to `size` */
    const char *name;  /* the source name it was assigned to, or NULL */
    /* set by the optimisation passes (passes.c); zero means "not decided" */
    IrPhase phase;
    bool all_steps;    /* a loop node whose buffer keeps every step (read after the loop) */
    bool fused;        /* elementwise, computed inside its one user's loop: no buffer */
    int slot;          /* opt_memplan.c: offset in floats per row in the step's scratch */
} IrNode;

typedef struct IrStep {
    const char *cell;  /* name of the cell it instantiates */
    IrNode *nodes;
    int nnodes, cap;
    int in_size;       /* the input vector */
    int nstates;
    int *state_size;
    int *state_next;   /* node computing state i at t */
    int output;        /* node emitted at each step */
    int nparams;       /* parameters, in the cell's order */
    const char **param_names, **state_names; /* the cell's names for them (printing) */
    bool planned;      /* opt_memplan.c gave every buffered loop node a slot */
    int scratch;       /* then: floats per row of the step's scratch */
} IrStep;

typedef enum {
    IRL_EMBED,    /* out[b,t] = W[x[b,t]] */
    IRL_CELL,     /* a time loop around step */
    IRL_LINEAR,   /* out = in W^T + bias, per step */
    IRL_ACT,      /* an elementwise function, per element */
    IRL_DROPOUT,  /* training only; identity otherwise */
    IRL_LAST,     /* out[b] = in[b, T-1] */
} IrLayerKind;

typedef struct IrValue {   /* a buffer between layers */
    bool seq, token;       /* [B, T, size] or [B, size]; token: int ids */
    int size;              /* width; the vocabulary for tokens */
    const char *name;      /* model name, or NULL */
} IrValue;

typedef struct IrLayer {
    IrLayerKind kind;
    int in, out;           /* value ids */
    IrStep *step;          /* IRL_CELL; IRL_ACT: the function as a one-node step */
    struct IrAdjoint *adj; /* its derived backward step (grad_program) */
    bool reverse;          /* IRL_CELL: runs from t = T-1 down to 0 */
    int offset;            /* IRL_CELL: first column written in `out` */
    int *params;           /* global parameter indices, in the cell's order */
    int nparams;
    IrOp act;              /* IRL_ACT */
    double p;              /* IRL_DROPOUT */
    const char *label;     /* for printing: "h layer 1 reverse" */
} IrLayer;

/* A parameter of the program: PyTorch state_dict name and layout, and its
 * initialiser (the layer's rule resolved). */
typedef struct IrParam {
    const char *name;
    int rank;
    int64_t dims[2];
    Init init;
} IrParam;

typedef struct IrProgram {
    const char *name;
    IrParam *params;       /* every parameter, in state_dict order (IrLayer.params index it) */
    int nparams;
    IrValue *values;
    int nvalues;
    IrLayer *layers;
    int nlayers;
    int input, output;     /* value ids: the model input, the loss's first argument */
    IrValue target;        /* the target's type (not a value the program computes) */
    LossKind loss;
    TrainConfig train;     /* the train { } block's defaults */
} IrProgram;

/* A buffer's size in floats for B sequences of T steps: one + B b + B T bt
 * + B W bw, W = ir_window_steps(B, T), the steps a cell layer's window
 * holds: about IR_WINDOW_ROWS rows (B per step; 1 to IR_WINDOW steps), at
 * most T. A window's products are large enough to run at speed and small
 * enough that what they write is still in cache when the loop reads it. */
enum { IR_WINDOW = 64, IR_WINDOW_ROWS = 128 };
int64_t ir_window_steps(int64_t B, int64_t T);
typedef struct IrSize {
    int64_t one, b, bt, bw;
} IrSize;
int64_t ir_size_at(IrSize s, int64_t B, int64_t T);

/* Derive the backward step of every cell and activation layer (grad.c). */
void grad_program(Arena *a, IrProgram *p);
/* Lower a checked model to IR (compiler/lower.c). */
IrProgram *ir_lower(Arena *a, const ModelInfo *m);
/* Build one cell's step with concrete size values (compiler/lower_cell.c). */
IrStep *ir_lower_cell(Arena *a, const CellInfo *c, const int64_t *sizes);

/* Whether some layer runs backwards in time. */
bool ir_is_bidirectional(const IrProgram *p);
/* The states the program's cell layers carry, in floats per sample. */
int ir_state_floats(const IrProgram *p);
/* The carried states, one block of [B][size] each in the order the
 * program keeps them: their count, and their sizes into sizes (if given). */
int ir_carry_sizes(const IrProgram *p, int *sizes);
/* Does node k live in the step's loop scratch (a slot of the memory plan,
 * opt_memplan.c): computed in the loop, into a buffer of its own, and not
 * kept for every step? */
bool ir_in_scratch(const IrStep *s, int k);
/* What every step must satisfy (ir_verify.c): NULL, or the first problem,
 * in buf. */
const char *ir_check(const IrStep *s, char *buf, size_t n);
/* ir_check, stopping rnnc with the problem (a compiler bug) if there is one. */
void ir_verify(const IrStep *s, const char *after);
/* Which nodes the roots depend on, the roots included (a negative root is
 * none): the one liveness walk of the compiler. */
bool *ir_reaches(Arena *a, const IrStep *s, const int *roots, int nroots);
/* Which nodes the outputs and next states depend on (dead code is not emitted). */
bool *ir_live(Arena *a, const IrStep *s);
/* Replace nodes in place: replace[i] is i (keep node i), an earlier node j
 * (use j wherever i was used) or -1 (drop it; nothing may use it). Operands,
 * outputs and next states are renumbered; map[i] (if map is not NULL)
 * receives node i's new id, or -1. */
void ir_compact(Arena *a, IrStep *s, const int *replace, int *map);
/* The node id views: id itself, or through slices the node they view. */
int ir_viewed(const IrStep *s, int id);
/* Whether node id is a matrix (a rank-2 parameter, or a concat of them). */
bool ir_is_matrix(const IrStep *s, int id);
/* Node construction: returns the new node id. */
int ir_add(Arena *a, IrStep *s, IrNode node);
/* Print the program in a readable, deterministic form (emit --target ir). */
void ir_print(FILE *out, const IrProgram *p);
void ir_print_step(FILE *out, const IrStep *s);
/* Print the parameter table: name, shape, initialiser (check -d model). */
void ir_print_params(FILE *out, const IrProgram *p);

#endif
