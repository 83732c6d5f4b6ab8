/* opt_sink.c - backward steps: what the loop over steps does not need
 * runs after it, once over all T x B rows. The loop needs the ancestors of
 * the previous states' gradients; the rest (the input's gradient W_ih^T g,
 * say) moves after it unless it reads the incoming gradients (ADJ_OUT,
 * ADJ_STATE), which exist one step at a time. A loop node read after the
 * loop keeps its value for every step (all_steps). Parameter gradients
 * whose operands exist for every step are summed after the loop as one
 * product over all rows, instead of one per step. */
#include "passes.h"

/* Whether a node's value can exist for all steps after the loop. */
static bool storable(const IrStep *s, int k) {
    IrOp op = s->nodes[ir_viewed(s, k)].op;
    return op != IR_ADJ_OUT && op != IR_ADJ_STATE;
}

static void keep_all_steps(IrStep *s, int k) {
    k = ir_viewed(s, k);
    if (ir_ops[s->nodes[k].op].kind != IRK_LEAF && s->nodes[k].phase == IRP_LOOP)
        s->nodes[k].all_steps = true;
}

bool opt_sink(PassStep *p) {
    IrStep *s = p->s;
    IrAdjoint *adj = p->adj;
    bool *live = pass_live(p), *needed = ir_reaches(p->a, s, adj->d_state, s->nstates); /* by the next step */
    for (int i = 0; i < s->nnodes; i++) {
        IrNode *n = &s->nodes[i];
        if (ir_ops[n->op].kind == IRK_LEAF || ir_is_matrix(s, i) || !live[i])
            continue;
        bool after = !needed[i];
        for (int k = 0; k < n->nargs; k++)
            after &= storable(s, n->args[k]) || ir_is_matrix(s, n->args[k]);
        if (n->op == IR_SLICE)
            after = s->nodes[n->args[0]].phase == IRP_AFTER;
        n->phase = after ? IRP_AFTER : IRP_LOOP;
    }
    for (int i = 0; i < s->nnodes; i++) /* loop values read after the loop */
        if (s->nodes[i].phase == IRP_AFTER)
            for (int k = 0; k < s->nodes[i].nargs; k++)
                if (!ir_is_matrix(s, s->nodes[i].args[k]))
                    keep_all_steps(s, s->nodes[i].args[k]);
    for (int i = 0; i < adj->npgrads; i++) {
        IrParamGrad *pg = &adj->pgrads[i];
        pg->after = storable(s, pg->g) && (pg->kind == PGRAD_VEC || storable(s, pg->v));
        if (pg->after) {
            keep_all_steps(s, pg->g);
            if (pg->kind == PGRAD_OUTER)
                keep_all_steps(s, pg->v);
        }
    }
    return true;
}
