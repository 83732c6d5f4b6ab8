/* sema_cell.c - check one cell, generically in its size parameters.
 *   pass 1: declare size parameters, the input, states and parameters
 *   pass 2: note every assignment (locals single-assigned, one x' per state)
 *   pass 3: check right-hand sides in order: names defined before use,
 *           shapes agree as polynomials, slices in range where provable
 *   then:   every state updated, one output, warnings for unread values.
 * In a block where parsing recovered, errors that could be echoes of the
 * broken line (an undefined name, a missing update) are not reported. */
#include "ir.h" /* the op table: which functions the language has */
#include "sema.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct CellCheck {
    Sema *s;
    CellInfo *c;
    StrMap pending;   /* local name -> defining Stmt, before it is reached */
    StrMap reported;  /* undefined names already reported */
    const char **names; /* size parameter names, for poly_format */
    PtrVec states, params, steps, slices; /* collected, then copied to c */
} CellCheck;

static const Shape ERR = {-1, {NULL, NULL}};
static bool is_function(const char *name) { return ir_function(name) >= 0; }

static const char *kind_name(SymKind k) {
    static const char *names[] = {"size parameter", "input", "state", "parameter", "local"};
    return names[k];
}

static const char *text(CellCheck *k, Loc loc) {
    char buf[64];
    loc_text(loc, buf, sizeof buf);
    return arena_strdup(k->s->arena, buf);
}

static const char *poly_str(CellCheck *k, const Poly *p) {
    char buf[160];
    poly_format(buf, sizeof buf, p, k->names);
    return arena_strdup(k->s->arena, buf);
}

const char *sema_shape_str(Arena *a, const CellInfo *c, Shape sh) {
    const char *names[POLY_MAX_VARS];
    for (int i = 0; i < c->nsizes; i++)
        names[i] = c->sizes[i]->name;
    if (sh.rank == 0)
        return "a scalar";
    char d0[160], d1[160];
    poly_format(d0, sizeof d0, sh.dim[0], names);
    if (sh.rank == 1)
        return arena_printf(a, "[%s]", d0);
    poly_format(d1, sizeof d1, sh.dim[1], names);
    return arena_printf(a, "[%s, %s]", d0, d1);
}

static const char *shape_str(CellCheck *k, Shape sh) { return sema_shape_str(k->s->arena, k->c, sh); }

/* ---- size expressions ------------------------------------------------- */

static const Poly *size_fail(CellCheck *k, PolyStatus st, Loc loc) {
    if (st == POLY_TOO_COMPLEX)
        diag_error(k->s->diags, loc, "size expression too complex (at most %d terms of degree %d)",
                   POLY_MAX_TERMS, POLY_MAX_DEGREE);
    else
        diag_error(k->s->diags, loc, "size expression overflows 64 bits");
    return NULL;
}

static const Poly *size_expr(CellCheck *k, Expr *e) {
    Arena *a = k->s->arena;
    const Poly *l, *r, *out;
    PolyStatus st;
    switch (e->kind) {
    case EX_NUM:
        if (!e->is_int) {
            diag_error(k->s->diags, e->loc, "size must be a whole number, not '%s'", text(k, e->loc));
            return NULL;
        }
        if (e->num > (double)SIZE_LIMIT * 4) {
            diag_error(k->s->diags, e->loc, "size %s is out of range: sizes are in [1, 2^31)",
                       text(k, e->loc));
            return NULL;
        }
        return poly_const(a, (int64_t)e->num);
    case EX_NAME: {
        Sym *sym = strmap_get(&k->c->scope, e->name);
        if (sym && sym->kind == SYM_SIZE && !e->primed)
            return poly_var(a, sym->index);
        if (sym)
            diag_error(k->s->diags, e->loc, "'%s' is a %s, not a size parameter of cell '%s'",
                       e->name, kind_name(sym->kind), k->c->name);
        else
            diag_error(k->s->diags, e->loc, "'%s' is not a size parameter of cell '%s'", e->name,
                       k->c->name);
        return NULL;
    }
    case EX_NEG:
        if (!(l = size_expr(k, e->lhs)))
            return NULL;
        st = poly_mul(a, l, poly_const(a, -1), &out);
        return st ? size_fail(k, st, e->loc) : out;
    case EX_BINARY:
        if (e->op == '/' || e->op == '@') {
            diag_error(k->s->diags, e->loc, "'%c' cannot appear in a size; sizes use + - * and parentheses", e->op);
            return NULL;
        }
        l = size_expr(k, e->lhs);
        r = size_expr(k, e->rhs);
        if (!l || !r)
            return NULL;
        st = e->op == '*' ? poly_mul(a, l, r, &out) : poly_add(a, l, r, e->op == '+' ? 1 : -1, &out);
        return st ? size_fail(k, st, e->loc) : out;
    case EX_ERROR:
        return NULL;
    default:
        diag_error(k->s->diags, e->loc, "expected a size: a whole number, a size parameter, or + - * of sizes");
        return NULL;
    }
}

