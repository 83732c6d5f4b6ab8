/* kernels.c - the numerical kernels generated code calls. Each output
 * element is computed in a fixed order that does not depend on how many
 * rows are computed at once, so results are the same bits whatever the
 * batch is split into. */
#include "rnnrt.h"

void rt_gemm_nt(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *W, int64_t ldw,
                float *C, int64_t ldc, int accumulate) {
    for (int64_t i = 0; i < M; i++) {
        const float *a = A + i * lda;
        float *c = C + i * ldc;
        for (int64_t j = 0; j < N; j++) {
            const float *w = W + j * ldw;
            float sum = 0.0f;
            for (int64_t k = 0; k < K; k++)
                sum += a[k] * w[k];
            c[j] = accumulate ? c[j] + sum : sum;
        }
    }
}

void rt_gemm_nn(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *W, int64_t ldw,
                float *C, int64_t ldc, int accumulate) {
    for (int64_t i = 0; i < M; i++) {
        const float *a = A + i * lda;
        float *c = C + i * ldc;
        for (int64_t j = 0; j < N; j++) {
            float sum = 0.0f;
            for (int64_t k = 0; k < K; k++)
                sum += a[k] * W[k * ldw + j];
            c[j] = accumulate ? c[j] + sum : sum;
        }
    }
}

void rt_gemm_tn(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *Bm, int64_t ldb,
                float *C, int64_t ldc, int accumulate) {
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        for (int64_t j = 0; j < N; j++) {
            float sum = 0.0f;
            for (int64_t k = 0; k < K; k++)
                sum += A[k * lda + i] * Bm[k * ldb + j];
            c[j] = accumulate ? c[j] + sum : sum;
        }
    }
}
