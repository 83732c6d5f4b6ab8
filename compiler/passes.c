/* passes.c - the order of the optimisation passes, written out in one
 * place, and what they share: liveness, use counts and renumbering with
 * the adjoint's roots. Every distinct cell step is optimised once (stacked
 * layers and the two directions of a bidirectional layer share a step), and
 * checked (ir_verify.c) after lowering, differentiation and every pass.
 *   forward:   fold, cse, fuse_matmul, dce, hoist (embedded C: all but hoist)
 *   then the backward steps are derived from the optimised forward steps
 *   backward:  fold, cse, dce, sink, fuse_elem, memplan
 *   forward:   fuse_elem, memplan (they need to know what the tape keeps) */
#include "passes.h"
#include <string.h>

typedef struct Pass {
    const char *name;
    PassFn *run;
} Pass;

static const Pass forward_passes[] = {
    {"fold", opt_fold}, {"cse", opt_cse}, {"fuse_matmul", opt_fuse_matmul}, {"dce", opt_dce}, {"hoist", opt_hoist},
};
/* Stepwise code (embedded C) runs one step per call: nothing to hoist, and
 * hoisting would size its buffers by the longest sequence. */
static const Pass stepwise_forward_passes[] = {
    {"fold", opt_fold}, {"cse", opt_cse}, {"fuse_matmul", opt_fuse_matmul}, {"dce", opt_dce},
};
static const Pass backward_passes[] = {
    {"fold", opt_fold}, {"cse", opt_cse}, {"dce", opt_dce}, {"sink", opt_sink}, {"fuse_elem", opt_fuse_elem},
    {"memplan", opt_memplan},
};
static const Pass late_forward_passes[] = {
    {"fuse_elem", opt_fuse_elem},
    {"memplan", opt_memplan},
};

int *pass_roots(const PassStep *p, int *n) {
    const IrStep *s = p->s;
    int *roots = arena_alloc(p->a, sizeof(int) * (size_t)(2 + s->nstates + (p->adj ? 2 * p->adj->npgrads : 0)));
    if (p->adj) {
        *n = grad_roots(p->adj, true, roots);
        return roots;
    }
    *n = 0;
    roots[(*n)++] = s->output;
    for (int i = 0; i < s->nstates; i++)
        roots[(*n)++] = s->state_next[i];
    return roots;
}

bool *pass_live(const PassStep *p) {
    int n, *roots = pass_roots(p, &n);
    return ir_reaches(p->a, p->s, roots, n);
}

int *pass_uses(const PassStep *p) {
    const IrStep *s = p->s;
    int *uses = arena_alloc(p->a, sizeof(int) * (size_t)(s->nnodes + 1));
    for (int i = 0; i < s->nnodes; i++)
        for (int k = 0; k < s->nodes[i].nargs; k++)
            uses[s->nodes[i].args[k]]++;
    int n, *roots = pass_roots(p, &n);
    for (int i = 0; i < n; i++)
        uses[roots[i]]++;
    return uses;
}

static void remap(int *ref, const int *map) {
    if (*ref >= 0)
        *ref = map[*ref];
}

void pass_compact(PassStep *p, const int *replace) {
    int *map = arena_alloc(p->a, sizeof(int) * (size_t)(p->s->nnodes + 1));
    ir_compact(p->a, p->s, replace, map);
    IrAdjoint *adj = p->adj;
    if (!adj)
        return;
    remap(&adj->d_input, map);
    for (int i = 0; i < p->s->nstates; i++)
        remap(&adj->d_state[i], map);
    for (int i = 0; i < adj->npgrads; i++) {
        remap(&adj->pgrads[i].g, map);
        if (adj->pgrads[i].kind == PGRAD_OUTER)
            remap(&adj->pgrads[i].v, map);
    }
    for (int k = 0; k < adj->fwd->nnodes; k++)
        remap(&adj->adjoint_of[k], map);
}

static void trace_after(FILE *trace, const IrProgram *p, const char *what, const char *pass) {
    if (!trace)
        return;
    fprintf(trace, "; ---- after %s pass %s ----\n", what, pass);
    ir_print(trace, p);
}

/* Run passes on every distinct forward (backward: false) or backward step. */
static void run_passes(Arena *a, IrProgram *p, const Pass *passes, int n, bool backward, FILE *trace) {
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < p->nlayers; i++) {
            IrLayer *l = &p->layers[i];
            bool seen = false;
            for (int j = 0; j < i; j++)
                seen |= p->layers[j].step == l->step;
            if (l->kind != IRL_CELL || seen)
                continue;
            PassStep ps = {a, backward ? l->adj->bwd : l->step, backward ? l->adj : NULL,
                           l->adj ? l->adj->taped : NULL};
            passes[k].run(&ps);
            if (backward)
                grad_retape(l->adj);
            ir_verify(ps.s, passes[k].name);
        }
        trace_after(trace, p, backward ? "backward" : "forward", passes[k].name);
    }
}

#define COUNT(x) (int)(sizeof x / sizeof *x)

/* Every distinct step (and its adjoint's), as lowering or differentiation left it. */
static void verify_program(const IrProgram *p, const char *after) {
    for (int i = 0; i < p->nlayers; i++)
        if (p->layers[i].kind == IRL_CELL) {
            ir_verify(p->layers[i].step, after);
            if (p->layers[i].adj)
                ir_verify(p->layers[i].adj->bwd, after);
        }
}

void opt_program(Arena *a, IrProgram *p, int level, bool stepwise, FILE *trace) {
    verify_program(p, "lowering");
    if (level > 0 && stepwise)
        run_passes(a, p, stepwise_forward_passes, COUNT(stepwise_forward_passes), false, trace);
    else if (level > 0)
        run_passes(a, p, forward_passes, COUNT(forward_passes), false, trace);
    grad_program(a, p);
    verify_program(p, "differentiation");
    if (level == 0)
        return;
    run_passes(a, p, backward_passes, COUNT(backward_passes), true, trace);
    run_passes(a, p, late_forward_passes, COUNT(late_forward_passes), false, trace);
}
