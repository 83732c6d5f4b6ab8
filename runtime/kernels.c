/* kernels.c - the matrix products generated code calls (rnnrt.h).
 * One kernel does them all: C[i, j] (+)= sum_k A(i, k) B(k, j), where A is
 * read through strides (so A or its transpose) and B is packed first into
 * strips of RT_NR columns, each K rows deep and contiguous. The products of
 * a time loop pack their weights once, before the loop (rt_pack_part);
 * rt_gemm_nt/nn/tn pack into a scratch buffer of their own.
 * Every output element is one chain of fused multiply-adds in increasing k,
 * started from zero and then stored or added to C. Its bits therefore do
 * not depend on the blocking, the vector width (AVX-512, AVX2+FMA, or the
 * scalar fmaf fallback) or how the work is split over threads: the tasks
 * (row blocks x column strips) never split a sum. */
#include "rnnrt.h"
#include "rt_internal.h"
#include "rt_threads.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

#if defined(__AVX512F__)
typedef __m512 vf;
#define VW 16
#define MR 8
#define vzero() _mm512_setzero_ps()
#define vload(p) _mm512_loadu_ps(p)
#define vstore(p, v) _mm512_storeu_ps(p, v)
#define vbcast(x) _mm512_set1_ps(x)
#define vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vadd(a, b) _mm512_add_ps(a, b)
#elif defined(__AVX2__) && defined(__FMA__)
typedef __m256 vf;
#define VW 8
#define MR 3
#define vzero() _mm256_setzero_ps()
#define vload(p) _mm256_loadu_ps(p)
#define vstore(p, v) _mm256_storeu_ps(p, v)
#define vbcast(x) _mm256_set1_ps(x)
#define vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vadd(a, b) _mm256_add_ps(a, b)
#else
typedef float vf;
#define VW 1
#define MR 2
#define vzero() 0.0f
#define vload(p) (*(p))
#define vstore(p, v) (*(p) = (v))
#define vbcast(x) (x)
#define vfma(a, b, c) fmaf(a, b, c)
#define vadd(a, b) ((a) + (b))
#endif

enum { NR = RT_NR, NV = NR / VW, MC = 256 / MR * MR };  /* MC: rows of C per task, whole tiles */

int64_t rt_packed_floats(int64_t K, int64_t N) { return (N + NR - 1) / NR * NR * K + RT_PACK_SLACK; }

float *rt_packed_start(const float *Bp) {
    uintptr_t a = ((uintptr_t)Bp + 63) & ~(uintptr_t)63;
    return (float *)a;
}

typedef struct Pack {
    int64_t K, N, k0, nk, j0, nj, sk, sn;
    int64_t s0;  /* the block's first strip */
    const float *src;
    float *Bp;
} Pack;

/* Zero the padding of row k of the last strip (columns N and on). */
static void zero_padding(const Pack *p, int64_t k) {
    for (int64_t j = p->N; j % NR; j++)
        p->Bp[j / NR * NR * p->K + k * NR + j % NR] = 0.0f;
}

enum { KB = 64 }; /* rows of a transposed source read together */

/* Strips [lo, hi) of the block from a source whose columns j are
 * contiguous in k (a transposed weight): KB rows at a time, so reads and
 * writes both stay within a few cache lines per column. */
static void pack_strips(void *arg, int64_t lo, int64_t hi) {
    const Pack *p = arg;
    for (int64_t s = p->s0 + lo; s < p->s0 + hi; s++) {
        int64_t first = s * NR > p->j0 ? s * NR : p->j0, last = (s + 1) * NR < p->j0 + p->nj ? (s + 1) * NR : p->j0 + p->nj;
        float *strip = p->Bp + s * NR * p->K;
        for (int64_t kb = p->k0; kb < p->k0 + p->nk; kb += KB) {
            int64_t ke = kb + KB < p->k0 + p->nk ? kb + KB : p->k0 + p->nk;
            for (int64_t j = first; j < last; j++) {
                const float *from = p->src + (j - p->j0) * p->sn - p->k0 * p->sk;
                for (int64_t k = kb; k < ke; k++)
                    strip[k * NR + j % NR] = from[k * p->sk];
            }
        }
        for (int64_t k = p->k0; last == p->N && k < p->k0 + p->nk; k++)
            zero_padding(p, k);
    }
}

/* Rows [lo, hi) (relative to k0) of the block from a source whose rows are
 * contiguous: each row read once, in order, into every strip. */
static void pack_rows(void *arg, int64_t lo, int64_t hi) {
    const Pack *p = arg;
    for (int64_t k = p->k0 + lo; k < p->k0 + hi; k++) {
        const float *from = p->src + (k - p->k0) * p->sk - p->j0;
        for (int64_t j = p->j0; j < p->j0 + p->nj;) { /* a piece of one strip at a time */
            int64_t end = (j / NR + 1) * NR < p->j0 + p->nj ? (j / NR + 1) * NR : p->j0 + p->nj;
            memcpy(p->Bp + j / NR * NR * p->K + k * NR + j % NR, from + j, sizeof(float) * (size_t)(end - j));
            j = end;
        }
        if (p->j0 + p->nj == p->N)
            zero_padding(p, k);
    }
}

