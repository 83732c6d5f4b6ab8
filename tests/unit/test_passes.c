/* test_passes.c - each optimisation pass on a small cell: the IR after the
 * pass (as `emit --target ir` prints it) is spelled out where it is short,
 * and every pass must keep what the step computes: the forward step's
 * results, and for the backward passes every gradient, are evaluated in
 * double precision by the IR interpreter before and after, and must agree. */
#include "frontend.h"
#include "ir_interp.h"
#include "passes.h"
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The current front end (its arena holds every test value); earlier ones
 * stay alive until the test's teardown frees them all. */
static Frontend fe, retired[8];
static int nretired;
static bool fe_used;

static int free_frontends(void **state) {
    (void)state;
    for (int i = 0; i < nretired; i++)
        frontend_free(&retired[i]);
    if (fe_used)
        frontend_free(&fe);
    nretired = 0;
    fe_used = false;
    return 0;
}

static IrStep *cell_step(const char *source, const char *name, int64_t in, int64_t hidden) {
    if (fe_used) {
        assert_true(nretired < 8);
        retired[nretired++] = fe;
    }
    fe_used = true;
    bool ok = frontend_run(&fe, "test.rnn", source, strlen(source));
    if (!ok)
        diag_print(&fe.diags, stderr);
    assert_true(ok);
    CellInfo *cell = strmap_get(&fe.sema.cells, name);
    assert_non_null(cell);
    int64_t sizes[2] = {in, hidden};
    return ir_lower_cell(&fe.arena, cell, sizes);
}

static IrStep *prelude_step(const char *name, int64_t in, int64_t hidden) {
    return cell_step("model m { input x : seq vector(1)\n target y : seq vector(1)\n h = rnn(x, hidden=1)\n"
                     "loss mse(h, y) }\n", name, in, hidden);
}

static char *printed(const IrStep *s) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ir_print_step(f, s);
    fclose(f);
    char *kept = arena_strdup(&fe.arena, text);
    free(text);
    return kept;
}

static int count_op(const IrStep *s, IrOp op) {
    int n = 0;
    for (int i = 0; i < s->nnodes; i++)
        n += s->nodes[i].op == op;
    return n;
}

/* ---- evaluating steps ------------------------------------------------- */

static double *randoms(int n, unsigned *seed) {
    double *v = arena_alloc(&fe.arena, sizeof(double) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        v[i] = (double)((*seed >> 8) & 0xffff) / 32768.0 - 1.0;
    }
    return v;
}

typedef struct Inputs {
    double *input, *states[4], *params[16], *adj_out, *adj_states[4];
} Inputs;

static Inputs inputs_for(const IrStep *s) {
    Inputs in = {0};
    unsigned seed = 99;
    in.input = randoms(s->in_size, &seed);
    for (int i = 0; i < s->nstates; i++) {
        in.states[i] = randoms(s->state_size[i], &seed);
        in.adj_states[i] = randoms(s->state_size[i], &seed);
    }
    for (int p = 0; p < 16; p++)
        in.params[p] = randoms(4096, &seed);
    in.adj_out = randoms(s->nodes[s->output].size, &seed);
    return in;
}

static void expect_same(const double *a, const double *b, int n) {
    for (int i = 0; i < n; i++)
        if (fabs(a[i] - b[i]) > 1e-12 * (1 + fabs(b[i])))
            fail_msg("element %d: %.17g after the pass, %.17g before", i, a[i], b[i]);
}

/* The forward step's output and next states. */
static double **results(const IrStep *s, const Inputs *in) {
    IrLeaves l = {in->input, (const double *const *)in->states, (const double *const *)in->params, NULL, NULL, NULL};
    double **v = ir_interp(&fe.arena, s, &l), **r = arena_alloc(&fe.arena, sizeof(double *) * 8);
    r[0] = v[s->output];
    for (int i = 0; i < s->nstates; i++)
        r[1 + i] = v[s->state_next[i]];
    return r;
}

static void expect_same_results(const IrStep *after, double **before, const Inputs *in) {
    double **r = results(after, in);
    expect_same(r[0], before[0], after->nodes[after->output].size);
    for (int i = 0; i < after->nstates; i++)
        expect_same(r[1 + i], before[1 + i], after->state_size[i]);
}

