/* test_grad.c - symbolic differentiation checked against finite
 * differences, in double precision through the IR interpreter
 * (tests/tools/step_check.h): every gradient of each cell's step within
 * 1e-6 relative of central differences (double precision leaves ~1e-9). The cells cover every op's
 * rule: each function, + - * / and negation, @, slices that tile, leave
 * gaps or overlap, concat, number literals, and outputs that are states. */
#include "step_check.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

static void check_cell(const char *source, const char *name, const int64_t *sizes) {
    Frontend fe;
    bool ok = frontend_run(&fe, "test.rnn", source, strlen(source));
    if (!ok)
        diag_print(&fe.diags, stderr);
    assert_true(ok);
    CellInfo *cell = strmap_get(&fe.sema.cells, name);
    assert_non_null(cell);
    StepCheck c = {.a = &fe.arena, .nparams = cell->nparams};
    c.f = ir_lower_cell(&fe.arena, cell, sizes);
    c.adj = grad_step(&fe.arena, c.f);
    if (!(step_check(&c, 12345) <= 1e-6))
        fail_msg("%s: %s: symbolic %.12g, finite differences %.12g", name, c.where, c.symbolic, c.numeric);
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

/* min and max with vectors and with numbers (no ties: the values are
 * random), and hardsigmoid across both of its kinks' sides. */
static void test_min_max_hardsigmoid_softsign_elu(void **state) {
    (void)state;
    const char *src = "cell f(in, hidden) {\n"
                      "  input x[in]\n  state h[hidden]\n  param W[hidden, in], U[hidden, hidden], b[hidden]\n"
                      "  a = W @ x + U @ h + b\n"
                      "  m = min(a, h) + max(a * a, h) + min(0.25, a) + max(a, -0.5)\n"
                      "  s = hardsigmoid(4 * a) + softsign(a) + elu(a - 0.2)\n"
                      "  h' = tanh(m * s)\n  output h'\n}\n";
    check_cell(src, "f", (int64_t[]){3, 6});
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
        cmocka_unit_test(test_every_function),
        cmocka_unit_test(test_min_max_hardsigmoid_softsign_elu),      cmocka_unit_test(test_arithmetic_slices_concat),
        cmocka_unit_test(test_overlapping_slices),  cmocka_unit_test(test_user_cell_mix),
        cmocka_unit_test(test_user_cell_swirl),     cmocka_unit_test(test_prelude_cells),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
