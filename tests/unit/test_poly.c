/* test_poly.c - unit tests for compiler/poly.h, the size polynomials that
 * sema uses to check shapes symbolically: canonical form (so equal sizes
 * compare equal however they are written), poly_sign over sizes >= 1,
 * overflow and too-complex statuses, poly_eval and poly_format. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "poly.h"
#include <string.h>

/* Variables as a cell (in, hidden) numbers them. */
enum { IN, HIDDEN, A = 0, B = 1 };
static const char *const names[] = {"in", "hidden"};

static Arena arena;

static int teardown(void **state) {
    (void)state;
    arena_free(&arena);
    return 0;
}

/* Small builders that fail the test on any status but POLY_OK. */
static const Poly *k(int64_t c) { return poly_const(&arena, c); }
static const Poly *v(int var) { return poly_var(&arena, var); }

static const Poly *add(const Poly *x, const Poly *y) {
    const Poly *out = NULL;
    assert_int_equal(poly_add(&arena, x, y, 1, &out), POLY_OK);
    return out;
}

static const Poly *sub(const Poly *x, const Poly *y) {
    const Poly *out = NULL;
    assert_int_equal(poly_add(&arena, x, y, -1, &out), POLY_OK);
    return out;
}

static const Poly *mul(const Poly *x, const Poly *y) {
    const Poly *out = NULL;
    assert_int_equal(poly_mul(&arena, x, y, &out), POLY_OK);
    return out;
}

static const char *fmt(const Poly *p) {
    static char buf[128];
    poly_format(buf, sizeof buf, p, names);
    return buf;
}

/* ---- canonical equality ------------------------------------------------ */

static void test_product_commutes(void **state) {
    (void)state;
    assert_true(poly_equal(mul(k(4), v(HIDDEN)), mul(v(HIDDEN), k(4))));
}

static void test_distributes(void **state) {
    (void)state;
    const Poly *lhs = mul(add(v(A), v(B)), k(2));
    const Poly *rhs = add(mul(k(2), v(A)), mul(k(2), v(B)));
    assert_true(poly_equal(lhs, rhs));
    /* (a+b)(a-b) = a*a - b*b: the a*b terms cancel */
    const Poly *diff = mul(add(v(A), v(B)), sub(v(A), v(B)));
    assert_true(poly_equal(diff, sub(mul(v(A), v(A)), mul(v(B), v(B)))));
    assert_int_equal(diff->n, 2);
}

static void test_sum_commutes_and_orders_variables(void **state) {
    (void)state;
    assert_true(poly_equal(add(v(IN), v(HIDDEN)), add(v(HIDDEN), v(IN))));
    assert_true(poly_equal(mul(v(IN), v(HIDDEN)), mul(v(HIDDEN), v(IN))));
}

static void test_different_sizes_differ(void **state) {
    (void)state;
    assert_false(poly_equal(v(IN), v(HIDDEN)));
    assert_false(poly_equal(mul(k(4), v(HIDDEN)), mul(k(3), v(HIDDEN))));
    assert_false(poly_equal(v(HIDDEN), add(v(HIDDEN), k(1))));
    assert_false(poly_equal(mul(v(HIDDEN), v(HIDDEN)), mul(k(2), v(HIDDEN))));
}

static void test_cancellation_gives_zero(void **state) {
    (void)state;
    const Poly *z = sub(add(v(HIDDEN), k(3)), add(k(3), v(HIDDEN)));
    int64_t c = -1;
    assert_int_equal(z->n, 0);
    assert_true(poly_is_const(z, &c));
    assert_int_equal(c, 0);
    assert_true(poly_equal(z, k(0)));
}

static void test_is_const(void **state) {
    (void)state;
    int64_t c = 0;
    assert_true(poly_is_const(mul(k(6), k(7)), &c));
    assert_int_equal(c, 42);
    assert_true(poly_is_const(sub(k(2), k(5)), &c));
    assert_true(c == -3);
    assert_false(poly_is_const(add(v(IN), k(1)), &c));
}

