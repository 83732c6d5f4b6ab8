/* ir_verify.c - what every step of the IR must satisfy, checked after
 * lowering, differentiation and every pass (passes.c): operands in
 * topological order and of the op's number; sizes as each op's kind says;
 * leaves that name a real input, state or parameter; results that exist;
 * phases that read only what is there when they run; memory-plan slots
 * within the scratch. A broken step is a compiler bug: ir_verify stops
 * with the node and the rule; ir_check says it (unit tests). */
#include "ir.h"
#include "util.h"
#include <stdarg.h>
#include <stdio.h>

typedef struct Check {
    const IrStep *s;
    char *buf;
    size_t n;
    bool bad;
} Check;

static bool fail(Check *c, int id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(Check *c, int id, const char *fmt, ...) {
    int k = snprintf(c->buf, c->n, "node %%%d (%s): ", id, ir_ops[c->s->nodes[id].op].name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->buf + (k > 0 && (size_t)k < c->n ? k : 0), c->n - (k > 0 && (size_t)k < c->n ? (size_t)k : 0), fmt, ap);
    va_end(ap);
    c->bad = true;
    return false;
}

static int size_of(const IrStep *s, int id) { return s->nodes[id].size; }

/* Leaves: what they read exists, with its size. */
static bool check_leaf(Check *c, int id) {
    const IrStep *s = c->s;
    const IrNode *n = &s->nodes[id];
    if (n->op == IR_INPUT && n->size != s->in_size)
        return fail(c, id, "size %d, but the step's input has %d", n->size, s->in_size);
    if (n->op == IR_STATE && (n->index < 0 || n->index >= s->nstates))
        return fail(c, id, "state %d of %d", n->index, s->nstates);
    if (n->op == IR_STATE && n->size != s->state_size[n->index])
        return fail(c, id, "size %d, but state %d has %d", n->size, n->index, s->state_size[n->index]);
    if (n->op == IR_PARAM && (n->index < 0 || n->index >= s->nparams))
        return fail(c, id, "parameter %d of %d", n->index, s->nparams);
    return true;
}

/* The operand that is a matrix: a parameter matrix, or a stack of them. */
static bool check_matrix(Check *c, int id, int w) {
    const IrStep *s = c->s;
    if (!ir_is_matrix(s, w))
        return fail(c, id, "operand %%%d is not a matrix", w);
    return true;
}

static int matrix_cols(const IrStep *s, int w) {
    const IrNode *m = &s->nodes[w];
    return m->op == IR_CONCAT ? s->nodes[m->args[0]].cols : m->cols;
}

/* Sizes as the op's kind says. */
static bool check_sizes(Check *c, int id) {
    const IrStep *s = c->s;
    const IrNode *n = &s->nodes[id];
    switch (ir_ops[n->op].kind) {
    case IRK_ELEMWISE:
        for (int k = 0; k < n->nargs; k++)
            if (size_of(s, n->args[k]) != n->size)
                return fail(c, id, "size %d, but operand %%%d has %d", n->size, n->args[k], size_of(s, n->args[k]));
        return true;
    case IRK_MATVEC:
        if (!check_matrix(c, id, n->args[0]))
            return false;
        if (s->nodes[n->args[0]].size != n->size || matrix_cols(s, n->args[0]) != size_of(s, n->args[1]))
            return fail(c, id, "a [%d, %d] matrix times a [%d] vector cannot give [%d]", s->nodes[n->args[0]].size,
                        matrix_cols(s, n->args[0]), size_of(s, n->args[1]), n->size);
        return true;
    case IRK_MATVEC_T:
        if (!check_matrix(c, id, n->args[0]))
            return false;
        if (s->nodes[n->args[0]].size != size_of(s, n->args[1]) || matrix_cols(s, n->args[0]) != n->size)
            return fail(c, id, "a [%d, %d] matrix transposed times a [%d] vector cannot give [%d]",
                        s->nodes[n->args[0]].size, matrix_cols(s, n->args[0]), size_of(s, n->args[1]), n->size);
        return true;
    case IRK_SLICE:
        if (n->lo < 0 || n->size < 1 || n->lo + n->size > size_of(s, n->args[0]))
            return fail(c, id, "[%d:%d] of a vector of %d", n->lo, n->lo + n->size, size_of(s, n->args[0]));
        return true;
    case IRK_PAD:
        if (n->lo < 0 || n->lo + size_of(s, n->args[0]) > n->size)
            return fail(c, id, "a vector of %d at %d does not fit in %d", size_of(s, n->args[0]), n->lo, n->size);
        return true;
    case IRK_CONCAT: {
        int total = 0;
        for (int k = 0; k < n->nargs; k++)
            total += size_of(s, n->args[k]);
        if (!ir_is_matrix(s, id) && total != n->size)
            return fail(c, id, "size %d, but its parts add up to %d", n->size, total);
        return true;
    }
    default:
        return check_leaf(c, id);
    }
}

/* Operands: earlier nodes, as many as the op takes. */
static bool check_operands(Check *c, int id) {
    const IrNode *n = &c->s->nodes[id];
    int arity = ir_ops[n->op].arity;
    if (arity >= 0 ? n->nargs != arity : n->nargs < 1)
        return fail(c, id, "%d operands, but the op takes %d", n->nargs, arity);
    for (int k = 0; k < n->nargs; k++)
        if (n->args[k] < 0 || n->args[k] >= id)
            return fail(c, id, "operand %d is %%%d, not an earlier node", k, n->args[k]);
    return true;
}

/* A node computed before the loop reads nothing the loop makes; a node in
 * the loop reads nothing computed after it; a node after the loop reads
 * loop values only where every step's is kept. */
static bool check_phases(Check *c, int id) {
    const IrStep *s = c->s;
    const IrNode *n = &s->nodes[id];
    for (int k = 0; k < n->nargs; k++) {
        int a = ir_viewed(s, n->args[k]);
        const IrNode *arg = &s->nodes[a];
        bool leaf = ir_ops[arg->op].kind == IRK_LEAF, fixed = leaf && arg->op != IR_STATE && arg->op != IR_ADJ_STATE &&
                                                               arg->op != IR_ADJ_OUT && arg->op != IR_INPUT;
        if (n->phase == IRP_BEFORE && !(fixed || arg->op == IR_INPUT || arg->phase == IRP_BEFORE || ir_is_matrix(s, a)))
            return fail(c, id, "computed before the loop, but reads %%%d, which is not", a);
        if (n->phase == IRP_LOOP && arg->phase == IRP_AFTER && !leaf)
            return fail(c, id, "computed in the loop, but reads %%%d, computed after it", a);
        if (n->phase == IRP_AFTER && !leaf && arg->phase == IRP_LOOP && !arg->all_steps && !ir_is_matrix(s, a))
            return fail(c, id, "computed after the loop, but reads %%%d, whose steps are not kept", a);
    }
    return true;
}

static bool check_slot(Check *c, int id) {
    const IrStep *s = c->s;
    const IrNode *n = &s->nodes[id];
    if (!s->planned || !ir_in_scratch(s, id))
        return true;
    if (n->slot + n->size > s->scratch)
        return fail(c, id, "its slot [%d, %d) runs past the scratch of %d floats", n->slot, n->slot + n->size,
                    s->scratch);
    return true;
}

/* The step's results. */
static bool check_results(Check *c) {
    const IrStep *s = c->s;
    int n = s->nnodes;
    if (!s->state_next && s->output < 0) /* a backward step: its results are the adjoint's */
        return true;
    if (s->output < 0 || s->output >= n) {
        snprintf(c->buf, c->n, "the output is %%%d, not a node", s->output);
        return false;
    }
    for (int i = 0; i < s->nstates; i++)
        if (s->state_next[i] >= n || (s->state_next[i] >= 0 && size_of(s, s->state_next[i]) != s->state_size[i])) {
            snprintf(c->buf, c->n, "state %d's next value %%%d is not a node of its size %d", i, s->state_next[i],
                     s->state_size[i]);
            return false;
        }
    return true;
}

const char *ir_check(const IrStep *s, char *buf, size_t n) {
    Check c = {s, buf, n, false};
    for (int id = 0; id < s->nnodes; id++)
        if (!check_operands(&c, id) || !check_sizes(&c, id) || !check_phases(&c, id) || !check_slot(&c, id))
            return buf;
    return check_results(&c) ? NULL : buf;
}

void ir_verify(const IrStep *s, const char *after) {
    char buf[256];
    if (ir_check(s, buf, sizeof buf))
        die("the IR of cell %s is broken after %s: %s", s->cell ? s->cell : "?", after, buf);
}
