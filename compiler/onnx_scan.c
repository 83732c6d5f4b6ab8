/* onnx_scan.c - a Scan body read back as a cell (onnx_scan.h). The body's
 * inputs are the states, then the step's input (x); its outputs the next
 * states, then the step's output. Each node becomes one equation of the
 * cell, named after the node's output (the part after its last '/', when
 * that is a free name):
 *   Add Sub Mul Div Neg           a + b, a - b, a * b, a / b, -a
 *   the functions of ir_ops.def   sigmoid(a), min(a, b), ... (HardSigmoid
 *                                 with alpha 1/6 and beta 1/2, Elu with alpha 1)
 *   Gemm(v, W, transB=1)          W @ v; MatMul(W, v) the same
 *   Slice of the last axis        a[lo:hi]
 *   Concat of the last axis       concat(a, b, ...)
 *   Identity, and Expand to the batch's shape: the value itself
 * A tensor the body reads from the main graph (an initializer) becomes a
 * parameter of the cell, named after it ("h.weight_ih_l0" -> weight_ih);
 * a Concat of such matrices along their rows (what rnnc writes for fused
 * products) one parameter holding them all. A scalar Constant is a number
 * in the equation; Shape and what computes only with shapes and integer
 * constants are the bookkeeping of Expand. Anything else is an error
 * naming the node. */
#include "onnx_scan.h"
#include "ir.h"
#include "onnx_model.h"
#include "strmap.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_VALUE, T_NUMBER, T_INTS, T_SHAPE, T_TENSOR } TermKind;

typedef struct Term {
    TermKind kind;
    const char *text;             /* T_VALUE: its name in the cell; T_NUMBER: as written */
    int64_t size;                 /* T_VALUE: elements; T_SHAPE: its last dimension, -1 if unknown */
    bool batched;                 /* T_VALUE: has the batch axis (depends on the input or a state) */
    int64_t rows, cols;           /* T_TENSOR: shape (cols 0: a vector) */
    const float *data;            /* T_TENSOR: the values (arena) */
    const char *param;            /* T_TENSOR: its parameter, once an equation reads it */
    int64_t *ints;                /* T_INTS */
    size_t nints;
} Term;

typedef struct Reader {
    Arena *a;
    const Onnx__GraphProto *g, *body;
    StrMap terms;                 /* ONNX value name -> Term* */
    StrMap used;                  /* the cell's names taken */
    PtrVec params;                /* OnnxScanParam* in order */
    ArenaText text;               /* the equations so far */
    char *err;
    size_t err_len;
} Reader;

static int fail(Reader *r, const Onnx__NodeProto *n, const char *why) {
    snprintf(r->err, r->err_len, "its body's node '%s' (%s) %s", onnx_printable(r->a, n->name),
             onnx_printable(r->a, n->op_type), why);
    return -1;
}

static Term *term(Reader *r, TermKind kind) {
    Term *t = arena_alloc(r->a, sizeof *t);
    t->kind = kind;
    return t;
}

/* A free name for the cell: want if it is one, else fallback followed by a number. */
static const char *take_name(Reader *r, const char *want, const char *fallback) {
    bool ok = want && strlen(want) < 48 && onnx_is_identifier(want) && !onnx_reserved(want) && ir_function(want) < 0 &&
              strcmp(want, "concat") && !strmap_get(&r->used, want);
    const char *name = ok ? want : NULL;
    for (int i = 1; !name; i++) {
        const char *try = arena_printf(r->a, "%s%d", fallback, i);
        if (!strmap_get(&r->used, try))
            name = try;
    }
    strmap_put(r->a, &r->used, name, (void *)name);
    return name;
}

/* The part of an ONNX name after its last '/'. */
static const char *last_part(const char *s) {
    const char *slash = s ? strrchr(s, '/') : NULL;
    return slash ? slash + 1 : s;
}

/* A parameter's name from its initializer's: "h.weight_ih_l0_reverse" -> "weight_ih". */
static const char *base_name(Reader *r, const char *init) {
    const char *dot = init ? strrchr(init, '.') : NULL;
    char *s = arena_strdup(r->a, dot ? dot + 1 : init ? init : "");
    size_t n = strlen(s);
    if (n > 8 && !strcmp(s + n - 8, "_reverse"))
        s[n -= 8] = 0;
    char *l = strrchr(s, '_');
    if (l && l[1] == 'l' && l[2] && strspn(l + 2, "0123456789") == strlen(l + 2))
        *l = 0;
    return s;
}

