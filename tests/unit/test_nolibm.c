/* test_nolibm.c - the float functions embedded C uses with --no-libm
 * (compiler/embedded_nolibm.h) against glibc's, over dense grids: the
 * largest errors stated in that file's comment hold, and special values
 * (0, negative numbers, infinities, NaN) behave as libm's do. */
#include "embedded_nolibm.h"
#include <math.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

typedef float (*Fn)(float);

/* The largest error over [lo, hi] in n geometric (or linear) steps. */
static double worst(Fn mine, Fn ref, float lo, float hi, int n, bool relative, bool geometric) {
    double most = 0;
    for (int i = 0; i <= n; i++) {
        float x = geometric ? lo * powf(hi / lo, (float)i / n) : lo + (hi - lo) * (float)i / n;
        double want = ref(x), got = mine(x), d = fabs(got - want);
        if (relative && want != 0)
            d /= fabs(want);
        most = d > most ? d : most;
    }
    return most;
}

static void test_expf(void **s) {
    (void)s;
    assert_true(worst(nl_expf, expf, -87, 88, 200000, true, false) <= 1.2e-7);
    assert_true(isinf(nl_expf(100)) && nl_expf(-100) == 0 && isnan(nl_expf(NAN)));
}

static void test_logf(void **s) {
    (void)s;
    assert_true(worst(nl_logf, logf, 1e-30f, 1e30f, 200000, true, true) <= 1.2e-7);
    assert_true(worst(nl_logf, logf, 0.5f, 2.0f, 200000, false, false) <= 6e-8);
    assert_true(isinf(nl_logf(0)) && nl_logf(0) < 0 && isnan(nl_logf(-1)) && isinf(nl_logf(INFINITY)));
}

static void test_log1pf(void **s) {
    (void)s;
    assert_true(worst(nl_log1pf, log1pf, -0.99f, 1.0f, 200000, false, false) <= 5e-7);
    assert_true(worst(nl_log1pf, log1pf, 1e-6f, 1e6f, 200000, true, true) <= 3.5e-7);
}

static void test_tanhf(void **s) {
    (void)s;
    assert_true(worst(nl_tanhf, tanhf, -12, 12, 400000, false, false) <= 1.2e-7);
    assert_true(nl_tanhf(50) == 1 && nl_tanhf(-50) == -1 && nl_tanhf(0) == 0);
}

static void test_sqrtf(void **s) {
    (void)s;
    assert_true(worst(nl_sqrtf, sqrtf, 1e-30f, 1e30f, 200000, true, true) <= 1.2e-7);
    assert_true(nl_sqrtf(0) == 0 && isnan(nl_sqrtf(-1)) && isinf(nl_sqrtf(INFINITY)));
}

static void test_fabsf(void **s) {
    (void)s;
    assert_true(nl_fabsf(-2.5f) == 2.5f && nl_fabsf(3.0f) == 3.0f && !signbit(nl_fabsf(-0.0f)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expf),  cmocka_unit_test(test_logf),  cmocka_unit_test(test_log1pf),
        cmocka_unit_test(test_tanhf), cmocka_unit_test(test_sqrtf), cmocka_unit_test(test_fabsf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
