/* onnx_model.c - an ONNX graph walked node by node (ONNX keeps nodes in
 * topological order), each value given a meaning:
 *   a constant (an initializer or a Constant node's tensor);
 *   a shape: computed from shapes only (Shape, and Gather, Unsqueeze,
 *     Concat ... of shapes and constants), whatever the data;
 *   zeros: of a shape (ConstantOfShape, and Slice, Expand ... of zeros):
 *     the initial states torch.onnx.export writes;
 *   a sequence: an rnnc value, seen through a view: the order of its axes
 *     (B batch, T time, F features; a recurrent node's raw output has D
 *     directions and H hidden units) and whether its time axis has been
 *     cut to the last step;
 *   a vector: an rnnc value of one per sequence;
 *   a recurrent node's final states (Y_h);
 *   a reverse Scan's output, waiting for the Concat with the forward
 *     Scan of the same cell and input that makes them one bidirectional
 *     layer.
 * Nodes that only move axes (Transpose, Squeeze, Reshape of D and H
 * together), Dropout and Identity change the view; RNN, GRU and LSTM
 * (onnx_cells.c), a Scan whose body is a cell step (onnx_scan.c), an embedding's Gather, MatMul and Gemm with their bias
 * Add, elementwise activations and the last step (Gather or Slice of the
 * time axis at -1) add layers; a final Softmax or LogSoftmax is left out
 * (the model outputs logits). The first node that fits none of these is
 * the error. */
#include "onnx_model.h"
#include "ir.h"
#include "onnx_scan.h"
#include "strmap.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum { V_CONST, V_SHAPE, V_ZEROS, V_SEQ, V_VEC, V_STATE, V_REVERSE } VKind;

typedef struct ScanLayer {        /* a Scan read as a cell layer */
    OnnxScan cell;                /* its body (a reverse Scan's parameters copied into the arena) */
    const char *input;            /* the rnnc value it reads */
    const char *output;           /* the ONNX value of its sequence output */
    int layer;                    /* its layer, or -1 for a reverse Scan (no layer of its own) */
    bool joined;                  /* a reverse Scan: made one layer with its forward twin */
} ScanLayer;

typedef struct Val {
    VKind kind;
    const Onnx__TensorProto *t;   /* V_CONST */
    const char *layer;            /* V_SEQ, V_VEC, V_STATE: the rnnc value */
    char axes[6];                 /* V_SEQ: "BTF", "TBF", "TDBH", "BTDH", "TBDH", ... */
    int64_t width;                /* F; with D and H axes, H */
    int dirs;
    bool token, last;             /* ids, not vectors; the time axis cut to its last step */
    int linear;                   /* a linear layer's index whose bias an Add may set, or -1 */
    ScanLayer *scan;              /* a Scan's output (V_SEQ, or V_REVERSE: a Scan running backwards) */
} Val;

typedef struct Walk {
    Arena *a;
    const Onnx__GraphProto *g;
    OnnxModel *m;
    OnnxWeights *w;
    StrMap vals;                  /* value name -> Val* */
    StrMap names;                 /* layer names taken */
    StrMap uses;                  /* value name -> how many node inputs and graph outputs read it (intptr_t) */
    float **bias;                 /* per layer: a linear's bias data, or NULL */
    ArenaText cells;              /* the user cells' source */
    int ncells;
    char *err;
    size_t err_len;
} Walk;

static Val *val(Walk *k, VKind kind) {
    Val *v = arena_alloc(k->a, sizeof *v);
    v->kind = kind;
    v->linear = -1;
    return v;
}

static Val *get(Walk *k, const Onnx__NodeProto *n, size_t i) {
    return i < n->n_input && n->input[i] && *n->input[i] ? strmap_get(&k->vals, n->input[i]) : NULL;
}

static void set(Walk *k, const Onnx__NodeProto *n, size_t i, Val *v) {
    if (i < n->n_output && n->output[i] && *n->output[i])
        strmap_put(k->a, &k->vals, n->output[i], v);
}

/* ---- constants ------------------------------------------------------------- */

/* A constant's integers (axes, perm, indices); NULL if not a small integer tensor. */
static int64_t *ints_of(Walk *k, const Val *v, size_t *n) {
    if (!v || v->kind != V_CONST)
        return NULL;
    size_t count;
    float *f = onnx_floats(v->t, &count);
    if (!f || count > 16) {
        free(f);
        return NULL;
    }
    int64_t *out = arena_alloc(k->a, sizeof(int64_t) * (count + 1));
    const Onnx__TensorProto *t = v->t;
    bool raw64 = t->has_raw_data && t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    for (size_t i = 0; i < count; i++) { /* int64 data exactly, not through float */
        if (raw64)
            memcpy(&out[i], t->raw_data.data + 8 * i, 8);
        else if (i < t->n_int64_data)
            out[i] = t->int64_data[i];
        else if (f[i] == floorf(f[i]) && fabsf(f[i]) <= 1e9f)
            out[i] = (int64_t)f[i];
        else { /* NaN, a fraction or out of range: not an index */
            free(f);
            return NULL;
        }
    }
    free(f);
    *n = count;
    return out;
}