static const char *param_name(Reader *r, const char *init) { return take_name(r, base_name(r, init), "p"); }

static void equation(Reader *r, const char *fmt, const char *a, const char *b) {
    text_append(r->a, &r->text, "    ");
    text_append(r->a, &r->text, fmt, a, b);
    text_append(r->a, &r->text, "\n");
}

/* ---- terms from tensors ----------------------------------------------------- */

static int64_t *exact_ints(Reader *r, const Onnx__TensorProto *t, size_t *n) {
    int64_t count = onnx_elems(t);
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || count < 0 || count > 16 ||
        onnx_stored_elems(t) != (size_t)count)
        return NULL;
    int64_t *v = arena_alloc(r->a, sizeof(int64_t) * (size_t)(count + 1));
    for (int64_t i = 0; i < count; i++)
        if (t->has_raw_data)
            memcpy(&v[i], t->raw_data.data + 8 * i, 8);
        else
            v[i] = t->int64_data[i];
    *n = (size_t)count;
    return v;
}

/* A constant tensor as a term: integers, a number, or a tensor. */
static Term *constant(Reader *r, const Onnx__TensorProto *t) {
    size_t n;
    if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        Term *c = term(r, T_INTS);
        c->ints = exact_ints(r, t, &c->nints);
        return c->ints ? c : NULL;
    }
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || t->n_dims > 2)
        return NULL;
    float *f = onnx_floats(t, &n);
    if (!f)
        return NULL;
    Term *c;
    if (t->n_dims == 0 && n == 1) {
        c = term(r, T_NUMBER);
        if (!isfinite(f[0]))
            c = NULL;
        else
            c->text = arena_printf(r->a, f[0] < 0 ? "(%.9g)" : "%.9g", (double)f[0]);
    } else {
        c = term(r, T_TENSOR);
        c->rows = t->n_dims ? t->dims[0] : 1;
        c->cols = t->n_dims == 2 ? t->dims[1] : 0;
        float *copy = arena_alloc(r->a, sizeof(float) * (n + 1));
        memcpy(copy, f, sizeof(float) * n);
        c->data = copy;
        c->param = NULL;
        c->text = t->name;
        if (c->rows < 1 || (t->n_dims == 2 && c->cols < 1))
            c = NULL;
    }
    free(f);
    return c;
}

/* Operand i of node n, NULL if the body has no such value. */
static Term *operand(Reader *r, const Onnx__NodeProto *n, size_t i) {
    if (i >= n->n_input || !n->input[i] || !*n->input[i])
        return NULL;
    Term *t = strmap_get(&r->terms, n->input[i]);
    if (t)
        return t;
    const Onnx__TensorProto *init = onnx_initializer(r->g, n->input[i]);
    if (!init)
        return NULL;
    if ((t = constant(r, init)))
        strmap_put(r->a, &r->terms, n->input[i], t);
    return t;
}

/* The name an equation uses for t: a value's, a number, a parameter's. */
static const char *use(Reader *r, Term *t) {
    if (t->kind != T_TENSOR)
        return t->text;
    if (!t->param) {
        OnnxScanParam *p = arena_alloc(r->a, sizeof *p);
        p->name = t->param = param_name(r, t->text);
        p->rows = t->rows;
        p->cols = t->cols;
        size_t count = (size_t)(t->rows * (t->cols ? t->cols : 1));
        p->data = malloc(sizeof(float) * (count + 1));
        if (!p->data)
            return NULL;
        memcpy(p->data, t->data, sizeof(float) * count);
        vec_push(r->a, &r->params, p);
    }
    return t->param;
}

static int64_t width(const Term *t) { return t->kind == T_VALUE ? t->size : t->kind == T_TENSOR ? t->rows : 1; }

/* ---- nodes ----------------------------------------------------------------- */

/* Give node n's output the value computed by expr (fmt with a and b). */
static int assign(Reader *r, const Onnx__NodeProto *n, int64_t size, bool batched, const char *fmt, const char *a,
                  const char *b) {
    if (n->n_output < 1 || !n->output[0] || !*n->output[0])
        return fail(r, n, "has no output");
    const char *second = strstr(fmt, "%s");
    if (!a || (second && strstr(second + 2, "%s") && !b))
        return fail(r, n, "reads a value rnnc cannot hold");
    Term *t = term(r, T_VALUE);
    t->text = take_name(r, last_part(n->output[0]), "v");
    t->size = size;
    t->batched = batched;
    equation(r, arena_printf(r->a, "%s = %s", t->text, fmt), a, b);
    strmap_put(r->a, &r->terms, n->output[0], t);
    return 0;
}

