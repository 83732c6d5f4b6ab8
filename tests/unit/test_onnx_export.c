/* test_onnx_export.c - emit --target onnx's pieces: a cell's optimised step
 * as a Scan body (emit_onnx_step.c) and that body read back as a cell
 * (onnx_scan.c), spelled out for a small cell; the whole model written,
 * parsed back by the importer's file reader and written again to the same
 * bytes; which steps get ONNX's own RNN, GRU and LSTM operators (those
 * equal to the prelude cells', a user's copy of one included, whatever its
 * name); and the body reader's refusals, each naming the node. */
#include "emit_onnx.h"
#include "frontend.h"
#include "onnx_file.h"
#include "onnx_scan.h"
#include "passes.h"
#include "rt_io.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const SOURCE =
    "cell gated(in, hidden) {\n"
    "    input x[in]\n"
    "    state h[hidden]\n"
    "    param W[2*hidden, in], U[2*hidden, hidden], b[2*hidden]\n"
    "    a = W @ x + U @ h + b\n"
    "    z = hardsigmoid(a[0:hidden])\n"
    "    h' = z * h + (1 - z) * tanh(a[hidden:2*hidden])\n"
    "    output h'\n"
    "}\n"
    "model m {\n"
    "    input  x : seq vector(3)\n"
    "    target y : seq vector(2)\n"
    "    h   = gated(x, hidden=4, bidirectional=true)\n"
    "    out = linear(h, 2)\n"
    "    loss mse(out, y)\n"
    "}\n";

static Frontend fe;

static IrProgram *program(void) {
    assert_true(frontend_run(&fe, "m.rnn", SOURCE, strlen(SOURCE)));
    IrProgram *p = ir_lower(&fe.arena, frontend_find_model(&fe, "m"));
    opt_program(&fe.arena, p, 2, false, NULL);
    return p;
}

/* The main graph a body reads its weights from: p's parameters, as zeros. */
static Onnx__GraphProto *weights_graph(const IrProgram *p) {
    OwGraph *g = ow_graph(&fe.arena, "m");
    for (int i = 0; i < p->nparams; i++) {
        int64_t n = p->params[i].dims[0] * (p->params[i].rank > 1 ? p->params[i].dims[1] : 1);
        float *zeros = arena_alloc(&fe.arena, sizeof(float) * (size_t)n);
        ow_initializer(g, ow_tensor_float(&fe.arena, p->params[i].name, p->params[i].rank, p->params[i].dims, zeros));
    }
    return ow_finish(g);
}

/* A Scan node of body reading the states and x. */
static Onnx__NodeProto *scan_of(Onnx__GraphProto *body, int nstates) {
    OwGraph *g = ow_graph(&fe.arena, "m");
    const char *in[] = {"h0", "x"}, *out[] = {"h_last", "y"};
    Onnx__NodeProto *n = ow_node_outs(g, "Scan", nstates + 1, in, nstates + 1, out);
    ow_attr_graph(g, n, "body", body);
    ow_attr_int(g, n, "num_scan_inputs", 1);
    return n;
}

static const char *op_types(const Onnx__GraphProto *g) {
    const char *s = "";
    for (size_t i = 0; i < g->n_node; i++)
        s = arena_printf(&fe.arena, "%s%s%s", s, i ? " " : "", g->node[i]->op_type);
    return s;
}

static void test_a_step_becomes_a_scan_body_and_back(void **state) {
    (void)state;
    IrProgram *p = program();
    const IrLayer *l = &p->layers[0];
    const char *outs[] = {"L/next/h"};
    Onnx__GraphProto *body = onnx_step_body(&fe.arena, p, l, "L", outs, "L/output");
    assert_string_equal(op_types(body), "Gemm Gemm Add Add Constant Constant Constant Slice HardSigmoid Mul Constant "
                                        "Sub Constant Constant Constant Slice Tanh Mul Add Identity Identity");
    assert_string_equal(body->input[0]->name, "L/in/h");
    assert_string_equal(body->input[1]->name, "L/input");
    assert_string_equal(body->node[0]->input[1], "h.W_l0"); /* the main graph's initializer */
    assert_string_equal(body->node[0]->attribute[0]->name, "transB");
    assert_int_equal(body->n_output, 2);

    OnnxScan s;
    char err[256];
    assert_int_equal(onnx_scan_body(&fe.arena, weights_graph(p), scan_of(body, 1), &s, err, sizeof err), 0);
    assert_string_equal(s.body, "    input x[3]\n"
                                "    state h[4]\n"
                                "    param W[8, 3], U[8, 4], b[8]\n"
                                "    t2 = W @ x\n"
                                "    t5 = U @ h\n"
                                "    t6 = t2 + t5\n"
                                "    a_8 = t6 + b\n"
                                "    t9 = a_8[0:4]\n"
                                "    z_10 = hardsigmoid(t9)\n"
                                "    t11 = z_10 * h\n"
                                "    t13 = 1 - z_10\n"
                                "    t14 = a_8[4:8]\n"
                                "    t15 = tanh(t14)\n"
                                "    t16 = t13 * t15\n"
                                "    h_next_17 = t11 + t16\n"
                                "    h' = h_next_17\n"
                                "    output h_next_17\n");
    assert_int_equal(s.in, 3);
    assert_int_equal(s.out, 4);
    assert_int_equal(s.nparams, 3);
    assert_int_equal(s.params[0].rows, 8);
    assert_int_equal(s.params[0].cols, 3);
    onnx_scan_free(&s);
    frontend_free(&fe);
}

