/* sema_model.c - check a model: its input and target types, each layer
 * with concrete sizes, the loss, and the train { } settings. Every cell
 * use is instantiated once per stacked layer (sema_instantiate), so a size
 * or slice that only fails for these sizes is reported here, at the use.
 * The parameters the layers imply are laid out by lowering (lower.c). */
#include "ir.h" /* the op table: which functions the language has */
#include "sema.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct ModelCheck {
    Sema *s;
    ModelInfo *m;
    StrMap scope;     /* model name -> Layer */
    StrMap reported;  /* undefined names already reported */
    PtrVec layers;
    bool quiet;       /* the block had a syntax error */
    Stmt *loss;       /* the first loss statement */
    int64_t state_floats; /* carried states so far, per sample */
} ModelCheck;

/* A function of one value, applied per step as a layer. */
static bool is_activation(const char *name) {
    int op = ir_function(name);
    return op >= 0 && ir_ops[op].arity == 1;
}

static const char *text(ModelCheck *k, Loc loc) {
    char buf[64];
    loc_text(loc, buf, sizeof buf);
    return arena_strdup(k->s->arena, buf);
}

static const char *type_str(ModelCheck *k, ValType t) {
    return arena_printf(k->s->arena, "%s%s(%lld)", t.seq ? "seq " : "", t.token ? "token" : "vector",
                        (long long)t.size);
}

/* ---- constants -------------------------------------------------------- */

/* A whole number in [lo, hi], or report what was expected. */
static bool const_int(ModelCheck *k, Expr *e, int64_t lo, int64_t hi, const char *what, int64_t *out) {
    double v;
    if (e->kind == EX_ERROR)
        return false;
    if (!sema_const_number(e, &v) || (e->kind == EX_NUM && !e->is_int) || v != floor(v)) {
        diag_error(k->s->diags, e->loc, "%s must be a whole number, not '%s'", what, text(k, e->loc));
        return false;
    }
    if (v < (double)lo || v > (double)hi) {
        diag_error(k->s->diags, e->loc, "%s %s is out of range: it must be in [%lld, %lld]", what,
                   text(k, e->loc), (long long)lo, (long long)hi);
        return false;
    }
    *out = (int64_t)v;
    return true;
}

