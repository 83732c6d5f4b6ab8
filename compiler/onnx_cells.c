/* onnx_cells.c - an ONNX RNN, GRU or LSTM node as rnnc source and weights.
 * A node that computes what a prelude cell computes becomes that cell,
 * its weights reordered from ONNX's gate order to the prelude's (LSTM
 * i o f c -> i f g o, GRU z r h -> r z n) and a missing bias zero: RNN
 * with Tanh or Relu, LSTM with its default activations and no peepholes,
 * input_forget or clip, GRU likewise with linear_before_reset 1. Any other
 * is written as a user cell whose equations are the operator's, in ONNX's
 * gate order, with its activations and clip. Both directions of a
 * bidirectional node must use the same activations (rnnc has one cell for
 * both); ONNX's direction 0 is forward, 1 reverse. */
#include "onnx_cells.h"
#include "util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum { OP_RNN, OP_GRU, OP_LSTM } OpKind;

typedef struct Act {
    char name[24];
    float alpha, beta;
} Act;

typedef struct Node {
    OpKind op;
    const char *op_name;
    int64_t hidden, in, dirs, gates;
    int lbr, input_forget;
    bool has_clip;
    float clip;
    Act acts[3];                /* f (g, h): the forward direction's, also the reverse's */
    int nacts;
    float *W, *R, *B, *P;       /* as in the file; B and P NULL when absent */
} Node;

/* ---- the node's attributes ---------------------------------------------- */

/* ONNX's default alpha and beta of an activation that takes them. */
static void act_defaults(Act *a) {
    if (!strcmp(a->name, "LeakyRelu"))
        a->alpha = 0.01f;
    else if (!strcmp(a->name, "HardSigmoid"))
        a->alpha = 0.2f, a->beta = 0.5f;
    else if (!strcmp(a->name, "Elu") || !strcmp(a->name, "ScaledTanh") || !strcmp(a->name, "Affine"))
        a->alpha = 1.0f, a->beta = !strcmp(a->name, "ScaledTanh") ? 1.0f : 0.0f;
}

static bool takes_alpha(const char *name) {
    return !strcmp(name, "LeakyRelu") || !strcmp(name, "HardSigmoid") || !strcmp(name, "Elu") ||
           !strcmp(name, "ScaledTanh") || !strcmp(name, "Affine");
}

static bool takes_beta(const char *name) {
    return !strcmp(name, "HardSigmoid") || !strcmp(name, "ScaledTanh") || !strcmp(name, "Affine");
}

static bool known_act(const char *name) {
    static const char *const known[] = {"Relu", "Tanh", "Sigmoid", "Affine", "LeakyRelu", "ScaledTanh",
                                        "HardSigmoid", "Elu", "Softsign", "Softplus"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcmp(known[i], name))
            return true;
    return false;
}

/* The activations: per direction nacts of them; alphas and betas are
 * taken in order by the activations that use them. */
static int read_acts(const Onnx__NodeProto *n, Node *d, char *err, size_t len) {
    static const char *const defaults[3][3] = {{"Tanh"}, {"Sigmoid", "Tanh"}, {"Sigmoid", "Tanh", "Tanh"}};
    d->nacts = (int)d->op + 1;
    const Onnx__AttributeProto *names = onnx_attr(n, "activations");
    const Onnx__AttributeProto *alphas = onnx_attr(n, "activation_alpha"), *betas = onnx_attr(n, "activation_beta");
    size_t given = names ? names->n_strings : 0, ai = 0, bi = 0;
    if (given && given != (size_t)(d->nacts * d->dirs))
        return onnx_errorf(err, len, "has %zu activations, but %s takes %d per direction", given, d->op_name, d->nacts);
    Act all[6];
    for (int k = 0; k < d->nacts * (int)d->dirs; k++) {
        Act *a = &all[k];
        memset(a, 0, sizeof *a);
        if (given) {
            size_t l = names->strings[k].len < sizeof a->name - 1 ? names->strings[k].len : sizeof a->name - 1;
            memcpy(a->name, names->strings[k].data, l);
        } else {
            snprintf(a->name, sizeof a->name, "%s", defaults[d->op][k % d->nacts]);
        }
        if (!known_act(a->name))
            return onnx_errorf(err, len, "uses the activation '%s', which rnnc does not have", a->name);
        act_defaults(a);
        if (takes_alpha(a->name) && alphas && ai < alphas->n_floats)
            a->alpha = alphas->floats[ai++];
        if (takes_beta(a->name) && betas && bi < betas->n_floats)
            a->beta = betas->floats[bi++];
    }
    for (int k = 0; k < d->nacts; k++) {
        if (d->dirs == 2 && (strcmp(all[k].name, all[k + d->nacts].name) || all[k].alpha != all[k + d->nacts].alpha ||
                             all[k].beta != all[k + d->nacts].beta))
            return onnx_errorf(err, len, "uses other activations in its reverse direction; rnnc runs one cell both ways");
        d->acts[k] = all[k];
    }
    return 0;
}