/* ---- sign over sizes >= 1 --------------------------------------------- */

static void test_sign_nonnegative(void **state) {
    (void)state;
    assert_int_equal(poly_sign(&arena, sub(v(HIDDEN), k(1))), 1);                     /* h - 1 */
    assert_int_equal(poly_sign(&arena, sub(mul(k(3), v(HIDDEN)), v(HIDDEN))), 1);     /* 3h - h */
    assert_int_equal(poly_sign(&arena, k(0)), 1);
    /* h*h - 2h + 1 = (h-1)^2 */
    const Poly *sq = add(sub(mul(v(HIDDEN), v(HIDDEN)), mul(k(2), v(HIDDEN))), k(1));
    assert_int_equal(poly_sign(&arena, sq), 1);
}

static void test_sign_negative(void **state) {
    (void)state;
    assert_int_equal(poly_sign(&arena, sub(mul(k(-1), v(HIDDEN)), k(1))), -1); /* -h - 1 */
    assert_int_equal(poly_sign(&arena, mul(k(-1), v(HIDDEN))), -1);            /* -h, h >= 1 */
    assert_int_equal(poly_sign(&arena, k(-5)), -1);
    /* hidden - (hidden + 1), the room left by a slice one past the end */
    assert_int_equal(poly_sign(&arena, sub(v(HIDDEN), add(v(HIDDEN), k(1)))), -1);
}

static void test_sign_unknown(void **state) {
    (void)state;
    assert_int_equal(poly_sign(&arena, sub(v(HIDDEN), v(IN))), 0);  /* h - in */
    assert_int_equal(poly_sign(&arena, sub(v(HIDDEN), k(2))), 0);   /* h - 2 */
    /* h*h - h - 1: -1 at h = 1, 1 at h = 2 */
    assert_int_equal(poly_sign(&arena, sub(sub(mul(v(HIDDEN), v(HIDDEN)), v(HIDDEN)), k(1))), 0);
}

/* ---- limits -------------------------------------------------------------- */

static void test_add_overflow(void **state) {
    (void)state;
    const Poly *out = NULL;
    assert_int_equal(poly_add(&arena, k(INT64_MAX), k(1), 1, &out), POLY_OVERFLOW);
    assert_int_equal(poly_add(&arena, k(INT64_MIN), k(1), -1, &out), POLY_OVERFLOW);
    assert_int_equal(poly_add(&arena, k(0), k(INT64_MIN), -1, &out), POLY_OVERFLOW);
    assert_null(out);
}

static void test_mul_overflow(void **state) {
    (void)state;
    const Poly *out = NULL;
    const Poly *big = mul(k(INT64_MAX / 2 + 1), v(HIDDEN));
    assert_int_equal(poly_mul(&arena, big, k(2), &out), POLY_OVERFLOW);
    assert_null(out);
}

static void test_too_many_terms(void **state) {
    (void)state;
    const Poly *p = k(1);
    for (int var = 0; var < POLY_MAX_TERMS - 1; var++)
        p = add(p, v(var));
    assert_int_equal(p->n, POLY_MAX_TERMS);
    const Poly *out = NULL;
    assert_int_equal(poly_add(&arena, p, v(POLY_MAX_TERMS), 1, &out), POLY_TOO_COMPLEX);
    /* adding a term that already exists is still fine */
    assert_int_equal(poly_add(&arena, p, v(0), 1, &out), POLY_OK);
    assert_int_equal(out->n, POLY_MAX_TERMS);
}

static void test_too_high_degree(void **state) {
    (void)state;
    const Poly *p = v(HIDDEN);
    for (int i = 1; i < POLY_MAX_DEGREE; i++)
        p = mul(p, v(HIDDEN));
    const Poly *out = NULL;
    assert_int_equal(poly_mul(&arena, p, v(IN), &out), POLY_TOO_COMPLEX);
    assert_int_equal(poly_mul(&arena, p, k(3), &out), POLY_OK);
}