/* A number in [lo, hi) (hi_open) or [lo, hi]. */
static bool const_real(ModelCheck *k, Expr *e, double lo, double hi, bool lo_open, bool hi_open,
                       const char *what, double *out) {
    double v;
    if (e->kind == EX_ERROR)
        return false;
    if (!sema_const_number(e, &v)) {
        diag_error(k->s->diags, e->loc, "%s must be a number, not '%s'", what, text(k, e->loc));
        return false;
    }
    if (!(lo_open ? v > lo : v >= lo) || !(hi_open ? v < hi : v <= hi)) {
        diag_error(k->s->diags, e->loc, "%s %s is out of range: it must be in %c%g, %g%c", what,
                   text(k, e->loc), lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
        return false;
    }
    *out = v;
    return true;
}

static bool const_bool(ModelCheck *k, Expr *e, const char *what, bool *out) {
    if (e->kind != EX_BOOL) {
        if (e->kind != EX_ERROR)
            diag_error(k->s->diags, e->loc, "%s must be true or false, not '%s'", what, text(k, e->loc));
        return false;
    }
    *out = e->num != 0;
    return true;
}

static bool read_type(ModelCheck *k, TypeSpec *t, ValType *out) {
    int64_t n;
    if (!const_int(k, t->size, 1, SIZE_LIMIT, t->token ? "vocabulary size" : "vector size", &n))
        return false;
    *out = (ValType){t->seq, t->token, false, n};
    return true;
}

/* ---- arguments -------------------------------------------------------- */

typedef struct Args {
    Expr *pos[8];
    int npos;
    Arg *named[16];
    int nnamed;
    bool bad;
} Args;

/* Split a call's arguments; named ones must be among `allowed`
 * (NULL-terminated), positional ones at most max_pos. */
static Args split_args(ModelCheck *k, Expr *call, int max_pos, const char *const *allowed, const char *usage) {
    Args a = {0};
    for (int i = 0; i < call->nargs; i++) {
        Arg *arg = call->args[i];
        if (!arg->name) {
            if (a.npos == max_pos) {
                diag_error(k->s->diags, arg->loc, "too many arguments to %s; write %s", call->name, usage);
                a.bad = true;
                return a;
            }
            a.pos[a.npos++] = arg->value;
            continue;
        }
        bool known = false;
        for (int j = 0; allowed[j]; j++)
            known |= !strcmp(allowed[j], arg->name);
        if (!known || a.nnamed == 16) {
            diag_error(k->s->diags, arg->loc, "%s has no argument '%s'; write %s", call->name, arg->name, usage);
            a.bad = true;
            return a;
        }
        for (int j = 0; j < a.nnamed; j++)
            if (!strcmp(a.named[j]->name, arg->name)) {
                diag_error(k->s->diags, arg->loc, "argument '%s' is given twice", arg->name);
                a.bad = true;
                return a;
            }
        a.named[a.nnamed++] = arg;
    }
    return a;
}

static Expr *named(Args *a, const char *name) {
    for (int i = 0; i < a->nnamed; i++)
        if (!strcmp(a->named[i]->name, name))
            return a->named[i]->value;
    return NULL;
}

/* ---- layers ----------------------------------------------------------- */

static Layer *layer_new(ModelCheck *k, LayerKind kind, const char *name, Loc loc, Layer *arg) {
    Layer *l = arena_alloc(k->s->arena, sizeof *l);
    l->kind = kind;
    l->name = name;
    l->loc = loc;
    l->arg = arg;
    vec_push(k->s->arena, &k->layers, l);
    return l;
}

static Layer *check_value(ModelCheck *k, Expr *e, const char *name);

/* The argument a layer reads: a vector (or token) value. */
static Layer *operand(ModelCheck *k, Expr *call, Args *a) {
    if (a->npos == 0) {
        diag_error(k->s->diags, call->loc, "%s needs the value it applies to as its first argument", call->name);
        return NULL;
    }
    return check_value(k, a->pos[0], NULL);
}

static bool need_vectors(ModelCheck *k, Expr *at, Layer *in, const char *what) {
    if (in->type.token) {
        diag_error(k->s->diags, at->loc, "%s works on vectors, but '%s' is %s; use embedding(%s, dim=...) first",
                   what, text(k, at->loc), type_str(k, in->type), text(k, at->loc));
        return false;
    }
    return true;
}

static Layer *embedding(ModelCheck *k, Expr *e, const char *name) {
    static const char *const allowed[] = {"dim", NULL};
    Args a = split_args(k, e, 1, allowed, "embedding(x, dim=D)");
    Layer *in = a.bad ? NULL : operand(k, e, &a);
    Expr *dim = named(&a, "dim");
    if (!in)
        return NULL;
    if (!dim) {
        diag_error(k->s->diags, e->loc, "embedding needs its width: embedding(x, dim=D)");
        return NULL;
    }
    int64_t d;
    if (!const_int(k, dim, 1, SIZE_LIMIT, "embedding dim", &d))
        return NULL;
    if (!in->type.token) {
        diag_error(k->s->diags, a.pos[0]->loc, "embedding reads tokens, but '%s' is %s", text(k, a.pos[0]->loc),
                   type_str(k, in->type));
        return NULL;
    }
    if (in->type.size * d > TENSOR_MAX_ELEMS) {
        diag_error(k->s->diags, e->loc, "'%s.weight' would have %lld x %lld elements; the limit is %d per tensor",
                   name, (long long)in->type.size, (long long)d, TENSOR_MAX_ELEMS);
        return NULL;
    }
    Layer *l = layer_new(k, LAYER_EMBEDDING, name, e->loc, in);
    l->in = in->type.size;
    l->out = d;
    l->type = (ValType){in->type.seq, false, false, d};
    return l;
}

static Layer *linear(ModelCheck *k, Expr *e, const char *name) {
    static const char *const allowed[] = {NULL};
    Args a = split_args(k, e, 2, allowed, "linear(x, N)");
    Layer *in = a.bad ? NULL : operand(k, e, &a);
    if (!in)
        return NULL;
    if (a.npos < 2) {
        diag_error(k->s->diags, e->loc, "linear needs its output size: linear(x, N)");
        return NULL;
    }
    int64_t n;
    if (!const_int(k, a.pos[1], 1, SIZE_LIMIT, "linear output size", &n) || !need_vectors(k, a.pos[0], in, "linear"))
        return NULL;
    if (in->type.size * n > TENSOR_MAX_ELEMS) {
        diag_error(k->s->diags, e->loc, "'%s.weight' would have %lld x %lld elements; the limit is %d per tensor",
                   name, (long long)n, (long long)in->type.size, TENSOR_MAX_ELEMS);
        return NULL;
    }
    Layer *l = layer_new(k, LAYER_LINEAR, name, e->loc, in);
    l->in = in->type.size;
    l->out = n;
    l->type = (ValType){in->type.seq, false, false, n};
    return l;
}

static Layer *simple(ModelCheck *k, Expr *e, LayerKind kind) {
    static const char *const allowed[] = {NULL};
    const char *usage = kind == LAYER_LAST ? "last(x)" : kind == LAYER_DROPOUT ? "dropout(x, p)"
                                                                               : arena_printf(k->s->arena, "%s(x)", e->name);
    Args a = split_args(k, e, kind == LAYER_DROPOUT ? 2 : 1, allowed, usage);
    Layer *in = a.bad ? NULL : operand(k, e, &a);
    if (!in || !need_vectors(k, a.pos[0], in, e->name))
        return NULL;
    double p = 0;
    if (kind == LAYER_DROPOUT) {
        if (a.npos < 2) {
            diag_error(k->s->diags, e->loc, "dropout needs its probability: dropout(x, p)");
            return NULL;
        }
        if (!const_real(k, a.pos[1], 0, 1, false, true, "dropout probability", &p))
            return NULL;
    }
    if (kind == LAYER_LAST && !in->type.seq) {
        diag_error(k->s->diags, a.pos[0]->loc, "last takes a sequence, but '%s' is %s (one per sequence)",
                   text(k, a.pos[0]->loc), type_str(k, in->type));
        return NULL;
    }
    Layer *l = layer_new(k, kind, NULL, e->loc, in);
    l->type = in->type;
    l->type.seq = kind == LAYER_LAST ? false : in->type.seq;
    l->dropout = p;
    l->func = kind == LAYER_ACTIVATION ? e->name : NULL;
    return l;
}

/* ---- cells over sequences --------------------------------------------- */

/* rnn(x, hidden=H, nonlinearity=tanh|relu) names rnn_tanh or rnn_relu. */
static CellInfo *resolve_cell(ModelCheck *k, Expr *e, bool *bad) {
    if (strcmp(e->name, "rnn") != 0)
        return strmap_get(&k->s->cells, e->name);
    const char *which = "rnn_tanh";
    for (int i = 0; i < e->nargs; i++) {
        Arg *a = e->args[i];
        if (!a->name || strcmp(a->name, "nonlinearity"))
            continue;
        if (a->value->kind == EX_NAME && !a->value->primed &&
            (!strcmp(a->value->name, "tanh") || !strcmp(a->value->name, "relu"))) {
            which = !strcmp(a->value->name, "tanh") ? "rnn_tanh" : "rnn_relu";
        } else {
            diag_error(k->s->diags, a->value->loc, "nonlinearity must be tanh or relu, not '%s'",
                       text(k, a->value->loc));
            *bad = true;
        }
    }
    return strmap_get(&k->s->cells, which);
}

static const char *cell_usage(ModelCheck *k, const char *callee, CellInfo *c) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s(x", callee);
    for (int i = 0; i < c->nsizes; i++)
        if (i != c->inferred)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ", %s=N", c->sizes[i]->name);
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "[, layers=K, bidirectional=true, dropout=p]%s)",
             strcmp(callee, "rnn") ? "" : "[, nonlinearity=tanh|relu]");
    return arena_strdup(k->s->arena, buf);
}

