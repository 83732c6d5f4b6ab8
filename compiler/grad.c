/* grad.c - the reverse-mode engine: seeds the step's output and next
 * states with incoming adjoints, walks the forward DAG newest node first
 * (every user of a node comes after it), and for each node with adjoint
 * contributions sums them into one adjoint and applies its op's derivative
 * rule. Contributions to parts of a vector (from slices) that tile it are
 * joined with one concat, with zeros in any gap, instead of being padded
 * and added: the four gate slices of an LSTM become one gate gradient. */
#include "grad.h"
#include "util.h"
#include <string.h>

typedef struct Contrib {
    int node;   /* backward node */
    int lo;     /* first element covered; -1 for the whole vector */
    struct Contrib *next;
} Contrib;

struct GradCtx {
    Arena *a;
    const IrStep *f;
    IrStep *b;
    Contrib **contrib;   /* per forward node, in the order added */
    Contrib **tail;
    int *fwd_leaf;       /* per forward node: its FWD (or CONST) leaf, or -1 */
    int *param_leaf;     /* per forward node: its PARAM leaf, or -1 */
    PtrVec pgrads;
};

static GradRule *const rules[IR_NUM_OPS] = {
#define IR_OP(id, name, arity, kind, call, form, eval, grad, onnx) [IR_##id] = grad,
#include "ir_ops.def"
#undef IR_OP
};

const IrNode *grad_fnode(GradCtx *g, int k) { return &g->f->nodes[k]; }

int grad_node(GradCtx *g, IrOp op, int size, int a0, int a1) {
    IrNode n = {.op = op, .size = size, .nargs = ir_ops[op].arity, .index = -1};
    if (n.nargs > 0) {
        n.args = arena_alloc(g->a, sizeof(int) * 2);
        n.args[0] = a0;
        n.args[1] = a1;
    }
    return ir_add(g->a, g->b, n);
}

int grad_const(GradCtx *g, double value, int size) {
    IrNode n = {.op = IR_CONST, .size = size, .value = value};
    return ir_add(g->a, g->b, n);
}

int grad_slice_of(GradCtx *g, int node, int lo, int size) {
    int id = grad_node(g, IR_SLICE, size, node, 0);
    g->b->nodes[id].lo = lo;
    return id;
}

int grad_fwd(GradCtx *g, int k) {
    if (g->fwd_leaf[k] >= 0)
        return g->fwd_leaf[k];
    const IrNode *f = &g->f->nodes[k];
    if (f->op == IR_CONST)
        return g->fwd_leaf[k] = grad_const(g, f->value, f->size);
    IrNode n = {.op = IR_FWD, .size = f->size, .cols = f->cols, .index = k, .name = f->name};
    return g->fwd_leaf[k] = ir_add(g->a, g->b, n);
}

int grad_param(GradCtx *g, int k) {
    if (g->param_leaf[k] < 0) {
        IrNode n = g->f->nodes[k];
        n.args = NULL;
        g->param_leaf[k] = ir_add(g->a, g->b, n);
    }
    return g->param_leaf[k];
}

int grad_matrix(GradCtx *g, int k) {
    const IrNode *f = &g->f->nodes[k];
    if (f->op != IR_CONCAT)
        return grad_param(g, k);
    if (g->param_leaf[k] < 0) {
        int *args = arena_alloc(g->a, sizeof(int) * (size_t)f->nargs);
        for (int i = 0; i < f->nargs; i++)
            args[i] = grad_param(g, f->args[i]);
        IrNode n = {.op = IR_CONCAT, .size = f->size, .cols = f->cols, .args = args, .nargs = f->nargs};
        g->param_leaf[k] = ir_add(g->a, g->b, n);
    }
    return g->param_leaf[k];
}

static void push(GradCtx *g, int k, int lo, int node) {
    IrOp op = g->f->nodes[k].op;
    if (op == IR_CONST)
        return; /* a number literal has no adjoint */
    Contrib *c = arena_alloc(g->a, sizeof *c);
    *c = (Contrib){node, lo, NULL};
    if (g->tail[k])
        g->tail[k]->next = c;
    else
        g->contrib[k] = c;
    g->tail[k] = c;
}