/* A constant input of the node (index k): its floats, which must number
 * want; NULL (and no error) when the input is absent. */
static int constant_input(const Onnx__GraphProto *g, const Onnx__NodeProto *n, size_t k, int64_t want, float **out,
                          char *err, size_t len) {
    *out = NULL;
    if (k >= n->n_input || !n->input[k] || !*n->input[k])
        return 0;
    const Onnx__TensorProto *t = onnx_initializer(g, n->input[k]);
    if (!t)
        return onnx_errorf(err, len, "reads its weights '%s' from outside the file's initializers; rnnc needs them constant",
                    n->input[k]);
    size_t count;
    *out = onnx_floats(t, &count);
    if (!*out || (int64_t)count != want) {
        free(*out);
        *out = NULL;
        return onnx_errorf(err, len, "has '%s' of %lld elements, but its sizes need %lld", n->input[k],
                    (long long)onnx_elems(t), (long long)want);
    }
    return 0;
}

static int read_node(const Onnx__GraphProto *g, const Onnx__NodeProto *n, Node *d, char *err,
                     size_t len) {
    memset(d, 0, sizeof *d);
    d->op_name = n->op_type;
    d->op = !strcmp(n->op_type, "RNN") ? OP_RNN : !strcmp(n->op_type, "GRU") ? OP_GRU : OP_LSTM;
    d->gates = d->op == OP_RNN ? 1 : d->op == OP_GRU ? 3 : 4;
    d->hidden = onnx_attr_int(n, "hidden_size", 0);
    const char *dir = onnx_attr_string(n, "direction", "forward");
    if (strcmp(dir, "forward") && strcmp(dir, "bidirectional"))
        return onnx_errorf(err, len, "runs in direction '%s'; rnnc runs forward or bidirectional", dir);
    d->dirs = strcmp(dir, "bidirectional") ? 1 : 2;
    d->lbr = onnx_attr_int(n, "linear_before_reset", 0) != 0;
    d->input_forget = onnx_attr_int(n, "input_forget", 0) != 0;
    const Onnx__AttributeProto *clip = onnx_attr(n, "clip");
    d->has_clip = clip && clip->has_f;
    d->clip = d->has_clip ? clip->f : 0;
    if (d->hidden < 1 || d->hidden > (1 << 20))
        return onnx_errorf(err, len, "has hidden_size %lld; rnnc reads 1 to %d", (long long)d->hidden, 1 << 20);
    if (n->n_input < 3 || n->n_output < 1)
        return onnx_errorf(err, len, "lacks W or R");
    const Onnx__TensorProto *w = onnx_initializer(g, n->input[1]);
    if (!w || w->n_dims != 3 || w->dims[0] != d->dirs || w->dims[1] != d->gates * d->hidden || w->dims[2] < 1)
        return onnx_errorf(err, len, "needs W as a constant [%lld, %lld, input size]", (long long)d->dirs,
                    (long long)(d->gates * d->hidden));
    d->in = w->dims[2];
    int64_t G = d->gates, H = d->hidden, D = d->dirs;
    if (read_acts(n, d, err, len) || constant_input(g, n, 1, D * G * H * d->in, &d->W, err, len) ||
        constant_input(g, n, 2, D * G * H * H, &d->R, err, len) ||
        constant_input(g, n, 3, D * 2 * G * H, &d->B, err, len) ||
        (d->op == OP_LSTM && constant_input(g, n, 7, D * 3 * H, &d->P, err, len)))
        return -1;
    if (!d->R)
        return onnx_errorf(err, len, "lacks R");
    return 0;
}

/* ---- prelude or user cell ------------------------------------------------- */