static uint8_t *file_bytes(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *data = malloc(1 << 20);
    *len = fread(data, 1, 1 << 20, f);
    fclose(f);
    return data;
}

static void test_the_model_file_reads_back_and_repeats(void **state) {
    (void)state;
    IrProgram *p = program();
    char dir[] = "/tmp/rnnc_onnx_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char weights[64], first[64], second[64];
    snprintf(weights, sizeof weights, "%s/w.safetensors", dir);
    snprintf(first, sizeof first, "%s/a.onnx", dir);
    snprintf(second, sizeof second, "%s/b.onnx", dir);
    rt_tensor t[8] = {0};
    for (int i = 0; i < p->nparams; i++) {
        t[i] = (rt_tensor){.name = (char *)p->params[i].name, .dtype = RT_F32, .rank = p->params[i].rank};
        t[i].dims[0] = p->params[i].dims[0];
        t[i].dims[1] = p->params[i].dims[1];
        t[i].count = p->params[i].dims[0] * (p->params[i].rank > 1 ? p->params[i].dims[1] : 1);
        t[i].data = calloc((size_t)t[i].count, sizeof(float));
        t[i].data[0] = 0.5f + (float)i;
    }
    rt_error err;
    assert_int_equal(rt_st_write(weights, t, p->nparams, NULL, 0, &err), 0);
    assert_int_equal(onnx_emit(&fe.arena, p, 2, weights, first), 0);
    assert_int_equal(onnx_emit(&fe.arena, p, 2, weights, second), 0);
    size_t n1, n2;
    uint8_t *a = file_bytes(first, &n1), *b = file_bytes(second, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);

    OnnxFile f;
    assert_int_equal(onnx_file_load(&f, first), 0);
    const Onnx__GraphProto *g = f.model->graph;
    assert_int_equal(f.model->opset_import[0]->version, 17);
    assert_string_equal(g->input[0]->name, "x");
    assert_string_equal(g->input[0]->type->tensor_type->shape->dim[0]->dim_param, "batch");
    assert_string_equal(g->input[0]->type->tensor_type->shape->dim[1]->dim_param, "time");
    assert_int_equal(g->input[0]->type->tensor_type->shape->dim[2]->dim_value, 3);
    assert_string_equal(g->output[0]->name, "out");
    int scans = 0, reverse = 0;
    for (size_t i = 0; i < g->n_node; i++)
        if (!strcmp(g->node[i]->op_type, "Scan")) {
            scans++;
            for (size_t k = 0; k < g->node[i]->n_attribute; k++)
                reverse += !strcmp(g->node[i]->attribute[k]->name, "scan_input_directions");
        }
    assert_int_equal(scans, 2);
    assert_int_equal(reverse, 1);
    assert_true(g->initializer[0]->raw_data.len == 4 * 8 * 3);
    onnx_file_free(&f);
    for (int i = 0; i < p->nparams; i++)
        free(t[i].data);
    free(a), free(b);
    unlink(weights), unlink(first), unlink(second), rmdir(dir);
    frontend_free(&fe);
}

/* A one-state body [batch, 4] -> [batch, 4]: node op on the state (and
 * the constant W, for a Gemm), or the state's first half (a Slice). */
static void expect_body_refused(const char *op, int transB, const char *part) {
    Arena *a = &fe.arena;
    OwGraph *b = ow_graph(a, "body");
    OwDim rows[2] = {{-1, "batch"}, {4, NULL}};
    ow_input(b, "h", OW_FLOAT, 2, rows);
    ow_input(b, "x", OW_FLOAT, 2, rows);
    if (!strcmp(op, "Slice")) {
        const char *in[] = {"h", ow_const_ints(b, "lo", 1, (int64_t[]){0}), ow_const_ints(b, "hi", 1, (int64_t[]){2}),
                            ow_const_ints(b, "axes", 1, (int64_t[]){-1})};
        ow_node(b, "Slice", "v", 4, in);
    } else {
        Onnx__NodeProto *n = ow_node(b, op, "v", !strcmp(op, "Gemm") ? 2 : 1, (const char *[]){"h", "W"});
        if (transB >= 0)
            ow_attr_int(b, n, "transB", transB);
    }
    ow_output(b, "v", OW_FLOAT, 2, rows);
    ow_output(b, "v", OW_FLOAT, 2, rows);
    OwGraph *g = ow_graph(a, "m");
    float w[16] = {0};
    ow_initializer(g, ow_tensor_float(a, "W", 2, (int64_t[]){4, 4}, w));
    OnnxScan s;
    char err[256];
    int rc = onnx_scan_body(a, ow_finish(g), scan_of(ow_finish(b), 1), &s, err, sizeof err);
    if (!part) { /* accepted */
        assert_int_equal(rc, 0);
        onnx_scan_free(&s);
        return;
    }
    assert_int_equal(rc, -1);
    if (!strstr(err, part))
        fail_msg("'%s' does not say '%s'", err, part);
}

