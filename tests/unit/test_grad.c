/* test_grad.c - symbolic differentiation checked against finite
 * differences, in double precision through the IR interpreter.
 * For each cell: L = w_out . output + sum_i w_i . state_i', with random
 * inputs, states, parameters and weights w. The adjoint step, fed w as the
 * incoming gradients, must give dL/d(input), dL/d(state_i) and dL/d(param)
 * equal to central differences (h = 1e-6) within 1e-6 relative: double
 * precision leaves differences of order 1e-9. The cells cover every op's
 * rule: each function, + - * / and negation, @, slices that tile, leave
 * gaps or overlap, concat, number literals, and outputs that are states. */
#include "frontend.h"
#include "grad.h"
#include "ir_interp.h"
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

typedef struct Case {
    const IrStep *f;
    const IrAdjoint *adj;
    double *input, **states, **params, *w_out, **w_state;
    int nparams;
    Arena *a;
} Case;

static double next_random(unsigned long long *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * 0x1.0p-53 * 2 - 1; /* [-1, 1) */
}

static double *randoms(Arena *a, int n, unsigned long long *seed) {
    double *v = arena_alloc(a, sizeof(double) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        v[i] = next_random(seed);
    return v;
}

static int param_elems(const IrStep *f, int p) {
    for (int k = 0; k < f->nnodes; k++)
        if (f->nodes[k].op == IR_PARAM && f->nodes[k].index == p)
            return f->nodes[k].size * (f->nodes[k].cols ? f->nodes[k].cols : 1);
    return 0; /* an unread parameter */
}

static double dot(const double *a, const double *b, int n) {
    double s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static double loss(Case *c) {
    IrLeaves l = {c->input, (const double *const *)c->states, (const double *const *)c->params, NULL, NULL, NULL};
    double **v = ir_interp(c->a, c->f, &l);
    double L = dot(c->w_out, v[c->f->output], c->f->nodes[c->f->output].size);
    for (int i = 0; i < c->f->nstates; i++)
        L += dot(c->w_state[i], v[c->f->state_next[i]], c->f->state_size[i]);
    return L;
}

/* d L / d x[i] by central differences. */
static double numeric(Case *c, double *x) {
    const double h = 1e-6;
    double keep = *x;
    *x = keep + h;
    double up = loss(c);
    *x = keep - h;
    double down = loss(c);
    *x = keep;
    return (up - down) / (2 * h);
}

static void expect_close(double analytic, double num, const char *what, int i) {
    double tol = 1e-6 * (1 + fabs(num));
    if (fabs(analytic - num) > tol)
        fail_msg("%s[%d]: symbolic %.12g, finite differences %.12g", what, i, analytic, num);
}

static void check_all(Case *c, double *values, const double *grad, int n, const char *what) {
    for (int i = 0; i < n; i++)
        expect_close(grad ? grad[i] : 0, numeric(c, &values[i]), what, i);
}

/* The symbolic gradients: run the forward step, then its adjoint. */
static void check_case(Case *c) {
    const IrStep *f = c->f, *b = c->adj->bwd;
    IrLeaves fl = {c->input, (const double *const *)c->states, (const double *const *)c->params, NULL, NULL, NULL};
    double **fwd = ir_interp(c->a, f, &fl);
    IrLeaves bl = {c->input, (const double *const *)c->states, (const double *const *)c->params,
                   (const double *const *)fwd, c->w_out, (const double *const *)c->w_state};
    double **g = ir_interp(c->a, b, &bl);
    check_all(c, c->input, c->adj->d_input >= 0 ? g[c->adj->d_input] : NULL, f->in_size, "input");
    for (int i = 0; i < f->nstates; i++)
        check_all(c, c->states[i], c->adj->d_state[i] >= 0 ? g[c->adj->d_state[i]] : NULL, f->state_size[i], "state");
    for (int p = 0; p < c->nparams; p++) {
        int n = param_elems(f, p);
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
        check_all(c, c->params[p], grad, n, "parameter");
    }
}

static void check_cell(const char *source, const char *name, const int64_t *sizes) {
    Frontend fe;
    bool ok = frontend_run(&fe, "test.rnn", source, strlen(source));
    if (!ok)
        diag_print(&fe.diags, stderr);
    assert_true(ok);
    CellInfo *cell = strmap_get(&fe.sema.cells, name);
    assert_non_null(cell);
    Case c = {.a = &fe.arena, .nparams = cell->nparams};
    c.f = ir_lower_cell(&fe.arena, cell, sizes);
    c.adj = grad_step(&fe.arena, c.f);
    unsigned long long seed = 12345;
    c.input = randoms(c.a, c.f->in_size, &seed);
    c.w_out = randoms(c.a, c.f->nodes[c.f->output].size, &seed);
    c.states = arena_alloc(c.a, sizeof(double *) * (size_t)(c.f->nstates + 1));
    c.w_state = arena_alloc(c.a, sizeof(double *) * (size_t)(c.f->nstates + 1));
    for (int i = 0; i < c.f->nstates; i++) {
        c.states[i] = randoms(c.a, c.f->state_size[i], &seed);
        c.w_state[i] = randoms(c.a, c.f->state_size[i], &seed);
    }
    c.params = arena_alloc(c.a, sizeof(double *) * (size_t)(c.nparams + 1));
    for (int p = 0; p < c.nparams; p++)
        c.params[p] = randoms(c.a, param_elems(c.f, p), &seed);
    check_case(&c);
    frontend_free(&fe);
}

static void test_every_function(void **state) {
    (void)state;
    const char *src = "cell f(in, hidden) {\n"
                      "  input x[in]\n  state h[hidden]\n  param W[hidden, in], U[hidden, hidden], b[hidden]\n"
                      "  a = W @ x + U @ h + b\n"
                      "  s = sigmoid(a) + tanh(a) + relu(a) + exp(-a * a) + log(1 + a * a) + softplus(a)\n"
                      "  t = s + abs(a) + sqrt(1 + a * a)\n"
                      "  h' = t / (3 + h * h)\n  output h'\n}\n";
    check_cell(src, "f", (int64_t[]){3, 5});
}

static void test_arithmetic_slices_concat(void **state) {
    (void)state;
    const char *src = "cell ops(in, hidden) {\n"
                      "  input x[in]\n  state h[hidden], c[hidden]\n"
                      "  param W[2*hidden, in], U[2*hidden, hidden], b[2*hidden], p[hidden]\n"
                      "  a = W @ x + U @ h - b\n"
                      "  i = a[0:hidden] * c / (2 + p * p)\n"
                      "  j = -a[hidden:2*hidden] + 0.5\n"
                      "  z = concat(i, j)\n"
                      "  c' = z[hidden:2*hidden] * i - c\n"
                      "  h' = tanh(z[0:hidden]) + 1 - c' * 2\n  output h'\n}\n";
    check_cell(src, "ops", (int64_t[]){4, 3});
}

static void test_overlapping_slices(void **state) {
    (void)state;
    const char *src = "cell ov(in, k) {\n"
                      "  input x[in]\n  state s[k]\n  param W[3*k, in]\n"
                      "  g = W @ x\n"
                      "  u = g[0:2*k]\n  v = g[k:3*k]\n"
                      "  w = u * v\n"
                      "  s' = w[0:k] - w[k:2*k] * s\n  output s'\n}\n";
    check_cell(src, "ov", (int64_t[]){3, 2});
}

/* Two user cells with slicing, concat, division and every function. */
static void test_user_cell_mix(void **state) {
    (void)state;
    const char *src = "cell mix(in, hidden) {\n"
                      "  input x[in]\n  state h[hidden], c[hidden]\n"
                      "  param W[3*hidden, in], U[3*hidden, hidden], p[hidden]\n"
                      "  g = W @ x + U @ h\n"
                      "  z = concat(sigmoid(g[0:hidden]), tanh(g[hidden:2*hidden]))\n"
                      "  r = relu(g[2*hidden:3*hidden]) / (1 + exp(p * c))\n"
                      "  c' = z[0:hidden] * c + z[hidden:2*hidden] * (1 - z[0:hidden]) + log(1 + softplus(r))\n"
                      "  h' = sqrt(1 + c' * c') * abs(r - 0.5) - h / (2 + abs(c))\n  output h'\n}\n";
    check_cell(src, "mix", (int64_t[]){3, 4});
}

static void test_user_cell_swirl(void **state) {
    (void)state;
    const char *src = "cell swirl(n, k) {\n"
                      "  input x[n]\n  state s[2*k]\n  param A[2*k, n], B[2*k, 2*k], d[k]\n"
                      "  u = A @ x - B @ s\n"
                      "  lo = u[0:k]\n  hi = u[k:2*k]\n"
                      "  m = concat(hi * d, -lo / (1 + lo * lo))\n"
                      "  q = concat(sqrt(1 + hi * hi), log(2 + relu(lo)))\n"
                      "  s' = tanh(m) + exp(-abs(s)) * sigmoid(q)\n"
                      "  o = s'[0:k] * softplus(hi)\n  output o\n}\n";
    check_cell(src, "swirl", (int64_t[]){5, 3});
}

/* The prelude's cells, as PyTorch's equations. */
static void test_prelude_cells(void **state) {
    (void)state;
    const char *src = "cell unused(a) {\n  input x[a]\n  state s[a]\n  s' = x\n  output s'\n}\n";
    check_cell(src, "lstm", (int64_t[]){3, 4});
    check_cell(src, "gru", (int64_t[]){4, 3});
    check_cell(src, "rnn_tanh", (int64_t[]){2, 5});
    check_cell(src, "rnn_relu", (int64_t[]){5, 2});
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_function),      cmocka_unit_test(test_arithmetic_slices_concat),
        cmocka_unit_test(test_overlapping_slices),  cmocka_unit_test(test_user_cell_mix),
        cmocka_unit_test(test_user_cell_swirl),     cmocka_unit_test(test_prelude_cells),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
