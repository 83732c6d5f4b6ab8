/* opt_fuse_matmul.c - products of one vector by several parameter matrices
 * with the same number of columns become one product by the matrices
 * stacked (a concat of matrices, which the emitter packs once), and each
 * original product a slice of it: a cell written with one matrix per gate
 * gets one matrix product per input, as PyTorch's stacked weights do. */
#include "passes.h"
#include <string.h>

/* The first product of node i's group (the same vector and column count,
 * a parameter matrix), or -1 when i is not such a product. */
static int group_of(const IrStep *s, int i) {
    const IrNode *n = &s->nodes[i];
    if (n->op != IR_MATVEC || s->nodes[n->args[0]].op != IR_PARAM)
        return -1;
    for (int j = 0; j < i; j++) {
        const IrNode *m = &s->nodes[j];
        if (m->op == IR_MATVEC && s->nodes[m->args[0]].op == IR_PARAM && m->args[1] == n->args[1] &&
            s->nodes[m->args[0]].cols == s->nodes[n->args[0]].cols)
            return j;
    }
    return i;
}

static int push(IrNode *nodes, int *n, IrNode node) {
    nodes[*n] = node;
    return (*n)++;
}

static int *two(Arena *a, int x, int y) {
    int *args = arena_alloc(a, sizeof(int) * 2);
    args[0] = x;
    args[1] = y;
    return args;
}

bool opt_fuse_matmul(PassStep *p) {
    IrStep *s = p->s;
    Arena *a = p->a;
    int *group = arena_alloc(a, sizeof(int) * (size_t)(s->nnodes + 1));
    int *members = arena_alloc(a, sizeof(int) * (size_t)(s->nnodes + 1));
    bool any = false;
    for (int i = 0; i < s->nnodes; i++) {
        group[i] = group_of(s, i);
        if (group[i] >= 0)
            members[group[i]]++;
        any |= group[i] >= 0 && group[i] != i;
    }
    if (!any)
        return false;
    /* leaves first (nothing they read), then the rest in order */
    IrNode *nodes = arena_alloc(a, sizeof(IrNode) * (size_t)(3 * s->nnodes + 1));
    int *to = arena_alloc(a, sizeof(int) * (size_t)(s->nnodes + 1)), n = 0;
    for (int i = 0; i < s->nnodes; i++)
        if (ir_ops[s->nodes[i].op].kind == IRK_LEAF)
            to[i] = push(nodes, &n, s->nodes[i]);
    for (int i = 0; i < s->nnodes; i++) {
        IrNode node = s->nodes[i];
        if (ir_ops[node.op].kind == IRK_LEAF || (group[i] >= 0 && group[i] != i))
            continue;
        if (group[i] == i && members[i] > 1) { /* concat the group's matrices; one product; slices */
            int *mats = arena_alloc(a, sizeof(int) * (size_t)members[i]), rows = 0, m = 0;
            for (int j = i; j < s->nnodes; j++)
                if (group[j] == i) {
                    mats[m++] = to[s->nodes[j].args[0]];
                    rows += s->nodes[j].size;
                }
            int cat = push(nodes, &n, (IrNode){.op = IR_CONCAT, .size = rows, .cols = nodes[mats[0]].cols,
                                                  .args = mats, .nargs = m});
            int prod = push(nodes, &n, (IrNode){.op = IR_MATVEC, .size = rows, .args = two(a, cat, to[node.args[1]]),
                                                   .nargs = 2});
            for (int j = i, lo = 0; j < s->nnodes; j++)
                if (group[j] == i) {
                    to[j] = push(nodes, &n, (IrNode){.op = IR_SLICE, .size = s->nodes[j].size, .lo = lo,
                                                        .args = two(a, prod, 0), .nargs = 1, .name = s->nodes[j].name});
                    lo += s->nodes[j].size;
                }
            continue;
        }
        int *args = arena_alloc(a, sizeof(int) * (size_t)(node.nargs + 2));
        for (int k = 0; k < node.nargs; k++)
            args[k] = to[node.args[k]];
        node.args = args;
        to[i] = push(nodes, &n, node);
    }
    for (int i = 0; i < s->nstates; i++)
        s->state_next[i] = to[s->state_next[i]];
    s->output = to[s->output];
    s->nodes = nodes;
    s->nnodes = s->cap = n;
    return true;
}
