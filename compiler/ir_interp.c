/* ir_interp.c - a direct interpreter of step DAGs (see ir_interp.h). */
#include "ir_interp.h"
#include "util.h"
#include <string.h>

static void eval_node(const IrStep *s, int k, double **v, const IrLeaves *l, double *out) {
    const IrNode *n = &s->nodes[k];
    const double *a = n->nargs > 0 ? v[n->args[0]] : NULL, *b = n->nargs > 1 ? v[n->args[1]] : NULL;
    switch (n->op) {
    case IR_INPUT: memcpy(out, l->input, sizeof(double) * (size_t)n->size); return;
    case IR_STATE: memcpy(out, l->states[n->index], sizeof(double) * (size_t)n->size); return;
    case IR_PARAM:
        memcpy(out, l->params[n->index], sizeof(double) * (size_t)(n->size * (n->cols ? n->cols : 1)));
        return;
    case IR_FWD:
        memcpy(out, l->fwd[n->index], sizeof(double) * (size_t)(n->size * (n->cols ? n->cols : 1)));
        return;
    case IR_ADJ_OUT: memcpy(out, l->adj_out, sizeof(double) * (size_t)n->size); return;
    case IR_ADJ_STATE: memcpy(out, l->adj_states[n->index], sizeof(double) * (size_t)n->size); return;
    case IR_CONST:
        for (int i = 0; i < n->size; i++)
            out[i] = n->value;
        return;
    default:
        break;
    }
    const IrNode *w = n->nargs ? &s->nodes[n->args[0]] : NULL;
    switch (ir_ops[n->op].kind) {
    case IRK_MATVEC:
        for (int i = 0; i < n->size; i++) {
            out[i] = 0;
            for (int j = 0; j < w->cols; j++)
                out[i] += a[i * w->cols + j] * b[j];
        }
        return;
    case IRK_MATVEC_T:
        for (int j = 0; j < n->size; j++) {
            out[j] = 0;
            for (int i = 0; i < w->size; i++)
                out[j] += a[i * w->cols + j] * b[i];
        }
        return;
    case IRK_SLICE: memcpy(out, a + n->lo, sizeof(double) * (size_t)n->size); return;
    case IRK_PAD:
        memset(out, 0, sizeof(double) * (size_t)n->size);
        memcpy(out + n->lo, a, sizeof(double) * (size_t)s->nodes[n->args[0]].size);
        return;
    case IRK_CONCAT:
        for (int i = 0, at = 0; i < n->nargs; i++) { /* vectors, or matrices stacked by rows */
            const IrNode *part = &s->nodes[n->args[i]];
            int elems = part->size * (part->cols ? part->cols : 1);
            memcpy(out + at, v[n->args[i]], sizeof(double) * (size_t)elems);
            at += elems;
        }
        return;
    case IRK_ELEMWISE:
        for (int i = 0; i < n->size; i++)
            out[i] = ir_eval_elem(n->op, a[i], b ? b[i] : 0);
        return;
    default:
        die("cannot interpret op %s", ir_ops[n->op].name);
    }
}

double **ir_interp(Arena *a, const IrStep *s, const IrLeaves *leaves) {
    double **v = arena_alloc(a, sizeof(double *) * (size_t)(s->nnodes + 1));
    for (int k = 0; k < s->nnodes; k++) {
        const IrNode *n = &s->nodes[k];
        v[k] = arena_alloc(a, sizeof(double) * (size_t)(n->size * (n->cols ? n->cols : 1) + 1));
        eval_node(s, k, v, leaves, v[k]);
    }
    return v;
}
