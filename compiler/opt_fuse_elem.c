/* opt_fuse_elem.c - elementwise chains in one loop: an elementwise node
 * read once, by an elementwise node of the same phase, is computed inside
 * its reader's loop instead of being stored and loaded (fused). A node the
 * step hands on is never fused: outputs, next states, the gradients of a
 * backward step, nodes the tape keeps, and loop values kept for all steps.
 * The operations and their order are unchanged, so are the results' bits. */
#include "passes.h"

bool opt_fuse_elem(PassStep *p) {
    IrStep *s = p->s;
    int *uses = pass_uses(p), *reader = arena_alloc(p->a, sizeof(int) * (size_t)(s->nnodes + 1));
    for (int i = 0; i < s->nnodes; i++)
        reader[i] = -1;
    for (int i = 0; i < s->nnodes; i++)
        for (int k = 0; k < s->nodes[i].nargs; k++)
            reader[s->nodes[i].args[k]] = i;
    bool changed = false;
    for (int i = 0; i < s->nnodes; i++) {
        IrNode *n = &s->nodes[i];
        int r = reader[i];
        if (ir_ops[n->op].kind != IRK_ELEMWISE || uses[i] != 1 || r < 0 || n->all_steps || n->fused)
            continue;
        if (ir_ops[s->nodes[r].op].kind != IRK_ELEMWISE || s->nodes[r].phase != n->phase)
            continue;
        if (!p->adj && p->taped && p->taped[i])
            continue;
        /* a root counts as a use, so uses == 1 with a reader means no root */
        n->fused = true;
        changed = true;
    }
    return changed;
}
