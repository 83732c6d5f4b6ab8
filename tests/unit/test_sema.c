/* test_sema.c - unit tests for semantic analysis through frontend_run():
 * the prelude checks clean; models get docs/language.md parameter names
 * and shapes in the parameter table lowering lays out from sema's layers
 * (lstm stacked and bidirectional, gru, rnn resolving to rnn_tanh or
 * rnn_relu, linear, embedding); a cell's input size is
 * inferred per stacked layer; train settings are read; and error cases
 * report the right number of errors with messages that say what is wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "frontend.h"
#include "ir.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Frontend *run(const char *src) {
    Frontend *f = malloc(sizeof *f);
    assert_non_null(f);
    frontend_run(f, "test.rnn", src, strlen(src));
    return f;
}

static void done(Frontend *f) {
    frontend_free(f);
    free(f);
}

static const Diag *find_diag(const Frontend *f, DiagLevel level, const char *part) {
    for (int i = 0; i < f->diags.len; i++)
        if (f->diags.items[i].level == level && strstr(f->diags.items[i].msg, part))
            return &f->diags.items[i];
    return NULL;
}

/* src has exactly `errors` errors, and one of them contains part (at line). */
static void expect_error(const char *src, int errors, const char *part, int line) {
    Frontend *f = run(src);
    const Diag *g = find_diag(f, DIAG_ERROR, part);
    if (!g || f->diags.errors != errors) {
        diag_print(&f->diags, stderr);
        fail_msg("expected %d error(s), one saying '%s'; got %d", errors, part, f->diags.errors);
    }
    assert_int_equal(g->loc.line, line);
    done(f);
}

static ModelInfo *only_model(Frontend *f) {
    if (f->diags.errors) {
        diag_print(&f->diags, stderr);
        fail_msg("unexpected errors");
    }
    assert_int_equal(f->sema.model_list.len, 1);
    return f->sema.model_list.items[0];
}

static const Layer *layer(const ModelInfo *m, const char *name) {
    for (int i = 0; i < m->nlayers; i++)
        if (m->layers[i]->name && !strcmp(m->layers[i]->name, name))
            return m->layers[i];
    fail_msg("no layer '%s'", name);
    return NULL;
}

/* The model's parameter table, as lowering lays it out. */
static IrProgram *lowered(Frontend *f, const ModelInfo *m) {
    return ir_lower(&f->arena, m);
}

/* Parameter i of p is called name and has shape [d0] (d1 == 0) or [d0, d1]. */
static void expect_param(const IrProgram *m, int i, const char *name, int64_t d0, int64_t d1) {
    assert_true(i < m->nparams);
    const IrParam *p = &m->params[i];
    assert_string_equal(p->name, name);
    assert_int_equal(p->rank, d1 ? 2 : 1);
    assert_int_equal(p->dims[0], d0);
    assert_int_equal(p->dims[1], d1);
}

/* ---- the prelude ----------------------------------------------------------- */

static void test_prelude_checks_clean(void **state) {
    (void)state;
    Frontend *f = run("");
    assert_int_equal(f->diags.errors, 0);
    assert_int_equal(f->diags.warnings, 0);
    static const char *const names[] = {"rnn_tanh", "rnn_relu", "lstm", "gru"};
    assert_int_equal(f->sema.cell_list.len, 4);
    for (int i = 0; i < 4; i++) {
        CellInfo *c = f->sema.cell_list.items[i];
        assert_string_equal(c->name, names[i]);
        assert_true(c->ok);
        assert_int_equal(c->nsizes, 2);
        assert_int_equal(c->inferred, 0); /* in, from the input's width */
        assert_int_equal(c->nparams, 4);
        assert_int_equal(c->nstates, strcmp(names[i], "lstm") ? 1 : 2);
    }
    done(f);
}

static void test_prelude_name_is_taken(void **state) {
    (void)state;
    expect_error("cell gru(n) {\n    input x[n]\n    state h[n]\n    h' = x + h\n    output h'\n}\n", 1,
                 "'gru' is a prelude cell", 1);
    expect_error("cell linear(n) {\n    input x[n]\n    state h[n]\n    h' = x + h\n    output h'\n}\n", 1,
                 "'linear' is a built-in name", 1);
}

/* ---- parameter names and shapes (docs/language.md) ----------------------------- */

static const char lstm_model[] =
    "model m {\n"
    "    input x : seq vector(10)\n"
    "    target y : seq vector(3)\n"
    "    h = lstm(x, hidden=20, layers=2, bidirectional=true)\n"
    "    out = linear(h, 3)\n"
    "    loss mse(out, y)\n"
    "}\n";