/* An attribute's integers, or a constant input's (opset 13 moved axes to inputs). */
static int64_t *axes_of(Walk *k, const Onnx__NodeProto *n, const char *attr, size_t input, size_t *count) {
    const Onnx__AttributeProto *at = onnx_attr(n, attr);
    if (at && at->n_ints) {
        *count = at->n_ints;
        return at->ints;
    }
    return ints_of(k, get(k, n, input), count);
}

static bool is_zero_const(const Val *v) {
    if (!v || v->kind != V_CONST)
        return false;
    size_t n;
    float *f = onnx_floats(v->t, &n);
    bool zero = f != NULL;
    for (size_t i = 0; zero && i < n; i++)
        zero = f[i] == 0;
    free(f);
    return zero;
}

/* ---- layers ---------------------------------------------------------------- */

static int fail(Walk *k, const Onnx__NodeProto *n, const char *why) {
    snprintf(k->err, k->err_len, "node '%s' (%s): %s", onnx_printable(k->a, n->name), onnx_printable(k->a, n->op_type),
             why);
    return -1;
}

bool onnx_is_identifier(const char *s) {
    if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

bool onnx_reserved(const char *word) {
    static const char *const words[] = {/* grammar/lexer.l's keywords */
                                        "cell", "model", "input", "target", "state", "param", "output", "loss",
                                        "train", "seq", "token", "vector", "true", "false", NULL};
    for (int i = 0; words[i]; i++)
        if (!strcmp(word, words[i]))
            return true;
    return false;
}

/* A layer name from the exporter's node name ("/out/MatMul" -> "out"),
 * else l1, l2, ...; each used once. */
static const char *new_name(Walk *k, const Onnx__NodeProto *n) {
    const char *s = n->name, *base = NULL;
    if (s && s[0] == '/') {
        const char *end = strchr(s + 1, '/');
        size_t len = end ? (size_t)(end - s - 1) : 0;
        if (len > 0 && len < 48)
            base = arena_printf(k->a, "%.*s", (int)len, s + 1);
        if (base && !onnx_is_identifier(base))
            base = NULL;
    }
    if (base && (onnx_reserved(base) || !strcmp(base, "x") || !strcmp(base, "y"))) /* x, y: input and target */
        base = NULL;
    const char *name = base;
    for (int i = 2; !name || strmap_get(&k->names, name); i++)
        name = base ? arena_printf(k->a, "%s_%d", base, i) : arena_printf(k->a, "l%d", i - 1);
    strmap_put(k->a, &k->names, name, (void *)name);
    return name;
}

/* "NAME (OP)" of node n, for the comment on its layer. */
static const char *origin(Walk *k, const Onnx__NodeProto *n) {
    return arena_printf(k->a, "%s (%s)", onnx_printable(k->a, n->name), onnx_printable(k->a, n->op_type));
}

static int add_layer(Walk *k, const char *name, const char *expr, const char *comment) {
    OnnxModel *m = k->m;
    if (m->nlayers == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        OnnxLayer *more = arena_alloc(k->a, sizeof *more * (size_t)m->cap);
        float **bias = arena_alloc(k->a, sizeof *bias * (size_t)m->cap);
        if (m->nlayers) {
            memcpy(more, m->layers, sizeof *more * (size_t)m->nlayers);
            memcpy(bias, k->bias, sizeof *bias * (size_t)m->nlayers);
        }
        m->layers = more;
        k->bias = bias;
    }
    m->layers[m->nlayers] = (OnnxLayer){name, expr, comment};
    k->bias[m->nlayers] = NULL;
    return m->nlayers++;
}

/* A sequence or vector of width f named layer, in the view of from. */
static Val *like(Walk *k, const Val *from, const char *layer, int64_t f) {
    Val *v = val(k, from->kind);
    *v = *from;
    v->layer = layer;
    v->width = f;
    v->token = false;
    v->linear = -1;
    v->scan = NULL;
    return v;
}

/* Per-step (or per-sequence) values a layer may read: F last, no D or H. */
static bool plain(const Val *v) {
    return v && (v->kind == V_VEC || (v->kind == V_SEQ && !v->last && !strchr(v->axes, 'D') && !strchr(v->axes, 'H')));
}

/* A `last` layer over the rnnc value of, for node n: a vector of width. */
static Val *last_layer(Walk *k, const Onnx__NodeProto *n, const char *of, int64_t width) {
    const char *name = new_name(k, n);
    add_layer(k, name, arena_printf(k->a, "last(%s)", of), origin(k, n));
    Val *v = val(k, V_VEC);
    v->layer = name;
    v->width = width;
    return v;
}

/* ---- nodes ----------------------------------------------------------------- */

static int recurrent(Walk *k, const Onnx__NodeProto *n) {
    Val *x = get(k, n, 0);
    int64_t layout = onnx_attr_int(n, "layout", 0);
    if (layout != 0 && layout != 1)
        return fail(k, n, arena_printf(k->a, "has layout %lld; ONNX defines 0 and 1", (long long)layout));
    if (!x || x->kind != V_SEQ || x->token || x->last || strcmp(x->axes, layout ? "BTF" : "TBF"))
        return fail(k, n, layout ? "its input X is not a sequence laid out [batch, time, features]"
                                 : "its input X is not a sequence laid out [time, batch, features]");
    for (size_t i = 5; i <= 6; i++) { /* initial_h, initial_c */
        Val *s = get(k, n, i);
        if (s && s->kind != V_ZEROS && !is_zero_const(s))
            return fail(k, n, arena_printf(k->a, "starts from initial states '%s'; rnnc's states start at zero",
                                           onnx_printable(k->a, n->input[i])));
    }
    const char *name = new_name(k, n);
    OnnxCell c;
    if (onnx_cell(k->a, k->g, n, x->layer, name, ++k->ncells, &c, k->w, k->err, k->err_len))
        return fail(k, n, arena_strdup(k->a, k->err));
    if (c.in != x->width)
        return fail(k, n, arena_printf(k->a, "has W for inputs of %lld features, but X has %lld", (long long)c.in,
                                       (long long)x->width));
    if (c.lengths) {
        if (!onnx_is_graph_input(k->g, c.lengths))
            return fail(k, n, "its sequence_lens is not a graph input (rnnc takes lengths with the data, --lengths)");
        if (k->m->lengths && strcmp(k->m->lengths, c.lengths))
            return fail(k, n, "its sequence_lens is another input than an earlier node's");
        k->m->lengths = c.lengths;
    }
    if (c.cell_source)
        text_append(k->a, &k->cells, "%s\n", c.cell_source);
    add_layer(k, name, c.layer_call, origin(k, n));
    Val *y = val(k, V_SEQ);
    y->layer = name;
    strcpy(y->axes, layout ? "BTDH" : "TDBH");
    y->width = c.hidden;
    y->dirs = (int)c.dirs;
    set(k, n, 0, y);
    Val *yh = val(k, V_STATE);
    yh->layer = name;
    yh->width = c.hidden;
    yh->dirs = (int)c.dirs;
    set(k, n, 1, yh);
    return 0;
}

/* A constant matrix's transpose (a linear layer's weight as rnnc writes it). */
static int transpose_constant(Walk *k, const Onnx__NodeProto *n, Val *v) {
    const Onnx__TensorProto *t = v->t;
    const Onnx__AttributeProto *p = onnx_attr(n, "perm");
    size_t count;
    if (t->n_dims != 2 || (p && (p->n_ints != 2 || p->ints[0] != 1 || p->ints[1] != 0)))
        return fail(k, n, "transposes a constant other than a matrix");
    float *f = onnx_floats(t, &count);
    if (!f)
        return fail(k, n, "transposes a matrix rnnc cannot read");
    Onnx__TensorProto *tt = arena_alloc(k->a, sizeof *tt);
    *tt = (Onnx__TensorProto)ONNX__TENSOR_PROTO__INIT;
    tt->n_dims = 2;
    tt->dims = arena_alloc(k->a, sizeof(int64_t) * 2);
    tt->dims[0] = t->dims[1];
    tt->dims[1] = t->dims[0];
    tt->has_data_type = 1;
    tt->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->n_float_data = count;
    tt->float_data = arena_alloc(k->a, sizeof(float) * (count + 1));
    for (int64_t i = 0; i < t->dims[0]; i++)
        for (int64_t j = 0; j < t->dims[1]; j++)
            tt->float_data[j * t->dims[0] + i] = f[i * t->dims[1] + j];
    free(f);
    Val *c = val(k, V_CONST);
    c->t = tt;
    return set(k, n, 0, c), 0;
}

static int transpose(Walk *k, const Onnx__NodeProto *n, Val *v) {
    const Onnx__AttributeProto *p = onnx_attr(n, "perm");
    if (v->kind == V_ZEROS || v->kind == V_SHAPE)
        return set(k, n, 0, v), 0;
    if (v->kind == V_CONST)
        return transpose_constant(k, n, v);
    int rank = (int)strlen(v->axes);
    if (v->kind != V_SEQ || !p || (int)p->n_ints != rank)
        return fail(k, n, "transposes something other than a sequence");
    Val *t = val(k, V_SEQ);
    *t = *v;
    int seen = 0; /* a bit per axis */
    for (int i = 0; i < rank; i++) {
        if (p->ints[i] < 0 || p->ints[i] >= rank || (seen & 1 << p->ints[i]))
            return fail(k, n, "has a perm that is not a permutation of the axes");
        seen |= 1 << p->ints[i];
        t->axes[i] = v->axes[p->ints[i]];
    }
    return set(k, n, 0, t), 0;
}

static int squeeze(Walk *k, const Onnx__NodeProto *n, Val *v) {
    size_t count = 0;
    int64_t *axes = axes_of(k, n, "axes", 1, &count);
    if (v->kind == V_ZEROS || v->kind == V_SHAPE)
        return set(k, n, 0, v), 0;
    if (v->kind == V_STATE && v->dirs == 1 && count == 1 && axes[0] == 0) /* Y_h [1, B, H]: the last step's output */
        return set(k, n, 0, last_layer(k, n, v->layer, v->width)), 0;
    if (v->kind != V_SEQ || count != 1)
        return fail(k, n, "squeezes something other than one axis of a sequence");
    int rank = (int)strlen(v->axes);
    int64_t axis_at = axes[0] < 0 ? axes[0] + rank : axes[0];
    if (axis_at < 0 || axis_at >= rank)
        return fail(k, n, "squeezes an axis out of range");
    int at = (int)axis_at;
    char axis = v->axes[at];
    Val *s = val(k, V_SEQ);
    *s = *v;
    memmove(s->axes + at, s->axes + at + 1, strlen(s->axes + at));
    char *h = strchr(s->axes, 'H');
    if (axis == 'D' && v->dirs == 1 && h) {
        *h = 'F';
    } else if (axis == 'T' && v->last) {
        return set(k, n, 0, last_layer(k, n, v->layer, v->width)), 0;
    } else {
        return fail(k, n, "squeezes an axis that is not of size 1 (directions of a bidirectional layer, or time)");
    }
    return set(k, n, 0, s), 0;
}

static int reshape(Walk *k, const Onnx__NodeProto *n, Val *v) {
    if (v->kind == V_ZEROS || v->kind == V_SHAPE)
        return set(k, n, 0, v), 0;
    size_t count = 0;
    int64_t *shape = ints_of(k, get(k, n, 1), &count);
    const char *dh = v->kind == V_SEQ ? strstr(v->axes, "DH") : NULL;
    if (!dh || dh[2] || strlen(v->axes) != 4 || (shape && count != 3))
        return fail(k, n, "reshapes other than directions and hidden units (the last two axes) into features");
    Val *r = val(k, V_SEQ);
    *r = *v;
    int at = (int)(dh - v->axes);
    r->axes[at] = 'F';
    r->axes[at + 1] = 0;
    r->width = v->width * v->dirs;
    return set(k, n, 0, r), 0;
}

/* Gather: an embedding (a constant matrix indexed by token ids), the last
 * step (index -1 of the time axis), or shapes. */
static int gather(Walk *k, const Onnx__NodeProto *n, Val *data, Val *index) {
    if (data->kind == V_SHAPE || (data->kind == V_CONST && index && index->kind != V_SEQ))
        return set(k, n, 0, val(k, V_SHAPE)), 0;
    if (data->kind == V_CONST && index && index->kind == V_SEQ && index->token) {
        const Onnx__TensorProto *t = data->t;
        if (t->n_dims != 2 || t->dims[0] < 1 || t->dims[1] < 1)
            return fail(k, n, "indexes a constant that is not a matrix with rows and columns");
        const char *name = new_name(k, n);
        size_t cnt;
        float *wgt = onnx_floats(t, &cnt);
        if (!wgt)
            return fail(k, n, "has an embedding matrix rnnc cannot read");
        onnx_weights_add(k->w, arena_printf(k->a, "%s.weight", name), t->dims[0], t->dims[1], wgt);
        add_layer(k, name, arena_printf(k->a, "embedding(%s, dim=%lld)", index->layer, (long long)t->dims[1]), origin(k, n));
        if (index->width != t->dims[0] && k->m->input_token && !strcmp(index->layer, "x"))
            k->m->input_size = t->dims[0]; /* the vocabulary is the matrix's */
        Val *e = val(k, V_SEQ);
        e->layer = name;
        strcpy(e->axes, index->axes);
        strcat(e->axes, "F");
        e->width = t->dims[1];
        return set(k, n, 0, e), 0;
    }
    size_t count = 0;
    int64_t *at = ints_of(k, index, &count);
    int64_t axis = onnx_attr_int(n, "axis", 0);
    if (plain(data) && data->kind == V_SEQ && at && count == 1 && at[0] == -1 && axis >= 0 &&
        axis < (int64_t)strlen(data->axes) && data->axes[axis] == 'T')
        return set(k, n, 0, last_layer(k, n, data->layer, data->width)), 0;
    return fail(k, n, "gathers other than an embedding's rows or a sequence's last step");
}

static int slice(Walk *k, const Onnx__NodeProto *n, Val *v) {
    if (v->kind == V_ZEROS || v->kind == V_SHAPE || v->kind == V_CONST)
        return set(k, n, 0, val(k, v->kind == V_ZEROS ? V_ZEROS : V_SHAPE)), 0;
    size_t ns = 0, na = 0;
    int64_t *starts = ints_of(k, get(k, n, 1), &ns), *axes = ints_of(k, get(k, n, 3), &na);
    if (plain(v) && v->kind == V_SEQ && starts && axes && ns == 1 && na == 1 && starts[0] == -1 && axes[0] >= 0 &&
        axes[0] < (int64_t)strlen(v->axes) && v->axes[axes[0]] == 'T') {
        Val *s = val(k, V_SEQ);
        *s = *v;
        s->last = true;
        return set(k, n, 0, s), 0;
    }
    return fail(k, n, "slices other than a sequence's last step");
}

/* MatMul by a constant [F, N], or Gemm: a linear layer (its bias from Gemm's C or a later Add). */
static int linear(Walk *k, const Onnx__NodeProto *n, Val *x, Val *wv, bool gemm) {
    if (!plain(x) || x->token || !wv || wv->kind != V_CONST || wv->t->n_dims != 2 || wv->t->dims[0] < 1 ||
        wv->t->dims[1] < 1)
        return fail(k, n, "multiplies other than a sequence or vector of features by a constant matrix");
    bool trans = gemm && onnx_attr_int(n, "transB", 0);
    if (gemm && (onnx_attr_int(n, "transA", 0) || onnx_attr_float(n, "alpha", 1) != 1 || onnx_attr_float(n, "beta", 1) != 1))
        return fail(k, n, "has transA, alpha or beta other than PyTorch's");
    int64_t in = trans ? wv->t->dims[1] : wv->t->dims[0], out = trans ? wv->t->dims[0] : wv->t->dims[1];
    if (in != x->width)
        return fail(k, n, "multiplies a value of another width than the matrix's rows");
    size_t cnt;
    float *w = onnx_floats(wv->t, &cnt), *wt = calloc((size_t)(in * out + 1), sizeof(float));
    float *bias = calloc((size_t)(out + 1), sizeof(float)); /* zeros, unless an Add or Gemm's C gives it */
    if (!w || !wt || !bias) {
        free(w), free(wt), free(bias);
        return fail(k, n, "has a matrix rnnc cannot read");
    }
    for (int64_t i = 0; i < in; i++) /* rnnc's weight is [out, in] */
        for (int64_t o = 0; o < out; o++)
            wt[o * in + i] = trans ? w[o * in + i] : w[i * out + o];
    free(w);
    const char *name = new_name(k, n);
    onnx_weights_add(k->w, arena_printf(k->a, "%s.weight", name), out, in, wt);
    onnx_weights_add(k->w, arena_printf(k->a, "%s.bias", name), out, 0, bias);
    int index = add_layer(k, name, arena_printf(k->a, "linear(%s, %lld)", x->layer, (long long)out), origin(k, n));
    k->bias[index] = bias;
    Val *c = gemm ? get(k, n, 2) : NULL;
    if (c) {
        size_t bn;
        float *b = c->kind == V_CONST ? onnx_floats(c->t, &bn) : NULL;
        if (!b || (int64_t)bn != out) {
            free(b);
            return fail(k, n, "has a bias that is not a constant of the output's width");
        }
        memcpy(bias, b, sizeof(float) * (size_t)out);
        free(b);
        k->bias[index] = NULL;
    }
    Val *y = like(k, x, name, out);
    y->linear = gemm ? -1 : index;
    return set(k, n, 0, y), 0;
}

static intptr_t uses_of(const Walk *k, const char *value) { return (intptr_t)strmap_get(&k->uses, value); }

static void count_uses(Walk *k) {
    for (size_t i = 0; i < k->g->n_node; i++)
        for (size_t j = 0; j < k->g->node[i]->n_input; j++)
            strmap_put(k->a, &k->uses, k->g->node[i]->input[j], (void *)(uses_of(k, k->g->node[i]->input[j]) + 1));
    for (size_t i = 0; i < k->g->n_output; i++)
        strmap_put(k->a, &k->uses, k->g->output[i]->name, (void *)(uses_of(k, k->g->output[i]->name) + 1));
}

/* Add: a MatMul's bias (when nothing else reads the product), or shapes. */
static int add(Walk *k, const Onnx__NodeProto *n, Val *a, Val *b) {
    if ((a->kind == V_SHAPE || a->kind == V_CONST) && (b->kind == V_SHAPE || b->kind == V_CONST))
        return set(k, n, 0, val(k, V_SHAPE)), 0;
    Val *x = a->kind == V_CONST ? b : a, *c = a->kind == V_CONST ? a : b;
    const char *product = n->input[a->kind == V_CONST ? 1 : 0];
    if (c->kind != V_CONST || x->linear < 0 || !k->bias[x->linear] || uses_of(k, product) != 1)
        return fail(k, n, "adds other than a bias to a linear layer's product that nothing else reads");
    size_t bn;
    float *v = onnx_floats(c->t, &bn);
    if (!v || (int64_t)bn != x->width) {
        free(v);
        return fail(k, n, "adds a bias of another width than the product's");
    }
    memcpy(k->bias[x->linear], v, sizeof(float) * bn);
    free(v);
    k->bias[x->linear] = NULL;
    Val *y = val(k, x->kind);
    *y = *x;
    y->linear = -1;
    return set(k, n, 0, y), 0;
}

static int activation(Walk *k, const Onnx__NodeProto *n, Val *x, const char *func) {
    if (!plain(x) || x->token)
        return fail(k, n, "applies an activation to other than a sequence or vector of features (a recurrent node's Y keeps its directions apart)");
    const char *name = new_name(k, n);
    add_layer(k, name, arena_printf(k->a, "%s(%s)", func, x->layer), origin(k, n));
    return set(k, n, 0, like(k, x, name, x->width)), 0;
}

/* The rnnc function for an ONNX elementwise operator of one operand, or NULL. */
static const char *function_of(const Onnx__NodeProto *n) {
    return n->n_input == 1 ? onnx_cell_function(n) : NULL;
}

static bool shape_only(const char *op) {
    static const char *const ops[] = {"Shape", "Unsqueeze", "Concat", "Cast", "Mul", "Sub", "Div", "Range", "Equal",
                                      "Where", "Min", "Max", NULL};
    for (int i = 0; ops[i]; i++)
        if (!strcmp(op, ops[i]))
            return true;
    return false;
}

/* ---- Scan: a cell step over a sequence ------------------------------------- */

static int64_t first_int(const Onnx__NodeProto *n, const char *name) {
    const Onnx__AttributeProto *at = onnx_attr(n, name);
    return at && at->n_ints ? (at->n_ints == 1 ? at->ints[0] : -1) : 0;
}

/* The cell's source: a comment, the header, the body. */
static const char *cell_source(Walk *k, const Onnx__NodeProto *n, const char *cell, const OnnxScan *s) {
    return arena_printf(k->a, "# ONNX Scan node '%s', its body as equations\ncell %s {\n%s}\n",
                        onnx_printable(k->a, n->name), cell, s->body);
}

/* Its parameters into the weights as LAYER.NAME_l0[_reverse] (the data is the weights' from then on). */
static void scan_weights(Walk *k, const char *layer, OnnxScan *s, bool reverse) {
    for (int i = 0; i < s->nparams; i++) {
        OnnxScanParam *p = &s->params[i];
        onnx_weights_add(k->w, arena_printf(k->a, "%s.%s_l0%s", layer, p->name, reverse ? "_reverse" : ""), p->rows,
                         p->cols, p->data);
        p->data = NULL;
    }
    s->nparams = 0;
}

/* A reverse Scan keeps its parameters until its forward twin claims them:
 * in the arena, so that nothing leaks when none does. */
static void keep_in_arena(Walk *k, OnnxScan *s) {
    for (int i = 0; i < s->nparams; i++) {
        size_t bytes = sizeof(float) * (size_t)(s->params[i].rows * (s->params[i].cols ? s->params[i].cols : 1));
        float *copy = arena_alloc(k->a, bytes + sizeof(float));
        memcpy(copy, s->params[i].data, bytes);
        free(s->params[i].data);
        s->params[i].data = copy;
    }
}

static int scan(Walk *k, const Onnx__NodeProto *n) {
    int64_t axis = first_int(n, "scan_input_axes"), dir = first_int(n, "scan_input_directions");
    if (onnx_attr_int(n, "num_scan_inputs", 0) != 1 || n->n_input < 2 || n->n_output != n->n_input)
        return fail(k, n, "is not a Scan over one sequence giving the final states and one sequence");
    if ((axis != 0 && axis != 1) || (dir != 0 && dir != 1) || first_int(n, "scan_output_axes") != axis ||
        first_int(n, "scan_output_directions") != dir)
        return fail(k, n, "scans another axis than time (0 or 1), or writes its output in another order than it reads");
    Val *x = get(k, n, n->n_input - 1);
    if (!plain(x) || x->kind != V_SEQ || x->token || strcmp(x->axes, axis ? "BTF" : "TBF"))
        return fail(k, n, axis ? "scans other than a sequence laid out [batch, time, features]"
                               : "scans other than a sequence laid out [time, batch, features]");
    for (size_t i = 0; i + 1 < n->n_input; i++) {
        Val *st = get(k, n, i);
        if (!st || (st->kind != V_ZEROS && !is_zero_const(st)))
            return fail(k, n, arena_printf(k->a, "starts from state '%s', not zeros; rnnc's states start at zero",
                                           onnx_printable(k->a, n->input[i])));
    }
    ScanLayer *sl = arena_alloc(k->a, sizeof *sl);
    if (onnx_scan_body(k->a, k->g, n, &sl->cell, k->err, k->err_len))
        return fail(k, n, arena_strdup(k->a, k->err));
    if (sl->cell.in != x->width) {
        onnx_scan_free(&sl->cell);
        return fail(k, n, arena_printf(k->a, "has a step reading %lld features, but its sequence has %lld",
                                       (long long)sl->cell.in, (long long)x->width));
    }
    sl->input = x->layer;
    sl->output = n->output[n->n_output - 1];
    Val *y = val(k, dir ? V_REVERSE : V_SEQ);
    strcpy(y->axes, x->axes);
    y->width = sl->cell.out;
    y->scan = sl;
    if (dir) {
        sl->layer = -1;
        keep_in_arena(k, &sl->cell);
        return set(k, n, n->n_output - 1, y), 0;
    }
    const char *name = new_name(k, n), *cell = arena_printf(k->a, "%s_cell", name);
    for (int i = 2; strmap_get(&k->names, cell); i++)
        cell = arena_printf(k->a, "%s_cell%d", name, i);
    strmap_put(k->a, &k->names, cell, (void *)cell);
    text_append(k->a, &k->cells, "%s\n", cell_source(k, n, cell, &sl->cell));
    scan_weights(k, name, &sl->cell, false);
    sl->layer = add_layer(k, name, arena_printf(k->a, "%s(%s)", cell, x->layer), origin(k, n));
    y->layer = name;
    return set(k, n, n->n_output - 1, y), 0;
}

/* Concat of a forward Scan's output and a reverse Scan's, of the same cell
 * and input: one bidirectional layer. */
static int bidirectional(Walk *k, const Onnx__NodeProto *n, Val *f, Val *r) {
    int64_t axis = onnx_attr_int(n, "axis", 0);
    const char *forward = n->input[0];
    if (n->n_input != 2 || !f->scan || f->scan->layer < 0 || !r || r->kind != V_REVERSE || strcmp(f->axes, r->axes) ||
        (axis != -1 && axis != 2) || strcmp(n->input[0], f->scan->output) || strcmp(n->input[1], r->scan->output))
        return fail(k, n, "joins other than a forward Scan's output and a reverse Scan's, along their features");
    if (strcmp(f->scan->input, r->scan->input) || strcmp(f->scan->cell.body, r->scan->cell.body))
        return fail(k, n, "joins two Scans that read other sequences or run other steps (rnnc runs one cell both ways)");
    if (uses_of(k, forward) != 1 || uses_of(k, n->input[1]) != 1 || r->scan->joined)
        return fail(k, n, "joins a forward or reverse Scan's output that other nodes read too");
    r->scan->joined = true;
    OnnxLayer *l = &k->m->layers[f->scan->layer];
    OnnxScan *rev = &r->scan->cell;
    for (int i = 0; i < rev->nparams; i++) { /* out of the arena: the weights free their data */
        size_t bytes = sizeof(float) * (size_t)(rev->params[i].rows * (rev->params[i].cols ? rev->params[i].cols : 1));
        float *data = malloc(bytes + sizeof(float));
        if (!data)
            return fail(k, n, "needs more memory than there is");
        memcpy(data, rev->params[i].data, bytes);
        rev->params[i].data = data;
    }
    scan_weights(k, l->name, rev, true);
    l->expr = arena_printf(k->a, "%.*s, bidirectional=true)", (int)strlen(l->expr) - 1, l->expr);
    Val *y = val(k, V_SEQ);
    *y = *f;
    y->width = 2 * f->width;
    y->scan = NULL;
    return set(k, n, 0, y), 0;
}

static int node(Walk *k, const Onnx__NodeProto *n, bool final) {
    const char *op = n->op_type ? n->op_type : "";
    Val *a = get(k, n, 0), *b = get(k, n, 1);
    if (!strcmp(op, "Constant")) {
        const Onnx__AttributeProto *v = onnx_attr(n, "value");
        if (!v || !v->t)
            return fail(k, n, "is a constant of a kind rnnc does not read");
        Val *c = val(k, V_CONST);
        c->t = v->t;
        return set(k, n, 0, c), 0;
    }
    for (size_t i = 0; i < n->n_input; i++)
        if (n->input[i] && *n->input[i] && !strmap_get(&k->vals, n->input[i]))
            return fail(k, n, arena_printf(k->a, "reads '%s', which no earlier node, graph input or initializer gives (ONNX lists nodes in the order they run; a graph with a cycle has no such order)", onnx_printable(k->a, n->input[i])));
    if (!strcmp(op, "RNN") || !strcmp(op, "GRU") || !strcmp(op, "LSTM"))
        return recurrent(k, n);
    if (!strcmp(op, "Scan"))
        return scan(k, n);
    if (!a)
        return fail(k, n, "has no input");
    if (!strcmp(op, "Shape"))
        return set(k, n, 0, val(k, V_SHAPE)), 0;
    if (!strcmp(op, "ConstantOfShape") || !strcmp(op, "Expand")) {
        const Onnx__AttributeProto *v = onnx_attr(n, "value");
        bool zero = !strcmp(op, "Expand") ? (a->kind == V_ZEROS || is_zero_const(a)) : !v || !v->t;
        if (!zero && v && v->t) {
            Val c = {.kind = V_CONST, .t = v->t};
            zero = is_zero_const(&c);
        }
        return zero ? (set(k, n, 0, val(k, V_ZEROS)), 0) : fail(k, n, "makes other than zeros");
    }
    if (!strcmp(op, "Dropout") || !strcmp(op, "Identity"))
        return set(k, n, 0, a), 0;
    if (!strcmp(op, "Transpose"))
        return transpose(k, n, a);
    if (!strcmp(op, "Squeeze"))
        return squeeze(k, n, a);
    if (!strcmp(op, "Reshape"))
        return reshape(k, n, a);
    if (!strcmp(op, "Gather"))
        return gather(k, n, a, b);
    if (!strcmp(op, "Slice"))
        return slice(k, n, a);
    if (!strcmp(op, "MatMul"))
        return linear(k, n, a, b, false);
    if (!strcmp(op, "Gemm"))
        return linear(k, n, a, b, true);
    if (!strcmp(op, "Add") && b)
        return add(k, n, a, b);
    if ((!strcmp(op, "Softmax") || !strcmp(op, "LogSoftmax")) && final && plain(a)) {
        k->m->softmax_dropped = true;
        return set(k, n, 0, a), 0;
    }
    if (!strcmp(op, "Concat") && (a->kind == V_SEQ || a->kind == V_REVERSE))
        return bidirectional(k, n, a, b);
    if (function_of(n))
        return activation(k, n, a, function_of(n));
    if (shape_only(op)) {
        for (size_t i = 0; i < n->n_input; i++) {
            Val *v = get(k, n, i);
            if (v && v->kind != V_SHAPE && v->kind != V_CONST)
                return fail(k, n, "computes with data rnnc has no layer for");
        }
        return set(k, n, 0, val(k, V_SHAPE)), 0;
    }
    return fail(k, n, "is an operator rnnc does not import here");
}

/* ---- the graph ------------------------------------------------------------ */

/* Whether a recurrent node with layout 0 reads name directly (then the
 * graph input is time-major, [T, B, F]). */
static bool time_major(const Onnx__GraphProto *g, const char *name) {
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        if (n->op_type && (!strcmp(n->op_type, "RNN") || !strcmp(n->op_type, "GRU") || !strcmp(n->op_type, "LSTM")) &&
            n->n_input > 0 && !strcmp(n->input[0], name) && !onnx_attr_int(n, "layout", 0))
            return true;
    }
    return false;
}

