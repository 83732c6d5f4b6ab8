/* emit_step.c - code for a step DAG over a batch of rows (emit_step.h).
 * Matrix products become one rt_gemm_* call over all rows (on packed
 * weights where the caller packed them); elementwise nodes one loop over
 * rows x size, with fused operands computed inside it; concat and pad copy
 * pieces. */
#include "emit_step.h"
#include <string.h>

View view_of(CgV base, CgV ld, int off) { return (View){base, ld, off, false, 0, NULL, {NULL, NULL}}; }

View view_rows(Cg *g, const View *v, CgV rows) {
    View moved = *v;
    if (v->ld && !v->expr && !v->is_const)
        moved.base = g->b->ptr_add(g, CGT_PF32, v->base, cg_mul(g, rows, v->ld));
    return moved;
}

CgV view_get(Cg *g, const View *v, CgV b, CgV i) {
    if (v->is_const)
        return g->b->float_const(g, v->value);
    if (v->expr) {
        CgV x = view_get(g, v->args[0], b, i);
        CgV y = v->expr->nargs > 1 ? view_get(g, v->args[1], b, i) : NULL;
        return cg_elem(g, v->expr->op, x, y);
    }
    CgV index = v->off ? cg_add(g, cg_i(g, v->off), i) : i;
    if (v->ld)
        index = cg_add(g, index, cg_mul(g, b, v->ld));
    return g->b->load(g, CGT_PF32, v->base, index);
}

CgV view_ptr(Cg *g, const View *v) { return g->b->ptr_add(g, CGT_PF32, v->base, cg_i(g, v->off)); }

View param_view(Cg *g, const StepEnv *env, int cell_param) {
    return view_of(g->b->load(g, CGT_PPF32, env->P, cg_i(g, env->params[cell_param])), NULL, 0);
}

bool step_has_buffer(const IrStep *s, int id) {
    IrKind k = ir_ops[s->nodes[id].op].kind;
    return k != IRK_LEAF && k != IRK_SLICE && !s->nodes[id].fused && !ir_is_matrix(s, id);
}

/* A plain copy is a memcpy of each row: the C compilers of small targets
 * would turn a copying loop into a call to memcpy anyway, and embedded C
 * must be able to say which memcpy that is (--no-libm). */
static void copy_rows(Cg *g, CgV rows, CgV dst, CgV ld, CgV off, const View *v, int size) {
    CgV b = g->b->for_begin(g, "b", rows);
    CgV to = g->b->ptr_add(g, CGT_PF32, dst, cg_add(g, cg_mul(g, b, ld), off));
    CgV from = g->b->ptr_add(g, CGT_PF32, v->base, v->ld ? cg_add(g, cg_i(g, v->off), cg_mul(g, b, v->ld)) : cg_i(g, v->off));
    cg_call(g, CGT_VOID, "memcpy", 3, to, from, cg_i(g, size * (int64_t)sizeof(float)));
    g->b->for_end(g);
}

void emit_rows(Cg *g, CgV rows, CgV dst, CgV ld, CgV off, const View *v, int size, bool accumulate) {
    if (!accumulate && !v->expr && !v->is_const) {
        copy_rows(g, rows, dst, ld, off, v, size);
        return;
    }
    CgV b = g->b->for_begin(g, "b", rows);
    CgV i = g->b->for_begin(g, "i", cg_i(g, size));
    CgV at = cg_add(g, cg_add(g, cg_mul(g, b, ld), off), i);
    g->b->store(g, dst, at, view_get(g, v, b, i), accumulate);
    g->b->for_end(g);
    g->b->for_end(g);
}

static View leaf_view(Cg *g, const IrNode *node, const StepEnv *env) {
    View v = {0};
    switch (node->op) {
    case IR_INPUT: return env->input;
    case IR_STATE: return env->states[node->index];
    case IR_ADJ_OUT: return env->adj_out;
    case IR_ADJ_STATE: return env->adj_states[node->index];
    case IR_FWD: return env->fwd[node->index];
    case IR_PARAM: return param_view(g, env, node->index);
    default: /* IR_CONST */
        v.is_const = true;
        v.value = node->value;
        return v;
    }
}

static void emit_elementwise(Cg *g, const IrNode *node, CgV dst, const View *views, const StepEnv *env) {
    CgV b = g->b->for_begin(g, "b", env->rows);
    CgV i = g->b->for_begin(g, "i", cg_i(g, node->size));
    CgV x = view_get(g, &views[node->args[0]], b, i);
    CgV y = node->nargs > 1 ? view_get(g, &views[node->args[1]], b, i) : NULL;
    g->b->store(g, dst, cg_add(g, cg_mul(g, b, cg_i(g, node->size)), i), cg_elem(g, node->op, x, y), false);
    g->b->for_end(g);
    g->b->for_end(g);
}