/* A declared dimension: a size expression that is not provably < 1. */
static const Poly *dim_expr(CellCheck *k, Expr *e) {
    const Poly *p = size_expr(k, e);
    if (!p)
        return NULL;
    int64_t v;
    const Poly *minus1;
    if (poly_is_const(p, &v) ? (v < 1 || v > SIZE_LIMIT)
                             : (!poly_add(k->s->arena, p, poly_const(k->s->arena, 1), -1, &minus1) &&
                                poly_sign(k->s->arena, minus1) < 0)) {
        diag_error(k->s->diags, e->loc, "size '%s' is out of range: sizes are in [1, 2^31)", text(k, e->loc));
        return NULL;
    }
    return p;
}

/* ---- declarations ----------------------------------------------------- */

static Sym *declare(CellCheck *k, SymKind kind, const char *name, Loc loc) {
    Sym *old = strmap_get(&k->c->scope, name);
    if (old) {
        diag_error(k->s->diags, loc, "'%s' is already declared in cell '%s'", name, k->c->name);
        diag_note(k->s->diags, old->loc, "'%s' was declared here as a %s", name, kind_name(old->kind));
        return NULL;
    }
    Sym *sym = arena_alloc(k->s->arena, sizeof *sym);
    sym->kind = kind;
    sym->name = name;
    sym->loc = loc;
    strmap_put(k->s->arena, &k->c->scope, name, sym);
    return sym;
}

bool sema_const_number(const Expr *e, double *out) {
    if (e->kind == EX_NUM) {
        *out = e->num;
        return true;
    }
    if (e->kind == EX_NEG && sema_const_number(e->lhs, out)) {
        *out = -*out;
        return true;
    }
    return false;
}

static Init check_init(CellCheck *k, Expr *e) {
    Init init = {INIT_DEFAULT, 0, 0};
    if (e->kind == EX_NAME && !strcmp(e->name, "zeros"))
        return (Init){INIT_ZEROS, 0, 0};
    if (e->kind == EX_NAME && !strcmp(e->name, "ones"))
        return (Init){INIT_ONES, 0, 0};
    bool uniform = e->kind == EX_CALL && !strcmp(e->name, "uniform");
    bool normal = e->kind == EX_CALL && !strcmp(e->name, "normal");
    if (!uniform && !normal) {
        if (e->kind != EX_ERROR)
            diag_error(k->s->diags, e->loc,
                       "unknown initialiser '%s'; expected zeros, ones, uniform(a, b) or normal(mean, std)",
                       text(k, e->loc));
        return init;
    }
    double v[2];
    if (e->nargs != 2 || e->args[0]->name || e->args[1]->name ||
        !sema_const_number(e->args[0]->value, &v[0]) || !sema_const_number(e->args[1]->value, &v[1])) {
        diag_error(k->s->diags, e->loc, "%s takes two numbers: %s", e->name,
                   uniform ? "uniform(low, high)" : "normal(mean, std)");
        return init;
    }
    if (uniform && !(v[0] < v[1]))
        diag_error(k->s->diags, e->loc, "uniform(%g, %g) is empty: the low bound must be below the high one", v[0], v[1]);
    else if (normal && !(v[1] >= 0))
        diag_error(k->s->diags, e->loc, "normal(%g, %g) has a negative standard deviation", v[0], v[1]);
    else
        init = (Init){uniform ? INIT_UNIFORM : INIT_NORMAL, v[0], v[1]};
    return init;
}

