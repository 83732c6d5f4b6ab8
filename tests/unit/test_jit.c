/* test_jit.c - the LLVM backend compiled in memory through LLJIT: for
 * PyTorch fixtures (tests/parity/fixtures), the model is checked, lowered,
 * differentiated and JIT-compiled without writing a file, and its forward
 * output and every gradient, called through the rt_model it defines, match
 * PyTorch's within the numerics bound. Runs from the repository root. */
#include "emit_llvm.h"
#include "frontend.h"
#include "grad.h"
#include "rt_driver.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the JIT-compiled code calls must be linked in (and exported): an
 * external array, so that no reference is optimised away. */
extern void (*const runtime_used[])(void);
void (*const runtime_used[])(void) = {(void (*)(void))rt_gemm_nt, (void (*)(void))rt_gemm_nn,
                                              (void (*)(void))rt_gemm_tn, (void (*)(void))rt_dropout,
                                              (void (*)(void))rt_tanh, (void (*)(void))rt_exp, (void (*)(void))rt_gemm_packed,
                                              (void (*)(void))rt_pack_part};

static char *read_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 16);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

static void expect_close(const float *got, const float *want, int64_t n, const char *what) {
    double maxdiff = 0, maxref = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        maxdiff = d > maxdiff || d != d ? d : maxdiff;
        maxref = fabs((double)want[i]) > maxref ? fabs((double)want[i]) : maxref;
    }
    if (!(maxdiff <= 1e-4 * maxref + 1e-5))
        fail_msg("%s: largest difference %g (bound %g)", what, maxdiff, 1e-4 * maxref + 1e-5);
}

static void check_fixture(const char *name) {
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "tests/parity/fixtures/%s/model.rnn", name);
    char *src = read_text(path, &len);
    Frontend f;
    assert_true(frontend_run(&f, path, src, len));
    IrProgram *ir = ir_lower(&f.arena, f.sema.model_list.items[0]);
    grad_program(&f.arena, ir);
    LlvmJit *jit;
    const rt_model *m = llvm_jit_model(&jit, &f.arena, ir, 2);
    assert_non_null(m);
    rt_params p;
    rt_data x, y;
    rt_error err;
    char dir[400], w[512], in[512], tg[512];
    snprintf(dir, sizeof dir, "tests/parity/fixtures/%s", name);
    snprintf(w, sizeof w, "%s/weights.safetensors", dir);
    snprintf(in, sizeof in, "%s/input.npy", dir);
    snprintf(tg, sizeof tg, "%s/target.npy", dir);
    assert_int_equal(rt_params_load(m, w, &p, &err), 0);
    assert_int_equal(rt_data_load_pair(m, in, tg, NULL, &x, &y, &err), 0);
    /* forward */
    rt_array ref;
    snprintf(path, sizeof path, "%s/output.npy", dir);
    assert_int_equal(rt_npy_read(path, &ref, &err), 0);
    float *out = malloc(sizeof(float) * (size_t)ref.count);
    assert_int_equal(rt_run_forward(m, &p, &x, out, &err), 0);
    expect_close(out, ref.data, ref.count, "output");
    /* gradients */
    rt_trainer t;
    assert_int_equal(rt_trainer_init(&t, m, x.B, x.T, &err), 0);
    rt_grads_zero(&t);
    memset(t.state, 0, sizeof(float) * (size_t)(x.B * m->state_floats));
    rt_train_pass(&t, p.data, x.tokens ? (void *)x.tokens : (void *)x.floats,
                  y.tokens ? (void *)y.tokens : (void *)y.floats, NULL, x.B, x.T, NULL);
    rt_safetensors g;
    snprintf(path, sizeof path, "%s/grads.safetensors", dir);
    assert_int_equal(rt_st_read(path, &g, &err), 0);
    for (int i = 0; i < m->nparams; i++) {
        const rt_tensor *want = rt_st_find(&g, m->params[i].name);
        assert_non_null(want);
        expect_close(t.grads.data[i], want->data, want->count, m->params[i].name);
    }
    rt_st_free(&g);
    rt_trainer_free(&t);
    free(out);
    rt_array_free(&ref);
    rt_data_free(&x);
    rt_data_free(&y);
    rt_params_free(&p);
    llvm_jit_free(jit);
    frontend_free(&f);
    free(src);
}

static void test_lstm_bidirectional(void **state) { (void)state; check_fixture("lstm_bidirectional_two_layers_ce"); }
static void test_gru_last(void **state) { (void)state; check_fixture("gru_last_classifier"); }
static void test_user_cell(void **state) { (void)state; check_fixture("user_cell_peephole"); }
static void test_activations(void **state) { (void)state; check_fixture("activations_and_dropout"); }

int main(void) {
    assert_non_null(runtime_used[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lstm_bidirectional),
        cmocka_unit_test(test_gru_last),
        cmocka_unit_test(test_user_cell),
        cmocka_unit_test(test_activations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
