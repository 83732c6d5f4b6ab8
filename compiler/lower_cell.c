/* lower_cell.c - instantiate a checked cell as an IR step with concrete
 * sizes. Assignments are lowered in source order; a local is the node of its
 * right-hand side. Number literals fold at once: an operation between two
 * numbers is a number, and a number meets a vector as a CONST node of the
 * vector's size. Leaves (the input, each state and parameter) get one node
 * each, created where first read. */
#include "ir.h"
#include "util.h"
#include <string.h>

typedef struct Val {
    bool scalar;
    double value;
    int node;
} Val;

typedef struct CellLower {
    Arena *a;
    const CellInfo *c;
    const int64_t *sizes;
    IrStep *s;
    int input;
    int *state_leaf;   /* STATE node per state, -1 until read */
    int *param_leaf;   /* PARAM node per parameter, -1 until read */
    StrMap locals;     /* name -> node id + 1 */
} CellLower;

static int dim(CellLower *L, const Poly *p) { return (int)sema_dim(p, L->sizes); }

static int node(CellLower *L, IrOp op, int size, int a0, int a1) {
    IrNode n = {.op = op, .size = size, .nargs = ir_ops[op].arity};
    if (n.nargs > 0) {
        n.args = arena_alloc(L->a, sizeof(int) * 2);
        n.args[0] = a0;
        n.args[1] = a1;
    }
    return ir_add(L->a, L->s, n);
}

static int leaf(CellLower *L, Sym *sym) {
    int *slot = sym->kind == SYM_STATE ? &L->state_leaf[sym->index] : &L->param_leaf[sym->index];
    if (sym->kind == SYM_INPUT)
        slot = &L->input;
    if (*slot >= 0)
        return *slot;
    IrNode n = {.op = sym->kind == SYM_INPUT ? IR_INPUT : sym->kind == SYM_STATE ? IR_STATE : IR_PARAM,
                .size = dim(L, sym->shape.dim[0]), .index = sym->index, .name = sym->name};
    if (sym->shape.rank == 2)
        n.cols = dim(L, sym->shape.dim[1]);
    return *slot = ir_add(L->a, L->s, n);
}

static Val vec(int n) { return (Val){false, 0, n}; }

static int as_node(CellLower *L, Val v, int size) {
    if (!v.scalar)
        return v.node;
    IrNode n = {.op = IR_CONST, .size = size, .value = v.value};
    return ir_add(L->a, L->s, n);
}

static Val lower_expr(CellLower *L, Expr *e);

static Val elementwise(CellLower *L, IrOp op, Val x, Val y) {
    if (x.scalar && (y.scalar || ir_ops[op].arity == 1))
        return (Val){true, ir_eval_elem(op, x.value, y.value), -1};
    int size = x.scalar ? L->s->nodes[y.node].size : L->s->nodes[x.node].size;
    int a = as_node(L, x, size), b = ir_ops[op].arity == 2 ? as_node(L, y, size) : 0;
    return vec(node(L, op, size, a, b));
}

static IrOp binary_op(char op) {
    switch (op) {
    case '+': return IR_ADD;
    case '-': return IR_SUB;
    case '*': return IR_MUL;
    case '/': return IR_DIV;
    default: return IR_MATVEC;
    }
}

static Val lower_call(CellLower *L, Expr *e) {
    if (strcmp(e->name, "concat")) {
        int op = ir_function(e->name);
        if (op < 0)
            die("no IR op for function '%s'", e->name);
        Val b = ir_ops[op].arity == 2 ? lower_expr(L, e->args[1]->value) : (Val){true, 0, -1};
        return elementwise(L, (IrOp)op, lower_expr(L, e->args[0]->value), b);
    }
    IrNode n = {.op = IR_CONCAT, .nargs = e->nargs, .args = arena_alloc(L->a, sizeof(int) * (size_t)e->nargs)};
    for (int i = 0; i < e->nargs; i++) {
        n.args[i] = lower_expr(L, e->args[i]->value).node;
        n.size += L->s->nodes[n.args[i]].size;
    }
    return vec(ir_add(L->a, L->s, n));
}

