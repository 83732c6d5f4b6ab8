/* kernels_bf16.c - the matrix products with bfloat16 operands, for
 * inference that opts into them (forward --precision bf16): half the
 * bytes of weights to stream at every step. Packed B holds strips of
 * RT_NR columns as bf16 pairs, [k/2][column][k%2], so that one
 * AVX512_BF16 dot-product instruction adds two products per column into
 * a float32 sum; A's rows are rounded to bf16 pairs first. Sums are
 * float32, in increasing k pairs, from zero, then stored or added to C, as
 * kernels.c does: the bits do not depend on the blocking or the threads.
 * Built only where the compiler targets AVX512_BF16 (rt_bf16_available
 * says whether it was). */
#include "rnnrt.h"
#include "rt_internal.h"
#include "rt_threads.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool rt_bf16_mode; /* set by forward --precision bf16, before any packing */

#if defined(__AVX512BF16__) && defined(__AVX512F__)
#include <immintrin.h>

enum { NR = RT_NR, MR = 8, MC = 256 / MR * MR, WIDE = 4 };

bool rt_bf16_available(void) { return true; }

/* Round to nearest even (NaN kept a NaN). */
static uint16_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static int64_t pairs(int64_t K) { return (K + 1) / 2; }

static uint16_t *aligned_bf16(const float *Bp) { return (uint16_t *)rt_packed_start(Bp); }

/* Element (k, j) of the packed matrix. */
static uint16_t *packed_at(uint16_t *bp, int64_t K, int64_t k, int64_t j) {
    return bp + (j / NR) * pairs(K) * NR * 2 + (k / 2) * NR * 2 + (j % NR) * 2 + (k & 1);
}

void rt_pack_part_bf16(int64_t K, int64_t N, int64_t k0, int64_t nk, int64_t j0, int64_t nj, const float *src,
                       int64_t sk, int64_t sn, float *Bp) {
    uint16_t *bp = aligned_bf16(Bp);
    for (int64_t k = k0; k < k0 + nk; k++) {
        for (int64_t j = j0; j < j0 + nj; j++)
            *packed_at(bp, K, k, j) = to_bf16(src[(k - k0) * sk + (j - j0) * sn]);
        for (int64_t j = N; j0 + nj == N && j % NR; j++) /* the last strip's padding */
            *packed_at(bp, K, k, j) = 0;
    }
    if (K % 2 && k0 + nk == K) /* an odd K: the last pair's second half */
        for (int64_t j = j0; j < (j0 + nj == N ? (N + NR - 1) / NR * NR : j0 + nj); j++)
            *packed_at(bp, K, K, j) = 0;
}

/* m (<= MR) rows of C by S strips, from A's rows as bf16 pairs (lda pairs
 * apart) and the packed strips. */
static inline __attribute__((always_inline)) void tile(int m, int S, int64_t Kp, const uint32_t *A, int64_t lda,
                                                       const uint16_t *bp, float *C, int64_t ldc, int64_t n,
                                                       int accumulate) {
    __m512 acc[MR][WIDE][2];
    for (int r = 0; r < m; r++)
        for (int q = 0; q < S; q++)
            acc[r][q][0] = acc[r][q][1] = _mm512_setzero_ps();
    for (int64_t kp = 0; kp < Kp; kp++) {
        __m512bh b[WIDE][2];
        for (int q = 0; q < S; q++)
            for (int v = 0; v < 2; v++)
                b[q][v] = (__m512bh)_mm512_loadu_si512(bp + q * Kp * NR * 2 + kp * NR * 2 + v * 32);
        for (int r = 0; r < m; r++) {
            __m512bh a = (__m512bh)_mm512_set1_epi32((int)A[r * lda + kp]);
            for (int q = 0; q < S; q++)
                for (int v = 0; v < 2; v++)
                    acc[r][q][v] = _mm512_dpbf16_ps(acc[r][q][v], a, b[q][v]);
        }
    }
    for (int r = 0; r < m; r++)
        for (int q = 0; q < S; q++) {
            float out[NR], *c = C + r * ldc + q * NR;
            _mm512_storeu_ps(out, acc[r][q][0]);
            _mm512_storeu_ps(out + 16, acc[r][q][1]);
            for (int64_t j = 0; j < n - q * NR && j < NR; j++)
                c[j] = accumulate ? c[j] + out[j] : out[j];
        }
}

