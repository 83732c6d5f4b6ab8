/* emit_onnx.c - a model as an ONNX file, opset 17 (emit --target onnx;
 * docs/onnx.md). The graph reads the model's input batch-first
 * ([batch, time, size] floats, or [batch, time] int64 token ids) and
 * writes one output, the loss's first argument, as the program's forward
 * does. The weights are initializers under the program's parameter names.
 * Layer by layer, from the optimised IR the other emitters read:
 *   embedding  Gather of the weight's rows
 *   cell       ONNX's RNN, GRU or LSTM where the step computes what it
 *              computes (emit_onnx_cells.c: decided from the IR), both
 *              directions in one node; else a Scan over axis 1 (reversed
 *              for a reverse layer), its body the cell's step
 *              (emit_onnx_step.c), its states starting at zeros [batch,
 *              size], the two directions joined by a Concat of the last
 *              axis
 *   linear     MatMul by the transposed weight, then Add of the bias
 *   activation the function's operator; dropout: nothing (inference)
 *   last       Gather of index -1 of the time axis
 * A layer's main node is named "/LAYER/OP", as PyTorch's exporter names
 * them. The file holds no rnnc source: it is the graph alone. The same model and
 * weights give the same bytes. */
#include "emit_onnx.h"
#include "onnx_write.h"
#include "output.h"
#include "util.h"
#include "weights.h"
#include <ctype.h>
#include <string.h>

typedef struct Exporter {
    Arena *a;
    const IrProgram *p;
    int level;                   /* the passes' level */
    const rt_safetensors *st;    /* the weights */
    OwGraph *g;
    const OnnxCellOp **cell_op;  /* per layer: ONNX's operator for a cell layer, or NULL (a Scan) */
    int *twin;                   /* per layer: its reverse direction's layer, -2 for that reverse layer, else -1 */
    bool *in_operator;           /* per parameter: a cell operator's weights hold it */
    const char **value;  /* per IR value: the ONNX name holding it, once computed */
    const char ***parts; /* per IR value: its writers' outputs, by layer */
    const char *batch;   /* [batch], read off the input */
} Exporter;

