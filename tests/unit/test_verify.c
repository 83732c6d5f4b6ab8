/* test_verify.c - the IR verifier (compiler/ir_verify.c): the prelude's
 * LSTM as lowered, after the forward passes and differentiated passes it;
 * then each kind of broken step it must catch, one change at a time, with
 * the message that names the node and the rule. */
#include "frontend.h"
#include "grad.h"
#include "passes.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

static Frontend fe;

static int setup(void **state) {
    (void)state;
    const char *src = "model m { input x : seq vector(3)\n target y : seq vector(4)\n h = lstm(x, hidden=4)\n"
                      "loss mse(h, y) }\n";
    bool ok = frontend_run(&fe, "test.rnn", src, strlen(src));
    if (!ok)
        diag_print(&fe.diags, stderr);
    return ok ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    frontend_free(&fe);
    return 0;
}

/* The LSTM step as lowered: [3] in, [4] hidden. */
static IrStep *lstm(void) {
    return ir_lower_cell(&fe.arena, strmap_get(&fe.sema.cells, "lstm"), (int64_t[]){3, 4});
}

/* The first node of op in s. */
static int first(const IrStep *s, IrOp op) {
    for (int i = 0; i < s->nnodes; i++)
        if (s->nodes[i].op == op)
            return i;
    fail_msg("no %s node", ir_ops[op].name);
    return -1;
}

static void expect_broken(const IrStep *s, const char *want) {
    char buf[256];
    const char *got = ir_check(s, buf, sizeof buf);
    if (!got || !strstr(got, want))
        fail_msg("ir_check says \"%s\", wanted \"%s\"", got ? got : "(nothing)", want);
}

static void test_sound_steps_pass(void **state) {
    (void)state;
    char buf[256];
    IrStep *s = lstm();
    assert_null(ir_check(s, buf, sizeof buf));
    IrAdjoint *adj = grad_step(&fe.arena, s);
    assert_null(ir_check(adj->bwd, buf, sizeof buf));
    IrProgram *p = ir_lower(&fe.arena, fe.sema.model_list.items[0]);
    opt_program(&fe.arena, p, 2, false, NULL); /* verifies after every pass, or stops the test */
    assert_null(ir_check(p->layers[0].step, buf, sizeof buf));
    assert_null(ir_check(p->layers[0].adj->bwd, buf, sizeof buf));
}

static void test_operands(void **state) {
    (void)state;
    IrStep *s = lstm();
    int k = first(s, IR_SIGMOID);
    s->nodes[k].args[0] = k;
    expect_broken(s, "operand 0 is %");
    s = lstm();
    s->nodes[first(s, IR_MUL)].nargs = 1;
    expect_broken(s, "1 operands, but the op takes 2");
}

static void test_sizes(void **state) {
    (void)state;
    IrStep *s = lstm();
    s->nodes[first(s, IR_TANH)].size += 1;
    expect_broken(s, "but operand");
    s = lstm();
    int m = first(s, IR_MATVEC);
    s->nodes[m].size = 5;
    expect_broken(s, "matrix times a [");
    s = lstm();
    int sl = first(s, IR_SLICE);
    s->nodes[sl].lo = s->nodes[s->nodes[sl].args[0]].size;
    expect_broken(s, "of a vector of 16");
    s = lstm();
    s->nodes[first(s, IR_MATVEC)].args[0] = first(s, IR_INPUT);
    expect_broken(s, "is not a matrix");
}

static void test_leaves_and_results(void **state) {
    (void)state;
    IrStep *s = lstm();
    s->nodes[first(s, IR_STATE)].index = 7;
    expect_broken(s, "state 7 of 2");
    s = lstm();
    s->nodes[first(s, IR_PARAM)].index = -1;
    expect_broken(s, "parameter -1 of 4");
    s = lstm();
    s->nodes[first(s, IR_INPUT)].size = 2;
    expect_broken(s, "the step's input has 3");
    s = lstm();
    s->output = s->nnodes;
    expect_broken(s, "the output is %");
    s = lstm();
    s->state_next[1] = first(s, IR_INPUT);
    expect_broken(s, "state 1's next value");
}

static void test_phases_and_slots(void **state) {
    (void)state;
    IrStep *s = lstm();
    s->nodes[first(s, IR_SIGMOID)].phase = IRP_BEFORE; /* it reads the state, through the products */
    expect_broken(s, "computed before the loop, but reads");
    s = lstm();
    int m = first(s, IR_MATVEC);
    s->nodes[m].phase = IRP_AFTER;
    expect_broken(s, "computed in the loop, but reads");
    s = lstm();
    s->nodes[s->output].phase = IRP_AFTER; /* what it reads is not kept for every step */
    expect_broken(s, "computed after the loop, but reads");
    s = lstm();
    s->planned = true;
    s->scratch = 8;
    s->nodes[first(s, IR_TANH)].slot = 6;
    expect_broken(s, "runs past the scratch of 8 floats");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sound_steps_pass),
        cmocka_unit_test(test_operands),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_leaves_and_results),
        cmocka_unit_test(test_phases_and_slots),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