/* Named size arguments, layers=, bidirectional=, dropout=. */
static bool cell_options(ModelCheck *k, Expr *e, CellInfo *c, Layer *l, const char *usage) {
    l->sizes = arena_alloc(k->s->arena, sizeof(int64_t) * (size_t)(c->nsizes + 1));
    bool ok = true;
    l->nlayers = 1;
    for (int i = 0; i < e->nargs; i++) {
        Arg *a = e->args[i];
        if (!a->name) {
            if (i > 0) {
                diag_error(k->s->diags, a->loc, "sizes are passed by name: %s", usage);
                ok = false;
            }
            continue;
        }
        for (int j = 0; j < i; j++)
            if (e->args[j]->name && !strcmp(e->args[j]->name, a->name)) {
                diag_error(k->s->diags, a->loc, "argument '%s' is given twice", a->name);
                ok = false;
            }
        int64_t n = 1;
        bool b = false;
        if (!strcmp(a->name, "layers")) {
            ok &= const_int(k, a->value, 1, MODEL_MAX_LAYERS, "layers", &n);
            l->nlayers = (int)n;
        } else if (!strcmp(a->name, "bidirectional")) {
            ok &= const_bool(k, a->value, "bidirectional", &b);
            l->bidirectional = b;
        } else if (!strcmp(a->name, "dropout")) {
            ok &= const_real(k, a->value, 0, 1, false, true, "dropout", &l->dropout);
        } else if (!strcmp(a->name, "nonlinearity") && !strcmp(e->name, "rnn")) {
            /* read by resolve_cell */
        } else {
            Sym *size = strmap_get(&c->scope, a->name);
            if (!size || size->kind != SYM_SIZE) {
                diag_error(k->s->diags, a->loc, "cell '%s' has no argument '%s'; write %s", c->name, a->name, usage);
                ok = false;
                continue;
            }
            ok &= const_int(k, a->value, 1, SIZE_LIMIT, a->name, &l->sizes[size->index]);
        }
    }
    for (int i = 0; ok && i < c->nsizes; i++)
        if (i != c->inferred && l->sizes[i] == 0) {
            diag_error(k->s->diags, e->loc, "cell '%s' needs its size '%s': %s", c->name, c->sizes[i]->name, usage);
            ok = false;
        }
    if (ok && l->dropout > 0 && l->nlayers == 1)
        diag_warning(k->s->diags, e->loc, "dropout=%g acts between stacked layers; with layers=1 it does nothing",
                     l->dropout);
    return ok;
}