void rt_pack_part(int64_t K, int64_t N, int64_t k0, int64_t nk, int64_t j0, int64_t nj, const float *src, int64_t sk,
                  int64_t sn, float *Bp) {
    if (nj <= 0 || nk <= 0)
        return;
    if (rt_bf16_mode) {
        rt_pack_part_bf16(K, N, k0, nk, j0, nj, src, sk, sn, Bp);
        return;
    }
    Pack p = {K, N, k0, nk, j0, nj, sk, sn, j0 / NR, src, rt_packed_start(Bp)};
    int wide = nk * nj >= (1 << 16);
    if (sn == 1)
        rt_parallel(nk, pack_rows, &p, wide);
    else
        rt_parallel((j0 + nj + NR - 1) / NR - p.s0, pack_strips, &p, wide);
}

/* m (<= MR) rows of C by S strips (the strips' n columns are stored, n
 * counted from the first strip). Several strips at once give a product of
 * one or two rows (a matrix-vector product) enough independent sums. */
static inline __attribute__((always_inline)) void tile(int m, int S, int64_t K, const float *A, int64_t sai,
                                                       int64_t sak, const float *bp, float *C, int64_t ldc, int64_t n,
                                                       int accumulate) {
    vf acc[MR][4][NV];
    for (int r = 0; r < m; r++)
        for (int q = 0; q < S; q++)
            for (int v = 0; v < NV; v++)
                acc[r][q][v] = vzero();
    for (int64_t k = 0; k < K; k++) {
        vf b[4][NV];
        for (int q = 0; q < S; q++)
            for (int v = 0; v < NV; v++)
                b[q][v] = vload(bp + q * NR * K + k * NR + v * VW);
        for (int r = 0; r < m; r++) {
            vf a = vbcast(A[r * sai + k * sak]);
            for (int q = 0; q < S; q++)
                for (int v = 0; v < NV; v++)
                    acc[r][q][v] = vfma(a, b[q][v], acc[r][q][v]);
        }
    }
    for (int r = 0; r < m; r++)
        for (int q = 0; q < S; q++) {
            float out[NR], *c = C + r * ldc + q * NR;
            if (n - q * NR >= NR) { /* a whole strip: vector stores */
                for (int v = 0; v < NV; v++)
                    vstore(c + v * VW, accumulate ? vadd(vload(c + v * VW), acc[r][q][v]) : acc[r][q][v]);
                continue;
            }
            for (int v = 0; v < NV; v++)
                vstore(out + v * VW, acc[r][q][v]);
            for (int64_t j = 0; j < n - q * NR && j < NR; j++)
                c[j] = accumulate ? c[j] + out[j] : out[j];
        }
}

static void tile_rows(int m, int64_t K, const float *A, int64_t sai, int64_t sak, const float *bp, float *C,
                      int64_t ldc, int64_t n, int accumulate) {
    switch (m) { /* a constant row count per call, so acc stays in registers */
#if MR >= 8
    case 8: tile(8, 1, K, A, sai, sak, bp, C, ldc, n, accumulate); break;
    case 7: tile(7, 1, K, A, sai, sak, bp, C, ldc, n, accumulate); break;
    case 6: tile(6, 1, K, A, sai, sak, bp, C, ldc, n, accumulate); break;
    case 5: tile(5, 1, K, A, sai, sak, bp, C, ldc, n, accumulate); break;
    case 4: tile(4, 1, K, A, sai, sak, bp, C, ldc, n, accumulate); break;
#endif
#if MR >= 3
    case 3: tile(3, 1, K, A, sai, sak, bp, C, ldc, n, accumulate); break;
#endif
    case 2: tile(2, 1, K, A, sai, sak, bp, C, ldc, n, accumulate); break;
    default: tile(1, 1, K, A, sai, sak, bp, C, ldc, n, accumulate); break;
    }
}

typedef struct Gemm {
    int64_t M, N, K, sai, sak, ldc, nblocks, nstrips;
    const float *A, *Bp;
    float *C;
    int accumulate;
} Gemm;

#define WIDE (NV <= 2 ? 4 : 2) /* strips at once for one or two rows (registers allowing) */

static void gemm_tasks(void *arg, int64_t lo, int64_t hi) {
    const Gemm *g = arg;
    for (int64_t task = lo; task < hi;) { /* row-block major: A's block stays in cache */
        int64_t i0 = task / g->nstrips * MC, s = task % g->nstrips;
        int64_t i1 = g->M - i0 < MC ? g->M : i0 + MC;
        int64_t j0 = s * NR, n = g->N - j0;
        const float *bp = g->Bp + s * NR * g->K;
        float *c = g->C + i0 * g->ldc + j0;
        if (i1 - i0 <= 2 && task + WIDE <= hi && s + WIDE <= g->nstrips) {
            if (i1 - i0 == 2)
                tile(2, WIDE, g->K, g->A + i0 * g->sai, g->sai, g->sak, bp, c, g->ldc, n, g->accumulate);
            else
                tile(1, WIDE, g->K, g->A + i0 * g->sai, g->sai, g->sak, bp, c, g->ldc, n, g->accumulate);
            task += WIDE;
            continue;
        }
        for (int64_t i = i0; i < i1; i += MR) {
            int m = i1 - i < MR ? (int)(i1 - i) : MR;
            tile_rows(m, g->K, g->A + i * g->sai, g->sai, g->sak, bp, g->C + i * g->ldc + j0, g->ldc,
                      n < NR ? n : NR, g->accumulate);
        }
        task++;
    }
}