/* A name of letters, digits and _ from text ("h layer 1 reverse" -> "h_layer_1_reverse"). */
static const char *identifier(Arena *a, const char *text) {
    char *s = arena_strdup(a, text);
    for (char *c = s; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_')
            *c = '_';
    return s;
}

/* "/NAME/OP" after the model's layer (a cell layer's "/h/Scan_layer_1_reverse"),
 * the names exporters give and rnnc import reads back. */
static char *node_name(Exporter *x, const IrLayer *l, const char *op) {
    const char *space = strchr(l->label, ' ');
    if (!space)
        return arena_printf(x->a, "/%s/%s", l->label, op);
    return arena_printf(x->a, "/%.*s/%s_%s", (int)(space - l->label), l->label, op, identifier(x->a, space + 1));
}

static const char *value_name(Exporter *x, int v) {
    const IrValue *val = &x->p->values[v];
    return val->name ? arena_printf(x->a, "%s", val->name) : arena_printf(x->a, "/v%d", v);
}

static int value_rank(const IrValue *v) { return 1 + v->seq + !v->token; }

static OwDim *value_dims(Arena *a, const IrValue *v) {
    OwDim *d = arena_alloc(a, sizeof(OwDim) * 3);
    int r = 0;
    d[r++] = (OwDim){-1, "batch"};
    if (v->seq)
        d[r++] = (OwDim){-1, "time"};
    if (!v->token)
        d[r++] = (OwDim){v->size, NULL};
    return d;
}

static const char *batch_size(Exporter *x) {
    if (x->batch)
        return x->batch;
    const char *in = x->value[x->p->input], *shape = "/input_shape";
    ow_node(x->g, "Shape", shape, 1, &in);
    const char *args[] = {shape, ow_const_ints(x->g, "/zero", 1, (int64_t[]){0}),
                          ow_const_ints(x->g, "/one", 1, (int64_t[]){1})};
    ow_node(x->g, "Slice", "/batch", 3, args);
    return x->batch = "/batch";
}

/* zeros [batch, size], named name */
static const char *zeros(Exporter *x, const char *name, int size) {
    const char *dims = ow_const_ints(x->g, arena_printf(x->a, "%s/size", name), 1, (int64_t[]){size});
    const char *shape = arena_printf(x->a, "%s/shape", name);
    ow_attr_int(x->g, ow_node(x->g, "Concat", shape, 2, (const char *[]){batch_size(x), dims}), "axis", 0);
    Onnx__NodeProto *n = ow_node(x->g, "ConstantOfShape", name, 1, &shape);
    float zero = 0;
    ow_attr_tensor(x->g, n, "value", ow_tensor_float(x->a, name, 1, (int64_t[]){1}, &zero));
    return name;
}

static Onnx__NodeProto *cell(Exporter *x, const IrLayer *l, const char *out) {
    const IrStep *s = l->step;
    const char *prefix = identifier(x->a, l->label);
    int n = s->nstates;
    const char **in = arena_alloc(x->a, sizeof(char *) * (size_t)(n + 1));
    const char **outs = arena_alloc(x->a, sizeof(char *) * (size_t)(n + 1));
    const char **body_outs = arena_alloc(x->a, sizeof(char *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        in[i] = zeros(x, arena_printf(x->a, "%s/init/%s", prefix, s->state_names[i]), s->state_size[i]);
        outs[i] = arena_printf(x->a, "%s/last/%s", prefix, s->state_names[i]);
        body_outs[i] = arena_printf(x->a, "%s/next/%s", prefix, s->state_names[i]);
    }
    in[n] = x->value[l->in];
    outs[n] = out;
    Onnx__NodeProto *scan = ow_node_outs(x->g, "Scan", n + 1, in, n + 1, outs);
    ow_attr_graph(x->g, scan, "body", onnx_step_body(x->a, x->p, l, prefix, body_outs, arena_printf(x->a, "%s/output", prefix)));
    ow_attr_int(x->g, scan, "num_scan_inputs", 1);
    ow_attr_ints(x->g, scan, "scan_input_axes", 1, (int64_t[]){1});
    ow_attr_ints(x->g, scan, "scan_output_axes", 1, (int64_t[]){1});
    if (l->reverse) {
        ow_attr_ints(x->g, scan, "scan_input_directions", 1, (int64_t[]){1});
        ow_attr_ints(x->g, scan, "scan_output_directions", 1, (int64_t[]){1});
    }
    return scan;
}

static Onnx__NodeProto *linear(Exporter *x, const IrLayer *l, const char *out) {
    const char *W = x->p->params[l->params[0]].name, *b = x->p->params[l->params[1]].name;
    const char *Wt = arena_printf(x->a, "%s/W_T", out), *prod = arena_printf(x->a, "%s/product", out);
    ow_attr_ints(x->g, ow_node(x->g, "Transpose", Wt, 1, &W), "perm", 2, (int64_t[]){1, 0});
    Onnx__NodeProto *product = ow_node(x->g, "MatMul", prod, 2, (const char *[]){x->value[l->in], Wt});
    ow_node(x->g, "Add", out, 2, (const char *[]){prod, b});
    return product;
}

/* Layer li's output: the value's name, or (one of several writers) a part of it. */
static const char *layer_output(Exporter *x, int li, const IrLayer *l) {
    int writers = 0;
    for (int i = 0; i < x->p->nlayers; i++)
        writers += x->p->layers[i].out == l->out;
    return writers > 1 ? arena_printf(x->a, "%s/part%d", value_name(x, l->out), li) : value_name(x, l->out);
}

/* After layer li: when every writer of its value has run, join their
 * parts in the order of their columns. */
static void join_parts(Exporter *x, int li, const IrLayer *l, const char *part) {
    int writers = 0, done = 0;
    for (int i = 0; i < x->p->nlayers; i++)
        if (x->p->layers[i].out == l->out) {
            writers++;
            done += i <= li;
        }
    x->parts[l->out][li] = part;
    if (writers == 1) {
        x->value[l->out] = part;
        return;
    }
    if (done < writers)
        return;
    const char **in = arena_alloc(x->a, sizeof(char *) * (size_t)writers);
    int n = 0;
    for (int off = 0, w = 0; w < writers; w++) /* by offset: each writer's columns follow the last */
        for (int i = 0; i < x->p->nlayers; i++)
            if (x->p->layers[i].out == l->out && x->p->layers[i].offset == off) {
                in[n++] = x->parts[l->out][i];
                off += x->p->layers[i].step->nodes[x->p->layers[i].step->output].size;
                break;
            }
    if (n != writers)
        die("the layers writing value %d do not tile it", l->out);
    x->value[l->out] = value_name(x, l->out);
    ow_attr_int(x->g, ow_node(x->g, "Concat", x->value[l->out], n, in), "axis", -1);
}

/* Cell layer li as ONNX's operator: with its reverse twin, the whole value at once. */
static void cell_operator(Exporter *x, int li, const IrLayer *l) {
    if (x->twin[li] == -2) /* written with its forward direction */
        return;
    const IrLayer *dirs[2] = {l, x->twin[li] >= 0 ? &x->p->layers[x->twin[li]] : NULL};
    int ndirs = dirs[1] ? 2 : 1;
    const char *out = ndirs == 2 ? value_name(x, l->out) : layer_output(x, li, l);
    Onnx__NodeProto *node = onnx_cell_op_node(x->g, x->cell_op[li], x->p, dirs, ndirs, x->st, x->value[l->in], out,
                                              identifier(x->a, l->label));
    node->name = node_name(x, l, node->op_type);
    if (ndirs == 2)
        x->value[l->out] = out;
    else
        join_parts(x, li, l, out);
}

static void layer(Exporter *x, int li) {
    const IrLayer *l = &x->p->layers[li];
    if (l->kind == IRL_CELL && x->cell_op[li]) {
        cell_operator(x, li, l);
        return;
    }
    const char *out = layer_output(x, li, l), *in = x->value[l->in];
    Onnx__NodeProto *node = NULL;
    switch (l->kind) {
    case IRL_EMBED:
        node = ow_node(x->g, "Gather", out, 2, (const char *[]){x->p->params[l->params[0]].name, in});
        ow_attr_int(x->g, node, "axis", 0);
        break;
    case IRL_CELL:
        node = cell(x, l, out);
        break;
    case IRL_LINEAR:
        node = linear(x, l, out);
        break;
    case IRL_ACT:
        node = onnx_elementwise(x->g, l->act, out, 1, &in);
        break;
    case IRL_DROPOUT:
        out = in; /* the identity at inference */
        break;
    case IRL_LAST: {
        const char *index = arena_printf(x->a, "%s/index", out);
        int64_t minus1 = -1;
        ow_attr_tensor(x->g, ow_node(x->g, "Constant", index, 0, NULL), "value",
                       ow_tensor_int64(x->a, index, 0, NULL, &minus1));
        node = ow_node(x->g, "Gather", out, 2, (const char *[]){in, index});
        ow_attr_int(x->g, node, "axis", 1);
        break;
    }
    }
    if (node)
        node->name = node_name(x, l, node->op_type);
    join_parts(x, li, l, out);
}

static void initializers(Exporter *x, const rt_safetensors *st) {
    for (int i = 0; i < x->p->nparams; i++) {
        const IrParam *pi = &x->p->params[i];
        if (x->in_operator[i])
            continue;
        const rt_tensor *t = rt_st_find(st, pi->name);
        ow_initializer(x->g, ow_tensor_float(x->a, pi->name, pi->rank, pi->dims, t->data));
    }
}

/* Which cell layers become ONNX's operators: both directions of a layer or none. */
static void choose_operators(Exporter *x) {
    const IrProgram *p = x->p;
    x->cell_op = arena_alloc(x->a, sizeof(OnnxCellOp *) * (size_t)(p->nlayers + 1));
    x->twin = arena_alloc(x->a, sizeof(int) * (size_t)(p->nlayers + 1));
    x->in_operator = arena_alloc(x->a, sizeof(bool) * (size_t)(p->nparams + 1));
    for (int i = 0; i < p->nlayers; i++) {
        x->twin[i] = -1;
        if (p->layers[i].kind == IRL_CELL)
            x->cell_op[i] = onnx_cell_op(p->layers[i].step, x->level);
    }
    for (int r = 0; r < p->nlayers; r++) {
        const IrLayer *rev = &p->layers[r];
        if (rev->kind != IRL_CELL || !rev->reverse)
            continue;
        int f = -1;
        for (int i = 0; i < p->nlayers; i++)
            if (p->layers[i].kind == IRL_CELL && !p->layers[i].reverse && p->layers[i].in == rev->in &&
                p->layers[i].out == rev->out)
                f = i;
        if (f >= 0 && x->cell_op[f] && x->cell_op[f] == x->cell_op[r]) {
            x->twin[f] = r;
            x->twin[r] = -2;
        } else {
            x->cell_op[r] = NULL;
            if (f >= 0)
                x->cell_op[f] = NULL;
        }
    }
    for (int i = 0; i < p->nlayers; i++)
        for (int j = 0; x->cell_op[i] && j < p->layers[i].nparams; j++)
            x->in_operator[p->layers[i].params[j]] = true;
}

int onnx_emit(Arena *a, const IrProgram *p, int level, const char *weights, const char *path) {
    rt_safetensors st;
    if (weights_load(p, weights, &st))
        return 1;
    Exporter x = {.a = a, .p = p, .level = level, .st = &st, .g = ow_graph(a, identifier(a, p->name))};
    choose_operators(&x);
    x.value = arena_alloc(a, sizeof(char *) * (size_t)p->nvalues);
    x.parts = arena_alloc(a, sizeof(char **) * (size_t)p->nvalues);
    for (int v = 0; v < p->nvalues; v++)
        x.parts[v] = arena_alloc(a, sizeof(char *) * (size_t)(p->nlayers + 1));
    const IrValue *in = &p->values[p->input], *out = &p->values[p->output];
    x.value[p->input] = value_name(&x, p->input);
    ow_input(x.g, x.value[p->input], in->token ? OW_INT64 : OW_FLOAT, value_rank(in), value_dims(a, in));
    initializers(&x, &st);
    for (int i = 0; i < p->nlayers; i++)
        layer(&x, i);
    rt_st_free(&st);
    const char *result = value_name(&x, p->output);
    if (strcmp(x.value[p->output], result)) /* a dropout's output: the same tensor under the value's name */
        ow_node(x.g, "Identity", result, 1, &x.value[p->output]);
    ow_output(x.g, result, OW_FLOAT, value_rank(out), value_dims(a, out));
    size_t len;
    uint8_t *bytes = ow_pack_model(a, ow_finish(x.g), 17, "rnnc", RNNC_VERSION, &len);
    Output file;
    FILE *f = output_open(&file, path);
    if (!f)
        return 1;
    fwrite(bytes, 1, len, f);
    return output_close(&file);
}