/* Check every stacked layer's sizes (each reads the previous one's output)
 * and find the layer's output width; the parameters these sizes give are
 * named and laid out by lowering. */
static bool cell_layers(ModelCheck *k, Expr *e, CellInfo *c, Layer *l, int64_t width) {
    int dirs = l->bidirectional ? 2 : 1;
    int64_t out = 0;
    /* an inferred size may also be given by name, but must then agree */
    if (c->inferred >= 0 && l->sizes[c->inferred] && l->sizes[c->inferred] != width) {
        diag_error(k->s->diags, e->loc, "cell '%s' is given %s=%lld, but its argument has width %lld", c->name,
                   c->sizes[c->inferred]->name, (long long)l->sizes[c->inferred], (long long)width);
        return false;
    }
    for (int layer = 0; layer < l->nlayers; layer++) {
        const char *what = arena_printf(k->s->arena, "in layer %d of '%s'", layer, l->name);
        int64_t *vals = sema_instantiate(k->s, c, l->sizes, width, e->loc, what);
        if (!vals)
            return false;
        if (layer == 0 && c->inferred >= 0)
            l->sizes[c->inferred] = width;
        out = sema_dim(c->output->shape.dim[0], vals);
        if (out * dirs > SIZE_LIMIT) {
            diag_error(k->s->diags, e->loc, "%s: the output would have %lld elements per step", what, (long long)(out * dirs));
            return false;
        }
        width = out * dirs;
    }
    l->type = (ValType){true, false, false, width};
    int64_t state = 0; /* carried between BPTT windows, per sample */
    for (int i = 0; i < c->nstates; i++)
        state += sema_dim(c->states[i]->shape.dim[0], l->sizes) * dirs * l->nlayers;
    k->state_floats += state;
    if (k->state_floats > STATE_MAX_FLOATS) {
        diag_error(k->s->diags, e->loc, "the model's cells would carry %lld state values per sample; the limit is 2^28",
                   (long long)k->state_floats);
        return false;
    }
    return true;
}