/* Every gradient of a backward step: d input, d states, each parameter's. */
static double *gradients(const IrAdjoint *adj, const Inputs *in, int *n) {
    const IrStep *f = adj->fwd;
    IrLeaves fl = {in->input, (const double *const *)in->states, (const double *const *)in->params, NULL, NULL, NULL};
    double **fv = ir_interp(&fe.arena, f, &fl);
    IrLeaves bl = {in->input, (const double *const *)in->states, (const double *const *)in->params,
                   (const double *const *)fv, in->adj_out, (const double *const *)in->adj_states};
    double **g = ir_interp(&fe.arena, adj->bwd, &bl);
    double *out = arena_alloc(&fe.arena, sizeof(double) * 100000);
    *n = 0;
    if (adj->d_input >= 0)
        for (int i = 0; i < f->in_size; i++)
            out[(*n)++] = g[adj->d_input][i];
    for (int s = 0; s < f->nstates; s++)
        for (int i = 0; adj->d_state[s] >= 0 && i < f->state_size[s]; i++)
            out[(*n)++] = g[adj->d_state[s]][i];
    for (int p = 0; p < f->nparams; p++) { /* the sum of its contributions, row-major */
        double *acc = arena_alloc(&fe.arena, sizeof(double) * 4096);
        for (int k = 0; k < adj->npgrads; k++) {
            const IrParamGrad *pg = &adj->pgrads[k];
            if (pg->param != p)
                continue;
            int m = adj->bwd->nodes[pg->g].size, cols = pg->kind == PGRAD_OUTER ? adj->bwd->nodes[pg->v].size : 1;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < cols; j++)
                    acc[i * cols + j] += g[pg->g][i] * (pg->kind == PGRAD_OUTER ? g[pg->v][j] : 1);
        }
        for (int i = 0; i < 4096; i++)
            out[(*n)++] = acc[i];
    }
    return out;
}

static PassStep forward(IrStep *s) { return (PassStep){&fe.arena, s, NULL, NULL}; }

/* ---- forward passes ---------------------------------------------------- */

static const char identities[] =
    "cell t(in, hidden) {\n input x[in]\n state h[hidden]\n param W[hidden, in], U[3*hidden, hidden]\n"
    " a = W @ x * 1\n b = -(-(U @ h))\n c = b[0:2*hidden]\n d = c[hidden:2*hidden]\n"
    " h' = tanh(a / 1 + d - 0) * b[2*hidden:3*hidden]\n output h'\n}\n";

static void test_fold_removes_identities(void **state) {
    (void)state;
    IrStep *s = cell_step(identities, "t", 3, 2);
    Inputs in = inputs_for(s);
    double **before = results(s, &in);
    assert_int_equal(count_op(s, IR_NEG), 2);
    PassStep p = forward(s);
    assert_true(opt_fold(&p));
    assert_true(opt_dce(&p));
    assert_int_equal(count_op(s, IR_NEG), 0);
    assert_int_equal(count_op(s, IR_DIV), 0);
    assert_int_equal(count_op(s, IR_SUB), 0);
    assert_string_equal(printed(s), "  step t (input 3, state0 2)\n"
                                    "    %0 = param 0  : [2, 3]  ; W\n"
                                    "    %1 = input  : [3]  ; x\n"
                                    "    %2 = matvec %0, %1  : [2]\n"
                                    "    %3 = param 1  : [6, 2]  ; U\n"
                                    "    %4 = state 0  : [2]  ; h\n"
                                    "    %5 = matvec %3, %4  : [6]\n"
                                    "    %6 = slice %5 [2:4]  : [2]  ; d\n"
                                    "    %7 = add %2, %6  : [2]\n"
                                    "    %8 = tanh %7  : [2]\n"
                                    "    %9 = slice %5 [4:6]  : [2]\n"
                                    "    %10 = mul %8, %9  : [2]  ; h'\n"
                                    "    state0' = %10\n"
                                    "    output %10\n");
    expect_same_results(s, before, &in);
}

