/* emit_step.h - C for one step DAG evaluated over a batch of rows.
 * Shared by forward steps, their derived backward steps, and per-element
 * layers. Every node's values live in a View: a pointer expression, an
 * element offset and a row stride (0 for a parameter vector, which every
 * row shares); a slice is a view of its base and costs nothing. */
#ifndef RNNC_EMIT_STEP_H
#define RNNC_EMIT_STEP_H
#include "ir.h"

typedef struct View {
    char base[48];   /* C pointer expression */
    char ld[32];     /* row stride, a C expression */
    int off;         /* first element */
    bool is_const;   /* a number broadcast everywhere */
    double value;
} View;

typedef struct StepEnv {
    const char *rows;       /* C expression: how many rows (samples) */
    const char *prefix;     /* buffer names: prefix + node id */
    const int *params;      /* cell parameter number -> global parameter index */
    View input, adj_out;    /* the INPUT and ADJ_OUT leaves */
    View *states;           /* STATE i */
    View *adj_states;       /* ADJ_STATE i */
    const View *fwd;        /* FWD k: the forward step's views at this step */
    const char *indent;
    bool views_only;        /* set views, emit nothing (a forward step seen from its backward) */
} StepEnv;

View view_of(const char *base, const char *ld, int off);
/* The C expression for element i of row b. */
void view_access(char *buf, size_t n, const View *v);
/* The pointer to row 0's first element. */
void view_pointer(char *buf, size_t n, const View *v);

/* Set views[] for every live node and emit the code computing them. Nodes
 * with a buffer of their own write to PREFIX<id>, declared by the caller. */
void emit_step_nodes(FILE *out, const IrStep *s, const bool *live, View *views, const StepEnv *env);
/* Whether node id needs a buffer of its own (computed, not a view). */
bool step_has_buffer(const IrStep *s, int id);
/* dst rows (stride ld, offset off) = or += a view, for size elements. */
void emit_rows(FILE *out, const StepEnv *env, const char *dst, const char *ld, const char *off, const View *v,
               int size, bool accumulate);

#endif
