/* lower.c - lower a checked model to the IR schedule. Each sema layer
 * becomes one or more IR layers over value buffers: a cell use with
 * layers=K and bidirectional=true becomes K x 2 time loops (the reverse one
 * writing the second half of each output), with a dropout layer between
 * stacked layers when dropout=p is given. */
#include "ir.h"
#include "util.h"
#include <string.h>

typedef struct Lower {
    Arena *a;
    IrProgram *p;
    PtrVec values, layers; /* IrValue*, IrLayer* while building */
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

static void take_params(Lower *L, IrLayer *l, ParamInfo **params, int n) {
    l->params = arena_alloc(L->a, sizeof(int) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        l->params[i] = params[i]->index;
    l->nparams = n;
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
            take_params(L, l, sema_cell_params(sl, k, d), c->nparams);
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
    take_params(L, l, sl->params, sl->nparams);
    if (sl->kind == LAYER_ACTIVATION) {
        l->act = act_op(sl->func);
        l->step = act_step(L->a, l->act, (int)t.size);
    }
    if (sl->kind == LAYER_DROPOUT)
        l->p = sl->dropout;
    return out;
}

/* The IR's parameter table, from the checked model's. */
static void copy_params(Arena *a, IrProgram *p, const ModelInfo *m) {
    p->nparams = m->nparams;
    p->params = arena_alloc(a, sizeof(IrParam) * (size_t)(m->nparams + 1));
    for (int i = 0; i < m->nparams; i++) {
        const ParamInfo *pi = m->params[i];
        p->params[i] = (IrParam){pi->name, pi->rank, {pi->dims[0], pi->rank > 1 ? pi->dims[1] : 0}, pi->init};
    }
}

IrProgram *ir_lower(Arena *a, const ModelInfo *m) {
    IrProgram *p = arena_alloc(a, sizeof *p);
    p->name = m->name;
    copy_params(a, p, m);
    p->loss = m->loss;
    p->train = m->train;
    p->target = (IrValue){m->target->type.seq, m->target->type.token, (int)m->target->type.size, m->target->name};
    Lower L = {a, p, {0}, {0}, m, arena_alloc(a, sizeof(int) * (size_t)(m->nlayers + 1))};
    for (int i = 0; i < m->nlayers; i++)
        L.value_of[i] = lower_layer(&L, m->layers[i]);
    p->input = value_of(&L, m->input);
    p->output = value_of(&L, m->loss_arg);
    p->nvalues = L.values.len;
    p->values = arena_alloc(a, sizeof(IrValue) * (size_t)(L.values.len + 1));
    for (int i = 0; i < L.values.len; i++)
        p->values[i] = *(IrValue *)L.values.items[i];
    p->nlayers = L.layers.len;
    p->layers = arena_alloc(a, sizeof(IrLayer) * (size_t)(L.layers.len + 1));
    for (int i = 0; i < L.layers.len; i++)
        p->layers[i] = *(IrLayer *)L.layers.items[i];
    return p;
}