static void declare_stmt(CellCheck *k, Stmt *st) {
    static const char *what[] = {[ST_INPUT] = "an input", [ST_STATE] = "a state", [ST_PARAM] = "a parameter"};
    SymKind kind = st->kind == ST_INPUT ? SYM_INPUT : st->kind == ST_STATE ? SYM_STATE : SYM_PARAM;
    for (int i = 0; i < st->ndecls; i++) {
        Decl *d = st->decls[i];
        Sym *sym = declare(k, kind, d->name, d->loc);
        int max_rank = kind == SYM_PARAM ? 2 : 1;
        if (d->ndims > max_rank) {
            diag_error(k->s->diags, d->loc, "%s is a vector: '%s' takes one size, not %d", what[st->kind],
                       d->name, d->ndims);
            if (sym)
                sym->shape = ERR;
            continue;
        }
        Shape sh = {d->ndims, {NULL, NULL}};
        for (int j = 0; j < d->ndims; j++)
            if (!(sh.dim[j] = dim_expr(k, d->dims[j])))
                sh = ERR;
        if (d->init && kind != SYM_PARAM)
            diag_error(k->s->diags, d->init->loc, "only a parameter takes an initialiser");
        if (!sym)
            continue;
        sym->shape = sh;
        if (d->init && kind == SYM_PARAM)
            sym->init = check_init(k, d->init);
        if (kind == SYM_INPUT) {
            if (k->c->input) {
                diag_error(k->s->diags, d->loc, "cell '%s' has a second input; a cell reads one input vector per step", k->c->name);
                diag_note(k->s->diags, k->c->input->loc, "the first input is declared here");
            } else {
                k->c->input = sym;
            }
        }
        if (kind == SYM_STATE) {
            sym->index = k->states.len;
            vec_push(k->s->arena, &k->states, sym);
        } else if (kind == SYM_PARAM) {
            sym->index = k->params.len;
            vec_push(k->s->arena, &k->params, sym);
        }
    }
}

/* ---- assignments ------------------------------------------------------ */

/* Pass 2: record what each assignment defines, before any is checked. */
static void note_assignment(CellCheck *k, Stmt *st) {
    Sym *sym = strmap_get(&k->c->scope, st->name);
    if (st->primed) {
        if (!sym || sym->kind != SYM_STATE) {
            if (sym || strmap_get(&k->pending, st->name))
                diag_error(k->s->diags, st->name_loc, "'%s' is a %s, not a state: only a state is updated with %s' = ...",
                           st->name, kind_name(sym ? sym->kind : SYM_LOCAL), st->name);
            else
                diag_error(k->s->diags, st->name_loc, "'%s' is not a declared state: declare it with 'state %s[size]'",
                           st->name, st->name);
            return;
        }
        if (sym->def) {
            diag_error(k->s->diags, st->name_loc, "state '%s' is updated twice", st->name);
            diag_note(k->s->diags, sym->def->name_loc, "the first update of '%s' is here", st->name);
            return;
        }
        sym->def = st;
        return;
    }
    if (sym) {
        if (sym->kind == SYM_STATE)
            diag_error(k->s->diags, st->name_loc, "cannot assign to state '%s'; write %s' = ... to update it",
                       st->name, st->name);
        else
            diag_error(k->s->diags, st->name_loc, "cannot assign to %s '%s'", kind_name(sym->kind), st->name);
        return;
    }
    Stmt *first = strmap_get(&k->pending, st->name);
    if (first) {
        diag_error(k->s->diags, st->name_loc, "'%s' is assigned twice; a local is assigned once", st->name);
        diag_note(k->s->diags, first->name_loc, "'%s' is first assigned here", st->name);
        return;
    }
    strmap_put(k->s->arena, &k->pending, st->name, st);
}

/* ---- expressions ------------------------------------------------------ */

static Shape check_expr(CellCheck *k, Expr *e);

static Shape vector(const Poly *n) { return (Shape){1, {n, NULL}}; }

