/* kernels.c - the matrix products generated code calls. Each output element
 * is a sum over k taken in increasing k, so its value does not depend on how
 * many rows are computed at once: results are the same bits whatever a
 * batch is split into. The loops are ordered for contiguous access, with a
 * few independent sums at a time; issue 7's kernels will block for cache. */
#include "rnnrt.h"
#include <string.h>

enum { COL_BLOCK = 256 };

void rt_gemm_nt(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *W, int64_t ldw,
                float *C, int64_t ldc, int accumulate) {
    for (int64_t i = 0; i < M; i++) {
        const float *a = A + i * lda;
        float *c = C + i * ldc;
        int64_t j = 0;
        for (; j + 4 <= N; j += 4) { /* four dot products side by side */
            const float *w0 = W + j * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
            float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
            for (int64_t k = 0; k < K; k++) {
                s0 += a[k] * w0[k];
                s1 += a[k] * w1[k];
                s2 += a[k] * w2[k];
                s3 += a[k] * w3[k];
            }
            c[j] = accumulate ? c[j] + s0 : s0;
            c[j + 1] = accumulate ? c[j + 1] + s1 : s1;
            c[j + 2] = accumulate ? c[j + 2] + s2 : s2;
            c[j + 3] = accumulate ? c[j + 3] + s3 : s3;
        }
        for (; j < N; j++) {
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
    float sum[COL_BLOCK];
    for (int64_t i = 0; i < M; i++) {
        const float *a = A + i * lda;
        float *c = C + i * ldc;
        for (int64_t j0 = 0; j0 < N; j0 += COL_BLOCK) {
            int64_t n = N - j0 < COL_BLOCK ? N - j0 : COL_BLOCK;
            memset(sum, 0, sizeof(float) * (size_t)n);
            for (int64_t k = 0; k < K; k++) { /* a row of W at a time: contiguous */
                const float *w = W + k * ldw + j0;
                float ak = a[k];
                for (int64_t j = 0; j < n; j++)
                    sum[j] += ak * w[j];
            }
            for (int64_t j = 0; j < n; j++)
                c[j0 + j] = accumulate ? c[j0 + j] + sum[j] : sum[j];
        }
    }
}

void rt_gemm_tn(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *Bm, int64_t ldb,
                float *C, int64_t ldc, int accumulate) {
    if (!accumulate)
        for (int64_t i = 0; i < M; i++)
            memset(C + i * ldc, 0, sizeof(float) * (size_t)N);
    for (int64_t k = 0; k < K; k++) { /* one outer product per row, added in row order */
        const float *a = A + k * lda, *b = Bm + k * ldb;
        for (int64_t i = 0; i < M; i++) {
            float ai = a[i];
            float *c = C + i * ldc;
            for (int64_t j = 0; j < N; j++)
                c[j] += ai * b[j];
        }
    }
}
