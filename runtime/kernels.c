/* kernels.c - the matrix products generated code calls. Each output element
 * is a sum over k taken in an order fixed by K alone (rt_gemm_nt: eight
 * interleaved partial sums, added pairwise; the others: increasing k), so
 * its value does not depend on how many rows are computed at once: results
 * are the same bits whatever a batch is split into. The loops are ordered
 * for contiguous access and vectorise (kernels.c is built with -O3 and
 * -ffp-contract=off). */
#include "rnnrt.h"
#include <string.h>

enum { COL_BLOCK = 256 };

enum { LANES = 8 }; /* partial sums per dot product: one vector register of floats */

/* sum_k a[k] w[k] in a fixed order: LANES interleaved partial sums, added
 * pairwise, then the tail in increasing k. The order depends only on K. */
static inline float dot(const float *a, const float *w, int64_t K) {
    float acc[LANES] = {0};
    int64_t k = 0;
    for (; k + LANES <= K; k += LANES)
        for (int l = 0; l < LANES; l++)
            acc[l] += a[k + l] * w[k + l];
    float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; k < K; k++)
        sum += a[k] * w[k];
    return sum;
}

/* Two rows of A against one row of W at once: the same sums as dot(),
 * each in its own order, with W read once for both. */
static inline void dot2(const float *a0, const float *a1, const float *w, int64_t K, float *s0, float *s1) {
    float acc0[LANES] = {0}, acc1[LANES] = {0};
    int64_t k = 0;
    for (; k + LANES <= K; k += LANES)
        for (int l = 0; l < LANES; l++) {
            acc0[l] += a0[k + l] * w[k + l];
            acc1[l] += a1[k + l] * w[k + l];
        }
    float r0 = ((acc0[0] + acc0[1]) + (acc0[2] + acc0[3])) + ((acc0[4] + acc0[5]) + (acc0[6] + acc0[7]));
    float r1 = ((acc1[0] + acc1[1]) + (acc1[2] + acc1[3])) + ((acc1[4] + acc1[5]) + (acc1[6] + acc1[7]));
    for (; k < K; k++) {
        r0 += a0[k] * w[k];
        r1 += a1[k] * w[k];
    }
    *s0 = r0;
    *s1 = r1;
}

enum { ROW_BLOCK = 64 }; /* rows of A that stay in cache while W streams past */

void rt_gemm_nt(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *W, int64_t ldw,
                float *C, int64_t ldc, int accumulate) {
    for (int64_t i0 = 0; i0 < M; i0 += ROW_BLOCK) {
        int64_t i1 = M - i0 < ROW_BLOCK ? M : i0 + ROW_BLOCK;
        for (int64_t j = 0; j < N; j++) { /* each row of W read once per block of A */
            const float *w = W + j * ldw;
            int64_t i = i0;
            for (; i + 2 <= i1; i += 2) {
                float s0, s1;
                dot2(A + i * lda, A + (i + 1) * lda, w, K, &s0, &s1);
                float *c0 = C + i * ldc + j, *c1 = c0 + ldc;
                *c0 = accumulate ? *c0 + s0 : s0;
                *c1 = accumulate ? *c1 + s1 : s1;
            }
            for (; i < i1; i++) {
                float s = dot(A + i * lda, w, K), *c = C + i * ldc + j;
                *c = accumulate ? *c + s : s;
            }
        }
    }
}

enum { ROWS = 4 }; /* rows of C kept in cache together */

void rt_gemm_nn(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *W, int64_t ldw,
                float *C, int64_t ldc, int accumulate) {
    float sum[ROWS][COL_BLOCK];
    for (int64_t i0 = 0; i0 < M; i0 += ROWS) {
        int rows = M - i0 < ROWS ? (int)(M - i0) : ROWS;
        for (int64_t j0 = 0; j0 < N; j0 += COL_BLOCK) {
            int64_t n = N - j0 < COL_BLOCK ? N - j0 : COL_BLOCK;
            for (int r = 0; r < rows; r++)
                memset(sum[r], 0, sizeof(float) * (size_t)n);
            for (int64_t k = 0; k < K; k++) { /* each row of W read once for ROWS rows of A */
                const float *w = W + k * ldw + j0;
                for (int r = 0; r < rows; r++) {
                    float a = A[(i0 + r) * lda + k];
                    for (int64_t j = 0; j < n; j++)
                        sum[r][j] += a * w[j];
                }
            }
            for (int r = 0; r < rows; r++) {
                float *c = C + (i0 + r) * ldc + j0;
                for (int64_t j = 0; j < n; j++)
                    c[j] = accumulate ? c[j] + sum[r][j] : sum[r][j];
            }
        }
    }
}

void rt_gemm_tn(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *Bm, int64_t ldb,
                float *C, int64_t ldc, int accumulate) {
    if (!accumulate)
        for (int64_t i = 0; i < M; i++)
            memset(C + i * ldc, 0, sizeof(float) * (size_t)N);
    for (int64_t i0 = 0; i0 < M; i0 += ROWS) { /* ROWS rows of C stay in cache over every k */
        int rows = M - i0 < ROWS ? (int)(M - i0) : ROWS;
        for (int64_t k = 0; k < K; k++) {
            const float *b = Bm + k * ldb;
            for (int r = 0; r < rows; r++) {
                float a = A[k * lda + i0 + r];
                float *c = C + (i0 + r) * ldc;
                for (int64_t j = 0; j < N; j++)
                    c[j] += a * b[j];
            }
        }
    }
}