static void test_lstm_stacked_bidirectional_names(void **state) {
    (void)state;
    Frontend *f = run(lstm_model);
    IrProgram *m = lowered(f, only_model(f));
    assert_int_equal(m->nparams, 2 * 2 * 4 + 2);
    static const char *const order[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    int i = 0;
    for (int l = 0; l < 2; l++)
        for (int dir = 0; dir < 2; dir++)
            for (int p = 0; p < 4; p++) {
                char name[64];
                snprintf(name, sizeof name, "h.%s_l%d%s", order[p], l, dir ? "_reverse" : "");
                assert_string_equal(m->params[i++].name, name);
            }
    assert_string_equal(m->params[16].name, "out.weight");
    assert_string_equal(m->params[17].name, "out.bias");
    done(f);
}

static void test_lstm_stacked_bidirectional_shapes(void **state) {
    (void)state;
    Frontend *f = run(lstm_model);
    ModelInfo *m = only_model(f);
    IrProgram *p = lowered(f, m);
    expect_param(p, 0, "h.weight_ih_l0", 80, 10);
    expect_param(p, 1, "h.weight_hh_l0", 80, 20);
    expect_param(p, 2, "h.bias_ih_l0", 80, 0);
    expect_param(p, 7, "h.bias_hh_l0_reverse", 80, 0);
    expect_param(p, 8, "h.weight_ih_l1", 80, 40); /* reads both directions */
    expect_param(p, 13, "h.weight_hh_l1_reverse", 80, 20);
    expect_param(p, 16, "out.weight", 3, 40);
    expect_param(p, 17, "out.bias", 3, 0);
    const Layer *h = layer(m, "h");
    assert_int_equal(h->kind, LAYER_CELL);
    assert_int_equal(h->nlayers, 2);
    assert_true(h->bidirectional);
    assert_true(h->type.seq && !h->type.token);
    assert_int_equal(h->type.size, 40);
    assert_int_equal(m->loss, LOSS_MSE);
    assert_ptr_equal(m->loss_arg, layer(m, "out"));
    done(f);
}

static void test_default_initialisers(void **state) {
    (void)state;
    Frontend *f = run(lstm_model);
    IrProgram *m = lowered(f, only_model(f));
    const IrParam *w = &m->params[0], *lin = &m->params[16];
    assert_int_equal(w->init.kind, INIT_UNIFORM); /* +-1/sqrt(hidden) */
    assert_float_equal(w->init.b, 1.0 / sqrt(20.0), 1e-12);
    assert_float_equal(w->init.a, -1.0 / sqrt(20.0), 1e-12);
    assert_int_equal(lin->init.kind, INIT_UNIFORM); /* +-1/sqrt(in) */
    assert_float_equal(lin->init.b, 1.0 / sqrt(40.0), 1e-12);
    done(f);
}

static const char gru_rnn_model[] =
    "model m {\n"
    "    input x : seq token(50)\n"
    "    target y : token(4)\n"
    "    e = embedding(x, dim=8)\n"
    "    g = gru(e, hidden=6)\n"
    "    r = rnn(g, hidden=5, nonlinearity=relu)\n"
    "    t = rnn(r, hidden=5)\n"
    "    o = linear(last(t), 4)\n"
    "    loss cross_entropy(o, y)\n"
    "}\n";

static void test_gru_and_rnn(void **state) {
    (void)state;
    Frontend *f = run(gru_rnn_model);
    ModelInfo *m = only_model(f);
    IrProgram *p = lowered(f, m);
    assert_int_equal(p->nparams, 1 + 4 + 4 + 4 + 2);
    expect_param(p, 0, "e.weight", 50, 8);
    expect_param(p, 1, "g.weight_ih_l0", 18, 8);
    expect_param(p, 2, "g.weight_hh_l0", 18, 6);
    expect_param(p, 4, "g.bias_hh_l0", 18, 0);
    expect_param(p, 5, "r.weight_ih_l0", 5, 6);
    expect_param(p, 9, "t.weight_ih_l0", 5, 5);
    expect_param(p, 13, "o.weight", 4, 5);
    assert_int_equal(p->params[0].init.kind, INIT_NORMAL);
    assert_string_equal(layer(m, "g")->cell->name, "gru");
    assert_string_equal(layer(m, "r")->cell->name, "rnn_relu");
    assert_string_equal(layer(m, "t")->cell->name, "rnn_tanh");
    const Layer *o = layer(m, "o");
    assert_false(o->type.seq); /* last() ends the sequence */
    assert_int_equal(o->arg->kind, LAYER_LAST);
    assert_int_equal(m->loss, LOSS_CROSS_ENTROPY);
    done(f);
}

/* ---- size inference ------------------------------------------------------- */

static const char user_cells[] =
    "cell mine(in, hidden) {\n"
    "    input x[in]\n"
    "    state h[hidden]\n"
    "    param W[hidden, in], U[hidden, hidden]\n"
    "    h' = tanh(W @ x + U @ h)\n"
    "    output h'\n"
    "}\n"
    "cell twice(n) {\n"
    "    input x[2*n]\n"
    "    state h[n]\n"
    "    param W[n, 2*n]\n"
    "    h' = tanh(W @ x + h)\n"
    "    output h'\n"
    "}\n";

static Frontend *run_with_cells(const char *model) {
    char src[2048];
    snprintf(src, sizeof src, "%smodel m {\n    input x : seq vector(10)\n    target y : seq vector(4)\n%s"
                              "    o = linear(b, 4)\n    loss mse(o, y)\n}\n", user_cells, model);
    return run(src);
}

static void test_size_inferred_per_layer(void **state) {
    (void)state;
    Frontend *f = run_with_cells("    a = mine(x, hidden=8, layers=2)\n    b = twice(a, n=4)\n");
    ModelInfo *m = only_model(f);
    CellInfo *mine = layer(m, "a")->cell, *twice = layer(m, "b")->cell;
    assert_int_equal(mine->inferred, 0);
    assert_int_equal(twice->inferred, -1); /* 2*n is not a size alone */
    assert_int_equal(layer(m, "a")->sizes[0], 10);
    IrProgram *p = lowered(f, m);
    expect_param(p, 0, "a.W_l0", 8, 10);
    expect_param(p, 2, "a.W_l1", 8, 8); /* layer 1 reads layer 0's output */
    expect_param(p, 4, "b.W_l0", 4, 8);
    done(f);
}

static void test_size_not_inferable_must_match(void **state) {
    (void)state;
    Frontend *f = run_with_cells("    a = mine(x, hidden=8)\n    b = twice(a, n=3)\n");
    assert_int_equal(f->diags.errors, 1);
    assert_non_null(find_diag(f, DIAG_ERROR, "cell 'twice' reads an input of size [2*n] = 6 with n=3, "
                                             "but its argument has width 8"));
    done(f);
    f = run_with_cells("    a = mine(x, hidden=8)\n    b = twice(a, n=4, layers=2)\n");
    assert_int_equal(f->diags.errors, 1);
    assert_non_null(find_diag(f, DIAG_ERROR, "in layer 1 of 'b'"));
    done(f);
}

static void test_inferred_size_given_must_agree(void **state) {
    (void)state;
    Frontend *f = run_with_cells("    a = mine(x, in=10, hidden=8)\n    b = twice(a, n=4)\n");
    assert_int_equal(f->diags.errors, 0);
    done(f);
    f = run_with_cells("    a = mine(x, in=5, hidden=8)\n    b = twice(a, n=4)\n");
    assert_int_equal(f->diags.errors, 1);
    assert_non_null(find_diag(f, DIAG_ERROR, "cell 'mine' is given in=5, but its argument has width 10"));
    done(f);
}

static void test_missing_size(void **state) {
    (void)state;
    Frontend *f = run_with_cells("    a = mine(x)\n    b = twice(a, n=4)\n");
    assert_int_equal(f->diags.errors, 1);
    assert_non_null(find_diag(f, DIAG_ERROR, "cell 'mine' needs its size 'hidden'"));
    done(f);
}

/* ---- train settings --------------------------------------------------------- */

static void test_train_settings(void **state) {
    (void)state;
    char src[1024];
    snprintf(src, sizeof src, "%.*s    train { optimizer = sgd(0.1, momentum=0.9); clip = 1; batch = 4; bptt = 16 }\n}\n",
             (int)(sizeof lstm_model - 3), lstm_model);
    Frontend *f = run(src);
    TrainConfig t = only_model(f)->train;
    assert_int_equal(t.optimizer, OPT_SGD);
    assert_float_equal(t.lr, 0.1, 0);
    assert_float_equal(t.momentum, 0.9, 0);
    assert_float_equal(t.clip, 1.0, 0);
    assert_int_equal(t.batch, 4);
    assert_int_equal(t.bptt, 16);
    assert_int_equal(t.epochs, 1); /* the documented defaults for the rest */
    assert_int_equal(t.seed, 1);
    assert_float_equal(t.valid, 0.1, 0);
    done(f);
}

static void test_train_defaults(void **state) {
    (void)state;
    Frontend *f = run(lstm_model);
    TrainConfig t = only_model(f)->train;
    assert_int_equal(t.optimizer, OPT_ADAM);
    assert_float_equal(t.lr, 0.001, 0);
    assert_int_equal(t.batch, 32);
    assert_int_equal(t.bptt, 0); /* the whole sequence */
    assert_float_equal(t.clip, 0, 0);
    done(f);
}

/* ---- errors in cells ---------------------------------------------------------- */

#define CELL_HEAD "cell c(in, hidden) {\n    input x[in]\n    state h[hidden]\n"

static void test_undefined_name(void **state) {
    (void)state;
    expect_error(CELL_HEAD "    h' = tanh(h + q)\n    output h'\n}\n", 1, "undefined name 'q'", 4);
}

static void test_undefined_name_in_model(void **state) {
    (void)state;
    expect_error("model m {\n    input x : seq vector(2)\n    target y : seq vector(2)\n"
                 "    a = relu(z)\n    loss mse(a, y)\n}\n",
                 1, "undefined name 'z'", 4);
}

static void test_state_never_updated(void **state) {
    (void)state;
    expect_error(CELL_HEAD "    state c[hidden]\n    h' = tanh(h)\n    output h'\n}\n", 1,
                 "state 'c' is never updated", 4);
}

static void test_matmul_size_mismatch(void **state) {
    (void)state;
    expect_error(CELL_HEAD "    param W[hidden, hidden]\n    h' = W @ x\n    output h'\n}\n", 1,
                 "size mismatch in '@': 'W' is [hidden, hidden] but 'x' is [in] (hidden != in)", 5);
}

static void test_elementwise_size_mismatch(void **state) {
    (void)state;
    expect_error(CELL_HEAD "    h' = x + h\n    output h'\n}\n", 1,
                 "size mismatch in '+': 'x' is [in] but 'h' is [hidden]", 4);
    expect_error(CELL_HEAD "    param W[2*hidden, in]\n    h' = W @ x\n    output h'\n}\n", 1,
                 "state 'h' is [hidden] but its update is [2*hidden]", 5);
}

static void test_slice_out_of_range(void **state) {
    (void)state;
    expect_error(CELL_HEAD "    h' = h[1:hidden + 1]\n    output h'\n}\n", 1,
                 "slice [1:hidden + 1] is out of range for 'h' of size [hidden]", 4);
    expect_error(CELL_HEAD "    h' = h[hidden:hidden]\n    output h'\n}\n", 1, "is out of range", 4);
}

static void test_slice_out_of_range_at_use(void **state) {
    (void)state;
    expect_error(CELL_HEAD "    param W[hidden, 4]\n    h' = tanh(W @ x[0:4] + h)\n    output h'\n}\n"
                           "model m {\n    input s : seq vector(3)\n    target y : seq vector(2)\n"
                           "    a = c(s, hidden=2)\n    loss mse(a, y)\n}\n",
                 1, "slice [0:4] of 'x' (size 3) in cell 'c' is out of range with in=3, hidden=2", 11);
}

/* ---- errors in models ------------------------------------------------------- */

static void test_layer_with_parameters_needs_a_name(void **state) {
    (void)state;
    expect_error("model m {\n    input x : seq vector(2)\n    target y : seq vector(10)\n"
                 "    h = lstm(x, hidden=4)\n    o = linear(relu(linear(h, 64)), 10)\n    loss mse(o, y)\n}\n",
                 1, "'linear' has parameters, so it must be assigned to a name of its own", 5);
    expect_error("model m {\n    input x : seq vector(2)\n    target y : seq vector(4)\n"
                 "    loss mse(gru(x, hidden=4), y)\n}\n",
                 1, "'gru' has parameters", 4);
}

static void test_cross_entropy_needs_tokens(void **state) {
    (void)state;
    expect_error("model m {\n    input x : seq vector(2)\n    target y : seq vector(3)\n"
                 "    o = linear(x, 3)\n    loss cross_entropy(o, y)\n}\n",
                 1, "cross_entropy needs token targets, but 'y' is seq vector(3)", 5);
}

static void test_mse_needs_vectors(void **state) {
    (void)state;
    expect_error("model m {\n    input x : seq vector(2)\n    target y : seq token(3)\n"
                 "    o = linear(x, 3)\n    loss mse(o, y)\n}\n",
                 1, "mse needs vector targets, but 'y' is seq token(3)", 5);
}

static void test_loss_shape_mismatch(void **state) {
    (void)state;
    expect_error("model m {\n    input x : seq token(9)\n    target y : seq token(9)\n"
                 "    e = embedding(x, dim=4)\n    o = linear(e, 8)\n    loss cross_entropy(o, y)\n}\n",
                 1, "'o' is seq vector(8) but target 'y' is seq token(9)", 6);
    expect_error("model m {\n    input x : seq vector(2)\n    target y : vector(3)\n"
                 "    o = linear(x, 3)\n    loss mse(o, y)\n}\n",
                 1, "take last(...) of the sequence", 5);
}

static void test_bad_nonlinearity(void **state) {
    (void)state;
    expect_error("model m {\n    input x : seq vector(2)\n    target y : seq vector(3)\n"
                 "    r = rnn(x, hidden=3, nonlinearity=sigmoid)\n    loss mse(r, y)\n}\n",
                 1, "nonlinearity must be tanh or relu, not 'sigmoid'", 4);
}

/* ---- warnings ------------------------------------------------------------- */

static void test_unused_parameter_warns(void **state) {
    (void)state;
    Frontend *f = run(CELL_HEAD "    param W[hidden, in], U[hidden, hidden]\n    h' = tanh(W @ x + h)\n    output h'\n}\n");
    assert_int_equal(f->diags.errors, 0);
    assert_int_equal(f->diags.warnings, 1);
    const Diag *w = find_diag(f, DIAG_WARNING, "parameter 'U' is never used");
    assert_non_null(w);
    assert_int_equal(w->loc.line, 4);
    assert_int_equal(w->loc.col, 26);
    done(f);
}

static void test_clean_cell_has_no_warnings(void **state) {
    (void)state;
    Frontend *f = run(CELL_HEAD "    param W[hidden, in], U[hidden, hidden]\n    h' = tanh(W @ x + U @ h)\n    output h'\n}\n");
    assert_int_equal(f->diags.errors, 0);
    assert_int_equal(f->diags.warnings, 0);
    done(f);
}

static void test_unused_layer_warns(void **state) {
    (void)state;
    Frontend *f = run("model m {\n    input x : seq vector(2)\n    target y : seq vector(3)\n"
                      "    a = linear(x, 5)\n    o = linear(x, 3)\n    loss mse(o, y)\n}\n");
    assert_int_equal(f->diags.errors, 0);
    assert_int_equal(f->diags.warnings, 1);
    assert_non_null(find_diag(f, DIAG_WARNING, "'a' is computed but the loss does not depend on it"));
    done(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prelude_checks_clean),
        cmocka_unit_test(test_prelude_name_is_taken),
        cmocka_unit_test(test_lstm_stacked_bidirectional_names),
        cmocka_unit_test(test_lstm_stacked_bidirectional_shapes),
        cmocka_unit_test(test_default_initialisers),
        cmocka_unit_test(test_gru_and_rnn),
        cmocka_unit_test(test_size_inferred_per_layer),
        cmocka_unit_test(test_size_not_inferable_must_match),
        cmocka_unit_test(test_inferred_size_given_must_agree),
        cmocka_unit_test(test_missing_size),
        cmocka_unit_test(test_train_settings),
        cmocka_unit_test(test_train_defaults),
        cmocka_unit_test(test_undefined_name),
        cmocka_unit_test(test_undefined_name_in_model),
        cmocka_unit_test(test_state_never_updated),
        cmocka_unit_test(test_matmul_size_mismatch),
        cmocka_unit_test(test_elementwise_size_mismatch),
        cmocka_unit_test(test_slice_out_of_range),
        cmocka_unit_test(test_slice_out_of_range_at_use),
        cmocka_unit_test(test_layer_with_parameters_needs_a_name),
        cmocka_unit_test(test_cross_entropy_needs_tokens),
        cmocka_unit_test(test_mse_needs_vectors),
        cmocka_unit_test(test_loss_shape_mismatch),
        cmocka_unit_test(test_bad_nonlinearity),
        cmocka_unit_test(test_unused_parameter_warns),
        cmocka_unit_test(test_clean_cell_has_no_warnings),
        cmocka_unit_test(test_unused_layer_warns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