static void test_cse_merges_equal_nodes(void **state) {
    (void)state;
    IrStep *s = cell_step("cell t(in, hidden) {\n input x[in]\n state h[hidden]\n param W[hidden, in]\n"
                          " a = W @ x\n b = W @ x\n h' = tanh(a + b) + tanh(b + b)\n output h'\n}\n",
                          "t", 3, 2);
    Inputs in = inputs_for(s);
    double **before = results(s, &in);
    assert_int_equal(count_op(s, IR_MATVEC), 2);
    PassStep p = forward(s);
    assert_true(opt_cse(&p));
    assert_int_equal(count_op(s, IR_MATVEC), 1);
    assert_int_equal(count_op(s, IR_TANH), 1); /* a + b and b + b are one sum now */
    expect_same_results(s, before, &in);
    assert_false(opt_cse(&p)); /* nothing left to merge */
}

static void test_dce_removes_unread_nodes(void **state) {
    (void)state;
    IrStep *s = cell_step("cell t(in, hidden) {\n input x[in]\n state h[hidden]\n param W[hidden, in]\n"
                          " unused = sigmoid(W @ x) * h\n h' = tanh(h)\n output h'\n}\n",
                          "t", 3, 2);
    Inputs in = inputs_for(s);
    double **before = results(s, &in);
    PassStep p = forward(s);
    assert_true(opt_dce(&p));
    assert_string_equal(printed(s), "  step t (input 3, state0 2)\n"
                                    "    %0 = state 0  : [2]  ; h\n"
                                    "    %1 = tanh %0  : [2]  ; h'\n"
                                    "    state0' = %1\n"
                                    "    output %1\n");
    expect_same_results(s, before, &in);
}

static const char gates[] =
    "cell t(in, hidden) {\n input x[in]\n state h[hidden]\n param Wi[hidden, in], Wf[hidden, in], U[hidden, hidden]\n"
    " i = sigmoid(Wi @ x)\n f = sigmoid(Wf @ x)\n h' = tanh(i * h + f + U @ h)\n output h'\n}\n";

static void test_fuse_matmul_stacks_products_of_one_vector(void **state) {
    (void)state;
    IrStep *plain = cell_step(gates, "t", 3, 2), *s = cell_step(gates, "t", 3, 2);
    Inputs in = inputs_for(s);
    double **before = results(s, &in);
    PassStep p = forward(s);
    assert_true(opt_fuse_matmul(&p));
    assert_string_equal(printed(s), "  step t (input 3, state0 2)\n"
                                    "    %0 = param 0  : [2, 3]  ; Wi\n"
                                    "    %1 = input  : [3]  ; x\n"
                                    "    %2 = param 1  : [2, 3]  ; Wf\n"
                                    "    %3 = state 0  : [2]  ; h\n"
                                    "    %4 = param 2  : [2, 2]  ; U\n"
                                    "    %5 = concat %0, %2  : [4, 3]\n"
                                    "    %6 = matvec %5, %1  : [4]\n"
                                    "    %7 = slice %6 [0:2]  : [2]\n"
                                    "    %8 = slice %6 [2:4]  : [2]\n"
                                    "    %9 = sigmoid %7  : [2]  ; i\n"
                                    "    %10 = sigmoid %8  : [2]  ; f\n"
                                    "    %11 = mul %9, %3  : [2]\n"
                                    "    %12 = add %11, %10  : [2]\n"
                                    "    %13 = matvec %4, %3  : [2]\n"
                                    "    %14 = add %12, %13  : [2]\n"
                                    "    %15 = tanh %14  : [2]  ; h'\n"
                                    "    state0' = %15\n"
                                    "    output %15\n");
    expect_same_results(s, before, &in);
    /* the stacked product's derivative: one transposed product, and each
     * matrix's gradient from its own rows */
    int n1, n2;
    double *g1 = gradients(grad_step(&fe.arena, plain), &in, &n1);
    IrAdjoint *adj = grad_step(&fe.arena, s);
    double *g2 = gradients(adj, &in, &n2);
    assert_int_equal(n1, n2);
    expect_same(g2, g1, n1);
    assert_int_equal(count_op(adj->bwd, IR_MATVEC_T), 2);
}

