/* emit_onnx_step.c - a cell's optimised step as the body of an ONNX Scan
 * (emit_onnx.h). The body sees one time step of the whole batch: its
 * inputs are the states, [batch, size] each, then the step's input
 * [batch, in]; its outputs the next states, then the step's output. Each
 * live node of the step becomes one ONNX node: an elementwise op the
 * operator named in ir_ops.def, a matrix-vector product a Gemm with the
 * weight transposed (x W^T, so the batch stays in rows), a slice a Slice
 * of the last axis, a concat a Concat of it. Parameters and constants
 * have no batch axis: a vector parameter is read from the main graph's
 * initializer by name and broadcast, a constant is a scalar; where a
 * value without a batch axis must have one (a Concat operand, an output)
 * it is expanded to [batch, size]. Every name starts with the layer's
 * prefix P: P/in/STATE and P/input for the inputs, P/NAME_k or P/tk for
 * node k, P/next/STATE and P/output for the outputs (named by the
 * caller), and for what an ONNX node needs besides (constants, shapes)
 * the name it serves followed by /what; so no two Scan bodies, nor the
 * main graph, define the same name. */
#include "emit_onnx.h"
#include "onnx_write.h"
#include "util.h"
#include <string.h>

typedef struct Body {
    OwGraph *g;
    const IrProgram *p;
    const IrLayer *l;
    const IrStep *s;
    const char *prefix;
    const char **name; /* per node: the ONNX value holding it */
    bool *batched;     /* per node: has the batch axis */
    const char *batch; /* the batch size as a 1-element int64 vector, once asked for */
} Body;

/* "prefix/NAME_k" after the node's name in the source (c' as c_next), else "prefix/tk". */
static const char *node_name(Body *b, int k) {
    const char *src = b->s->nodes[k].name;
    if (!src)
        return arena_printf(b->g->a, "%s/t%d", b->prefix, k);
    size_t n = strlen(src);
    bool primed = n && src[n - 1] == '\'';
    return arena_printf(b->g->a, "%s/%.*s%s_%d", b->prefix, (int)(primed ? n - 1 : n), src, primed ? "_next" : "", k);
}

/* The body's batch size, [batch], read off the step's input. */
static const char *batch_size(Body *b) {
    if (b->batch)
        return b->batch;
    const char *x = arena_printf(b->g->a, "%s/input", b->prefix);
    const char *shape = arena_printf(b->g->a, "%s/const/x_shape", b->prefix);
    ow_node(b->g, "Shape", shape, 1, &x);
    const char *in[] = {shape, ow_const_ints(b->g, arena_printf(b->g->a, "%s/const/zero", b->prefix), 1, (int64_t[]){0}),
                        ow_const_ints(b->g, arena_printf(b->g->a, "%s/const/one", b->prefix), 1, (int64_t[]){1})};
    b->batch = arena_printf(b->g->a, "%s/const/batch", b->prefix);
    ow_node(b->g, "Slice", b->batch, 3, in);
    return b->batch;
}

/* Node k's value with the batch axis: itself, or expanded to [batch, size]. */
static const char *with_batch(Body *b, int k, const char *as) {
    if (b->batched[k])
        return b->name[k];
    const char *size = ow_const_ints(b->g, arena_printf(b->g->a, "%s/size", as), 1, (int64_t[]){b->s->nodes[k].size});
    const char *shape = arena_printf(b->g->a, "%s/shape", as);
    ow_attr_int(b->g, ow_node(b->g, "Concat", shape, 2, (const char *[]){batch_size(b), size}), "axis", 0);
    const char *out = arena_printf(b->g->a, "%s/expanded", as);
    ow_node(b->g, "Expand", out, 2, (const char *[]){b->name[k], shape});
    return out;
}

static void slice(Body *b, int k, const IrNode *n) {
    const char *name = b->name[k];
    const char *in[] = {b->name[n->args[0]], ow_const_ints(b->g, arena_printf(b->g->a, "%s/starts", name), 1, (int64_t[]){n->lo}),
                        ow_const_ints(b->g, arena_printf(b->g->a, "%s/ends", name), 1, (int64_t[]){n->lo + n->size}),
                        ow_const_ints(b->g, arena_printf(b->g->a, "%s/axes", name), 1, (int64_t[]){-1})};
    ow_node(b->g, "Slice", name, 4, in);
    b->batched[k] = b->batched[n->args[0]];
}

/* A concat of vectors along the last axis; of matrices (fused products'
 * weights, rows after rows) along the first. */