static void alias(Reader *r, const Onnx__NodeProto *n, Term *t) {
    if (n->n_output > 0 && n->output[0] && *n->output[0])
        strmap_put(r->a, &r->terms, n->output[0], t);
}

const char *onnx_cell_function(const Onnx__NodeProto *n) {
    for (int op = 0; op < IR_NUM_OPS; op++) {
        if (ir_ops[op].call != IRC_FUNCTION || !ir_ops[op].onnx || strcmp(ir_ops[op].onnx, n->op_type))
            continue;
        if (op == IR_HARDSIGMOID &&
            (onnx_attr_float(n, "alpha", 0.2f) != 1.0f / 6 || onnx_attr_float(n, "beta", 0.5f) != 0.5f))
            return NULL;
        if (op == IR_ELU && onnx_attr_float(n, "alpha", 1) != 1)
            return NULL;
        return (int)n->n_input == ir_ops[op].arity ? ir_ops[op].name : NULL;
    }
    return NULL;
}

static bool batched(const Term *t) { return t && t->kind == T_VALUE && t->batched; }

/* An elementwise operand: a value, a number, or a constant vector (not a matrix). */
static bool elementwise_operand(const Term *t) {
    return t && (t->kind == T_VALUE || t->kind == T_NUMBER || (t->kind == T_TENSOR && !t->cols));
}

/* The width of a elementwise op on a and b: the same for both, or one is a
 * number; -1 when they do not fit (ONNX would broadcast, the language does not). */
static int64_t common_width(const Term *a, const Term *b) {
    if (!b || b->kind == T_NUMBER)
        return width(a);
    if (a->kind == T_NUMBER || width(a) == width(b))
        return width(b);
    return -1;
}

static int arithmetic(Reader *r, const Onnx__NodeProto *n, Term *a, Term *b) {
    static const char *const ops[][2] = {{"Add", "%s + %s"}, {"Sub", "%s - %s"}, {"Mul", "%s * %s"}, {"Div", "%s / %s"}};
    const char *fmt = NULL;
    if (!strcmp(n->op_type, "Neg") && n->n_input == 1)
        fmt = "-%s";
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (!strcmp(n->op_type, ops[i][0]) && n->n_input == 2)
            fmt = ops[i][1];
    const char *f = fmt ? NULL : onnx_cell_function(n);
    if (!fmt && !f)
        return fail(r, n, "is an operator rnnc does not read in a cell (or has other attributes or operands than rnnc's function)");
    bool two = n->n_input == 2;
    if (!elementwise_operand(a) || (two && !elementwise_operand(b)))
        return fail(r, n, "computes with other than vectors and numbers");
    if (a->kind == T_NUMBER && (!two || b->kind == T_NUMBER))
        return fail(r, n, "computes with numbers only");
    int64_t w = common_width(a, two ? b : NULL);
    if (w < 0)
        return fail(r, n, arena_printf(r->a, "combines vectors of %lld and %lld elements", (long long)width(a),
                                       (long long)width(b)));
    if (!fmt)
        fmt = arena_printf(r->a, two ? "%s(%%s, %%s)" : "%s(%%s)", f);
    return assign(r, n, w, batched(a) || batched(b), fmt, use(r, a), two ? use(r, b) : NULL);
}

/* Gemm(v, W, transB=1) over the batch's rows, or MatMul(W, v) of a vector
 * without a batch axis: W @ v. */
static int product(Reader *r, const Onnx__NodeProto *n, Term *a, Term *b) {
    bool gemm = !strcmp(n->op_type, "Gemm");
    Term *W = gemm ? b : a, *v = gemm ? a : b;
    if (gemm && (onnx_attr_int(n, "transA", 0) || !onnx_attr_int(n, "transB", 0) || n->n_input > 2 ||
                 onnx_attr_float(n, "alpha", 1) != 1 || onnx_attr_float(n, "beta", 1) != 1))
        return fail(r, n, "is not x W^T (transB 1, no transA, alpha or beta, no C)");
    if (n->n_input != 2 || !W || W->kind != T_TENSOR || !W->cols || !v ||
        !(v->kind == T_VALUE || (v->kind == T_TENSOR && !v->cols)))
        return fail(r, n, gemm ? "multiplies other than a value by a constant matrix W^T"
                               : "multiplies other than a constant matrix by a vector");
    if (gemm != batched(v))
        return fail(r, n, gemm ? "multiplies a vector without a batch axis (Gemm needs rows)"
                               : "multiplies a value with a batch axis from the left (W @ x is Gemm(x, W, transB=1))");
    if (width(v) != W->cols)
        return fail(r, n, arena_printf(r->a, "multiplies a matrix of %lld columns by a vector of %lld", (long long)W->cols,
                                       (long long)width(v)));
    return assign(r, n, W->rows, batched(v), "%s @ %s", use(r, W), use(r, v));
}