static void test_hoist_moves_input_projections_before_the_loop(void **state) {
    (void)state;
    IrStep *s = prelude_step("lstm", 3, 2);
    PassStep p = forward(s);
    assert_true(opt_hoist(&p));
    int before = 0, loop = 0;
    for (int i = 0; i < s->nnodes; i++) {
        const IrNode *n = &s->nodes[i];
        if (n->op != IR_MATVEC)
            continue;
        IrOp operand = s->nodes[n->args[1]].op;
        assert_int_equal(n->phase, operand == IR_INPUT ? IRP_BEFORE : IRP_LOOP);
        before += n->phase == IRP_BEFORE;
        loop += n->phase == IRP_LOOP;
    }
    assert_int_equal(before, 1); /* W_ih x (and + b_ih) once for all steps */
    assert_int_equal(loop, 1);   /* W_hh h in the loop */
    for (int i = 0; i < s->nstates; i++)
        assert_int_equal(s->nodes[s->state_next[i]].phase, IRP_LOOP);
}

/* ---- backward passes ------------------------------------------------- */

static IrAdjoint *optimised_backward(IrStep *s, const char *const *passes, int n) {
    IrAdjoint *adj = grad_step(&fe.arena, s);
    PassStep p = {&fe.arena, adj->bwd, adj, adj->taped};
    for (int i = 0; i < n; i++) {
        if (!strcmp(passes[i], "fold"))
            opt_fold(&p);
        else if (!strcmp(passes[i], "cse"))
            opt_cse(&p);
        else if (!strcmp(passes[i], "dce"))
            opt_dce(&p);
        else if (!strcmp(passes[i], "sink"))
            opt_sink(&p);
        else if (!strcmp(passes[i], "fuse_elem"))
            opt_fuse_elem(&p);
        else if (!strcmp(passes[i], "memplan"))
            opt_memplan(&p);
        grad_retape(adj);
    }
    return adj;
}

static void test_backward_passes_keep_every_gradient(void **state) {
    (void)state;
    static const char *const all[] = {"fold", "cse", "dce", "sink", "fuse_elem", "memplan"};
    static const char *const cells[] = {"lstm", "gru", "rnn_tanh", "rnn_relu"};
    for (int c = 0; c < 4; c++) {
        IrStep *s = prelude_step(cells[c], 3, 2);
        Inputs in = inputs_for(s);
        int n1, n2;
        double *g1 = gradients(grad_step(&fe.arena, s), &in, &n1);
        double *g2 = gradients(optimised_backward(s, all, 6), &in, &n2);
        assert_int_equal(n1, n2);
        expect_same(g2, g1, n1);
    }
}

static void test_sink_moves_parameter_gradients_after_the_loop(void **state) {
    (void)state;
    static const char *const passes[] = {"fold", "cse", "dce", "sink"};
    IrAdjoint *adj = optimised_backward(prelude_step("lstm", 3, 2), passes, 4);
    const IrStep *b = adj->bwd;
    for (int i = 0; i < adj->npgrads; i++)
        assert_true(adj->pgrads[i].after); /* four products over all steps, not 4 T */
    assert_int_equal(b->nodes[adj->d_input].phase, IRP_AFTER); /* W_ih^T g, once */
    assert_int_equal(b->nodes[adj->d_state[0]].phase, IRP_LOOP);
    assert_int_equal(b->nodes[adj->d_state[1]].phase, IRP_LOOP);
    int kept = 0;
    for (int i = 0; i < b->nnodes; i++)
        kept += b->nodes[i].all_steps;
    assert_true(kept >= 1); /* the gate gradients, kept for the products after the loop */
}

/* A value of the forward step alone (o = sigmoid(b): no state, no input)
 * whose derivative the loop multiplies by the incoming gradient: it stays
 * in the loop, and every gradient is kept. */