static Shape check_name(CellCheck *k, Expr *e) {
    Sym *sym = strmap_get(&k->c->scope, e->name);
    Diags *d = k->s->diags;
    if (!sym) {
        Stmt *later = strmap_get(&k->pending, e->name);
        if (later && !e->primed) {
            diag_error(d, e->loc, "'%s' is used before it is defined", e->name);
            diag_note(d, later->name_loc, "'%s' is defined here", e->name);
        } else if (is_function(e->name)) {
            diag_error(d, e->loc, "'%s' is a function; call it as %s(...)", e->name, e->name);
        } else if (!k->c->block->syntax_error && !strmap_get(&k->reported, e->name)) {
            diag_error(d, e->loc, "undefined name '%s%s'", e->name, e->primed ? "'" : "");
            strmap_put(k->s->arena, &k->reported, e->name, e);
        }
        return ERR;
    }
    e->sym = sym;
    if (e->primed) {
        if (sym->kind != SYM_STATE) {
            diag_error(d, e->loc, "'%s' is a %s, not a state, so %s' means nothing", e->name,
                       kind_name(sym->kind), e->name);
            return ERR;
        }
        if (!sym->defined) {
            if (sym->def) {
                diag_error(d, e->loc, "%s' is used before it is defined", e->name);
                diag_note(d, sym->def->name_loc, "%s' is defined here", e->name);
            } else if (!k->c->block->syntax_error) {
                diag_error(d, e->loc, "%s' is used but state '%s' is never updated", e->name, e->name);
            }
            return ERR;
        }
        sym->read_new = true;
        return sym->shape;
    }
    if (sym->kind == SYM_SIZE) {
        diag_error(d, e->loc, "size parameter '%s' is not a value; sizes appear only in shapes and slices", e->name);
        return ERR;
    }
    sym->read = true;
    return sym->shape;
}

/* The shape of an elementwise op (WHAT: '+', or a function's name) of l
 * and r, written le and re: vectors of one size, or a number with either. */
static Shape elementwise(CellCheck *k, Loc loc, const char *what, Shape l, Expr *le, Shape r, Expr *re) {
    Diags *d = k->s->diags;
    if (l.rank == 2 || r.rank == 2) {
        Expr *m = l.rank == 2 ? le : re;
        diag_error(d, loc, "'%s' is a matrix; %s works on vectors (use '@' for a matrix product)", text(k, m->loc),
                   what);
        return ERR;
    }
    if (l.rank == 0)
        return r;
    if (r.rank == 0)
        return l;
    if (!poly_equal(l.dim[0], r.dim[0])) {
        diag_error(d, loc, "size mismatch in %s: '%s' is %s but '%s' is %s", what, text(k, le->loc), shape_str(k, l),
                   text(k, re->loc), shape_str(k, r));
        return ERR;
    }
    return l;
}

static Shape check_binary(CellCheck *k, Expr *e) {
    Shape l = check_expr(k, e->lhs), r = check_expr(k, e->rhs);
    if (l.rank < 0 || r.rank < 0)
        return ERR;
    Diags *d = k->s->diags;
    if (e->op == '@') {
        if (l.rank != 2) {
            diag_error(d, e->loc, "'@' needs a matrix on its left, but '%s' is %s", text(k, e->lhs->loc),
                       l.rank ? shape_str(k, l) : "a number");
            return ERR;
        }
        if (r.rank != 1) {
            diag_error(d, e->loc, "'@' needs a vector on its right, but '%s' is %s", text(k, e->rhs->loc),
                       r.rank ? shape_str(k, r) : "a number");
            return ERR;
        }
        if (!poly_equal(l.dim[1], r.dim[0])) {
            diag_error(d, e->loc, "size mismatch in '@': '%s' is %s but '%s' is %s (%s != %s)",
                       text(k, e->lhs->loc), shape_str(k, l), text(k, e->rhs->loc), shape_str(k, r),
                       poly_str(k, l.dim[1]), poly_str(k, r.dim[0]));
            return ERR;
        }
        return vector(l.dim[0]);
    }
    char what[8];
    snprintf(what, sizeof what, "'%c'", e->op);
    return elementwise(k, e->loc, what, l, e->lhs, r, e->rhs);
}

static Shape check_slice(CellCheck *k, Expr *e) {
    Shape base = check_expr(k, e->lhs);
    const Poly *lo = size_expr(k, e->lo), *hi = size_expr(k, e->hi);
    if (base.rank < 0 || !lo || !hi)
        return ERR;
    if (base.rank != 1) {
        diag_error(k->s->diags, e->loc, "only a vector can be sliced, but '%s' is %s", text(k, e->lhs->loc),
                   base.rank ? shape_str(k, base) : "a number");
        return ERR;
    }
    Arena *a = k->s->arena;
    const Poly *width, *room, *width_minus1;
    PolyStatus st = poly_add(a, hi, lo, -1, &width);
    if (!st)
        st = poly_add(a, base.dim[0], hi, -1, &room);
    if (!st)
        st = poly_add(a, width, poly_const(a, 1), -1, &width_minus1);
    if (st) {
        size_fail(k, st, e->loc);
        return ERR;
    }
    /* need lo >= 0, hi <= size and hi - lo >= 1; undecided ones wait for a use */
    if (poly_sign(a, lo) < 0 || poly_sign(a, room) < 0 || poly_sign(a, width_minus1) < 0) {
        diag_error(k->s->diags, e->loc, "slice [%s:%s] is out of range for '%s' of size %s", poly_str(k, lo),
                   poly_str(k, hi), text(k, e->lhs->loc), shape_str(k, base));
        return ERR;
    }
    e->lo_size = lo;
    e->hi_size = hi;
    vec_push(a, &k->slices, e);
    return vector(width);
}