static void tile_rows(int m, int64_t Kp, const uint32_t *A, int64_t lda, const uint16_t *bp, float *C, int64_t ldc,
                      int64_t n, int accumulate) {
    switch (m) { /* a constant row count per call, so acc stays in registers */
    case 8: tile(8, 1, Kp, A, lda, bp, C, ldc, n, accumulate); break;
    case 7: tile(7, 1, Kp, A, lda, bp, C, ldc, n, accumulate); break;
    case 6: tile(6, 1, Kp, A, lda, bp, C, ldc, n, accumulate); break;
    case 5: tile(5, 1, Kp, A, lda, bp, C, ldc, n, accumulate); break;
    case 4: tile(4, 1, Kp, A, lda, bp, C, ldc, n, accumulate); break;
    case 3: tile(3, 1, Kp, A, lda, bp, C, ldc, n, accumulate); break;
    case 2: tile(2, 1, Kp, A, lda, bp, C, ldc, n, accumulate); break;
    default: tile(1, 1, Kp, A, lda, bp, C, ldc, n, accumulate); break;
    }
}

typedef struct Gemm {
    int64_t M, N, Kp, ldc, nstrips;
    const uint32_t *A; /* M rows of Kp bf16 pairs */
    const uint16_t *bp;
    float *C;
    int accumulate;
} Gemm;

static void gemm_tasks(void *arg, int64_t lo, int64_t hi) {
    const Gemm *g = arg;
    for (int64_t task = lo; task < hi;) {
        int64_t i0 = task / g->nstrips * MC, s = task % g->nstrips;
        int64_t i1 = g->M - i0 < MC ? g->M : i0 + MC, j0 = s * NR, n = g->N - j0;
        const uint16_t *bp = g->bp + s * g->Kp * NR * 2;
        float *c = g->C + i0 * g->ldc + j0;
        if (i1 - i0 == 1 && task + WIDE <= hi && s + WIDE <= g->nstrips) { /* a matrix-vector product */
            tile(1, WIDE, g->Kp, g->A + i0 * g->Kp, g->Kp, bp, c, g->ldc, n, g->accumulate);
            task += WIDE;
            continue;
        }
        for (int64_t i = i0; i < i1; i += MR)
            tile_rows(i1 - i < MR ? (int)(i1 - i) : MR, g->Kp, g->A + i * g->Kp, g->Kp, bp, g->C + i * g->ldc + j0,
                      g->ldc, n < NR ? n : NR, g->accumulate);
        task++;
    }
}

/* A's rows as bf16 pairs, in a buffer of the calling thread's. */
static const uint32_t *rows_bf16(int64_t M, int64_t K, const float *A, int64_t sai, int64_t sak) {
    static _Thread_local uint32_t *buf;
    static _Thread_local int64_t have;
    int64_t Kp = pairs(K);
    if (M * Kp > have) {
        free(buf);
        buf = malloc(sizeof(uint32_t) * (size_t)(M * Kp));
        if (!buf)
            abort();
        have = M * Kp;
    }
    for (int64_t i = 0; i < M; i++)
        for (int64_t kp = 0; kp < Kp; kp++) {
            uint32_t lo = to_bf16(A[i * sai + 2 * kp * sak]);
            uint32_t hi = 2 * kp + 1 < K ? to_bf16(A[i * sai + (2 * kp + 1) * sak]) : 0;
            buf[i * Kp + kp] = lo | hi << 16;
        }
    return buf;
}

void rt_gemm_packed_bf16(int64_t M, int64_t N, int64_t K, const float *A, int64_t sai, int64_t sak, const float *Bp,
                         float *C, int64_t ldc, int accumulate) {
    Gemm g = {M, N, pairs(K), ldc, (N + NR - 1) / NR, rows_bf16(M, K, A, sai, sak), aligned_bf16(Bp), C, accumulate};
    rt_parallel((M + MC - 1) / MC * g.nstrips, gemm_tasks, &g, rt_product_is_wide(M, N, K, sizeof(uint16_t)));
}

#else /* no AVX512_BF16 in this build */

bool rt_bf16_available(void) { return false; }

void rt_pack_part_bf16(int64_t K, int64_t N, int64_t k0, int64_t nk, int64_t j0, int64_t nj, const float *src,
                       int64_t sk, int64_t sn, float *Bp) {
    (void)K, (void)N, (void)k0, (void)nk, (void)j0, (void)nj, (void)src, (void)sk, (void)sn, (void)Bp;
    abort(); /* rt_bf16_mode is never set in such a build */
}

void rt_gemm_packed_bf16(int64_t M, int64_t N, int64_t K, const float *A, int64_t sai, int64_t sak, const float *Bp,
                         float *C, int64_t ldc, int accumulate) {
    (void)M, (void)N, (void)K, (void)A, (void)sai, (void)sak, (void)Bp, (void)C, (void)ldc, (void)accumulate;
    abort();
}

#endif