static Val lower_expr(CellLower *L, Expr *e) {
    switch (e->kind) {
    case EX_NUM:
        return (Val){true, e->num, -1};
    case EX_NAME: {
        Sym *sym = e->sym;
        if (e->primed)
            return vec(L->s->state_next[sym->index]);
        if (sym->kind == SYM_LOCAL)
            return vec((int)(intptr_t)strmap_get(&L->locals, sym->name) - 1);
        return vec(leaf(L, sym));
    }
    case EX_BINARY: {
        Val x = lower_expr(L, e->lhs), y = lower_expr(L, e->rhs);
        if (e->op == '@')
            return vec(node(L, IR_MATVEC, L->s->nodes[x.node].size, x.node, y.node));
        return elementwise(L, binary_op(e->op), x, y);
    }
    case EX_NEG:
        return elementwise(L, IR_NEG, lower_expr(L, e->lhs), (Val){true, 0, -1});
    case EX_CALL:
        return lower_call(L, e);
    case EX_SLICE: {
        Val base = lower_expr(L, e->lhs);
        int lo = dim(L, e->lo_size), hi = dim(L, e->hi_size);
        int id = node(L, IR_SLICE, hi - lo, base.node, 0);
        L->s->nodes[id].lo = lo;
        return vec(id);
    }
    default:
        die("cannot lower expression kind %d", e->kind);
    }
}

static int *filled(Arena *a, int n, int value) {
    int *v = arena_alloc(a, sizeof(int) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        v[i] = value;
    return v;
}

IrStep *ir_lower_cell(Arena *a, const CellInfo *c, const int64_t *sizes) {
    IrStep *s = arena_alloc(a, sizeof *s);
    s->cell = c->name;
    s->nstates = c->nstates;
    s->nparams = c->nparams;
    s->param_names = arena_alloc(a, sizeof(char *) * (size_t)(c->nparams + 1));
    s->state_names = arena_alloc(a, sizeof(char *) * (size_t)(c->nstates + 1));
    for (int i = 0; i < c->nparams; i++)
        s->param_names[i] = c->params[i]->name;
    for (int i = 0; i < c->nstates; i++)
        s->state_names[i] = c->states[i]->name;
    s->state_size = filled(a, c->nstates, 0);
    s->state_next = filled(a, c->nstates, -1);
    CellLower L = {a, c, sizes, s, -1, filled(a, c->nstates, -1), filled(a, c->nparams, -1), {0}};
    s->in_size = dim(&L, c->input->shape.dim[0]);
    for (int i = 0; i < c->nstates; i++)
        s->state_size[i] = dim(&L, c->states[i]->shape.dim[0]);
    for (int i = 0; i < c->nsteps; i++) {
        Stmt *st = c->steps[i];
        int size = st->primed ? s->state_size[((Sym *)strmap_get(&c->scope, st->name))->index] : 0;
        Val v = lower_expr(&L, st->value);
        if (size == 0)
            size = dim(&L, ((Sym *)strmap_get(&c->scope, st->name))->shape.dim[0]);
        int id = as_node(&L, v, size);
        if (!s->nodes[id].name)
            s->nodes[id].name = st->primed ? arena_printf(a, "%s'", st->name) : st->name;
        if (st->primed)
            s->state_next[((Sym *)strmap_get(&c->scope, st->name))->index] = id;
        else
            strmap_put(a, &L.locals, st->name, (void *)(intptr_t)(id + 1));
    }
    Sym *out = c->output;
    if (c->output_primed)
        s->output = s->state_next[out->index];
    else if (out->kind == SYM_LOCAL)
        s->output = (int)(intptr_t)strmap_get(&L.locals, out->name) - 1;
    else
        s->output = leaf(&L, out);
    return s;
}