static Layer *apply_cell(ModelCheck *k, Expr *e, const char *name, CellInfo *c, bool bad) {
    const char *usage = cell_usage(k, e->name, c);
    if (e->nargs == 0 || e->args[0]->name) {
        diag_error(k->s->diags, e->loc, "a cell needs the sequence it runs over first: %s", usage);
        return NULL;
    }
    Layer *in = check_value(k, e->args[0]->value, NULL);
    Layer *l = arena_alloc(k->s->arena, sizeof *l);
    l->kind = LAYER_CELL;
    l->name = name;
    l->loc = e->loc;
    l->arg = in;
    l->cell = c;
    if (!cell_options(k, e, c, l, usage) || bad || !in)
        return NULL;
    if (!c->ok)
        return NULL; /* its errors are reported at the cell */
    Expr *x = e->args[0]->value;
    if (!need_vectors(k, x, in, arena_printf(k->s->arena, "cell '%s'", c->name)))
        return NULL;
    if (!in->type.seq) {
        diag_error(k->s->diags, x->loc, "cell '%s' runs over a sequence, but '%s' is %s (one per sequence)", c->name,
                   text(k, x->loc), type_str(k, in->type));
        return NULL;
    }
    if (!cell_layers(k, e, c, l, in->type.size))
        return NULL;
    vec_push(k->s->arena, &k->layers, l);
    return l;
}

/* ---- values ----------------------------------------------------------- */

static Layer *check_name(ModelCheck *k, Expr *e) {
    Layer *l = e->primed ? NULL : strmap_get(&k->scope, e->name);
    if (e->primed) {
        diag_error(k->s->diags, e->loc, "%s' has a meaning only inside a cell", e->name);
        return NULL;
    }
    if (!l) {
        if (!k->quiet && !strmap_get(&k->reported, e->name)) {
            diag_error(k->s->diags, e->loc, "undefined name '%s'", e->name);
            strmap_put(k->s->arena, &k->reported, e->name, e);
        }
        return NULL;
    }
    if (l->kind == LAYER_TARGET && !l->type.error) {
        diag_error(k->s->diags, e->loc, "target '%s' can only be read by the loss", e->name);
        return NULL;
    }
    l->used = true;
    return l->type.error ? NULL : l;
}

/* A model expression: a name, or a layer applied to one. `name` is the
 * model name it is assigned to, NULL when nested inside another call. */
static Layer *check_value(ModelCheck *k, Expr *e, const char *name) {
    if (e->kind == EX_NAME)
        return check_name(k, e);
    if (e->kind == EX_ERROR)
        return NULL;
    if (e->kind != EX_CALL) {
        diag_error(k->s->diags, e->loc, "expected a layer or a name here, not '%s'; "
                                        "arithmetic belongs inside a cell", text(k, e->loc));
        return NULL;
    }
    bool bad = false;
    CellInfo *c = resolve_cell(k, e, &bad);
    bool has_params = c || !strcmp(e->name, "embedding") || !strcmp(e->name, "linear");
    if (has_params && !name) {
        diag_error(k->s->diags, e->loc, "'%s' has parameters, so it must be assigned to a name of its own: "
                                        "write 'NAME = %s(...)' on a line of its own", e->name, e->name);
        return NULL;
    }
    if (c)
        return apply_cell(k, e, name, c, bad);
    if (!strcmp(e->name, "embedding"))
        return embedding(k, e, name);
    if (!strcmp(e->name, "linear"))
        return linear(k, e, name);
    if (!strcmp(e->name, "last"))
        return simple(k, e, LAYER_LAST);
    if (!strcmp(e->name, "dropout"))
        return simple(k, e, LAYER_DROPOUT);
    if (is_activation(e->name))
        return simple(k, e, LAYER_ACTIVATION);
    if (ir_function(e->name) >= 0)
        diag_error(k->s->diags, e->loc, "'%s' combines two values; as a layer, only a function of one value "
                                        "applies per step (%s): use '%s' inside a cell", e->name,
                   ir_function_names(1), e->name);
    else if (!strcmp(e->name, "cross_entropy") || !strcmp(e->name, "mse"))
        diag_error(k->s->diags, e->loc, "%s is a loss; write 'loss %s(...)'", e->name, e->name);
    else
        diag_error(k->s->diags, e->loc, "unknown layer or cell '%s'", e->name);
    return NULL;
}