/* ---- evaluation and printing ------------------------------------------ */

static void test_eval(void **state) {
    (void)state;
    const int64_t vals[] = {10, 20}; /* in = 10, hidden = 20 */
    int64_t out = 0;
    const Poly *p = add(mul(k(4), v(HIDDEN)), v(IN));
    assert_int_equal(poly_eval(p, vals, &out), POLY_OK);
    assert_int_equal(out, 90);
    assert_int_equal(poly_eval(sub(mul(v(IN), v(HIDDEN)), k(201)), vals, &out), POLY_OK);
    assert_true(out == -1);
    assert_int_equal(poly_eval(k(0), vals, &out), POLY_OK);
    assert_int_equal(out, 0);
}

static void test_eval_overflow(void **state) {
    (void)state;
    const int64_t vals[] = {INT64_C(1) << 32, INT64_C(1) << 32};
    int64_t out = 7;
    assert_int_equal(poly_eval(mul(v(IN), v(HIDDEN)), vals, &out), POLY_OVERFLOW);
    const int64_t one[] = {INT64_MAX, 1};
    assert_int_equal(poly_eval(add(v(IN), v(HIDDEN)), one, &out), POLY_OVERFLOW);
    assert_int_equal(out, 7); /* untouched on failure */
}

static void test_format(void **state) {
    (void)state;
    assert_string_equal(fmt(add(mul(k(4), v(HIDDEN)), v(IN))), "4*hidden + in");
    assert_string_equal(fmt(add(mul(v(HIDDEN), k(4)), k(1))), "4*hidden + 1");
    assert_string_equal(fmt(sub(mul(k(-1), v(HIDDEN)), k(1))), "-hidden - 1");
    assert_string_equal(fmt(mul(mul(k(2), v(IN)), v(HIDDEN))), "2*in*hidden");
    assert_string_equal(fmt(sub(v(IN), mul(k(3), v(HIDDEN)))), "-3*hidden + in");
    assert_string_equal(fmt(k(0)), "0");
    assert_string_equal(fmt(k(-7)), "-7");
    assert_string_equal(fmt(k(INT64_MIN)), "-9223372036854775808");
}

static void test_format_truncates(void **state) {
    (void)state;
    char buf[8];
    memset(buf, 'x', sizeof buf);
    poly_format(buf, sizeof buf, add(mul(k(4), v(HIDDEN)), v(IN)), names);
    assert_int_equal(strlen(buf), sizeof buf - 1);
    assert_string_equal(buf, "4*hidde");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_product_commutes, teardown),
        cmocka_unit_test_teardown(test_distributes, teardown),
        cmocka_unit_test_teardown(test_sum_commutes_and_orders_variables, teardown),
        cmocka_unit_test_teardown(test_different_sizes_differ, teardown),
        cmocka_unit_test_teardown(test_cancellation_gives_zero, teardown),
        cmocka_unit_test_teardown(test_is_const, teardown),
        cmocka_unit_test_teardown(test_sign_nonnegative, teardown),
        cmocka_unit_test_teardown(test_sign_negative, teardown),
        cmocka_unit_test_teardown(test_sign_unknown, teardown),
        cmocka_unit_test_teardown(test_add_overflow, teardown),
        cmocka_unit_test_teardown(test_mul_overflow, teardown),
        cmocka_unit_test_teardown(test_too_many_terms, teardown),
        cmocka_unit_test_teardown(test_too_high_degree, teardown),
        cmocka_unit_test_teardown(test_eval, teardown),
        cmocka_unit_test_teardown(test_eval_overflow, teardown),
        cmocka_unit_test_teardown(test_format, teardown),
        cmocka_unit_test_teardown(test_format_truncates, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
