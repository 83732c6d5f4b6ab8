/* test_kernels.c - unit tests for runtime/kernels.c: every product equals,
 * bit for bit, the reference definition (one fmaf chain per element in
 * increasing k, from zero, then stored or added), for shapes around the
 * kernel's tile and strip sizes, strided operands, packed weights built
 * from pieces, and products large enough to run on every thread. Equal
 * bits at every size show the sums never depend on blocking or threads.
 * Also the bfloat16 products of kernels_bf16.c (where the build has them)
 * and the accuracy of rnnrt.h's exp and tanh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rnnrt.h"
#include "rt_internal.h"
#include "rt_threads.h"

static float *randoms(int64_t n, unsigned *seed) {
    float *p = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        p[i] = (float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
    return p;
}

/* C[i, j] (+)= sum_k A(i, k) B(k, j), A(i, k) = A[i sai + k sak], B(k, j) = B[k sbk + j sbn] */
static void reference(int64_t M, int64_t N, int64_t K, const float *A, int64_t sai, int64_t sak, const float *B,
                      int64_t sbk, int64_t sbn, float *C, int64_t ldc, int accumulate) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            float s = 0;
            for (int64_t k = 0; k < K; k++)
                s = fmaf(A[i * sai + k * sak], B[k * sbk + j * sbn], s);
            C[i * ldc + j] = accumulate ? C[i * ldc + j] + s : s;
        }
}

enum { NT, NN, TN };