static void test_bodies_rnnc_cannot_read(void **state) {
    (void)state;
    memset(&fe, 0, sizeof fe);
    expect_body_refused("Gemm", 1, NULL); /* W @ h: a cell */
    expect_body_refused("Softmax", -1, "node 'v' (Softmax) is an operator rnnc does not read in a cell");
    expect_body_refused("Gemm", 0, "node 'v' (Gemm) is not x W^T");
    expect_body_refused("Slice", -1, "gives state 'h' a next value of 2 elements, not 4");
    expect_body_refused("Shape", -1, "output 'v' is not a vector the step computes");
    arena_free(&fe.arena);
}

/* The ONNX operator chosen for the first layer of source's model m, at level. */
static const char *operator_of(const char *source, int level) {
    assert_true(frontend_run(&fe, "m.rnn", source, strlen(source)));
    IrProgram *p = ir_lower(&fe.arena, frontend_find_model(&fe, "m"));
    opt_program(&fe.arena, p, level, false, NULL);
    const OnnxCellOp *op = onnx_cell_op(p->layers[0].step, level);
    OwGraph *g = ow_graph(&fe.arena, "m");
    static char name[16]; /* outlives the front end's arena */
    snprintf(name, sizeof name, "Scan");
    if (op) { /* the operator's node, on zero weights */
        rt_tensor t[4] = {0};
        for (int i = 0; i < 4; i++) {
            const IrParam *pi = &p->params[p->layers[0].params[i]];
            t[i] = (rt_tensor){.name = (char *)pi->name, .dtype = RT_F32, .rank = pi->rank};
            t[i].count = pi->dims[0] * (pi->rank > 1 ? pi->dims[1] : 1);
            t[i].data = arena_alloc(&fe.arena, sizeof(float) * (size_t)t[i].count);
        }
        rt_safetensors st = {.tensors = t, .ntensors = 4};
        const IrLayer *dir[1] = {&p->layers[0]};
        snprintf(name, sizeof name, "%s", onnx_cell_op_node(g, op, p, dir, 1, &st, "x", "h", "L")->op_type);
    }
    frontend_free(&fe);
    return name;
}

static void test_cells_that_are_onnx_operators(void **state) {
    (void)state;
    const char *model = "model m {\n input x : seq vector(3)\n target y : seq vector(4)\n h = %s\n loss mse(h, y)\n}\n";
    char src[1024];
    snprintf(src, sizeof src, model, "lstm(x, hidden=4)");
    assert_string_equal(operator_of(src, 2), "LSTM");
    assert_string_equal(operator_of(src, 0), "LSTM");
    snprintf(src, sizeof src, model, "gru(x, hidden=4)");
    assert_string_equal(operator_of(src, 2), "GRU");
    snprintf(src, sizeof src, model, "rnn(x, hidden=4, nonlinearity=relu)");
    assert_string_equal(operator_of(src, 2), "RNN");
    /* a user's cell: the prelude's rnn_tanh under another name is RNN; the same with its bias left out is a Scan */
    const char *mine = "cell mine(in, hidden) {\n input x[in]\n state h[hidden]\n"
                       " param weight_ih[hidden, in], weight_hh[hidden, hidden]\n param bias_ih[hidden], bias_hh[hidden]\n"
                       " h' = tanh(weight_ih @ x + bias_ih + weight_hh @ h + %s)\n output h'\n}\n";
    char cell[512];
    snprintf(cell, sizeof cell, mine, "bias_hh");
    snprintf(src, sizeof src, "%s", cell);
    snprintf(src + strlen(src), sizeof src - strlen(src), model, "mine(x, hidden=4)");
    assert_string_equal(operator_of(src, 2), "RNN");
    snprintf(cell, sizeof cell, mine, "0 * bias_hh");
    snprintf(src, sizeof src, "%s", cell);
    snprintf(src + strlen(src), sizeof src - strlen(src), model, "mine(x, hidden=4)");
    assert_string_equal(operator_of(src, 2), "Scan");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_step_becomes_a_scan_body_and_back),
        cmocka_unit_test(test_the_model_file_reads_back_and_repeats),
        cmocka_unit_test(test_cells_that_are_onnx_operators),
        cmocka_unit_test(test_bodies_rnnc_cannot_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
