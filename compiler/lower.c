/* lower.c - lower a checked model to the IR schedule. Each sema layer
 * becomes one or more IR layers over value buffers: a cell use with
 * layers=K and bidirectional=true becomes K x 2 time loops (the reverse one
 * writing the second half of each output), with a dropout layer between
 * stacked layers when dropout=p is given. Here, and only here, each layer's
 * parameters become entries of the IR's parameter table, named as the
 * PyTorch state_dict of the same network names them (h.weight_ih_l0,
 * h.weight_ih_l0_reverse, h.weight_ih_l1, ...), in its order. */
#include "ir.h"
#include "util.h"
#include <math.h>
#include <string.h>

typedef struct Lower {
    Arena *a;
    IrProgram *p;
    PtrVec values, layers, params; /* IrValue*, IrLayer*, IrParam* while building */
    const ModelInfo *m;
    int *value_of;         /* per model layer (sema's order): the value it produces */
} Lower;

/* The value a model layer produces (layers are lowered in order, so what a
 * layer reads is done). */
static int value_of(const Lower *L, const Layer *layer) {
    for (int i = 0; i < L->m->nlayers; i++)
        if (L->m->layers[i] == layer)
            return L->value_of[i];
    die("layer '%s' is not in the model", layer->name ? layer->name : "?");
}

static int new_value(Lower *L, bool seq, bool token, int64_t size, const char *name) {
    IrValue *v = arena_alloc(L->a, sizeof *v);
    *v = (IrValue){seq, token, (int)size, name};
    vec_push(L->a, &L->values, v);
    return L->values.len - 1;
}

static IrLayer *new_layer(Lower *L, IrLayerKind kind, int in, int out, const char *label) {
    IrLayer *l = arena_alloc(L->a, sizeof *l);
    *l = (IrLayer){.kind = kind, .in = in, .out = out, .label = label};
    vec_push(L->a, &L->layers, l);
    return l;
}

/* Room for an IR layer's n parameters, added in order by add_param. */
static void expect_params(Lower *L, IrLayer *l, int n) {
    l->params = arena_alloc(L->a, sizeof(int) * (size_t)(n + 1));
    l->nparams = 0;
}

static void add_param(Lower *L, IrLayer *l, const char *name, int rank, int64_t d0, int64_t d1, Init init) {
    IrParam *p = arena_alloc(L->a, sizeof *p);
    *p = (IrParam){name, rank, {d0, rank > 1 ? d1 : 0}, init};
    vec_push(L->a, &L->params, p);
    l->params[l->nparams++] = L->params.len - 1;
}

/* A cell's parameters for stacked layer k, direction d, at the sizes its
 * step was built with; an initialiser left to the default is PyTorch's
 * uniform(-1/sqrt(H), 1/sqrt(H)), H the size of the cell's first state. */
static void cell_params(Lower *L, IrLayer *l, const Layer *sl, const int64_t *sizes, int k, int d) {
    const CellInfo *c = sl->cell;
    double bound = 1.0 / sqrt((double)l->step->state_size[0]);
    expect_params(L, l, c->nparams);
    for (int i = 0; i < c->nparams; i++) {
        const Sym *sym = c->params[i];
        Init init = sym->init.kind == INIT_DEFAULT ? (Init){INIT_UNIFORM, -bound, bound} : sym->init;
        const char *name = arena_printf(L->a, "%s.%s_l%d%s", sl->name, sym->name, k, d ? "_reverse" : "");
        add_param(L, l, name, sym->shape.rank, sema_dim(sym->shape.dim[0], sizes),
                  sym->shape.rank > 1 ? sema_dim(sym->shape.dim[1], sizes) : 0, init);
    }
}

/* embedding: weight [vocab, dim] ~ normal(0, 1); linear: weight [out, in]
 * and bias [out] ~ uniform(-1/sqrt(in), 1/sqrt(in)), as PyTorch's. */
static void layer_params(Lower *L, IrLayer *l, const Layer *sl) {
    double bound = 1.0 / sqrt((double)sl->in);
    Init uniform = {INIT_UNIFORM, -bound, bound};
    if (sl->kind == LAYER_EMBEDDING) {
        expect_params(L, l, 1);
        add_param(L, l, arena_printf(L->a, "%s.weight", sl->name), 2, sl->in, sl->out, (Init){INIT_NORMAL, 0, 1});
    } else if (sl->kind == LAYER_LINEAR) {
        expect_params(L, l, 2);
        add_param(L, l, arena_printf(L->a, "%s.weight", sl->name), 2, sl->out, sl->in, uniform);
        add_param(L, l, arena_printf(L->a, "%s.bias", sl->name), 1, sl->out, 0, uniform);
    }
}

static IrOp act_op(const char *name) {
    int op = ir_function(name);
    if (op < 0 || ir_ops[op].arity != 1)
        die("no IR op for activation '%s'", name);
    return (IrOp)op;
}