static void test_sink_keeps_what_the_loop_reads(void **state) {
    (void)state;
    static const char *const all[] = {"fold", "cse", "dce", "sink", "fuse_elem", "memplan"};
    IrStep *s = cell_step("cell k(in, hidden) {\n input x[in]\n state s[hidden]\n param W[hidden, in], b[hidden]\n"
                          " s' = tanh(W @ x + s)\n o = sigmoid(b)\n output o\n}\n"
                          "model m { input x : seq vector(3)\n target y : seq vector(2)\n h = k(x, hidden=2)\n"
                          " loss mse(h, y) }\n", "k", 3, 2);
    Inputs in = inputs_for(s);
    int n1, n2;
    double *g1 = gradients(grad_step(&fe.arena, s), &in, &n1);
    IrAdjoint *adj = optimised_backward(s, all, 6);
    ir_verify(adj->bwd, "the backward passes");
    double *g2 = gradients(adj, &in, &n2);
    assert_int_equal(n1, n2);
    expect_same(g2, g1, n1);
}

static void test_fuse_elem_keeps_results_unfused(void **state) {
    (void)state;
    IrStep *s = prelude_step("gru", 3, 2);
    Inputs in = inputs_for(s);
    double **before = results(s, &in);
    IrAdjoint *adj = grad_step(&fe.arena, s);
    PassStep p = {&fe.arena, s, NULL, adj->taped};
    assert_true(opt_fuse_elem(&p));
    int fused = 0;
    for (int i = 0; i < s->nnodes; i++) {
        fused += s->nodes[i].fused;
        if (s->nodes[i].fused)
            assert_false(adj->taped[i]);
    }
    assert_true(fused >= 3);
    assert_false(s->nodes[s->output].fused);
    assert_false(s->nodes[s->state_next[0]].fused);
    expect_same_results(s, before, &in); /* fusing changes where, not what */
}

static void test_memplan_reuses_dead_buffers_only(void **state) {
    (void)state;
    IrStep *s = prelude_step("lstm", 3, 8);
    PassStep p = forward(s);
    assert_true(opt_memplan(&p));
    int unplanned = 0;
    for (int i = 0; i < s->nnodes; i++)
        if (ir_ops[s->nodes[i].op].kind != IRK_LEAF && s->nodes[i].op != IR_SLICE)
            unplanned += s->nodes[i].size;
    assert_true(s->planned);
    assert_true(s->scratch < unplanned);
    /* two nodes sharing floats: the first is dead (read by no node at or
     * after the second, and not a result) */
    for (int i = 0; i < s->nnodes; i++)
        for (int j = i + 1; j < s->nnodes; j++) {
            const IrNode *a = &s->nodes[i], *b = &s->nodes[j];
            if (ir_ops[a->op].kind == IRK_LEAF || a->op == IR_SLICE || ir_ops[b->op].kind == IRK_LEAF || b->op == IR_SLICE)
                continue;
            if (!(a->slot < b->slot + b->size && b->slot < a->slot + a->size))
                continue;
            assert_true(i != s->output && i != s->state_next[0] && i != s->state_next[1]);
            for (int r = j; r < s->nnodes; r++)
                for (int k = 0; k < s->nodes[r].nargs; k++) {
                    int arg = s->nodes[r].args[k];
                    while (s->nodes[arg].op == IR_SLICE)
                        arg = s->nodes[arg].args[0];
                    assert_int_not_equal(arg, i);
                }
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fold_removes_identities, free_frontends),
        cmocka_unit_test_teardown(test_cse_merges_equal_nodes, free_frontends),
        cmocka_unit_test_teardown(test_dce_removes_unread_nodes, free_frontends),
        cmocka_unit_test_teardown(test_fuse_matmul_stacks_products_of_one_vector, free_frontends),
        cmocka_unit_test_teardown(test_hoist_moves_input_projections_before_the_loop, free_frontends),
        cmocka_unit_test_teardown(test_backward_passes_keep_every_gradient, free_frontends),
        cmocka_unit_test_teardown(test_sink_moves_parameter_gradients_after_the_loop, free_frontends),
        cmocka_unit_test_teardown(test_sink_keeps_what_the_loop_reads, free_frontends),
        cmocka_unit_test_teardown(test_fuse_elem_keeps_results_unfused, free_frontends),
        cmocka_unit_test_teardown(test_memplan_reuses_dead_buffers_only, free_frontends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