static bool all_zero(const float *v, int64_t n) {
    for (int64_t i = 0; v && i < n; i++)
        if (v[i] != 0)
            return false;
    return true;
}

static bool acts_are(const Node *d, const char *f, const char *g, const char *h) {
    const char *want[3] = {f, g, h};
    for (int k = 0; k < d->nacts; k++)
        if (strcmp(d->acts[k].name, want[k]))
            return false;
    return true;
}

/* The prelude cell that computes what d computes, or NULL. */
static const char *prelude_of(const Node *d) {
    if (d->has_clip)
        return NULL;
    if (d->op == OP_RNN)
        return acts_are(d, "Tanh", NULL, NULL) ? "rnn" : acts_are(d, "Relu", NULL, NULL) ? "rnn_relu" : NULL;
    if (d->op == OP_GRU)
        return d->lbr == 1 && acts_are(d, "Sigmoid", "Tanh", NULL) ? "gru" : NULL;
    return !d->input_forget && all_zero(d->P, d->dirs * 3 * d->hidden) && acts_are(d, "Sigmoid", "Tanh", "Tanh")
               ? "lstm"
               : NULL;
}

/* ---- weights --------------------------------------------------------------- */

void onnx_weights_add(OnnxWeights *w, char *name, int64_t rows, int64_t cols, float *data) {
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 16;
        w->items = realloc(w->items, sizeof *w->items * (size_t)w->cap);
        if (!w->items)
            die("out of memory");
    }
    rt_tensor *t = &w->items[w->n++];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->dtype = RT_F32;
    t->rank = cols ? 2 : 1;
    t->dims[0] = rows;
    t->dims[1] = cols;
    t->count = rows * (cols ? cols : 1);
    t->data = data;
}

/* Rows [block * H, (block + 1) * H) of the [gates * H, cols] matrix m, for
 * each block in order, as a new matrix; m NULL: zeros. */
static float *blocks(const float *m, int64_t H, int64_t cols, const int *order, int nblocks) {
    float *out = calloc((size_t)(nblocks * H * cols + 1), sizeof(float));
    if (!out)
        die("out of memory");
    for (int b = 0; m && b < nblocks; b++)
        memcpy(out + b * H * cols, m + order[b] * H * cols, sizeof(float) * (size_t)(H * cols));
    return out;
}

static char *param_name(Arena *a, const char *layer, const char *param, int dir) {
    return arena_printf(a, "%s.%s_l0%s", layer, param, dir ? "_reverse" : "");
}

const int *onnx_gate_order(int gates) {
    static const int rnn[] = {0}, gru[] = {1, 0, 2}, lstm[] = {0, 2, 3, 1};
    return gates == 1 ? rnn : gates == 3 ? gru : lstm;
}

/* Weights of direction dir for prelude cell: W, R, Wb, Rb in its order. */
static void prelude_weights(Arena *a, const Node *d, const char *layer, int dir, OnnxWeights *w) {
    const int *order = onnx_gate_order((int)d->gates);
    int64_t G = d->gates, H = d->hidden;
    const float *W = d->W + dir * G * H * d->in, *R = d->R + dir * G * H * H;
    const float *Wb = d->B ? d->B + dir * 2 * G * H : NULL, *Rb = d->B ? d->B + dir * 2 * G * H + G * H : NULL;
    onnx_weights_add(w, param_name(a, layer, "weight_ih", dir), G * H, d->in, blocks(W, H, d->in, order, (int)G));
    onnx_weights_add(w, param_name(a, layer, "weight_hh", dir), G * H, H, blocks(R, H, H, order, (int)G));
    onnx_weights_add(w, param_name(a, layer, "bias_ih", dir), G * H, 0, blocks(Wb, H, 1, order, (int)G));
    onnx_weights_add(w, param_name(a, layer, "bias_hh", dir), G * H, 0, blocks(Rb, H, 1, order, (int)G));
}

/* Weights of direction dir for the user cell, in ONNX's order: W, R (GRU:
 * Rzr and Rh), Wb, Rb, P. */
