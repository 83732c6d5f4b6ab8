/* grad_rules.c - one derivative rule per IR op (named in ir_ops.def).
 * A rule sees forward node k, whose adjoint is backward node dy, and adds
 * the adjoints of k's operands. Rules reuse forward values where the
 * derivative is a function of the result: sigmoid' = y (1 - y),
 * tanh' = 1 - y^2, exp' = y, sqrt' = 1 / (2 y). A number literal operand
 * (CONST) has no adjoint and gets no work. */
#include "grad.h"

static int arg(GradCtx *g, int k, int i) { return grad_fnode(g, k)->args[i]; }
static bool is_const(GradCtx *g, int k) { return grad_fnode(g, k)->op == IR_CONST; }
static int size(GradCtx *g, int k) { return grad_fnode(g, k)->size; }

static int mul(GradCtx *g, int a, int b, int n) { return grad_node(g, IR_MUL, n, a, b); }

/* adjoint(operand i) += dy * factor, skipping constant operands */
static void add_scaled(GradCtx *g, int k, int i, int dy, int factor) {
    int a = arg(g, k, i);
    if (!is_const(g, a))
        grad_accum(g, a, factor < 0 ? dy : mul(g, dy, factor, size(g, k)));
}

void grad_leaf(GradCtx *g, int k, int dy) { (void)g, (void)k, (void)dy; }
void grad_zero(GradCtx *g, int k, int dy) { (void)g, (void)k, (void)dy; }

void grad_add(GradCtx *g, int k, int dy) {
    add_scaled(g, k, 0, dy, -1);
    add_scaled(g, k, 1, dy, -1);
}

void grad_sub(GradCtx *g, int k, int dy) {
    add_scaled(g, k, 0, dy, -1);
    if (!is_const(g, arg(g, k, 1)))
        grad_accum(g, arg(g, k, 1), grad_node(g, IR_NEG, size(g, k), dy, 0));
}

void grad_mul(GradCtx *g, int k, int dy) {
    int a = arg(g, k, 0), b = arg(g, k, 1);
    if (!is_const(g, a))
        grad_accum(g, a, mul(g, dy, grad_fwd(g, b), size(g, k)));
    if (!is_const(g, b))
        grad_accum(g, b, mul(g, dy, grad_fwd(g, a), size(g, k)));
}

/* y = a / b: da = dy / b, db = -dy * y / b */
void grad_div(GradCtx *g, int k, int dy) {
    int a = arg(g, k, 0), b = arg(g, k, 1), n = size(g, k);
    int over_b = grad_node(g, IR_DIV, n, dy, grad_fwd(g, b));
    if (!is_const(g, a))
        grad_accum(g, a, over_b);
    if (!is_const(g, b))
        grad_accum(g, b, grad_node(g, IR_NEG, n, mul(g, over_b, grad_fwd(g, k), n), 0));
}

void grad_neg(GradCtx *g, int k, int dy) { add_scaled(g, k, 0, grad_node(g, IR_NEG, size(g, k), dy, 0), -1); }

void grad_sigmoid(GradCtx *g, int k, int dy) {
    int n = size(g, k), y = grad_fwd(g, k);
    add_scaled(g, k, 0, dy, mul(g, y, grad_node(g, IR_SUB, n, grad_const(g, 1, n), y), n));
}

void grad_tanh(GradCtx *g, int k, int dy) {
    int n = size(g, k), y = grad_fwd(g, k);
    add_scaled(g, k, 0, dy, grad_node(g, IR_SUB, n, grad_const(g, 1, n), mul(g, y, y, n)));
}

void grad_relu(GradCtx *g, int k, int dy) {
    add_scaled(g, k, 0, dy, grad_node(g, IR_GT0, size(g, k), grad_fwd(g, arg(g, k, 0)), 0));
}

void grad_exp(GradCtx *g, int k, int dy) { add_scaled(g, k, 0, dy, grad_fwd(g, k)); }

void grad_log(GradCtx *g, int k, int dy) {
    int a = arg(g, k, 0);
    if (!is_const(g, a))
        grad_accum(g, a, grad_node(g, IR_DIV, size(g, k), dy, grad_fwd(g, a)));
}

void grad_softplus(GradCtx *g, int k, int dy) {
    add_scaled(g, k, 0, dy, grad_node(g, IR_SIGMOID, size(g, k), grad_fwd(g, arg(g, k, 0)), 0));
}

void grad_abs(GradCtx *g, int k, int dy) {
    add_scaled(g, k, 0, dy, grad_node(g, IR_SIGN, size(g, k), grad_fwd(g, arg(g, k, 0)), 0));
}