static int slice(Reader *r, const Onnx__NodeProto *n, Term *a) {
    Term *s = operand(r, n, 1), *e = operand(r, n, 2), *ax = operand(r, n, 3), *st = operand(r, n, 4);
    if (a->kind == T_SHAPE || a->kind == T_INTS) {
        Term *shape = term(r, T_SHAPE);
        shape->size = -1;
        return alias(r, n, shape), 0;
    }
    bool last_axis = ax && ax->kind == T_INTS && ax->nints == 1 && (ax->ints[0] == -1 || ax->ints[0] == 1);
    if (!s || !e || s->kind != T_INTS || e->kind != T_INTS || s->nints != 1 || e->nints != 1 || !last_axis ||
        (st && (st->kind != T_INTS || st->nints != 1 || st->ints[0] != 1)) ||
        !(a->kind == T_VALUE || (a->kind == T_TENSOR && !a->cols)))
        return fail(r, n, "is not a slice of a vector's elements with constant bounds");
    int64_t size = width(a), lo = s->ints[0], hi = e->ints[0] > size ? size : e->ints[0];
    if (lo < 0 || lo >= hi)
        return fail(r, n, "has bounds outside its vector");
    return assign(r, n, hi - lo, batched(a), arena_printf(r->a, "%%s[%lld:%lld]", (long long)lo, (long long)hi),
                  use(r, a), NULL);
}

/* Concat along the rows of constant matrices: one matrix. */
static int concat_rows(Reader *r, const Onnx__NodeProto *n) {
    Term *m = term(r, T_TENSOR);
    for (size_t i = 0; i < n->n_input; i++) {
        Term *t = operand(r, n, i);
        if (!t || t->kind != T_TENSOR || !t->cols || (i && t->cols != m->cols))
            return fail(r, n, "joins along the rows other than constant matrices of the same width");
        m->cols = t->cols;
        m->rows += t->rows;
        if (m->rows * m->cols > ONNX_MAX_TENSOR_ELEMS)
            return fail(r, n, "joins matrices into one of more elements than rnnc reads");
    }
    float *data = arena_alloc(r->a, sizeof(float) * (size_t)(m->rows * m->cols + 1));
    for (size_t i = 0, at = 0; i < n->n_input; i++) {
        Term *t = operand(r, n, i);
        memcpy(data + at, t->data, sizeof(float) * (size_t)(t->rows * t->cols));
        at += (size_t)(t->rows * t->cols);
    }
    m->data = data;
    ArenaText name = {0}; /* named after its parts: Wf_Wh */
    for (size_t i = 0; i < n->n_input; i++)
        text_append(r->a, &name, "%s%s", i ? "_" : ".", base_name(r, operand(r, n, i)->text));
    m->text = text_of(&name);
    alias(r, n, m);
    return 0;
}

/* A shape: a Concat of shapes and integers, its last dimension known when the last operand is a constant. */
static int shape_concat(Reader *r, const Onnx__NodeProto *n) {
    Term *shape = term(r, T_SHAPE), *last = operand(r, n, n->n_input - 1);
    shape->size = last && last->kind == T_INTS && last->nints ? last->ints[last->nints - 1] : -1;
    return alias(r, n, shape), 0;
}