void grad_accum(GradCtx *g, int k, int node) { push(g, k, -1, node); }
void grad_accum_slice(GradCtx *g, int k, int lo, int node) { push(g, k, lo, node); }

void grad_accum_param(GradCtx *g, int param, ParamGradKind kind, int gnode, int vnode) {
    IrParamGrad *p = arena_alloc(g->a, sizeof *p);
    *p = (IrParamGrad){param, kind, gnode, vnode, false};
    vec_push(g->a, &g->pgrads, p);
}

/* ---- summing contributions ---------------------------------------------- */

static int sum(GradCtx *g, int acc, int node, int size) {
    return acc < 0 ? node : grad_node(g, IR_ADD, size, acc, node);
}

/* Slices that tile without overlap: one concat, zeros in the gaps. */
static int join_slices(GradCtx *g, Contrib **parts, int n, int size) {
    IrNode cat = {.op = IR_CONCAT, .size = size, .args = arena_alloc(g->a, sizeof(int) * (size_t)(2 * n + 1))};
    int at = 0;
    for (int i = 0; i < n; i++) {
        if (parts[i]->lo > at)
            cat.args[cat.nargs++] = grad_const(g, 0, parts[i]->lo - at);
        cat.args[cat.nargs++] = parts[i]->node;
        at = parts[i]->lo + g->b->nodes[parts[i]->node].size;
    }
    if (at < size)
        cat.args[cat.nargs++] = grad_const(g, 0, size - at);
    return cat.nargs == 1 ? cat.args[0] : ir_add(g->a, g->b, cat);
}

static int pad(GradCtx *g, Contrib *c, int size) {
    int id = grad_node(g, IR_PAD, size, c->node, 0);
    g->b->nodes[id].lo = c->lo;
    return id;
}

/* The adjoint of forward node k: all its contributions summed, or -1. */
static int adjoint(GradCtx *g, int k) {
    int size = g->f->nodes[k].size, n = 0, acc = -1;
    for (Contrib *c = g->contrib[k]; c; c = c->next)
        n += c->lo >= 0;
    Contrib **parts = arena_alloc(g->a, sizeof(Contrib *) * (size_t)(n + 1));
    n = 0;
    for (Contrib *c = g->contrib[k]; c; c = c->next)
        if (c->lo >= 0) {
            /* a second piece over the same range adds into the first */
            int same = -1;
            for (int i = 0; i < n; i++)
                if (parts[i]->lo == c->lo && g->b->nodes[parts[i]->node].size == g->b->nodes[c->node].size)
                    same = i;
            if (same >= 0) {
                Contrib *merged = arena_alloc(g->a, sizeof *merged);
                *merged = (Contrib){sum(g, parts[same]->node, c->node, g->b->nodes[c->node].size), c->lo, NULL};
                parts[same] = merged;
            } else {
                int i = n++;
                while (i > 0 && parts[i - 1]->lo > c->lo) { /* keep sorted by lo */
                    parts[i] = parts[i - 1];
                    i--;
                }
                parts[i] = c;
            }
        }
    bool overlap = false;
    for (int i = 1; i < n; i++)
        overlap |= parts[i - 1]->lo + g->b->nodes[parts[i - 1]->node].size > parts[i]->lo;
    if (n && !overlap)
        acc = join_slices(g, parts, n, size);
    for (int i = 0; overlap && i < n; i++)
        acc = sum(g, acc, pad(g, parts[i], size), size);
    for (Contrib *c = g->contrib[k]; c; c = c->next)
        if (c->lo < 0)
            acc = sum(g, acc, c->node, size);
    return acc;
}

/* ---- the whole step ----------------------------------------------------- */