/* ---- statements ------------------------------------------------------- */

static void bind(ModelCheck *k, const char *name, Loc loc, Layer *l) {
    Layer *old = strmap_get(&k->scope, name);
    if (old) {
        diag_error(k->s->diags, loc, "'%s' is already defined in model '%s'", name, k->m->name);
        diag_note(k->s->diags, old->loc, "'%s' was defined here", name);
        return;
    }
    strmap_put(k->s->arena, &k->scope, name, l);
}

static void check_io(ModelCheck *k, Stmt *st) {
    bool target = st->kind == ST_TARGET;
    const char *kw = target ? "target" : "input";
    if (!st->typed) {
        diag_error(k->s->diags, st->loc, "in a model, declare the %s with its type: '%s x : seq token(V)', "
                                         "'seq vector(N)', 'token(V)' or 'vector(N)'", kw, kw);
        return;
    }
    Layer *prev = target ? k->m->target : k->m->input;
    if (prev) {
        diag_error(k->s->diags, st->name_loc, "model '%s' has a second %s; a model reads one %s", k->m->name, kw, kw);
        diag_note(k->s->diags, prev->loc, "the first %s is here", kw);
        return;
    }
    ValType t;
    bool ok = read_type(k, &st->type, &t);
    Layer *l = layer_new(k, target ? LAYER_TARGET : LAYER_INPUT, st->name, st->name_loc, NULL);
    l->type = t;
    l->type.error = !ok; /* still declared: its uses are not reported */
    if (target)
        k->m->target = l;
    else
        k->m->input = l;
    bind(k, st->name, st->name_loc, l);
}

static void check_assign(ModelCheck *k, Stmt *st) {
    if (st->primed) {
        diag_error(k->s->diags, st->name_loc, "%s' has a meaning only inside a cell", st->name);
        return;
    }
    Layer *l = check_value(k, st->value, st->name);
    if (!l) {
        /* keep the name defined so its uses are not reported again */
        l = arena_alloc(k->s->arena, sizeof *l);
        l->kind = LAYER_ACTIVATION;
        l->type.error = true;
        l->loc = st->name_loc;
    } else if (l->name != st->name) {
        /* an alias (h2 = h) or an unnamed layer gets this name */
        if (!l->name)
            l->name = st->name;
    }
    bind(k, st->name, st->name_loc, l);
}

static void check_loss(ModelCheck *k, Stmt *st) {
    Expr *e = st->value;
    Diags *d = k->s->diags;
    if (k->loss) {
        diag_error(d, st->loc, "model '%s' has a second loss; a model has one", k->m->name);
        diag_note(d, k->loss->loc, "the first loss is here");
        return;
    }
    k->loss = st;
    bool ce = e->kind == EX_CALL && !strcmp(e->name, "cross_entropy");
    bool mse = e->kind == EX_CALL && !strcmp(e->name, "mse");
    if (!ce && !mse) {
        if (e->kind != EX_ERROR)
            diag_error(d, e->loc, "a loss is cross_entropy(logits, target) or mse(output, target)");
        return;
    }
    const char *usage = ce ? "cross_entropy(logits, target)" : "mse(output, target)";
    if (e->nargs != 2 || e->args[0]->name || e->args[1]->name) {
        diag_error(d, e->loc, "%s takes two arguments: %s", e->name, usage);
        return;
    }
    Expr *out_e = e->args[0]->value, *tgt_e = e->args[1]->value;
    Layer *out = check_value(k, out_e, NULL);
    Layer *tgt = NULL;
    if (tgt_e->kind == EX_NAME && !tgt_e->primed)
        tgt = strmap_get(&k->scope, tgt_e->name);
    if (!tgt || tgt->kind != LAYER_TARGET) {
        if (tgt || k->m->target || !k->quiet)
            diag_error(d, tgt_e->loc, "the second argument of %s must be the model's target, not '%s'", e->name,
                       text(k, tgt_e->loc));
        return;
    }
    tgt->used = true;
    if (!out || tgt->type.error)
        return;
    if (out->type.token) {
        diag_error(d, out_e->loc, "%s compares vectors, but '%s' is %s", e->name, text(k, out_e->loc),
                   type_str(k, out->type));
        return;
    }
    if (ce && !tgt->type.token) {
        diag_error(d, tgt_e->loc, "cross_entropy needs token targets, but '%s' is %s; use mse for vectors",
                   tgt_e->name, type_str(k, tgt->type));
        return;
    }
    if (mse && tgt->type.token) {
        diag_error(d, tgt_e->loc, "mse needs vector targets, but '%s' is %s; use cross_entropy for tokens",
                   tgt_e->name, type_str(k, tgt->type));
        return;
    }
    if (out->type.seq != tgt->type.seq || out->type.size != tgt->type.size) {
        diag_error(d, e->loc, "%s: '%s' is %s but target '%s' is %s; %s", e->name, text(k, out_e->loc),
                   type_str(k, out->type), tgt_e->name, type_str(k, tgt->type),
                   out->type.seq != tgt->type.seq
                       ? (out->type.seq ? "take last(...) of the sequence, or make the target a sequence"
                                        : "both must be sequences, or neither")
                       : ce ? "the logits need one entry per token of the vocabulary" : "the sizes must agree");
        return;
    }
    k->m->loss = ce ? LOSS_CROSS_ENTROPY : LOSS_MSE;
    k->m->loss_arg = out;
}