static Shape check_call(CellCheck *k, Expr *e) {
    Diags *d = k->s->diags;
    for (int i = 0; i < e->nargs; i++)
        if (e->args[i]->name) {
            diag_error(d, e->args[i]->loc, "'%s' takes no named arguments", e->name);
            return ERR;
        }
    if (!strcmp(e->name, "concat")) {
        if (e->nargs == 0) {
            diag_error(d, e->loc, "concat needs at least one vector");
            return ERR;
        }
        const Poly *total = poly_const(k->s->arena, 0);
        bool bad = false;
        for (int i = 0; i < e->nargs; i++) {
            Shape a = check_expr(k, e->args[i]->value);
            if (a.rank < 0) {
                bad = true;
            } else if (a.rank != 1) {
                diag_error(d, e->args[i]->loc, "concat joins vectors, but '%s' is %s", text(k, e->args[i]->loc),
                           a.rank ? shape_str(k, a) : "a number");
                bad = true;
            } else if (!bad) {
                PolyStatus st = poly_add(k->s->arena, total, a.dim[0], 1, &total);
                if (st) {
                    size_fail(k, st, e->loc);
                    bad = true;
                }
            }
        }
        return bad ? ERR : vector(total);
    }
    if (!is_function(e->name)) {
        if (strmap_get(&k->s->cells, e->name))
            diag_error(d, e->loc, "cell '%s' cannot be called inside a cell; apply it to a sequence in a model",
                       e->name);
        else if (!strcmp(e->name, "linear") || !strcmp(e->name, "embedding") || !strcmp(e->name, "last") ||
                 !strcmp(e->name, "dropout"))
            diag_error(d, e->loc, "'%s' is a model layer, not a function of a cell", e->name);
        else
            diag_error(d, e->loc, "unknown function '%s'; a cell can use %s and concat", e->name,
                       ir_function_names(0));
        for (int i = 0; i < e->nargs; i++)
            check_expr(k, e->args[i]->value);
        return ERR;
    }
    int arity = ir_ops[ir_function(e->name)].arity;
    if (e->nargs != arity) {
        diag_error(d, e->loc, "%s takes %s argument%s, not %d", e->name, arity == 1 ? "one" : "two",
                   arity == 1 ? "" : "s", e->nargs);
        return ERR;
    }
    Shape a = check_expr(k, e->args[0]->value);
    if (arity == 2) {
        Shape b = check_expr(k, e->args[1]->value);
        char what[40];
        snprintf(what, sizeof what, "'%s'", e->name);
        return a.rank < 0 || b.rank < 0 ? ERR : elementwise(k, e->loc, what, a, e->args[0]->value, b, e->args[1]->value);
    }
    if (a.rank == 2) {
        diag_error(d, e->loc, "%s works on vectors, but '%s' is a matrix", e->name, text(k, e->args[0]->loc));
        return ERR;
    }
    return a;
}

static Shape check_expr(CellCheck *k, Expr *e) {
    Shape sh;
    switch (e->kind) {
    case EX_NUM:
        sh = (Shape){0, {NULL, NULL}};
        if (!(fabs(e->num) <= FLT_MAX)) {
            diag_error(k->s->diags, e->loc, "number '%s' is too large for float32", text(k, e->loc));
            sh = ERR;
        }
        break;
    case EX_BOOL:
        diag_error(k->s->diags, e->loc, "'%s' is not a value in a cell", e->num ? "true" : "false");
        sh = ERR;
        break;
    case EX_NAME:
        sh = check_name(k, e);
        break;
    case EX_BINARY:
        sh = check_binary(k, e);
        break;
    case EX_NEG:
        sh = check_expr(k, e->lhs);
        if (sh.rank == 2) {
            diag_error(k->s->diags, e->loc, "'-' works on vectors, but '%s' is a matrix", text(k, e->lhs->loc));
            sh = ERR;
        }
        break;
    case EX_CALL:
        sh = check_call(k, e);
        break;
    case EX_SLICE:
        sh = check_slice(k, e);
        break;
    default:
        sh = ERR;
        break;
    }
    if (sh.rank >= 0) {
        Shape *keep = arena_alloc(k->s->arena, sizeof *keep);
        *keep = sh;
        e->shape = keep;
    }
    return sh;
}