static void user_weights(Arena *a, const Node *d, const char *layer, int dir, OnnxWeights *w) {
    static const int all[] = {0, 1, 2, 3};
    int64_t G = d->gates, H = d->hidden;
    const float *W = d->W + dir * G * H * d->in, *R = d->R + dir * G * H * H;
    const float *Wb = d->B ? d->B + dir * 2 * G * H : NULL, *Rb = d->B ? d->B + dir * 2 * G * H + G * H : NULL;
    onnx_weights_add(w, param_name(a, layer, "W", dir), G * H, d->in, blocks(W, H, d->in, all, (int)G));
    if (d->op == OP_GRU) {
        static const int zr[] = {0, 1}, h[] = {2};
        onnx_weights_add(w, param_name(a, layer, "Rzr", dir), 2 * H, H, blocks(R, H, H, zr, 2));
        onnx_weights_add(w, param_name(a, layer, "Rh", dir), H, H, blocks(R, H, H, h, 1));
    } else {
        onnx_weights_add(w, param_name(a, layer, "R", dir), G * H, H, blocks(R, H, H, all, (int)G));
    }
    onnx_weights_add(w, param_name(a, layer, "Wb", dir), G * H, 0, blocks(Wb, H, 1, all, (int)G));
    onnx_weights_add(w, param_name(a, layer, "Rb", dir), G * H, 0, blocks(Rb, H, 1, all, (int)G));
    if (d->op == OP_LSTM) {
        float *P = calloc((size_t)(3 * H + 1), sizeof(float));
        if (!P)
            die("out of memory");
        if (d->P)
            memcpy(P, d->P + dir * 3 * H, sizeof(float) * (size_t)(3 * H));
        onnx_weights_add(w, param_name(a, layer, "P", dir), 3 * H, 0, P);
    }
}

/* ---- the user cell's source ------------------------------------------------- */

/* A number as the language writes it. */
static const char *num(Arena *a, float v) { return arena_printf(a, "%.9g", (double)v); }

/* Activation act applied to the local named x (clipped first when d clips
 * and clip says so: the gates' inputs, not the cell state's). */
static const char *apply_clipped(Arena *a, const Node *d, const Act *act, const char *x, bool clip) {
    if (d->has_clip && clip)
        x = arena_printf(a, "min(max(%s, %s), %s)", x, num(a, -d->clip), num(a, d->clip));
    const char *n = act->name;
    if (!strcmp(n, "Relu") || !strcmp(n, "Tanh") || !strcmp(n, "Sigmoid") || !strcmp(n, "Softsign") ||
        !strcmp(n, "Softplus")) {
        char lower[24];
        for (size_t i = 0; i <= strlen(n); i++)
            lower[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] - 'A' + 'a' : n[i]);
        return arena_printf(a, "%s(%s)", lower, x);
    }
    if (!strcmp(n, "Affine"))
        return arena_printf(a, "(%s * %s + %s)", num(a, act->alpha), x, num(a, act->beta));
    if (!strcmp(n, "LeakyRelu"))
        return arena_printf(a, "(relu(%s) - %s * relu(-%s))", x, num(a, act->alpha), x);
    if (!strcmp(n, "ScaledTanh"))
        return arena_printf(a, "(%s * tanh(%s * %s))", num(a, act->alpha), num(a, act->beta), x);
    if (!strcmp(n, "HardSigmoid"))
        return arena_printf(a, "min(max(%s * %s + %s, 0), 1)", num(a, act->alpha), x, num(a, act->beta));
    /* Elu */
    return arena_printf(a, "(relu(%s) + %s * (exp(min(%s, 0)) - 1))", x, num(a, act->alpha), x);
}

static const char *apply(Arena *a, const Node *d, const Act *act, const char *x) {
    return apply_clipped(a, d, act, x, true);
}