/* optimizer = adam(lr=, beta1=, beta2=, eps=) | sgd(lr, momentum=) */
static void check_optimizer(ModelCheck *k, Expr *e, TrainConfig *t) {
    bool adam = e->kind == EX_CALL && !strcmp(e->name, "adam");
    bool sgd = e->kind == EX_CALL && !strcmp(e->name, "sgd");
    if (!adam && !sgd) {
        diag_error(k->s->diags, e->loc, "optimizer is adam(lr=...) or sgd(lr=..., momentum=...), not '%s'",
                   text(k, e->loc));
        return;
    }
    static const char *const adam_args[] = {"lr", "beta1", "beta2", "eps", NULL};
    static const char *const sgd_args[] = {"lr", "momentum", NULL};
    Args a = split_args(k, e, 1, adam ? adam_args : sgd_args,
                        adam ? "adam(lr=F, beta1=F, beta2=F, eps=F)" : "sgd(lr=F, momentum=F)");
    if (a.bad)
        return;
    t->optimizer = adam ? OPT_ADAM : OPT_SGD;
    Expr *lr = a.npos ? a.pos[0] : named(&a, "lr");
    if (a.npos && named(&a, "lr"))
        diag_error(k->s->diags, e->loc, "lr is given twice");
    if (lr)
        const_real(k, lr, 0, INFINITY, true, false, "lr", &t->lr);
    Expr *v;
    if ((v = named(&a, "momentum")))
        const_real(k, v, 0, 1, false, true, "momentum", &t->momentum);
    if ((v = named(&a, "beta1")))
        const_real(k, v, 0, 1, false, true, "beta1", &t->beta1);
    if ((v = named(&a, "beta2")))
        const_real(k, v, 0, 1, false, true, "beta2", &t->beta2);
    if ((v = named(&a, "eps")))
        const_real(k, v, 0, INFINITY, true, false, "eps", &t->eps);
}