/* y = sqrt(a): da = dy / (2 y) */
void grad_sqrt(GradCtx *g, int k, int dy) {
    int a = arg(g, k, 0), n = size(g, k);
    if (!is_const(g, a))
        grad_accum(g, a, grad_node(g, IR_DIV, n, dy, mul(g, grad_const(g, 2, n), grad_fwd(g, k), n)));
}

/* y = min(a, b) or max(a, b): the operand chosen gets dy, and at a tie
 * each gets half (torch.minimum, torch.maximum): with s = sign(b - a) for
 * min (sign(a - b) for max), da = dy (1 + s) / 2, db = dy (1 - s) / 2. */
static void grad_choose(GradCtx *g, int k, int dy, bool max) {
    int a = arg(g, k, 0), b = arg(g, k, 1), n = size(g, k);
    int s = grad_node(g, IR_SIGN, n, grad_node(g, IR_SUB, n, grad_fwd(g, max ? a : b), grad_fwd(g, max ? b : a)), 0);
    int half = grad_const(g, 0.5, n), one = grad_const(g, 1, n);
    if (!is_const(g, a))
        grad_accum(g, a, mul(g, dy, mul(g, grad_node(g, IR_ADD, n, one, s), half, n), n));
    if (!is_const(g, b))
        grad_accum(g, b, mul(g, dy, mul(g, grad_node(g, IR_SUB, n, one, s), half, n), n));
}

void grad_min(GradCtx *g, int k, int dy) { grad_choose(g, k, dy, false); }
void grad_max(GradCtx *g, int k, int dy) { grad_choose(g, k, dy, true); }

/* y = hardsigmoid(a): da = dy / 6 where -3 < a < 3, else 0 */
void grad_hardsigmoid(GradCtx *g, int k, int dy) {
    int x = grad_fwd(g, arg(g, k, 0)), n = size(g, k), three = grad_const(g, 3, n);
    int inside = mul(g, grad_node(g, IR_GT0, n, grad_node(g, IR_SUB, n, three, x), 0),
                     grad_node(g, IR_GT0, n, grad_node(g, IR_ADD, n, x, three), 0), n);
    add_scaled(g, k, 0, grad_node(g, IR_DIV, n, mul(g, dy, inside, n), grad_const(g, 6, n)), -1);
}

/* y = a / (1 + |a|): da = dy / (1 + |a|)^2 */
void grad_softsign(GradCtx *g, int k, int dy) {
    int n = size(g, k);
    int d = grad_node(g, IR_ADD, n, grad_const(g, 1, n), grad_node(g, IR_ABS, n, grad_fwd(g, arg(g, k, 0)), 0));
    add_scaled(g, k, 0, grad_node(g, IR_DIV, n, dy, mul(g, d, d, n)), -1);
}

/* y = elu(a): da = dy where a > 0, else dy e^a = dy (y + 1), written as
 * m + (1 - m)(y + 1), m = (a > 0), which stays finite for a large a */
void grad_elu(GradCtx *g, int k, int dy) {
    int n = size(g, k), y = grad_fwd(g, k), one = grad_const(g, 1, n);
    int m = grad_node(g, IR_GT0, n, grad_fwd(g, arg(g, k, 0)), 0);
    int below = mul(g, grad_node(g, IR_SUB, n, one, m), grad_node(g, IR_ADD, n, y, one), n);
    add_scaled(g, k, 0, dy, grad_node(g, IR_ADD, n, m, below));
}

/* y = W @ v: dv = W^T dy, dW += dy v^T (summed over samples); W may be
 * parameters stacked by opt_fuse_matmul.c: each gets its rows of dy. */
void grad_matvec(GradCtx *g, int k, int dy) {
    int w = arg(g, k, 0), v = arg(g, k, 1);
    const IrNode *wn = grad_fnode(g, w);
    grad_accum(g, v, grad_node(g, IR_MATVEC_T, wn->cols, grad_matrix(g, w), dy));
    if (wn->op == IR_PARAM) {
        grad_accum_param(g, wn->index, PGRAD_OUTER, dy, grad_fwd(g, v));
        return;
    }
    for (int i = 0, lo = 0; i < wn->nargs; i++) {
        const IrNode *part = grad_fnode(g, wn->args[i]);
        grad_accum_param(g, part->index, PGRAD_OUTER, grad_slice_of(g, dy, lo, part->size), grad_fwd(g, v));
        lo += part->size;
    }
}

void grad_slice(GradCtx *g, int k, int dy) { grad_accum_slice(g, arg(g, k, 0), grad_fnode(g, k)->lo, dy); }

void grad_concat(GradCtx *g, int k, int dy) {
    const IrNode *n = grad_fnode(g, k);
    int at = 0;
    for (int i = 0; i < n->nargs; i++) {
        int part = n->args[i], len = grad_fnode(g, part)->size;
        grad_accum(g, part, grad_slice_of(g, dy, at, len));
        at += len;
    }
}
