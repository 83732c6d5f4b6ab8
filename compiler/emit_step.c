/* emit_step.c - C for a step DAG over a batch of rows (see emit_step.h).
 * Matrix products become one rt_gemm_* call over all rows; elementwise
 * nodes one loop over rows x size; concat and pad copy pieces. */
#include "emit_step.h"
#include <string.h>

View view_of(const char *base, const char *ld, int off) {
    View v = {.off = off};
    snprintf(v.base, sizeof v.base, "%s", base);
    snprintf(v.ld, sizeof v.ld, "%s", ld);
    return v;
}

static void literal(char *buf, size_t n, double v) { snprintf(buf, n, "(%.9ef)", v); }

void view_access(char *buf, size_t n, const View *v) {
    if (v->is_const)
        literal(buf, n, v->value);
    else if (!strcmp(v->ld, "0"))
        snprintf(buf, n, "%s[%d + i]", v->base, v->off);
    else
        snprintf(buf, n, "%s[%d + b * %s + i]", v->base, v->off, v->ld);
}

void view_pointer(char *buf, size_t n, const View *v) { snprintf(buf, n, "(%s + %d)", v->base, v->off); }

bool step_has_buffer(const IrStep *s, int id) {
    IrKind k = ir_ops[s->nodes[id].op].kind;
    return k != IRK_LEAF && k != IRK_SLICE;
}

static void loop_open(FILE *out, const StepEnv *env, int size) {
    fprintf(out, "%sfor (int64_t b = 0; b < %s; b++)\n%s    for (int64_t i = 0; i < %d; i++)\n", env->indent,
            env->rows, env->indent, size);
}

void emit_rows(FILE *out, const StepEnv *env, const char *dst, const char *ld, const char *off, const View *v,
               int size, bool accumulate) {
    char a[200];
    view_access(a, sizeof a, v);
    loop_open(out, env, size);
    fprintf(out, "%s        %s[b * %s + %s + i] %s %s;\n", env->indent, dst, ld, off, accumulate ? "+=" : "=", a);
}

static View leaf_view(const IrNode *node, const StepEnv *env) {
    View v = {0};
    char base[48];
    switch (node->op) {
    case IR_INPUT: return env->input;
    case IR_STATE: return env->states[node->index];
    case IR_ADJ_OUT: return env->adj_out;
    case IR_ADJ_STATE: return env->adj_states[node->index];
    case IR_FWD: return env->fwd[node->index];
    case IR_PARAM:
        snprintf(base, sizeof base, "P[%d]", env->params[node->index]);
        return view_of(base, "0", 0);
    default: /* IR_CONST */
        v.is_const = true;
        v.value = node->value;
        return v;
    }
}

static void emit_elementwise(FILE *out, const IrNode *node, const char *dst, const View *views, const StepEnv *env) {
    char a[200] = "", b[200] = "", expr[500];
    view_access(a, sizeof a, &views[node->args[0]]);
    if (node->nargs > 1)
        view_access(b, sizeof b, &views[node->args[1]]);
    snprintf(expr, sizeof expr, ir_ops[node->op].c_expr, a, b);
    loop_open(out, env, node->size);
    fprintf(out, "%s        %s[b * %d + i] = %s;\n", env->indent, dst, node->size, expr);
}

static void emit_concat(FILE *out, const IrStep *s, const IrNode *node, const char *dst, const View *views,
                        const StepEnv *env) {
    char off[16], ld[16];
    snprintf(ld, sizeof ld, "%d", node->size);
    int at = 0;
    for (int k = 0; k < node->nargs; k++) {
        snprintf(off, sizeof off, "%d", at);
        emit_rows(out, env, dst, ld, off, &views[node->args[k]], s->nodes[node->args[k]].size, false);
        at += s->nodes[node->args[k]].size;
    }
}

static void emit_pad(FILE *out, const IrStep *s, const IrNode *node, const char *dst, const View *views,
                     const StepEnv *env) {
    char off[16], ld[16];
    snprintf(ld, sizeof ld, "%d", node->size);
    snprintf(off, sizeof off, "%d", node->lo);
    fprintf(out, "%smemset(%s, 0, sizeof(float) * (size_t)(%s * %d));\n", env->indent, dst, env->rows, node->size);
    emit_rows(out, env, dst, ld, off, &views[node->args[0]], s->nodes[node->args[0]].size, false);
}

void emit_step_nodes(FILE *out, const IrStep *s, const bool *live, View *views, const StepEnv *env) {
    for (int id = 0; id < s->nnodes; id++) {
        if (!live[id])
            continue;
        const IrNode *node = &s->nodes[id];
        char dst[48], p1[200];
        snprintf(dst, sizeof dst, "%s%d", env->prefix, id);
        if (ir_ops[node->op].kind == IRK_LEAF) {
            views[id] = leaf_view(node, env);
            continue;
        }
        if (node->op == IR_SLICE) {
            views[id] = views[node->args[0]];
            views[id].off += node->lo;
            continue;
        }
        char ld[16];
        snprintf(ld, sizeof ld, "%d", node->size);
        views[id] = view_of(dst, ld, 0);
        if (env->views_only)
            continue;
        const View *a0 = &views[node->args[0]], *a1 = node->nargs > 1 ? &views[node->args[1]] : NULL;
        switch (ir_ops[node->op].kind) {
        case IRK_MATVEC: /* rows of x times W^T */
            view_pointer(p1, sizeof p1, a1);
            fprintf(out, "%srt_gemm_nt(%s, %d, %d, %s, %s, %s, %d, %s, %d, 0);\n", env->indent, env->rows, node->size,
                    s->nodes[node->args[0]].cols, p1, a1->ld, a0->base, s->nodes[node->args[0]].cols, dst, node->size);
            break;
        case IRK_MATVEC_T: /* rows of g times W */
            view_pointer(p1, sizeof p1, a1);
            fprintf(out, "%srt_gemm_nn(%s, %d, %d, %s, %s, %s, %d, %s, %d, 0);\n", env->indent, env->rows, node->size,
                    s->nodes[node->args[0]].size, p1, a1->ld, a0->base, node->size, dst, node->size);
            break;
        case IRK_CONCAT:
            emit_concat(out, s, node, dst, views, env);
            break;
        case IRK_PAD:
            emit_pad(out, s, node, dst, views, env);
            break;
        default:
            emit_elementwise(out, node, dst, views, env);
            break;
        }
    }
}