static void concat(Body *b, int k, const IrNode *n) {
    bool matrix = ir_is_matrix(b->s, k), any = false;
    for (int i = 0; i < n->nargs; i++)
        any |= b->batched[n->args[i]];
    const char **in = arena_alloc(b->g->a, sizeof(char *) * (size_t)n->nargs);
    for (int i = 0; i < n->nargs; i++)
        in[i] = any ? with_batch(b, n->args[i], arena_printf(b->g->a, "%s/arg%d", b->name[k], i)) : b->name[n->args[i]];
    ow_attr_int(b->g, ow_node(b->g, "Concat", b->name[k], n->nargs, in), "axis", matrix ? 0 : -1);
    b->batched[k] = any;
}

/* W @ v: Gemm(v, W, transB) over the batch's rows; MatMul(W, v) for a
 * vector without one. */
static void matvec(Body *b, int k, const IrNode *n) {
    const char *W = b->name[n->args[0]], *v = b->name[n->args[1]];
    if (b->batched[n->args[1]])
        ow_attr_int(b->g, ow_node(b->g, "Gemm", b->name[k], 2, (const char *[]){v, W}), "transB", 1);
    else
        ow_node(b->g, "MatMul", b->name[k], 2, (const char *[]){W, v});
    b->batched[k] = b->batched[n->args[1]];
}

static void elementwise(Body *b, int k, const IrNode *n) {
    const char *in[2];
    b->batched[k] = false;
    for (int i = 0; i < n->nargs; i++) {
        in[i] = b->name[n->args[i]];
        b->batched[k] |= b->batched[n->args[i]];
    }
    onnx_elementwise(b->g, n->op, b->name[k], n->nargs, in);
}

static void node(Body *b, int k) {
    const IrNode *n = &b->s->nodes[k];
    switch (n->op) {
    case IR_INPUT:
        b->name[k] = arena_printf(b->g->a, "%s/input", b->prefix);
        b->batched[k] = true;
        return;
    case IR_STATE:
        b->name[k] = arena_printf(b->g->a, "%s/in/%s", b->prefix, b->s->state_names[n->index]);
        b->batched[k] = true;
        return;
    case IR_PARAM:
        b->name[k] = b->p->params[b->l->params[n->index]].name;
        return;
    default:
        break;
    }
    b->name[k] = node_name(b, k);
    if (n->op == IR_CONST)
        ow_const_float(b->g, b->name[k], (float)n->value);
    else if (ir_ops[n->op].kind == IRK_SLICE)
        slice(b, k, n);
    else if (ir_ops[n->op].kind == IRK_CONCAT)
        concat(b, k, n);
    else if (ir_ops[n->op].kind == IRK_MATVEC)
        matvec(b, k, n);
    else
        elementwise(b, k, n);
}

Onnx__NodeProto *onnx_elementwise(OwGraph *g, IrOp op, const char *out, int nin, const char *const *in) {
    if (!ir_ops[op].onnx)
        die("op %s has no ONNX operator", ir_ops[op].name);
    Onnx__NodeProto *node = ow_node(g, ir_ops[op].onnx, out, nin, in);
    if (op == IR_HARDSIGMOID) { /* (x + 3) / 6 clipped: alpha 1/6, beta 1/2 */
        ow_attr_float(g, node, "alpha", 1.0f / 6);
        ow_attr_float(g, node, "beta", 0.5f);
    }
    return node;
}

static OwDim *rows_of(Arena *a, int size) {
    OwDim *d = arena_alloc(a, sizeof(OwDim) * 2);
    d[0] = (OwDim){-1, "batch"};
    d[1] = (OwDim){size, NULL};
    return d;
}

/* An output of the body: node k, batched, as an Identity named out. */
static void body_output(Body *b, int k, const char *out) {
    ow_node(b->g, "Identity", out, 1, (const char *[]){with_batch(b, k, out)});
    ow_output(b->g, out, OW_FLOAT, 2, rows_of(b->g->a, b->s->nodes[k].size));
}

Onnx__GraphProto *onnx_step_body(Arena *a, const IrProgram *p, const IrLayer *l, const char *prefix,
                                 const char *const *state_out, const char *out) {
    const IrStep *s = l->step;
    Body b = {ow_graph(a, arena_printf(a, "%s_step", prefix)), p, l, s, prefix, NULL, NULL, NULL};
    b.name = arena_alloc(a, sizeof(char *) * (size_t)s->nnodes);
    b.batched = arena_alloc(a, sizeof(bool) * (size_t)s->nnodes);
    for (int i = 0; i < s->nstates; i++)
        ow_input(b.g, arena_printf(a, "%s/in/%s", prefix, s->state_names[i]), OW_FLOAT, 2, rows_of(a, s->state_size[i]));
    ow_input(b.g, arena_printf(a, "%s/input", prefix), OW_FLOAT, 2, rows_of(a, s->in_size));
    bool *live = ir_live(a, s);
    for (int k = 0; k < s->nnodes; k++)
        if (live[k])
            node(&b, k);
    for (int i = 0; i < s->nstates; i++)
        body_output(&b, s->state_next[i], state_out[i]);
    body_output(&b, s->output, out);
    return ow_finish(b.g);
}