static int graph_input(Walk *k, const Onnx__ValueInfoProto *in) {
    const Onnx__TypeProto *t = in->type;
    const Onnx__TypeProto__Tensor *tt = t && t->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? t->tensor_type : NULL;
    int rank = tt && tt->shape ? (int)tt->shape->n_dim : -1;
    int32_t elem = tt ? tt->elem_type : 0;
    bool ids = elem == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || elem == ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
    if (k->m->input_size) { /* one input; sequence_lens besides */
        Val *l = val(k, V_SHAPE);
        strmap_put(k->a, &k->vals, in->name, l);
        return 0;
    }
    if (!(ids ? rank == 2 : rank == 3) || !(elem == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || ids)) {
        snprintf(k->err, k->err_len, "the graph's input '%s' is not a sequence: float [batch, time, features] or ids "
                                     "[batch, time]", onnx_printable(k->a, in->name));
        return -1;
    }
    const Onnx__TensorShapeProto__Dimension *last = tt->shape->dim[rank - 1];
    Val *x = val(k, V_SEQ);
    x->layer = "x";
    x->token = ids;
    strcpy(x->axes, ids ? "BT" : time_major(k->g, in->name) ? "TBF" : "BTF");
    x->width = ids ? 0 : last->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ? last->dim_value : 0;
    if (!ids && x->width < 1) {
        snprintf(k->err, k->err_len, "the graph's input '%s' has no fixed number of features",
                 onnx_printable(k->a, in->name));
        return -1;
    }
    k->m->input_token = ids;
    k->m->input_size = ids ? 1 : x->width; /* ids: the embedding says the vocabulary */
    strmap_put(k->a, &k->vals, in->name, x);
    return 0;
}