/* Multiply-adds worth waking the other threads for: below, moving the
 * operands between cores costs more than it saves. One or two rows (a step
 * at batch 1): little to move, weights to share, from 256 KiB of them. */
enum { WIDE_WORK = 1 << 20, WIDE_WEIGHT_BYTES = 1 << 18 };

int rt_product_is_wide(int64_t M, int64_t N, int64_t K, int weight_bytes) {
    return M * N * K >= WIDE_WORK || (M <= 2 && N * K * weight_bytes >= WIDE_WEIGHT_BYTES);
}

void rt_gemm_packed(int64_t M, int64_t N, int64_t K, const float *A, int64_t sai, int64_t sak, const float *Bp,
                    float *C, int64_t ldc, int accumulate) {
    if (M <= 0 || N <= 0)
        return;
    if (rt_bf16_mode) {
        rt_gemm_packed_bf16(M, N, K, A, sai, sak, Bp, C, ldc, accumulate);
        return;
    }
    Gemm g = {M, N, K, sai, sak, ldc, (M + MC - 1) / MC, (N + NR - 1) / NR, A, rt_packed_start(Bp), C, accumulate};
    rt_parallel(g.nblocks * g.nstrips, gemm_tasks, &g, rt_product_is_wide(M, N, K, sizeof(float)));
}

/* The packing buffers of the one-shot products (which: 0 for B, 1 for
 * A), grown as needed. */
static float *scratch(int which, int64_t floats) {
    static _Thread_local float *buf[2];
    static _Thread_local int64_t have[2];
    if (floats > have[which]) {
        free(buf[which]);
        buf[which] = malloc(sizeof(float) * (size_t)floats);
        if (!buf[which])
            abort();
        have[which] = floats;
    }
    return buf[which];
}

static void gemm_once(int64_t M, int64_t N, int64_t K, const float *A, int64_t sai, int64_t sak, const float *B,
                      int64_t sk, int64_t sn, float *C, int64_t ldc, int accumulate) {
    if (M <= 0 || N <= 0)
        return;
    float *Bp = scratch(0, rt_packed_floats(K, N));
    rt_pack_part(K, N, 0, K, 0, N, B, sk, sn, Bp);
    rt_gemm_packed(M, N, K, A, sai, sak, Bp, C, ldc, accumulate);
}

void rt_gemm_nt(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *W, int64_t ldw,
                float *C, int64_t ldc, int accumulate) {
    gemm_once(M, N, K, A, lda, 1, W, 1, ldw, C, ldc, accumulate);
}

void rt_gemm_nn(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *W, int64_t ldw,
                float *C, int64_t ldc, int accumulate) {
    gemm_once(M, N, K, A, lda, 1, W, ldw, 1, C, ldc, accumulate);
}

typedef struct Transpose {
    int64_t K, M, lda;
    const float *A;
    float *At;
} Transpose;

enum { TB = 32 }; /* a block of 32 x 32 floats at a time */

/* Rows [lo, hi) (blocks of TB) of At = A^T, At[i][k] = A[k][i]. */
static void transpose_rows(void *arg, int64_t lo, int64_t hi) {
    const Transpose *t = arg;
    for (int64_t i0 = lo * TB; i0 < hi * TB && i0 < t->M; i0 += TB)
        for (int64_t k0 = 0; k0 < t->K; k0 += TB)
            for (int64_t i = i0; i < i0 + TB && i < t->M; i++)
                for (int64_t k = k0; k < k0 + TB && k < t->K; k++)
                    t->At[i * t->K + k] = t->A[k * t->lda + i];
}

/* The sum over rows of outer products: A is transposed first, so that
 * the kernel reads rows of it (its columns are far apart in memory). */
void rt_gemm_tn(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *Bm, int64_t ldb,
                float *C, int64_t ldc, int accumulate) {
    if (M <= 0 || N <= 0)
        return;
    if (lda == 0 || M * K < 4096) { /* a shared row, or too small to be worth it */
        gemm_once(M, N, K, A, 1, lda, Bm, ldb, 1, C, ldc, accumulate);
        return;
    }
    Transpose t = {K, M, lda, A, scratch(1, M * K)};
    rt_parallel((M + TB - 1) / TB, transpose_rows, &t, M * K >= (1 << 16));
    gemm_once(M, N, K, t.At, K, 1, Bm, ldb, 1, C, ldc, accumulate);
}