static void emit_concat(Cg *g, const IrStep *s, const IrNode *node, CgV dst, const View *views, const StepEnv *env) {
    int at = 0;
    for (int k = 0; k < node->nargs; k++) {
        int size = s->nodes[node->args[k]].size;
        emit_rows(g, env->rows, dst, cg_i(g, node->size), cg_i(g, at), &views[node->args[k]], size, false);
        at += size;
    }
}

static void emit_pad(Cg *g, const IrStep *s, const IrNode *node, CgV dst, const View *views, const StepEnv *env) {
    CgV bytes = cg_mul(g, cg_mul(g, env->rows, cg_i(g, node->size)), cg_i(g, sizeof(float)));
    cg_call(g, CGT_VOID, "memset", 3, dst, cg_i(g, 0), bytes);
    emit_rows(g, env->rows, dst, cg_i(g, node->size), cg_i(g, node->lo), &views[node->args[0]],
              s->nodes[node->args[0]].size, false);
}

/* The k-th matrix of a product's operand: a parameter, or one of a stack. */
static CgV matrix_part(Cg *g, const IrStep *s, int w, int k, const StepEnv *env) {
    const IrNode *m = &s->nodes[w];
    const IrNode *part = m->op == IR_CONCAT ? &s->nodes[m->args[k]] : m;
    return g->b->load(g, CGT_PPF32, env->P, cg_i(g, env->params[part->index]));
}

/* rows of x times W^T (matvec) or rows of g times W (matvec_t); W packed,
 * a parameter, or a stack of parameters taken one by one. */
static void emit_product(Cg *g, const IrStep *s, int id, CgV dst, const View *views, const StepEnv *env) {
    const IrNode *node = &s->nodes[id], *wn = &s->nodes[node->args[0]];
    const View *x = &views[node->args[1]];
    bool t = node->op == IR_MATVEC_T;
    CgV ld = x->ld ? x->ld : cg_i(g, 0);
    int K = t ? wn->size : wn->cols;
    if (env->packed && env->packed[id]) {
        cg_call(g, CGT_VOID, "rt_gemm_packed", 10, env->rows, cg_i(g, node->size), cg_i(g, K), view_ptr(g, x), ld,
                cg_i(g, 1), env->packed[id], dst, cg_i(g, node->size), cg_i(g, 0));
        return;
    }
    int parts = wn->op == IR_CONCAT ? wn->nargs : 1;
    for (int k = 0, lo = 0; k < parts; k++) {
        int rows = wn->op == IR_CONCAT ? s->nodes[wn->args[k]].size : wn->size;
        CgV W = matrix_part(g, s, node->args[0], k, env);
        if (t) /* dst (+)= x[:, lo:lo+rows] W_k */
            cg_call(g, CGT_VOID, "rt_gemm_nn", 10, env->rows, cg_i(g, node->size), cg_i(g, rows),
                    g->b->ptr_add(g, CGT_PF32, view_ptr(g, x), cg_i(g, lo)), ld, W, cg_i(g, node->size), dst,
                    cg_i(g, node->size), cg_i(g, k > 0));
        else /* dst[:, lo:lo+rows] = x W_k^T */
            cg_call(g, CGT_VOID, "rt_gemm_nt", 10, env->rows, cg_i(g, rows), cg_i(g, K), view_ptr(g, x), ld, W,
                    cg_i(g, K), g->b->ptr_add(g, CGT_PF32, dst, cg_i(g, lo)), cg_i(g, node->size), cg_i(g, 0));
        lo += rows;
    }
}

void emit_step_nodes(Cg *g, const IrStep *s, const bool *live, View *views, const StepEnv *env) {
    for (int id = 0; id < s->nnodes; id++) {
        if (!live[id])
            continue;
        const IrNode *node = &s->nodes[id];
        if (ir_ops[node->op].kind == IRK_LEAF) {
            views[id] = leaf_view(g, node, env);
            continue;
        }
        if (node->op == IR_SLICE) {
            views[id] = views[node->args[0]];
            views[id].off += node->lo;
            continue;
        }
        if (ir_is_matrix(s, id))
            continue; /* stacked weights: read by the products themselves */
        if (node->fused) { /* computed where its user reads it */
            views[id] = (View){.expr = node, .args = {&views[node->args[0]], node->nargs > 1 ? &views[node->args[1]] : NULL}};
            continue;
        }
        CgV dst = env->buffers[id];
        views[id] = view_of(dst, cg_i(g, node->size), 0);
        if (env->views_only)
            continue;
        switch (ir_ops[node->op].kind) {
        case IRK_MATVEC:
        case IRK_MATVEC_T: emit_product(g, s, id, dst, views, env); break;
        case IRK_CONCAT: emit_concat(g, s, node, dst, views, env); break;
        case IRK_PAD: emit_pad(g, s, node, dst, views, env); break;
        default: emit_elementwise(g, node, dst, views, env); break;
        }
    }
}
