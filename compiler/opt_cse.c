/* opt_cse.c - common subexpressions: a node with the same op, operands and
 * attributes as an earlier one is replaced by it. Operands are renumbered
 * first, so chains of equal nodes collapse in one pass. Leaves count too:
 * equal numbers, and the FWD leaves of one forward node. */
#include "passes.h"
#include <stdint.h>
#include <string.h>

static bool same(const IrNode *x, const IrNode *y) {
    if (x->op != y->op || x->size != y->size || x->cols != y->cols || x->nargs != y->nargs || x->lo != y->lo)
        return false;
    if (x->op == IR_CONST && memcmp(&x->value, &y->value, sizeof x->value))
        return false;
    if ((x->op == IR_INPUT || x->op == IR_STATE || x->op == IR_PARAM || x->op == IR_FWD || x->op == IR_ADJ_STATE) &&
        x->index != y->index)
        return false;
    for (int k = 0; k < x->nargs; k++)
        if (x->args[k] != y->args[k])
            return false;
    return true;
}

static unsigned hash(const IrNode *n) {
    unsigned h = (unsigned)n->op * 31u + (unsigned)n->size * 17u + (unsigned)n->lo + (unsigned)n->index * 7u;
    for (int k = 0; k < n->nargs; k++)
        h = h * 131u + (unsigned)n->args[k];
    if (n->op == IR_CONST) {
        uint64_t bits;
        memcpy(&bits, &n->value, sizeof bits);
        h ^= (unsigned)(bits ^ bits >> 32);
    }
    return h;
}

bool opt_cse(PassStep *p) {
    IrStep *s = p->s;
    int buckets = 2 * s->nnodes + 1;
    int *head = arena_alloc(p->a, sizeof(int) * (size_t)buckets), *next = arena_alloc(p->a, sizeof(int) * (size_t)s->nnodes);
    int *replace = arena_alloc(p->a, sizeof(int) * (size_t)s->nnodes);
    for (int i = 0; i < buckets; i++)
        head[i] = -1;
    bool changed = false;
    for (int i = 0; i < s->nnodes; i++) {
        IrNode *n = &s->nodes[i];
        for (int k = 0; k < n->nargs; k++)
            n->args[k] = replace[n->args[k]];
        replace[i] = i;
        unsigned b = hash(n) % (unsigned)buckets;
        for (int j = head[b]; j >= 0; j = next[j])
            if (same(&s->nodes[j], n)) {
                replace[i] = j;
                changed = true;
                break;
            }
        if (replace[i] == i) {
            next[i] = head[b];
            head[b] = i;
        }
    }
    if (changed)
        pass_compact(p, replace);
    return changed;
}
