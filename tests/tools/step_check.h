/* step_check.h - a cell step's symbolic gradients against central finite
 * differences, in double precision through the IR interpreter; shared by
 * tests/unit/test_grad.c and the random tester (tests/random/cells.c).
 * With random inputs, states, parameters and weights w, the loss is
 * L = w_out . output + sum_i w_i . state_i'; the adjoint step, fed w as
 * the incoming gradients, gives dL/d(input), dL/d(state_i) and
 * dL/d(param), each compared with (L(x + h) - L(x - h)) / 2h, h = 1e-6,
 * relative to 1 + |numeric|. Double precision leaves about 1e-9. */
#ifndef STEP_CHECK_H
#define STEP_CHECK_H
#include "frontend.h"
#include "grad.h"
#include "ir_interp.h"
#include <math.h>
#include <stdio.h>

typedef struct StepCheck {
    Arena *a;
    const IrStep *f;
    const IrAdjoint *adj;
    double *input, **states, **params, *w_out, **w_state;
    int nparams;
    /* the worst element found: */
    double worst, symbolic, numeric;
    char where[64];
} StepCheck;

static inline double step_random(unsigned long long *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * 0x1.0p-53 * 2 - 1; /* [-1, 1) */
}

static inline double *step_randoms(Arena *a, int n, unsigned long long *seed) {
    double *v = arena_alloc(a, sizeof(double) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        v[i] = step_random(seed);
    return v;
}

static inline int step_param_elems(const IrStep *f, int p) {
    for (int k = 0; k < f->nnodes; k++)
        if (f->nodes[k].op == IR_PARAM && f->nodes[k].index == p)
            return f->nodes[k].size * (f->nodes[k].cols ? f->nodes[k].cols : 1);
    return 0; /* an unread parameter */
}

static inline double step_dot(const double *a, const double *b, int n) {
    double s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static inline double step_loss(StepCheck *c) {
    IrLeaves l = {c->input, (const double *const *)c->states, (const double *const *)c->params, NULL, NULL, NULL};
    double **v = ir_interp(c->a, c->f, &l);
    double L = step_dot(c->w_out, v[c->f->output], c->f->nodes[c->f->output].size);
    for (int i = 0; i < c->f->nstates; i++)
        L += step_dot(c->w_state[i], v[c->f->state_next[i]], c->f->state_size[i]);
    return L;
}

/* Compare grad (NULL: zero) with central differences over x[0..n). */
static inline void step_compare(StepCheck *c, double *x, const double *grad, int n, const char *what) {
    for (int i = 0; i < n; i++) {
        const double h = 1e-6;
        double keep = x[i];
        x[i] = keep + h;
        double up = step_loss(c);
        x[i] = keep - h;
        double down = step_loss(c);
        x[i] = keep;
        double num = (up - down) / (2 * h), sym = grad ? grad[i] : 0, d = fabs(sym - num) / (1 + fabs(num));
        if (d > c->worst || d != d) {
            c->worst = d != d ? INFINITY : d;
            c->symbolic = sym;
            c->numeric = num;
            snprintf(c->where, sizeof c->where, "%s[%d]", what, i);
        }
    }
}

/* Random values for everything (seeded), the forward and adjoint steps,
 * then every gradient compared: returns the largest relative difference
 * (c->where, c->symbolic and c->numeric say where). */
static inline double step_check(StepCheck *c, unsigned long long seed) {
    const IrStep *f = c->f, *b = c->adj->bwd;
    c->input = step_randoms(c->a, f->in_size, &seed);
    c->w_out = step_randoms(c->a, f->nodes[f->output].size, &seed);
    c->states = arena_alloc(c->a, sizeof(double *) * (size_t)(f->nstates + 1));
    c->w_state = arena_alloc(c->a, sizeof(double *) * (size_t)(f->nstates + 1));
    for (int i = 0; i < f->nstates; i++) {
        c->states[i] = step_randoms(c->a, f->state_size[i], &seed);
        c->w_state[i] = step_randoms(c->a, f->state_size[i], &seed);
    }
    c->params = arena_alloc(c->a, sizeof(double *) * (size_t)(c->nparams + 1));
    for (int p = 0; p < c->nparams; p++)
        c->params[p] = step_randoms(c->a, step_param_elems(f, p), &seed);
    IrLeaves fl = {c->input, (const double *const *)c->states, (const double *const *)c->params, NULL, NULL, NULL};
    double **fwd = ir_interp(c->a, f, &fl);
    IrLeaves bl = {c->input, (const double *const *)c->states, (const double *const *)c->params,
                   (const double *const *)fwd, c->w_out, (const double *const *)c->w_state};
    double **g = ir_interp(c->a, b, &bl);
    c->worst = 0;
    step_compare(c, c->input, c->adj->d_input >= 0 ? g[c->adj->d_input] : NULL, f->in_size, "input");
    for (int i = 0; i < f->nstates; i++)
        step_compare(c, c->states[i], c->adj->d_state[i] >= 0 ? g[c->adj->d_state[i]] : NULL, f->state_size[i],
                     "state");
    for (int p = 0; p < c->nparams; p++) {
        int n = step_param_elems(f, p);
        double *grad = arena_alloc(c->a, sizeof(double) * (size_t)(n + 1));
        for (int k = 0; k < c->adj->npgrads; k++) {
            const IrParamGrad *pg = &c->adj->pgrads[k];
            if (pg->param != p)
                continue;
            int m = b->nodes[pg->g].size, cols = pg->kind == PGRAD_OUTER ? b->nodes[pg->v].size : 1;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < cols; j++)
                    grad[i * cols + j] += g[pg->g][i] * (pg->kind == PGRAD_OUTER ? g[pg->v][j] : 1);
        }
        step_compare(c, c->params[p], grad, n, "parameter");
    }
    return c->worst;
}

#endif