static const char *user_cell(Arena *a, const Node *d, const char *name, const char *node_name) {
    const Act *F = &d->acts[0], *G = &d->acts[1 % d->nacts], *Hh = &d->acts[2 % d->nacts];
    const char *head = arena_printf(a, "# ONNX %s node '%s', in its own gate order\ncell %s(in, hidden) {\n    input x[in]\n",
                                    d->op_name, node_name, name);
    if (d->op == OP_RNN)
        return arena_printf(a, "%s    state h[hidden]\n"
                               "    param W[hidden, in], R[hidden, hidden], Wb[hidden], Rb[hidden]\n"
                               "    a = W @ x + Wb + R @ h + Rb\n"
                               "    h' = %s\n    output h'\n}\n",
                            head, apply(a, d, F, "a"));
    if (d->op == OP_GRU)
        return arena_printf(a, "%s    state h[hidden]\n"
                               "    param W[3*hidden, in], Rzr[2*hidden, hidden], Rh[hidden, hidden]\n"
                               "    param Wb[3*hidden], Rb[3*hidden]\n"
                               "    gx = W @ x + Wb\n"
                               "    gh = Rzr @ h\n"
                               "    az = gx[0:hidden] + gh[0:hidden] + Rb[0:hidden]\n"
                               "    ar = gx[hidden:2*hidden] + gh[hidden:2*hidden] + Rb[hidden:2*hidden]\n"
                               "    z = %s\n    r = %s\n"
                               "    an = %s\n"
                               "    n = %s\n"
                               "    h' = (1 - z) * n + z * h\n    output h'\n}\n",
                            head, apply(a, d, F, "az"), apply(a, d, F, "ar"),
                            d->lbr ? "gx[2*hidden:3*hidden] + r * (Rh @ h + Rb[2*hidden:3*hidden])"
                                   : "gx[2*hidden:3*hidden] + Rh @ (r * h) + Rb[2*hidden:3*hidden]",
                            apply(a, d, G, "an"));
    return arena_printf(a, "%s    state h[hidden], c[hidden]\n"
                           "    param W[4*hidden, in], R[4*hidden, hidden], Wb[4*hidden], Rb[4*hidden], P[3*hidden]\n"
                           "    a = W @ x + Wb + R @ h + Rb\n"
                           "    ai = a[0:hidden] + P[0:hidden] * c\n"
                           "    i = %s\n"
                           "    af = a[2*hidden:3*hidden] + P[2*hidden:3*hidden] * c\n"
                           "    f = %s\n"
                           "    ag = a[3*hidden:4*hidden]\n"
                           "    c' = f * c + i * %s\n"
                           "    ao = a[hidden:2*hidden] + P[hidden:2*hidden] * c'\n"
                           "    o = %s\n"
                           "    h' = o * %s\n    output h'\n}\n",
                        head, apply(a, d, F, "ai"), d->input_forget ? "1 - i" : apply(a, d, F, "af"),
                        apply(a, d, G, "ag"), apply(a, d, F, "ao"), apply_clipped(a, d, Hh, "c'", false));
}

/* ---- the node ---------------------------------------------------------------- */

int onnx_cell(Arena *a, const Onnx__GraphProto *g, const Onnx__NodeProto *n, const char *input,
              const char *layer, int index, OnnxCell *out, OnnxWeights *w, char *err, size_t err_len) {
    Node d;
    memset(out, 0, sizeof *out);
    int rc = read_node(g, n, &d, err, err_len);
    if (!rc) {
        const char *prelude = prelude_of(&d);
        const char *bidi = d.dirs == 2 ? ", bidirectional=true" : "";
        if (prelude) {
            const char *name = !strcmp(prelude, "rnn_relu") ? "rnn" : prelude;
            out->layer_call = arena_printf(a, "%s(%s, hidden=%lld%s%s)", name, input, (long long)d.hidden,
                                           !strcmp(prelude, "rnn_relu") ? ", nonlinearity=relu" : "", bidi);
        } else {
            const char *cell = arena_printf(a, "onnx_%s_%d", d.op == OP_RNN ? "rnn" : d.op == OP_GRU ? "gru" : "lstm",
                                            index);
            out->cell_source = user_cell(a, &d, cell, onnx_printable(a, n->name));
            out->layer_call = arena_printf(a, "%s(%s, hidden=%lld%s)", cell, input, (long long)d.hidden, bidi);
        }
        for (int dir = 0; dir < d.dirs; dir++)
            (prelude ? prelude_weights : user_weights)(a, &d, layer, dir, w);
        out->in = d.in;
        out->hidden = d.hidden;
        out->dirs = d.dirs;
        out->lengths = n->n_input > 4 && n->input[4] && *n->input[4] ? arena_strdup(a, n->input[4]) : NULL;
    }
    free(d.W);
    free(d.R);
    free(d.B);
    free(d.P);
    return rc;
}

void onnx_weights_free(OnnxWeights *w) {
    for (int i = 0; i < w->n; i++)
        free(w->items[i].data);
    free(w->items);
    memset(w, 0, sizeof *w);
}
