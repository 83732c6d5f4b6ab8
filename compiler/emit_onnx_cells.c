/* emit_onnx_cells.c - ONNX's own RNN, GRU and LSTM operators for the cell
 * layers whose step computes exactly what one of them computes
 * (emit_onnx.h). The decision is the IR's, never the cell's name: the
 * layer's optimised step is compared, node by node, with the step that
 * the prelude's rnn (tanh, relu), gru and lstm lower and optimise to at
 * the same sizes and level (a one-layer model run through the ordinary
 * front end, lowering and passes). A user's cell with the same equations
 * and parameters in the same order gets the operator too; any other cell
 * stays a Scan. The operators run far faster in ONNX Runtime than a Scan
 * body does, and rnnc import reads them back as the prelude's cells.
 * Their weights are the layer's, gates reordered to ONNX's order (PyTorch
 * i f g o -> ONNX i o f c; r z n -> z r h), the two directions of a
 * bidirectional layer stacked, the biases joined: W [dirs, gates*H, in],
 * R [dirs, gates*H, H], B [dirs, 2*gates*H]. */
#include "emit_onnx.h"
#include "frontend.h"
#include "onnx_cells.h"
#include "passes.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct OnnxCellOp {
    const char *call;   /* the prelude cell applied in the reference model */
    const char *op;     /* the ONNX operator */
    int gates;          /* blocks of H rows in the weights (onnx_gate_order gives their order) */
    const char *activation; /* RNN: its activation, when not ONNX's default Tanh */
};

static const OnnxCellOp ops[] = {
    {"lstm(x, hidden=%lld)", "LSTM", 4, NULL},
    {"gru(x, hidden=%lld)", "GRU", 3, NULL},
    {"rnn(x, hidden=%lld, nonlinearity=tanh)", "RNN", 1, NULL},
    {"rnn(x, hidden=%lld, nonlinearity=relu)", "RNN", 1, "Relu"},
};

static bool nodes_equal(const IrNode *a, const IrNode *b) {
    if (a->op != b->op || a->size != b->size || a->cols != b->cols || a->nargs != b->nargs || a->lo != b->lo ||
        a->value != b->value || ((a->op == IR_PARAM || a->op == IR_STATE) && a->index != b->index))
        return false;
    for (int i = 0; i < a->nargs; i++)
        if (a->args[i] != b->args[i])
            return false;
    return true;
}

/* The same computation: node for node, with the same inputs, states, parameters and results. */
static bool steps_equal(const IrStep *a, const IrStep *b) {
    if (a->nnodes != b->nnodes || a->in_size != b->in_size || a->nstates != b->nstates || a->output != b->output ||
        a->nparams != b->nparams)
        return false;
    for (int i = 0; i < a->nstates; i++)
        if (a->state_size[i] != b->state_size[i] || a->state_next[i] != b->state_next[i])
            return false;
    for (int k = 0; k < a->nnodes; k++)
        if (!nodes_equal(&a->nodes[k], &b->nodes[k]))
            return false;
    return true;
}

/* Whether s is what op's prelude cell becomes at s's sizes and level. */
static bool computes(const OnnxCellOp *op, const IrStep *s, int level) {
    long long in = s->in_size, hidden = s->state_size[0];
    char call[96], source[320];
    snprintf(call, sizeof call, op->call, hidden);
    snprintf(source, sizeof source,
             "model reference {\n input x : seq vector(%lld)\n target y : seq vector(%lld)\n h = %s\n"
             " loss mse(h, y)\n}\n", in, hidden, call);
    Frontend *f = calloc(1, sizeof *f);
    if (!f)
        die("out of memory");
    bool same = false;
    if (frontend_run(f, "<reference>", source, strlen(source))) {
        IrProgram *p = ir_lower(&f->arena, frontend_find_model(f, "reference"));
        opt_program(&f->arena, p, level, false, NULL);
        same = steps_equal(s, p->layers[0].step);
    }
    frontend_free(f);
    free(f);
    return same;
}

const OnnxCellOp *onnx_cell_op(const IrStep *s, int level) {
    if (s->nstates < 1 || s->state_size[0] < 1 || s->nparams != 4)
        return NULL;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (computes(&ops[i], s, level))
            return &ops[i];
    return NULL;
}