/* The rnnc layer forward writes: the graph's first output. */
static int output(Walk *k) {
    const Onnx__GraphProto *g = k->g;
    Val *v = g->n_output ? strmap_get(&k->vals, g->output[0]->name) : NULL;
    OnnxModel *m = k->m;
    if (v && v->kind == V_STATE && v->dirs == 1) { /* a forward node's Y_h: its last step's output */
        const char *name = strmap_get(&k->names, "y_h") ? arena_printf(k->a, "y_h_%d", m->nlayers) : "y_h";
        strmap_put(k->a, &k->names, name, (void *)name);
        add_layer(k, name, arena_printf(k->a, "last(%s)", v->layer), "the graph's output: Y_h, the last step's");
        m->output = name;
        m->output_seq = false;
        m->output_size = v->width;
        return 0;
    }
    bool raw = v && v->kind == V_SEQ && !v->last && (!strcmp(v->axes, "TDBH") || !strcmp(v->axes, "BTDH"));
    if (!v || !(plain(v) || raw)) {
        snprintf(k->err, k->err_len, "the graph's output '%s' is not a sequence or a vector of one per sequence",
                 onnx_printable(k->a, g->n_output ? g->output[0]->name : NULL));
        return -1;
    }
    m->output = v->layer;
    m->output_seq = v->kind == V_SEQ;
    m->output_size = raw ? v->width * v->dirs : v->width;
    return 0;
}

int onnx_model(Arena *a, const Onnx__GraphProto *g, OnnxModel *m, OnnxWeights *w, char *err, size_t err_len) {
    memset(m, 0, sizeof *m);
    Walk k = {.a = a, .g = g, .m = m, .w = w, .err = err, .err_len = err_len};
    count_uses(&k);
    for (size_t i = 0; i < g->n_initializer; i++) {
        Val *c = val(&k, V_CONST);
        c->t = g->initializer[i];
        strmap_put(a, &k.vals, g->initializer[i]->name ? g->initializer[i]->name : "", c);
    }
    for (size_t i = 0; i < g->n_input; i++)
        if (!onnx_initializer(g, g->input[i]->name) && graph_input(&k, g->input[i]))
            return -1;
    if (!m->input_size) {
        snprintf(err, err_len, "the graph has no input");
        return -1;
    }
    const char *final = g->n_output ? g->output[0]->name : "";
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        bool last = n->n_output > 0 && n->output[0] && !strcmp(n->output[0], final);
        if (node(&k, n, last))
            return -1;
    }
    m->cells = text_of(&k.cells);
    return output(&k);
}
