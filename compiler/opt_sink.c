/* opt_sink.c - backward steps: what the loop over steps does not need
 * runs after it, once over all T x B rows. The loop needs the ancestors of
 * the previous states' gradients; the rest (the input's gradient W_ih^T g,
 * say) moves after it unless it reads the incoming gradients (ADJ_OUT,
 * ADJ_STATE), which exist one step at a time, or a loop node reads it. A
 * loop node read after the
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

/* What a loop node reads is computed in the loop too (a value of the
 * forward step alone, 1 - o say, may be read by a product with the
 * incoming gradient), and a slice runs where the node it views does:
 * demoted to the loop until nothing changes. */
static void loop_inputs_in_loop(IrStep *s, const bool *live) {
    for (bool changed = true; changed;) {
        changed = false;
        for (int i = s->nnodes - 1; i >= 0; i--) {
            IrNode *n = &s->nodes[i];
            if (ir_ops[n->op].kind == IRK_LEAF || ir_is_matrix(s, i) || !live[i] || n->phase != IRP_LOOP)
                continue;
            for (int k = 0; k < n->nargs; k++) {
                IrNode *arg = &s->nodes[n->args[k]];
                if (arg->phase == IRP_AFTER && ir_ops[arg->op].kind != IRK_LEAF && !ir_is_matrix(s, n->args[k])) {
                    arg->phase = IRP_LOOP;
                    changed = true;
                }
            }
        }
        for (int i = 0; i < s->nnodes; i++)
            if (s->nodes[i].op == IR_SLICE && s->nodes[i].phase == IRP_AFTER &&
                s->nodes[s->nodes[i].args[0]].phase == IRP_LOOP) {
                s->nodes[i].phase = IRP_LOOP;
                changed = true;
            }
    }
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
    loop_inputs_in_loop(s, live);
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