/* ---- the cell as a whole ---------------------------------------------- */

static void check_step(CellCheck *k, Stmt *st) {
    Shape sh = check_expr(k, st->value);
    Sym *sym = strmap_get(&k->c->scope, st->name);
    if (st->primed) {
        if (!sym || sym->kind != SYM_STATE || sym->def != st)
            return; /* reported in pass 2 */
        if (sh.rank >= 0 && sym->shape.rank == 1 && (sh.rank != 1 || !poly_equal(sh.dim[0], sym->shape.dim[0])))
            diag_error(k->s->diags, st->name_loc, "size mismatch: state '%s' is %s but its update is %s",
                       st->name, shape_str(k, sym->shape), sh.rank ? shape_str(k, sh) : "a number");
        sym->defined = true;
        vec_push(k->s->arena, &k->steps, st);
        return;
    }
    if (sym || strmap_get(&k->pending, st->name) != st)
        return; /* an assignment to a declared name or a second one: reported */
    if (sh.rank == 0) {
        diag_error(k->s->diags, st->name_loc, "'%s' would be a number; every value in a cell is a vector", st->name);
        sh = ERR;
    }
    Sym *local = declare(k, SYM_LOCAL, st->name, st->name_loc);
    local->shape = sh;
    local->def = st;
    local->defined = true;
    local->index = k->steps.len;
    vec_push(k->s->arena, &k->steps, st);
}

static void check_output(CellCheck *k, Stmt *out) {
    Sym *sym = strmap_get(&k->c->scope, out->name);
    if (!sym) {
        if (!k->c->block->syntax_error)
            diag_error(k->s->diags, out->name_loc, "undefined name '%s' in output", out->name);
        return;
    }
    if (out->primed && sym->kind != SYM_STATE) {
        diag_error(k->s->diags, out->name_loc, "'%s' is a %s, not a state, so %s' means nothing", out->name,
                   kind_name(sym->kind), out->name);
        return;
    }
    if (sym->kind == SYM_SIZE || (sym->shape.rank != 1 && sym->shape.rank >= 0)) {
        diag_error(k->s->diags, out->name_loc, "output must name a vector; '%s' is a %s", out->name,
                   sym->kind == SYM_SIZE ? "size parameter" : "matrix");
        return;
    }
    if (out->primed)
        sym->read_new = true;
    else
        sym->read = true;
    k->c->output = sym;
    k->c->output_primed = out->primed;
}

static void warn_unread(CellCheck *k, bool had_errors) {
    CellInfo *c = k->c;
    if (had_errors || c->block->syntax_error || c->block->prelude)
        return;
    for (int i = 0; i < k->params.len; i++) {
        Sym *p = k->params.items[i];
        if (!p->read)
            diag_warning(k->s->diags, p->loc, "parameter '%s' is never used; its gradient will be zero", p->name);
    }
    for (int i = 0; i < k->states.len; i++) {
        Sym *st = k->states.items[i];
        if (!st->read && !st->read_new)
            diag_warning(k->s->diags, st->loc, "state '%s' is never read", st->name);
        else if (!st->read)
            diag_warning(k->s->diags, st->loc, "the previous value of state '%s' is never read", st->name);
    }
    if (c->input && !c->input->read)
        diag_warning(k->s->diags, c->input->loc, "input '%s' is never used", c->input->name);
    for (int i = 0; i < k->steps.len; i++) {
        Stmt *st = k->steps.items[i];
        Sym *sym = strmap_get(&c->scope, st->name);
        if (!st->primed && sym && !sym->read)
            diag_warning(k->s->diags, st->name_loc, "'%s' is assigned but never used", st->name);
    }
}