static int concat(Reader *r, const Onnx__NodeProto *n) {
    int64_t axis = onnx_attr_int(n, "axis", 0);
    Term *first = operand(r, n, 0);
    if (!first)
        return fail(r, n, "has no operand");
    if (first->kind == T_SHAPE || first->kind == T_INTS)
        return shape_concat(r, n);
    if (axis == 0 && first->kind == T_TENSOR && first->cols)
        return concat_rows(r, n);
    if (axis != -1 && axis != 1)
        return fail(r, n, "joins other than vectors end to end");
    ArenaText args = {0};
    int64_t size = 0;
    bool any = false;
    for (size_t i = 0; i < n->n_input; i++) {
        Term *t = operand(r, n, i);
        if (!t || !(t->kind == T_VALUE || (t->kind == T_TENSOR && !t->cols)))
            return fail(r, n, "joins other than vectors");
        const char *name = use(r, t);
        if (!name)
            return fail(r, n, "reads a value rnnc cannot hold");
        text_append(r->a, &args, "%s%s", i ? ", " : "", name);
        size += width(t);
        any |= batched(t);
        if (size > ONNX_MAX_TENSOR_ELEMS)
            return fail(r, n, "joins vectors into one of more elements than rnnc reads");
    }
    return assign(r, n, size, any, "concat(%s)", text_of(&args), NULL);
}

/* Expand of a vector without a batch axis (or a number) to [batch, size]
 * of the same size: the value itself, which the language broadcasts. */
static int expand(Reader *r, const Onnx__NodeProto *n, Term *a, Term *shape) {
    int64_t last = !shape ? -1 : shape->kind == T_SHAPE ? shape->size
                                : shape->kind == T_INTS && shape->nints == 2 ? shape->ints[1] : -1;
    if (batched(a) || !elementwise_operand(a) || last < 1 || (a->kind != T_NUMBER && last != width(a)))
        return fail(r, n, "expands other than a vector to the batch's rows of its own size");
    if (a->kind == T_NUMBER)
        return fail(r, n, "expands a number into a vector (rnnc's cells have no vector of one number)");
    return alias(r, n, a), 0;
}

static int node(Reader *r, const Onnx__NodeProto *n) {
    const char *op = n->op_type ? n->op_type : "";
    if (!strcmp(op, "Constant")) {
        const Onnx__AttributeProto *v = onnx_attr(n, "value");
        Term *c = v && v->t ? constant(r, v->t) : NULL;
        if (!c)
            return fail(r, n, "is a constant rnnc cannot hold in a cell (a number, integers or a finite float tensor)");
        if (c->kind == T_TENSOR)
            c->text = n->output && n->n_output ? n->output[0] : "constant";
        return alias(r, n, c), 0;
    }
    for (size_t i = 0; i < n->n_input; i++)
        if (n->input[i] && *n->input[i] && !operand(r, n, i))
            return fail(r, n, arena_printf(r->a, "reads '%s', which is neither an earlier value of the body nor a constant of the graph", onnx_printable(r->a, n->input[i])));
    Term *a = operand(r, n, 0), *b = operand(r, n, 1);
    if (!a)
        return fail(r, n, "has no operand");
    if (!strcmp(op, "Shape")) {
        Term *shape = term(r, T_SHAPE);
        shape->size = -1;
        return alias(r, n, shape), 0;
    }
    if (!strcmp(op, "Identity"))
        return alias(r, n, a), 0;
    if (!strcmp(op, "Expand")) /* to [batch, size]: the language broadcasts */
        return expand(r, n, a, b);
    if (!strcmp(op, "Slice"))
        return slice(r, n, a);
    if (!strcmp(op, "Concat"))
        return concat(r, n);
    if (!strcmp(op, "Gemm") || !strcmp(op, "MatMul"))
        return product(r, n, a, b);
    if (a->kind == T_SHAPE || a->kind == T_INTS)
        return fail(r, n, "computes with shapes");
    return arithmetic(r, n, a, b);
}

/* ---- the body ---------------------------------------------------------------- */