/* K stacked layers of D directions; layer k reads layer k-1's output. */
static int lower_cell_layer(Lower *L, Layer *sl, int in) {
    CellInfo *c = sl->cell;
    int dirs = sl->bidirectional ? 2 : 1;
    int64_t *sizes = arena_alloc(L->a, sizeof(int64_t) * (size_t)(c->nsizes + 1));
    memcpy(sizes, sl->sizes, sizeof(int64_t) * (size_t)c->nsizes);
    IrStep *step = NULL;
    int width = -1;
    for (int k = 0; k < sl->nlayers; k++) {
        int in_width = ((IrValue *)L->values.items[in])->size;
        if (c->inferred >= 0)
            sizes[c->inferred] = in_width;
        if (in_width != width) { /* layers past the first share one step */
            step = ir_lower_cell(L->a, c, sizes);
            width = in_width;
        }
        int hidden = step->nodes[step->output].size;
        bool last = k == sl->nlayers - 1;
        int out = new_value(L, true, false, (int64_t)hidden * dirs, last ? sl->name : NULL);
        for (int d = 0; d < dirs; d++) {
            IrLayer *l = new_layer(L, IRL_CELL, in, out,
                                   arena_printf(L->a, "%s layer %d%s", sl->name, k, d ? " reverse" : ""));
            l->step = step;
            l->reverse = d == 1;
            l->offset = d * hidden;
            cell_params(L, l, sl, sizes, k, d);
        }
        in = out;
        if (!last && sl->dropout > 0) {
            int dropped = new_value(L, true, false, (int64_t)hidden * dirs, NULL);
            new_layer(L, IRL_DROPOUT, in, dropped, "dropout")->p = sl->dropout;
            in = dropped;
        }
    }
    return in;
}

/* An activation layer as a one-node step, so that it is differentiated by
 * the same rules as a cell. */
static IrStep *act_step(Arena *a, IrOp op, int size) {
    IrStep *s = arena_alloc(a, sizeof *s);
    s->cell = ir_ops[op].name;
    s->in_size = size;
    int x = ir_add(a, s, (IrNode){.op = IR_INPUT, .size = size});
    IrNode f = {.op = op, .size = size, .nargs = 1, .args = arena_alloc(a, sizeof(int))};
    f.args[0] = x;
    s->output = ir_add(a, s, f);
    return s;
}

static int lower_layer(Lower *L, Layer *sl) {
    int in = sl->arg ? value_of(L, sl->arg) : -1;
    ValType t = sl->type;
    switch (sl->kind) {
    case LAYER_INPUT:
        return new_value(L, t.seq, t.token, t.size, sl->name);
    case LAYER_TARGET:
        return -1;
    case LAYER_CELL:
        return lower_cell_layer(L, sl, in);
    default:
        break;
    }
    static const IrLayerKind kinds[] = {[LAYER_EMBEDDING] = IRL_EMBED, [LAYER_LINEAR] = IRL_LINEAR,
                                        [LAYER_LAST] = IRL_LAST, [LAYER_DROPOUT] = IRL_DROPOUT,
                                        [LAYER_ACTIVATION] = IRL_ACT};
    int out = new_value(L, t.seq, false, t.size, sl->name);
    IrLayer *l = new_layer(L, kinds[sl->kind], in, out, sl->name ? sl->name : sl->func ? sl->func : "");
    layer_params(L, l, sl);
    if (sl->kind == LAYER_ACTIVATION) {
        l->act = act_op(sl->func);
        l->step = act_step(L->a, l->act, (int)t.size);
    }
    if (sl->kind == LAYER_DROPOUT)
        l->p = sl->dropout;
    return out;
}

IrProgram *ir_lower(Arena *a, const ModelInfo *m) {
    IrProgram *p = arena_alloc(a, sizeof *p);
    p->name = m->name;
    p->loss = m->loss;
    p->train = m->train;
    p->target = (IrValue){m->target->type.seq, m->target->type.token, (int)m->target->type.size, m->target->name};
    Lower L = {a, p, {0}, {0}, {0}, m, arena_alloc(a, sizeof(int) * (size_t)(m->nlayers + 1))};
    for (int i = 0; i < m->nlayers; i++)
        L.value_of[i] = lower_layer(&L, m->layers[i]);
    p->input = value_of(&L, m->input);
    p->output = value_of(&L, m->loss_arg);
    p->nvalues = L.values.len;
    p->values = arena_alloc(a, sizeof(IrValue) * (size_t)(L.values.len + 1));
    for (int i = 0; i < L.values.len; i++)
        p->values[i] = *(IrValue *)L.values.items[i];
    p->nparams = L.params.len;
    p->params = arena_alloc(a, sizeof(IrParam) * (size_t)(L.params.len + 1));
    for (int i = 0; i < L.params.len; i++)
        p->params[i] = *(IrParam *)L.params.items[i];
    p->nlayers = L.layers.len;
    p->layers = arena_alloc(a, sizeof(IrLayer) * (size_t)(L.layers.len + 1));
    for (int i = 0; i < L.layers.len; i++)
        p->layers[i] = *(IrLayer *)L.layers.items[i];
    return p;
}
