/* opt_hoist.c - forward steps: every computed node that does not depend on
 * the state (transitively) moves before the time loop, where it runs once
 * over all T x B rows: W_ih x + b_ih of every step is one matrix product
 * instead of T small ones. Slices take the phase of what they view. */
#include "passes.h"

bool opt_hoist(PassStep *p) {
    IrStep *s = p->s;
    bool *varies = arena_alloc(p->a, sizeof(bool) * (size_t)(s->nnodes + 1)), changed = false;
    for (int i = 0; i < s->nnodes; i++) {
        IrNode *n = &s->nodes[i];
        varies[i] = n->op == IR_STATE;
        for (int k = 0; k < n->nargs; k++)
            varies[i] |= varies[n->args[k]];
        if (ir_ops[n->op].kind == IRK_LEAF || ir_is_matrix(s, i))
            continue;
        IrPhase phase = varies[i] ? IRP_LOOP : IRP_BEFORE;
        changed |= n->phase != phase;
        n->phase = phase;
    }
    return changed;
}
