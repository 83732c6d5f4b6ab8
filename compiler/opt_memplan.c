/* opt_memplan.c - the memory plan of a step's loop scratch: each buffered
 * node of the time loop gets an offset (in floats per row), and a node's
 * space is reused once every reader has run. A reader of a fused node
 * reads its operands where the fused chain is finally computed; a slice
 * keeps the node it views alive; the step's results live to its end. A
 * node is placed before its operands' space is freed, so nothing writes
 * over what it reads. Nodes kept for all steps or computed before or after
 * the loop have buffers of their own and are not planned. */
#include "passes.h"


static void end_at(const IrStep *s, int *last, int k, int when) {
    k = ir_viewed(s, k);
    if (when > last[k])
        last[k] = when;
}

/* Per node: the position after which its space is free. */
static int *last_uses(const PassStep *p) {
    const IrStep *s = p->s;
    int n = s->nnodes, *last = arena_alloc(p->a, sizeof(int) * (size_t)(n + 1)), *at = arena_alloc(p->a, sizeof(int) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        at[i] = last[i] = i;
    for (int i = n - 1; i >= 0; i--) /* where node i is evaluated: a fused node, in its reader */
        if (s->nodes[i].fused)
            for (int r = i + 1; r < n; r++)
                for (int k = 0; k < s->nodes[r].nargs; k++)
                    if (s->nodes[r].args[k] == i)
                        at[i] = at[r];
    for (int i = 0; i < n; i++)
        for (int k = 0; k < s->nodes[i].nargs; k++)
            end_at(s, last, s->nodes[i].args[k], at[i]);
    int nroots, *roots = pass_roots(p, &nroots);
    for (int i = 0; i < nroots; i++) /* the step's results live to its end */
        end_at(s, last, roots[i], n);
    return last;
}

/* The lowest offset where size floats overlap no node still alive at i. */
static int place(const IrStep *s, const int *last, const bool *placed, int i, int size) {
    int off = 0;
    for (bool moved = true; moved;) {
        moved = false;
        for (int k = 0; k < i; k++) {
            const IrNode *n = &s->nodes[k];
            if (!placed[k] || last[k] < i)
                continue;
            if (off < n->slot + n->size && n->slot < off + size) {
                off = n->slot + n->size;
                moved = true;
            }
        }
    }
    return off;
}

bool opt_memplan(PassStep *p) {
    IrStep *s = p->s;
    int *last = last_uses(p);
    bool *placed = arena_alloc(p->a, sizeof(bool) * (size_t)(s->nnodes + 1));
    s->scratch = 0;
    for (int i = 0; i < s->nnodes; i++) {
        if (!ir_in_scratch(s, i))
            continue;
        s->nodes[i].slot = place(s, last, placed, i, s->nodes[i].size);
        placed[i] = true;
        if (s->nodes[i].slot + s->nodes[i].size > s->scratch)
            s->scratch = s->nodes[i].slot + s->nodes[i].size;
    }
    s->planned = true;
    return true;
}