/* The size of a body input or output: [batch, size], size fixed. */
static int64_t declared_size(const Onnx__ValueInfoProto *v) {
    const Onnx__TypeProto__Tensor *t =
        v && v->type && v->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? v->type->tensor_type : NULL;
    if (!t || !t->shape || t->shape->n_dim != 2 || t->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return -1;
    const Onnx__TensorShapeProto__Dimension *d = t->shape->dim[1];
    return d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value > 0 ? d->dim_value : -1;
}

static int body_error(Reader *r, const char *why) {
    snprintf(r->err, r->err_len, "its body %s", why);
    return -1;
}

/* Declare the states and the input; the states' names in state_names. */
static int declarations(Reader *r, int nstates, const char **state_names, const char **decl, int64_t *in) {
    const Onnx__GraphProto *b = r->body;
    const char *states = "";
    for (int i = 0; i <= nstates; i++) {
        int64_t size = declared_size(b->input[i]);
        if (size < 1)
            return body_error(r, arena_printf(r->a, "input '%s' is not float [batch, size] with a fixed size",
                                              onnx_printable(r->a, b->input[i]->name)));
        Term *t = term(r, T_VALUE);
        t->size = size;
        t->batched = true;
        if (i < nstates) {
            t->text = state_names[i] = take_name(r, last_part(b->input[i]->name), "s");
            states = arena_printf(r->a, "%s%s%s[%lld]", states, i ? ", " : "", t->text, (long long)size);
        } else {
            t->text = take_name(r, "x", "x");
            *in = size;
            *decl = arena_printf(r->a, "    input %s[%lld]\n    state %s\n", t->text, (long long)size, states);
        }
        strmap_put(r->a, &r->terms, b->input[i]->name, t);
    }
    return 0;
}

/* The body's outputs: the next states, then the step's output. */
static int outputs(Reader *r, int nstates, const char **state_names, OnnxScan *out) {
    const Onnx__GraphProto *b = r->body;
    for (int i = 0; i <= nstates; i++) {
        Term *t = b->output[i]->name ? strmap_get(&r->terms, b->output[i]->name) : NULL;
        if (t && t->kind == T_TENSOR && !t->cols) { /* a parameter vector as it is */
            Term *v = term(r, T_VALUE);
            v->text = use(r, t);
            v->size = t->rows;
            t = v->text ? v : NULL;
        }
        if (!t || t->kind != T_VALUE)
            return body_error(r, arena_printf(r->a, "output '%s' is not a vector the step computes",
                                              onnx_printable(r->a, b->output[i]->name)));
        if (i < nstates && t->size != declared_size(b->input[i]))
            return body_error(r, arena_printf(r->a, "gives state '%s' a next value of %lld elements, not %lld",
                                              state_names[i], (long long)t->size, (long long)declared_size(b->input[i])));
        if (i < nstates)
            equation(r, "%s' = %s", state_names[i], t->text);
        else {
            equation(r, "output %s", t->text, NULL);
            out->out = t->size;
        }
    }
    return 0;
}

int onnx_scan_body(Arena *a, const Onnx__GraphProto *g, const Onnx__NodeProto *n, OnnxScan *out, char *err,
                   size_t err_len) {
    memset(out, 0, sizeof *out);
    const Onnx__AttributeProto *body = onnx_attr(n, "body");
    Reader r = {.a = a, .g = g, .body = body ? body->g : NULL, .err = err, .err_len = err_len};
    if (!r.body)
        return onnx_errorf(err, err_len, "has no body graph");
    int nstates = (int)n->n_input - 1;
    if ((int)r.body->n_input != nstates + 1 || (int)r.body->n_output != nstates + 1)
        return body_error(&r, "does not take the states and one input and give the next states and one output");
    const char **state_names = arena_alloc(a, sizeof(char *) * (size_t)(nstates + 1));
    const char *decl = "";
    if (declarations(&r, nstates, state_names, &decl, &out->in))
        return -1;
    for (size_t i = 0; i < r.body->n_node; i++)
        if (node(&r, r.body->node[i]))
            goto failed;
    if (outputs(&r, nstates, state_names, out))
        goto failed;
    ArenaText cell = {0};
    text_append(a, &cell, "%s", decl);
    for (int i = 0; i < r.params.len; i++) {
        const OnnxScanParam *p = r.params.items[i];
        text_append(a, &cell, "%s%s[%lld", i ? ", " : "    param ", p->name, (long long)p->rows);
        if (p->cols)
            text_append(a, &cell, ", %lld", (long long)p->cols);
        text_append(a, &cell, "]");
    }
    text_append(a, &cell, "%s%s", r.params.len ? "\n" : "", text_of(&r.text));
    out->body = text_of(&cell);
    out->nstates = nstates;
    out->nparams = r.params.len;
    out->params = arena_alloc(a, sizeof(OnnxScanParam) * (size_t)(r.params.len + 1));
    for (int i = 0; i < r.params.len; i++)
        out->params[i] = *(OnnxScanParam *)r.params.items[i];
    return 0;
failed:
    for (int i = 0; i < r.params.len; i++)
        free(((OnnxScanParam *)r.params.items[i])->data);
    return -1;
}

void onnx_scan_free(OnnxScan *s) {
    for (int i = 0; i < s->nparams; i++)
        free(s->params[i].data);
    s->nparams = 0;
}