/* A layer's parameter j (weight_ih, weight_hh, bias_ih, bias_hh) in st. */
static const float *param(const IrProgram *p, const IrLayer *l, int j, const rt_safetensors *st) {
    return rt_st_find(st, p->params[l->params[j]].name)->data;
}

/* src's gates*H rows of width cols at dst in ONNX's block order (the
 * prelude's block b goes to block onnx_gate_order[b]); returns dst's end. */
static float *reordered(const OnnxCellOp *op, const float *src, int64_t H, int64_t cols, float *dst) {
    const int *order = onnx_gate_order(op->gates);
    for (int b = 0; b < op->gates; b++)
        memcpy(dst + (size_t)(order[b] * H * cols), src + (size_t)(b * H * cols), sizeof(float) * (size_t)(H * cols));
    return dst + (size_t)(op->gates * H * cols);
}

/* ONNX's W, R and B for the directions of one layer, as initializers
 * named PREFIX/W, PREFIX/R, PREFIX/B. */
static void weights(OwGraph *g, const OnnxCellOp *op, const IrProgram *p, const IrLayer *const *dir, int ndirs,
                    const rt_safetensors *st, const char *prefix, const char **names) {
    int64_t H = dir[0]->step->state_size[0], I = dir[0]->step->in_size, G = op->gates;
    float *W = arena_alloc(g->a, sizeof(float) * (size_t)(ndirs * G * H * I + 1));
    float *R = arena_alloc(g->a, sizeof(float) * (size_t)(ndirs * G * H * H + 1));
    float *B = arena_alloc(g->a, sizeof(float) * (size_t)(ndirs * 2 * G * H + 1));
    for (int d = 0; d < ndirs; d++) {
        reordered(op, param(p, dir[d], 0, st), H, I, W + d * G * H * I);
        reordered(op, param(p, dir[d], 1, st), H, H, R + d * G * H * H);
        float *b = reordered(op, param(p, dir[d], 2, st), H, 1, B + d * 2 * G * H);
        reordered(op, param(p, dir[d], 3, st), H, 1, b);
    }
    const char *suffix[] = {"W", "R", "B"};
    const float *data[] = {W, R, B};
    int64_t dims[3][3] = {{ndirs, G * H, I}, {ndirs, G * H, H}, {ndirs, 2 * G * H, 0}};
    for (int i = 0; i < 3; i++) {
        names[i] = arena_printf(g->a, "%s/%s", prefix, suffix[i]);
        ow_initializer(g, ow_tensor_float(g->a, names[i], i < 2 ? 3 : 2, dims[i], data[i]));
    }
}

Onnx__NodeProto *onnx_cell_op_node(OwGraph *g, const OnnxCellOp *op, const IrProgram *p, const IrLayer *const *dir,
                                   int ndirs, const rt_safetensors *st, const char *in, const char *out,
                                   const char *prefix) {
    const char *w[3];
    weights(g, op, p, dir, ndirs, st, prefix, w);
    /* layout 0, as ONNX Runtime requires: X [time, batch, in], Y [time, dirs, batch, H] */
    const char *X = arena_printf(g->a, "%s/X", prefix), *Y = arena_printf(g->a, "%s/Y", prefix);
    ow_attr_ints(g, ow_node(g, "Transpose", X, 1, &in), "perm", 3, (int64_t[]){1, 0, 2});
    Onnx__NodeProto *n = ow_node(g, op->op, Y, 4, (const char *[]){X, w[0], w[1], w[2]});
    ow_attr_int(g, n, "hidden_size", dir[0]->step->state_size[0]);
    ow_attr_string(g, n, "direction", ndirs == 2 ? "bidirectional" : "forward");
    if (op->gates == 3)
        ow_attr_int(g, n, "linear_before_reset", 1); /* PyTorch's GRU */
    if (op->activation)
        ow_attr_strings(g, n, "activations", ndirs, (const char *[]){op->activation, op->activation});
    const char *Yb = arena_printf(g->a, "%s/Y_batch_first", prefix);
    ow_attr_ints(g, ow_node(g, "Transpose", Yb, 1, &Y), "perm", 4, (int64_t[]){2, 0, 1, 3});
    const char *shape = ow_const_ints(g, arena_printf(g->a, "%s/shape", prefix), 3, (int64_t[]){0, 0, -1});
    ow_node(g, "Reshape", out, 2, (const char *[]){Yb, shape}); /* the directions side by side */
    return n;
}