static int *filled(Arena *a, int n, int v) {
    int *p = arena_alloc(a, sizeof(int) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        p[i] = v;
    return p;
}

static void mark_taped(const IrStep *f, bool *taped, int k) {
    k = ir_viewed(f, k);
    IrKind kind = ir_ops[f->nodes[k].op].kind;
    if (kind != IRK_LEAF)
        taped[k] = true;
}

static void seed(GradCtx *g) {
    const IrStep *f = g->f;
    IrNode out = {.op = IR_ADJ_OUT, .size = f->nodes[f->output].size, .name = "output"};
    grad_accum(g, f->output, ir_add(g->a, g->b, out));
    for (int i = 0; i < f->nstates; i++) {
        IrNode st = {.op = IR_ADJ_STATE, .size = f->state_size[i], .index = i};
        grad_accum(g, f->state_next[i], ir_add(g->a, g->b, st));
    }
}

IrAdjoint *grad_step(Arena *a, const IrStep *f) {
    IrAdjoint *adj = arena_alloc(a, sizeof *adj);
    IrStep *b = arena_alloc(a, sizeof *b);
    b->cell = f->cell;
    b->in_size = f->in_size;
    b->nstates = f->nstates;
    b->state_size = f->state_size;
    b->nparams = f->nparams;
    GradCtx g = {a, f, b, arena_alloc(a, sizeof(Contrib *) * (size_t)(f->nnodes + 1)),
                 arena_alloc(a, sizeof(Contrib *) * (size_t)(f->nnodes + 1)), filled(a, f->nnodes, -1),
                 filled(a, f->nnodes, -1), {0}};
    seed(&g);
    adj->adjoint_of = filled(a, f->nnodes, -1);
    for (int k = f->nnodes - 1; k >= 0; k--)
        if (g.contrib[k] && ir_ops[f->nodes[k].op].kind != IRK_LEAF) {
            adj->adjoint_of[k] = adjoint(&g, k);
            rules[f->nodes[k].op](&g, k, adj->adjoint_of[k]);
        }
    adj->fwd = f;
    adj->bwd = b;
    adj->d_input = -1;
    adj->d_state = filled(a, f->nstates, -1);
    for (int k = 0; k < f->nnodes; k++) {
        const IrNode *n = &f->nodes[k];
        if (!g.contrib[k] || ir_ops[n->op].kind != IRK_LEAF)
            continue;
        int d = adj->adjoint_of[k] = adjoint(&g, k);
        if (n->op == IR_INPUT)
            adj->d_input = d;
        else if (n->op == IR_STATE)
            adj->d_state[n->index] = d;
        else if (n->op == IR_PARAM)
            grad_accum_param(&g, n->index, PGRAD_VEC, d, -1);
    }
    adj->pgrads = arena_alloc(a, sizeof(IrParamGrad) * (size_t)(g.pgrads.len + 1));
    for (int i = 0; i < g.pgrads.len; i++)
        adj->pgrads[i] = *(IrParamGrad *)g.pgrads.items[i];
    adj->npgrads = g.pgrads.len;
    adj->taped = arena_alloc(a, sizeof(bool) * (size_t)(f->nnodes + 1));
    b->output = -1;
    grad_retape(adj);
    return adj;
}

int grad_roots(const IrAdjoint *adj, bool want_input, int *roots) {
    int n = 0;
    if (want_input && adj->d_input >= 0)
        roots[n++] = adj->d_input;
    for (int i = 0; i < adj->fwd->nstates; i++)
        if (adj->d_state[i] >= 0)
            roots[n++] = adj->d_state[i];
    for (int i = 0; i < adj->npgrads; i++) {
        roots[n++] = adj->pgrads[i].g;
        if (adj->pgrads[i].kind == PGRAD_OUTER)
            roots[n++] = adj->pgrads[i].v;
    }
    return n;
}

void grad_retape(IrAdjoint *adj) {
    const IrStep *f = adj->fwd, *b = adj->bwd;
    memset(adj->taped, 0, sizeof(bool) * (size_t)f->nnodes);
    for (int i = 0; i < b->nnodes; i++)
        if (b->nodes[i].op == IR_FWD)
            mark_taped(f, adj->taped, b->nodes[i].index);
    adj->tape_floats = 0;
    for (int k = 0; k < f->nnodes; k++)
        adj->tape_floats += adj->taped[k] ? f->nodes[k].size : 0;
    for (int i = 0; i < f->nstates; i++)
        adj->tape_floats += f->state_size[i];
}

void grad_program(Arena *a, IrProgram *p) {
    for (int i = 0; i < p->nlayers; i++) {
        IrLayer *l = &p->layers[i];
        if (!l->step)
            continue;
        for (int j = 0; j < i && !l->adj; j++) /* layers sharing a step share its adjoint */
            if (p->layers[j].step == l->step)
                l->adj = p->layers[j].adj;
        if (!l->adj)
            l->adj = grad_step(a, l->step);
    }
}