/* One product through rt_gemm_nt/nn/tn against the reference. */
static void check(int kind, int64_t M, int64_t N, int64_t K, int accumulate, unsigned seed) {
    int64_t lda = (kind == TN ? M : K) + 3, ldb = (kind == NT ? K : N) + 5, ldc = N + 2;
    float *A = randoms((kind == TN ? K : M) * lda, &seed), *B = randoms((kind == NT ? N : K) * ldb, &seed);
    float *C = randoms(M * ldc, &seed), *R = malloc(sizeof(float) * (size_t)(M * ldc + 1));
    memcpy(R, C, sizeof(float) * (size_t)(M * ldc));
    if (kind == NT) {
        rt_gemm_nt(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        reference(M, N, K, A, lda, 1, B, 1, ldb, R, ldc, accumulate);
    } else if (kind == NN) {
        rt_gemm_nn(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        reference(M, N, K, A, lda, 1, B, ldb, 1, R, ldc, accumulate);
    } else {
        rt_gemm_tn(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        reference(M, N, K, A, 1, lda, B, ldb, 1, R, ldc, accumulate);
    }
    assert_memory_equal(C, R, sizeof(float) * (size_t)(M * ldc));
    free(A), free(B), free(C), free(R);
}

static void test_small_shapes_match_the_definition_bit_for_bit(void **state) {
    (void)state;
    static const int64_t sizes[] = {1, 2, 3, 7, 8, 9, 16, 31, 32, 33, 65};
    unsigned seed = 1;
    for (int kind = NT; kind <= TN; kind++)
        for (size_t a = 0; a < 11; a++)
            for (size_t b = 0; b < 11; b += 2)
                for (size_t c = 0; c < 11; c += 3)
                    check(kind, sizes[a], sizes[b], sizes[c], (int)(a + b) % 2, seed++);
}

static void test_large_products_on_every_thread_match(void **state) {
    (void)state;
    /* above the size that wakes the other threads; rows past one block */
    check(NT, 300, 200, 70, 0, 7);
    check(NN, 1, 1000, 300, 0, 8);   /* a matrix-vector product: strips in fours */
    check(NN, 2, 999, 129, 1, 9);
    check(TN, 520, 130, 64, 1, 10);
    assert_true(rt_threads() >= 1);
}

/* Each task of a job runs once, on whatever thread: jobs back to back
 * (spinning workers) and after a pause long enough for the workers to
 * sleep (the lock and the broadcast; the caller then runs the sleepers'
 * shares itself, and the late workers must find them claimed), and many
 * tiny jobs, where the caller and a worker often race for a share. Under
 * ThreadSanitizer (make test-slow) this exercises every hand-off. */
typedef struct Count {
    int *runs;
} Count;

static void count_tasks(void *arg, int64_t lo, int64_t hi) {
    Count *c = arg;
    for (int64_t i = lo; i < hi; i++)
        c->runs[i]++;
}

static void test_pool_runs_every_task_once(void **state) {
    (void)state;
    enum { TASKS = 37, JOBS = 40 };
    int runs[TASKS] = {0};
    Count c = {runs};
    for (int job = 0; job < JOBS; job++) {
        rt_parallel(TASKS, count_tasks, &c, 1);
        if (job % 8 == 7) {
            struct timespec pause = {0, 5000000}; /* 5 ms: the workers stop spinning after about 1 */
            nanosleep(&pause, NULL);
        }
    }
    for (int i = 0; i < TASKS; i++)
        assert_int_equal(runs[i], JOBS);
    enum { TINY = 5000 };
    for (int job = 0; job < TINY; job++)
        rt_parallel(TASKS, count_tasks, &c, 1);
    for (int i = 0; i < TASKS; i++)
        assert_int_equal(runs[i], JOBS + TINY);
}

/* A packed matrix built from two pieces of rows (stacked weights, as
 * W_a^T and W_b^T side by side) gives the product of the whole. */
static void test_packing_from_pieces(void **state) {
    (void)state;
    unsigned seed = 3;
    int64_t K = 19, Na = 13, Nb = 40, N = Na + Nb, M = 5;
    float *Wa = randoms(Na * K, &seed), *Wb = randoms(Nb * K, &seed), *A = randoms(M * K, &seed);
    float *W = malloc(sizeof(float) * (size_t)(N * K));
    memcpy(W, Wa, sizeof(float) * (size_t)(Na * K));
    memcpy(W + Na * K, Wb, sizeof(float) * (size_t)(Nb * K));
    float *Bp = malloc(sizeof(float) * (size_t)rt_packed_floats(K, N));
    rt_pack_part(K, N, 0, K, 0, Na, Wa, 1, K, Bp);
    rt_pack_part(K, N, 0, K, Na, Nb, Wb, 1, K, Bp);
    float C[5 * 53], R[5 * 53];
    rt_gemm_packed(M, N, K, A, K, 1, Bp, C, N, 0);
    reference(M, N, K, A, K, 1, W, 1, K, R, N, 0);
    assert_memory_equal(C, R, sizeof C);
    /* and by blocks of k (the transposed product of stacked weights) */
    float *Bq = malloc(sizeof(float) * (size_t)rt_packed_floats(N, K)), *G = randoms(M * N, &seed);
    rt_pack_part(N, K, 0, Na, 0, K, Wa, K, 1, Bq);
    rt_pack_part(N, K, Na, Nb, 0, K, Wb, K, 1, Bq);
    float D[5 * 19], E[5 * 19];
    rt_gemm_packed(M, K, N, G, N, 1, Bq, D, K, 0);
    reference(M, K, N, G, N, 1, W, K, 1, E, K, 0);
    assert_memory_equal(D, E, sizeof D);
    free(Wa), free(Wb), free(A), free(W), free(Bp), free(Bq), free(G);
}

/* A packed buffer may start anywhere: the kernels place the strips on the
 * next 64-byte boundary within its slack, at every offset, and the
 * product does not change. */
static void test_packed_buffer_at_any_offset(void **state) {
    (void)state;
    unsigned seed = 9;
    int64_t K = 23, N = 70, M = 3;
    float *W = randoms(N * K, &seed), *A = randoms(M * K, &seed);
    float R[3 * 70], C[3 * 70];
    reference(M, N, K, A, K, 1, W, 1, K, R, N, 0);
    float *space = malloc(sizeof(float) * (size_t)(rt_packed_floats(K, N) + 16));
    for (int off = 0; off < 16; off++) {
        float *Bp = space + off;
        rt_pack_part(K, N, 0, K, 0, N, W, 1, K, Bp);
        rt_gemm_packed(M, N, K, A, K, 1, Bp, C, N, 0);
        assert_memory_equal(C, R, sizeof C);
    }
    free(W), free(A), free(space);
}

/* rnnrt.h's tanh against double precision, over every float exponent
 * that matters, at both ends of the polynomial's range, and the edges. */
static void test_tanh_is_accurate(void **state) {
    (void)state;
    double worst = 0;
    for (double x = 1e-8; x < 30; x *= 1.0001)
        for (int sign = -1; sign <= 1; sign += 2) {
            float xf = (float)(sign * x);
            double want = tanh((double)xf), got = rt_tanhf(xf), err = fabs(got - want) / fabs(want);
            worst = err > worst ? err : worst;
            assert_true(rt_tanh(xf) == rt_tanhf(xf));
        }
    assert_true(worst < 3e-7);
    assert_true(isnan(rt_tanhf(NAN)));
    assert_true(rt_tanhf(INFINITY) == 1.0f && rt_tanhf(-INFINITY) == -1.0f);
    assert_true(signbit(rt_tanhf(-0.0f)) && rt_tanhf(-0.0f) == 0.0f);
    assert_true(rt_tanhf(100.0f) == 1.0f);
}

/* rnnrt.h's exp against double precision over its whole range. */
static void test_exp_is_accurate(void **state) {
    (void)state;
    double worst = 0;
    for (float x = -87.3f; x < 88.72f; x += 0.001f) {
        double want = exp((double)x), got = rt_expf(x), err = fabs(got - want) / want;
        worst = err > worst ? err : worst;
        assert_true(rt_exp(x) == rt_expf(x));
    }
    assert_true(worst < 2.5e-7);
    assert_true(isnan(rt_expf(NAN)));
    assert_true(rt_expf(89.0f) == INFINITY && rt_expf(INFINITY) == INFINITY);
    assert_true(rt_expf(-88.0f) == 0.0f && rt_expf(-INFINITY) == 0.0f);
    assert_true(rt_expf(0.0f) == 1.0f);
    assert_true(rt_sigmoidf(-100.0f) >= 0.0f && rt_sigmoidf(100.0f) == 1.0f);
}

/* f rounded to bfloat16, to nearest even. */
static double bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* One bf16 product, weights packed from two pieces of rows, against the
 * sum in double of the rounded operands' products: only the float32
 * summation's error may remain. */
static void check_bf16(int64_t M, int64_t N, int64_t K, unsigned seed) {
    float *A = randoms(M * K, &seed), *B = randoms(K * N, &seed), *C = randoms(M * N, &seed);
    float *Bp = malloc(sizeof(float) * (size_t)rt_packed_floats(K, N));
    int64_t split = K / 2 + 1;
    rt_pack_part(K, N, 0, split, 0, N, B, N, 1, Bp);
    rt_pack_part(K, N, split, K - split, 0, N, B + split * N, N, 1, Bp);
    rt_gemm_packed(M, N, K, A, K, 1, Bp, C, N, 0);
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0, mag = 0;
            for (int64_t k = 0; k < K; k++) {
                s += bf16(A[i * K + k]) * bf16(B[k * N + j]);
                mag += fabs(bf16(A[i * K + k]) * bf16(B[k * N + j]));
            }
            if (fabs(C[i * N + j] - s) > 1e-6 * mag + 1e-30)
                fail_msg("bf16 product %lldx%lldx%lld, C[%lld, %lld] = %.9g, not %.9g", (long long)M, (long long)N,
                         (long long)K, (long long)i, (long long)j, C[i * N + j], s);
        }
    free(A), free(B), free(C), free(Bp);
}

static void test_bf16_products(void **state) {
    (void)state;
    if (!rt_bf16_available()) {
        skip(); /* the kernels were built for a CPU without AVX512_BF16 */
        return;
    }
    rt_bf16_mode = true;
    check_bf16(1, 45, 37, 1);   /* a matrix-vector product, odd K, a partial strip */
    check_bf16(1, 200, 64, 2);  /* four strips at a time */
    check_bf16(2, 33, 16, 3);
    check_bf16(19, 70, 9, 4);   /* row tiles of 8 and a remainder */
    check_bf16(64, 300, 129, 5); /* on every thread */
    rt_bf16_mode = false;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_shapes_match_the_definition_bit_for_bit),
        cmocka_unit_test(test_large_products_on_every_thread_match),
        cmocka_unit_test(test_pool_runs_every_task_once),
        cmocka_unit_test(test_bf16_products),
        cmocka_unit_test(test_packing_from_pieces),
        cmocka_unit_test(test_packed_buffer_at_any_offset),
        cmocka_unit_test(test_tanh_is_accurate),
        cmocka_unit_test(test_exp_is_accurate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