static void finish_checks(CellCheck *k, Stmt *output, int errors_before) {
    CellInfo *c = k->c;
    bool quiet = c->block->syntax_error;
    if (!c->input && !quiet)
        diag_error(k->s->diags, c->block->loc, "cell '%s' has no input; declare one with 'input x[size]'", c->name);
    if (k->states.len == 0 && !quiet)
        diag_error(k->s->diags, c->block->loc, "cell '%s' has no state; declare one with 'state h[size]'", c->name);
    for (int i = 0; i < k->states.len; i++) {
        Sym *st = k->states.items[i];
        if (!st->def && !quiet)
            diag_error(k->s->diags, st->loc, "state '%s' is never updated; add %s' = ...", st->name, st->name);
    }
    if (output)
        check_output(k, output);
    else if (!quiet)
        diag_error(k->s->diags, c->block->loc, "cell '%s' has no output; add 'output NAME'", c->name);
    /* the size parameter that is the input's width alone is inferred */
    c->inferred = -1;
    if (c->input && c->input->shape.rank == 1) {
        const Poly *w = c->input->shape.dim[0];
        if (w->n == 1 && w->t[0].deg == 1 && w->t[0].coef == 1)
            c->inferred = w->t[0].var[0];
    }
    warn_unread(k, k->s->diags->errors != errors_before);
}

static const char *misplaced(StmtKind kind) {
    switch (kind) {
    case ST_TARGET: return "'target' declares a model's target; it has no place in a cell";
    case ST_LOSS: return "'loss' belongs in a model, not in a cell";
    case ST_TRAIN: return "a 'train' block belongs in a model, not in a cell";
    default: return NULL;
    }
}

CellInfo *sema_cell(Sema *s, Block *b) {
    int errors_before = s->diags->errors;
    CellInfo *c = arena_alloc(s->arena, sizeof *c);
    c->block = b;
    c->name = b->name;
    CellCheck k = {.s = s, .c = c};
    if (b->nsizes > POLY_MAX_VARS) {
        diag_error(s->diags, b->loc, "cell '%s' has %d size parameters; the limit is %d", b->name, b->nsizes,
                   POLY_MAX_VARS);
        return c;
    }
    c->sizes = arena_alloc(s->arena, sizeof(Sym *) * (size_t)(b->nsizes + 1));
    k.names = arena_alloc(s->arena, sizeof(char *) * (size_t)(b->nsizes + 1));
    for (int i = 0; i < b->nsizes; i++) {
        Sym *sym = declare(&k, SYM_SIZE, b->sizes[i].name, b->sizes[i].loc);
        if (!sym)
            sym = arena_alloc(s->arena, sizeof *sym); /* a duplicate: keep indices dense */
        sym->kind = SYM_SIZE;
        sym->name = b->sizes[i].name;
        sym->index = i;
        c->sizes[c->nsizes++] = sym;
        k.names[i] = sym->name;
    }
    Stmt *output = NULL;
    for (int i = 0; i < b->nstmts; i++) {
        Stmt *st = b->stmts[i];
        if (misplaced(st->kind))
            diag_error(s->diags, st->loc, "%s", misplaced(st->kind));
        else if (st->kind == ST_INPUT && st->typed)
            diag_error(s->diags, st->loc, "'input %s : type' declares a model input; in a cell write 'input %s[size]'",
                       st->name, st->name);
        else if (st->kind == ST_INPUT || st->kind == ST_STATE || st->kind == ST_PARAM)
            declare_stmt(&k, st);
    }
    for (int i = 0; i < b->nstmts; i++)
        if (b->stmts[i]->kind == ST_ASSIGN)
            note_assignment(&k, b->stmts[i]);
    for (int i = 0; i < b->nstmts; i++) {
        Stmt *st = b->stmts[i];
        if (st->kind == ST_ASSIGN)
            check_step(&k, st);
        else if (st->kind == ST_OUTPUT && output) {
            diag_error(s->diags, st->loc, "cell '%s' has a second output; a cell emits one vector", c->name);
            diag_note(s->diags, output->loc, "the first output is here");
        } else if (st->kind == ST_OUTPUT)
            output = st;
    }
    c->states = (Sym **)k.states.items;
    c->nstates = k.states.len;
    c->params = (Sym **)k.params.items;
    c->nparams = k.params.len;
    c->steps = (Stmt **)k.steps.items;
    c->nsteps = k.steps.len;
    c->slices = (Expr **)k.slices.items;
    c->nslices = k.slices.len;
    finish_checks(&k, output, errors_before);
    c->ok = s->diags->errors == errors_before && !b->syntax_error;
    return c;
}
