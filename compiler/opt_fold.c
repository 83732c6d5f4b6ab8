/* opt_fold.c - constant folding and algebraic identities on a step. An
 * elementwise op whose operands are all numbers becomes a number (in
 * double precision, as the lowering folds literals). Identities that hold
 * bit for bit in IEEE arithmetic are applied: x * 1, 1 * x, x / 1, x - 0
 * and -(-x) are x; a slice of a whole vector is the vector; a slice of a
 * slice is one slice. x + 0 is left alone (-0 + 0 is +0), and so is x * 0
 * (NaN * 0 is NaN). A number the matrix products would read from memory
 * is not folded. */
#include "passes.h"
#include <math.h>

static bool is_number(const IrStep *s, int id, double v) {
    return s->nodes[id].op == IR_CONST && s->nodes[id].value == v;
}

/* Nodes a product reads from memory: they must stay computed values. */
static bool *read_by_products(const PassStep *p) {
    const IrStep *s = p->s;
    bool *mem = arena_alloc(p->a, sizeof(bool) * (size_t)(s->nnodes + 1));
    for (int i = 0; i < s->nnodes; i++) {
        IrKind k = ir_ops[s->nodes[i].op].kind;
        if (k == IRK_MATVEC || k == IRK_MATVEC_T)
            for (int a = 0; a < s->nodes[i].nargs; a++)
                mem[s->nodes[i].args[a]] = true;
    }
    for (int i = 0; p->adj && i < p->adj->npgrads; i++) {
        mem[p->adj->pgrads[i].g] = true;
        if (p->adj->pgrads[i].kind == PGRAD_OUTER)
            mem[p->adj->pgrads[i].v] = true;
    }
    return mem;
}

/* The node node i can be replaced by, or i. */
static int identity(const IrStep *s, int i) {
    const IrNode *n = &s->nodes[i];
    int a = n->nargs > 0 ? n->args[0] : -1, b = n->nargs > 1 ? n->args[1] : -1;
    switch (n->op) {
    case IR_MUL:
        return is_number(s, b, 1) ? a : is_number(s, a, 1) ? b : i;
    case IR_DIV:
        return is_number(s, b, 1) ? a : i;
    case IR_SUB:
        return is_number(s, b, 0) && !signbit(s->nodes[b].value) ? a : i;
    case IR_NEG:
        return s->nodes[a].op == IR_NEG ? s->nodes[a].args[0] : i;
    case IR_SLICE:
        return n->lo == 0 && n->size == s->nodes[a].size ? a : i;
    default:
        return i;
    }
}

bool opt_fold(PassStep *p) {
    IrStep *s = p->s;
    bool *mem = read_by_products(p), changed = false;
    int *replace = arena_alloc(p->a, sizeof(int) * (size_t)(s->nnodes + 1));
    for (int i = 0; i < s->nnodes; i++) {
        IrNode *n = &s->nodes[i];
        for (int k = 0; k < n->nargs; k++) /* operands already folded */
            n->args[k] = replace[n->args[k]];
        replace[i] = i;
        bool numbers = ir_ops[n->op].kind == IRK_ELEMWISE;
        for (int k = 0; k < n->nargs; k++)
            numbers &= s->nodes[n->args[k]].op == IR_CONST;
        if (numbers && !mem[i]) {
            double x = s->nodes[n->args[0]].value, y = n->nargs > 1 ? s->nodes[n->args[1]].value : 0;
            *n = (IrNode){.op = IR_CONST, .size = n->size, .value = ir_eval_elem(n->op, x, y), .name = n->name};
            changed = true;
            continue;
        }
        if (n->op == IR_SLICE && s->nodes[n->args[0]].op == IR_SLICE) {
            n->lo += s->nodes[n->args[0]].lo;
            n->args[0] = s->nodes[n->args[0]].args[0];
            changed = true;
        }
        int to = identity(s, i);
        if (to != i && !(mem[i] && s->nodes[to].op == IR_CONST)) {
            replace[i] = to;
            changed = true;
        }
    }
    if (changed)
        pass_compact(p, replace);
    return changed;
}
