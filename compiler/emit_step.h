/* emit_step.h - code for one step DAG evaluated over a batch of rows.
 * Shared by forward steps, their derived backward steps, and per-element
 * layers. Every node's values live in a View: a pointer, an element offset
 * and a row stride (none for a parameter vector, which every row shares);
 * a slice is a view of its base and costs nothing. */
#ifndef RNNC_EMIT_STEP_H
#define RNNC_EMIT_STEP_H
#include "cg.h"

typedef struct View {
    CgV base;        /* pointer to row 0 */
    CgV ld;          /* row stride (an i64), or NULL: every row is the same */
    int off;         /* first element */
    bool is_const;   /* a number broadcast everywhere */
    double value;
    const IrNode *expr;          /* a fused elementwise node: computed where read */
    const struct View *args[2];  /* its operands' views */
} View;

typedef struct StepEnv {
    CgV rows;               /* how many rows (samples) */
    CgV P;                  /* the parameter table */
    const int *params;      /* cell parameter number -> global parameter index */
    View input, adj_out;    /* the INPUT and ADJ_OUT leaves */
    View *states;           /* STATE i */
    View *adj_states;       /* ADJ_STATE i */
    const View *fwd;        /* FWD k: the forward step's views at this step */
    CgV *buffers;           /* per node with a buffer of its own: where it goes */
    CgV *packed;            /* per product node: its packed weights, or NULL (emit_cell.c) */
    bool views_only;        /* set views, emit nothing (a forward step seen from its backward) */
} StepEnv;

View view_of(CgV base, CgV ld, int off);
/* The same view moved down by rows (a view of all steps, at one step). */
View view_rows(Cg *g, const View *v, CgV rows);
/* Element i of row b of a view. */
CgV view_get(Cg *g, const View *v, CgV b, CgV i);
/* Pointer to row 0's first element. */
CgV view_ptr(Cg *g, const View *v);
/* The parameter P[index] as a view shared by every row. */
View param_view(Cg *g, const StepEnv *env, int cell_param);

/* Set views[] for every live node and emit the code computing them. */
void emit_step_nodes(Cg *g, const IrStep *s, const bool *live, View *views, const StepEnv *env);
/* Whether node id needs a buffer of its own (computed, not a view, not
 * fused into its user, not a stack of matrices). */
bool step_has_buffer(const IrStep *s, int id);
/* dst[b * ld + off + i] (+)= v for every row b and i < size. */
void emit_rows(Cg *g, CgV rows, CgV dst, CgV ld, CgV off, const View *v, int size, bool accumulate);

#endif