static void check_train(ModelCheck *k, Stmt *st) {
    TrainConfig *t = &k->m->train;
    StrMap seen = {0};
    for (int i = 0; i < st->nbody; i++) {
        Stmt *s = st->body[i];
        if (s->kind != ST_ASSIGN || s->primed) {
            diag_error(k->s->diags, s->loc, "a train block holds settings: optimizer, clip, batch, bptt, epochs, seed, valid");
            continue;
        }
        Stmt *prev = strmap_get(&seen, s->name);
        if (prev) {
            diag_error(k->s->diags, s->name_loc, "'%s' is set twice in the train block", s->name);
            diag_note(k->s->diags, prev->name_loc, "first set here");
            continue;
        }
        strmap_put(k->s->arena, &seen, s->name, s);
        const char *n = s->name;
        Expr *v = s->value;
        if (!strcmp(n, "optimizer"))
            check_optimizer(k, v, t);
        else if (!strcmp(n, "clip"))
            const_real(k, v, 0, INFINITY, true, false, "clip", &t->clip);
        else if (!strcmp(n, "batch"))
            const_int(k, v, 1, 1 << 24, "batch", &t->batch);
        else if (!strcmp(n, "bptt"))
            const_int(k, v, 1, SIZE_LIMIT, "bptt", &t->bptt);
        else if (!strcmp(n, "epochs"))
            const_int(k, v, 1, SIZE_LIMIT, "epochs", &t->epochs);
        else if (!strcmp(n, "seed"))
            const_int(k, v, 0, INT64_MAX / 2, "seed", &t->seed);
        else if (!strcmp(n, "valid"))
            const_real(k, v, 0, 1, false, true, "valid", &t->valid);
        else
            diag_error(k->s->diags, s->name_loc, "unknown train setting '%s'; the settings are optimizer, clip, "
                                                 "batch, bptt, epochs, seed and valid", n);
    }
}

static const TrainConfig train_defaults = {
    .optimizer = OPT_ADAM, .lr = 0.001, .momentum = 0, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
    .clip = 0, .batch = 32, .bptt = 0, .epochs = 1, .seed = 1, .valid = 0.1,
};

static void warn_unused(ModelCheck *k) {
    /* everything the loss reads, transitively, is used */
    for (Layer *l = k->m->loss_arg; l; l = l->arg)
        l->used = true;
    for (int i = 0; i < k->layers.len; i++) {
        Layer *l = k->layers.items[i];
        if (!l->name || l->used || l->kind == LAYER_TARGET)
            continue;
        if (l->kind == LAYER_INPUT)
            diag_warning(k->s->diags, l->loc, "input '%s' is never used", l->name);
        else
            diag_warning(k->s->diags, l->loc, "'%s' is computed but the loss does not depend on it", l->name);
    }
}

static const char *misplaced(StmtKind kind) {
    switch (kind) {
    case ST_STATE: return "'state' belongs in a cell, not in a model";
    case ST_PARAM: return "'param' belongs in a cell; a model's parameters come from its layers";
    case ST_OUTPUT: return "'output' belongs in a cell; a model's output is the loss's first argument";
    default: return NULL;
    }
}

ModelInfo *sema_model(Sema *s, Block *b) {
    ModelInfo *m = arena_alloc(s->arena, sizeof *m);
    m->block = b;
    m->name = b->name;
    m->train = train_defaults;
    ModelCheck k = {.s = s, .m = m, .quiet = b->syntax_error};
    int errors_before = s->diags->errors;
    Stmt *train = NULL;
    for (int i = 0; i < b->nstmts; i++) {
        Stmt *st = b->stmts[i];
        if (misplaced(st->kind)) {
            diag_error(s->diags, st->loc, "%s", misplaced(st->kind));
        } else if (st->kind == ST_INPUT || st->kind == ST_TARGET) {
            check_io(&k, st);
        } else if (st->kind == ST_ASSIGN) {
            check_assign(&k, st);
        } else if (st->kind == ST_LOSS) {
            check_loss(&k, st);
        } else if (st->kind == ST_TRAIN && train) {
            diag_error(s->diags, st->loc, "model '%s' has a second train block", m->name);
            diag_note(s->diags, train->loc, "the first is here");
        } else if (st->kind == ST_TRAIN) {
            train = st;
            check_train(&k, st);
        }
    }
    if (!k.quiet) {
        if (!m->input)
            diag_error(s->diags, b->loc, "model '%s' has no input; declare one with 'input x : seq token(V)'", m->name);
        if (!m->target)
            diag_error(s->diags, b->loc, "model '%s' has no target; declare one with 'target y : seq token(V)'", m->name);
        if (!k.loss)
            diag_error(s->diags, b->loc, "model '%s' has no loss; add 'loss cross_entropy(logits, y)' or "
                                         "'loss mse(out, y)'", m->name);
        if (s->diags->errors == errors_before)
            warn_unused(&k); /* after an error, unused values are its echo */
    }
    m->layers = (Layer **)k.layers.items;
    m->nlayers = k.layers.len;
    return m;
}
