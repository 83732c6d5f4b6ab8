/* rnnrt.h - the runtime's whole API: what generated model code calls and
 * what it fills in. A generated C file (rnnc emit --target c) defines one
 * `const rt_model` and a main() that hands it to rt_main(); the runtime
 * library (librnnrt.a) does the rest: the command line, files, parameter
 * initialisation, losses and kernels. Both backends implement this ABI. */
#ifndef RNNRT_H
#define RNNRT_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { RT_INIT_ZEROS, RT_INIT_ONES, RT_INIT_UNIFORM, RT_INIT_NORMAL };
enum { RT_LOSS_CROSS_ENTROPY, RT_LOSS_MSE };
enum { RT_OPT_ADAM, RT_OPT_SGD };
enum { RT_IGNORE_INDEX = -100 }; /* cross_entropy skips these targets */

/* ---- the ABI, field by field --------------------------------------------
 * The structs that generated programs share with the runtime, said once:
 * these lists declare them below; the C emitter (compiler/emit_c.c) names
 * the fields it fills in; the LLVM emitter (compiler/emit_llvm.c) lays out
 * its structs from the kinds and fills them in by field; the LLVM backend
 * (compiler/cg_llvm.c) finds rt_train_ctx's fields by name.
 * tests/unit/test_abi.c checks every LLVM layout against these offsets.
 *   RT_X_FIELDS(F): F(NAME, KIND) for each field of struct rt_x, in order
 * KIND: I32 int, I64 int64_t, U64 uint64_t, F64 double, STR const char *,
 *       PF32 float *, INTS const int *, DIMS int64_t[2], RNG uint64_t[4],
 *       TYPE rt_type, TRAIN rt_train_config, PARAMS const rt_param_info *,
 *       WORKSPACE_FN rt_workspace_fn *, FORWARD_FN rt_forward_fn *,
 *       FORWARD_TRAIN_FN rt_forward_train_fn *, BACKWARD_FN rt_backward_fn * */

/* A parameter: its PyTorch state_dict name, rank (1 or 2), dims, RT_INIT_*
 * initialiser and that initialiser's a and b (uniform(a, b) or normal(mean
 * a, std b)). */
#define RT_PARAM_INFO_FIELDS(F) F(name, STR) F(rank, I32) F(dims, DIMS) F(init, I32) F(a, F64) F(b, F64)

/* An input, target or output: [B, T, ...] (seq) or [B, ...]; int ids in
 * [0, size) (token) or float vectors of size. */
#define RT_TYPE_FIELDS(F) F(seq, I32) F(token, I32) F(size, I64)

/* The model's train { } block, with the documented defaults. */
#define RT_TRAIN_CONFIG_FIELDS(F)                                                                        \
    F(optimizer, I32) F(lr, F64) F(momentum, F64) F(beta1, F64) F(beta2, F64) F(eps, F64) F(clip, F64) \
    F(valid, F64) F(batch, I64) F(bptt, I64) F(epochs, I64) F(seed, I64)

/* What training passes between forward_train and backward: the tape
 * (tape_size(B, T) floats), the carried states ([state_floats x B], in and
 * out; NULL: zeros), the dropout stream (xoshiro256**), whether dropout
 * applies; then the runtime's own, which generated code never reads: this
 * window's dropout key, the global index of the pass's first sequence, the
 * pass's B and the dropout layers so far in the pass. */
#define RT_TRAIN_CTX_FIELDS(F)                                                                             \
    F(tape, PF32) F(state, PF32) F(rng, RNG) F(training, I32) F(key, U64) F(first_seq, I64) F(batch, I64) \
    F(calls, I64)

/* The model: its name, parameters, types, loss (RT_LOSS_*), train block,
 * carried floats per sample, whether a layer runs backwards, its functions
 * and the sizes of its carried state blocks ([B][size] each, in order). */
#define RT_MODEL_FIELDS(F)                                                                                   \
    F(name, STR) F(params, PARAMS) F(nparams, I32) F(input, TYPE) F(target, TYPE) F(output, TYPE)            \
    F(loss, I32) F(train, TRAIN) F(state_floats, I32) F(bidirectional, I32) F(workspace, WORKSPACE_FN)       \
    F(tape_size, WORKSPACE_FN) F(forward, FORWARD_FN) F(forward_train, FORWARD_TRAIN_FN)                     \
    F(backward, BACKWARD_FN) F(carry_sizes, INTS) F(ncarry, I32)

/* One field, as C declares it. */
#define RT_DECLARE(name, kind) RT_DECLARE_##kind(name)
#define RT_DECLARE_I32(n) int n;
#define RT_DECLARE_I64(n) int64_t n;
#define RT_DECLARE_U64(n) uint64_t n;
#define RT_DECLARE_F64(n) double n;
#define RT_DECLARE_STR(n) const char *n;
#define RT_DECLARE_PF32(n) float *n;
#define RT_DECLARE_INTS(n) const int *n;
#define RT_DECLARE_DIMS(n) int64_t n[2];
#define RT_DECLARE_RNG(n) uint64_t n[4];
#define RT_DECLARE_TYPE(n) rt_type n;
#define RT_DECLARE_TRAIN(n) rt_train_config n;
#define RT_DECLARE_PARAMS(n) const rt_param_info *n;
#define RT_DECLARE_WORKSPACE_FN(n) rt_workspace_fn *n;
#define RT_DECLARE_FORWARD_FN(n) rt_forward_fn *n;
#define RT_DECLARE_FORWARD_TRAIN_FN(n) rt_forward_train_fn *n;
#define RT_DECLARE_BACKWARD_FN(n) rt_backward_fn *n;

typedef struct rt_param_info { RT_PARAM_INFO_FIELDS(RT_DECLARE) } rt_param_info;
typedef struct rt_type { RT_TYPE_FIELDS(RT_DECLARE) } rt_type;
typedef struct rt_train_config { RT_TRAIN_CONFIG_FIELDS(RT_DECLARE) } rt_train_config;
typedef struct rt_train_ctx { RT_TRAIN_CTX_FIELDS(RT_DECLARE) } rt_train_ctx;

/* Forward pass over B sequences of T steps. P[i] is parameter i (row-major,
 * rt_model.params order); x holds int32 ids [B, T] (or [B]) for a token
 * input, else floats [B, T, N] (or [B, N]); len is NULL (every step of
 * every sequence is valid) or each sequence's valid steps [B], each in
 * [0, T] (its states hold after them, `last` takes the last of them, and
 * every sequence value, out included, is 0 past them; x is 0 there too);
 * out receives the loss's first argument, [B, T, N] or [B, N]; ws has
 * workspace(B, T) floats; state is NULL (every state starts at zero) or
 * [state_floats x B] carried states, in and out, as in rt_train_ctx. */
typedef void rt_forward_fn(float *const *P, const void *x, const int32_t *len, int64_t B, int64_t T, float *out,
                           float *ws, float *state);
typedef size_t rt_workspace_fn(int64_t B, int64_t T);
/* The same forward pass, keeping in ctx->tape what backward needs, and
 * starting from (and leaving) the carried states in ctx->state. */
typedef void rt_forward_train_fn(float *const *P, const void *x, const int32_t *len, int64_t B, int64_t T,
                                 float *out, float *ws, rt_train_ctx *ctx);
/* Back-propagation through time: from d_out (the loss's gradient with
 * respect to the output of forward_train, same layout and len; 0 past
 * each sequence's length) add every parameter's gradient into G[i].
 * Gradients do not flow into ctx->state. */
typedef void rt_backward_fn(float *const *P, float *const *G, const void *x, const int32_t *len, int64_t B, int64_t T,
                            const float *d_out, float *ws, rt_train_ctx *ctx);

typedef struct rt_model { RT_MODEL_FIELDS(RT_DECLARE) } rt_model;

/* The generated program's command line (docs/programs.md). */
int rt_main(const rt_model *m, int argc, char **argv);

/* Matrix products (kernels.c). Each output element is one chain of fused
 * multiply-adds in increasing k, from zero, then stored or (accumulate)
 * added to C: the same bits however the work is blocked or threaded.
 * Packed B: strips of RT_NR columns, K rows each, zero-padded. */
#define RT_NR 32
/* A packed buffer starts at the first 64-byte boundary at or after the
 * pointer the caller passes (aligned vector loads, one cache line each), so
 * it holds RT_PACK_SLACK floats more than the strips. */
#define RT_PACK_SLACK 16
/* Floats of a packed K x N matrix, with the slack. */
int64_t rt_packed_floats(int64_t K, int64_t N);
/* Pack the block of rows k0..k0+nk-1 and columns j0..j0+nj-1 of a K x N
 * matrix B into Bp, reading B(k, j) = src[(k - k0) * sk + (j - j0) * sn]:
 * the blocks of stacked weights come from several sources. A block that
 * ends at column N zeroes its rows' padding. */
/* C[i, j] (+)= sum_k A[i * sai + k * sak] * B(k, j), B packed. */

/* C[i, j] (+)= sum_k A[i, k] * W[j, k] for i < M, j < N: rows of A times
 * rows of W, which is x W^T for the row-major weights PyTorch stores. */

/* C[i, j] (+)= sum_k A[i, k] * W[k, j]: rows of A times W. */
/* C[i, j] (+)= sum_k A[k, i] * Bm[k, j]: the sum over rows of outer products. */
/* out = in * mask, the mask (0 or 1/(1-p)) drawn by hashing ctx->key, the
 * layer's index in the pass and each element's global position (values are
 * [B][...] per sequence), and kept;
 * outside training the identity with a mask of ones. */

/* The runtime functions generated code calls (the products, packing and
 * dropout above; rt_exp and rt_tanh below; the padding helpers of
 * variable-length sequences), said once: declared here from this list, and
 * by the LLVM backend (compiler/cg_llvm.c) from the same.
 *   F(NAME, RESULT, (ARG(KIND, name), ...)); kinds: VOID, INT int, I64
 *   int64_t, F32 float, F64 double, PF32 float *, PCF32 const float *,
 *   PCI32 const int32_t *, PCTX rt_train_ctx *
 * The padding helpers (runtime/lengths.c) do nothing when len is NULL:
 * rt_mask_seq zeroes steps t >= len[b] of a [B, T, width] value;
 * rt_mask_hold copies row b of cur to next, rt_mask_rows zeroes row b of
 * [B, width] rows, for each b with t >= len[b]; rt_last_step is len[b] - 1
 * (T - 1 without lengths); rt_active_rows is how many rows a step at time
 * t computes, 1 + the last b with t < len[b] (B without lengths), and
 * rt_zero_tail zeroes rows from..B-1 of [B, width] rows. */
#define RT_CALLS(F, ARG)                                                                                        \
    F(rt_pack_part, VOID, (ARG(I64, K), ARG(I64, N), ARG(I64, k0), ARG(I64, nk), ARG(I64, j0), ARG(I64, nj),      \
                           ARG(PCF32, src), ARG(I64, sk), ARG(I64, sn), ARG(PF32, Bp)))                           \
    F(rt_gemm_packed, VOID, (ARG(I64, M), ARG(I64, N), ARG(I64, K), ARG(PCF32, A), ARG(I64, sai), ARG(I64, sak), \
                             ARG(PCF32, Bp), ARG(PF32, C), ARG(I64, ldc), ARG(INT, accumulate)))                 \
    F(rt_gemm_nt, VOID, (ARG(I64, M), ARG(I64, N), ARG(I64, K), ARG(PCF32, A), ARG(I64, lda), ARG(PCF32, W),     \
                         ARG(I64, ldw), ARG(PF32, C), ARG(I64, ldc), ARG(INT, accumulate)))                      \
    F(rt_gemm_nn, VOID, (ARG(I64, M), ARG(I64, N), ARG(I64, K), ARG(PCF32, A), ARG(I64, lda), ARG(PCF32, W),     \
                         ARG(I64, ldw), ARG(PF32, C), ARG(I64, ldc), ARG(INT, accumulate)))                      \
    F(rt_gemm_tn, VOID, (ARG(I64, M), ARG(I64, N), ARG(I64, K), ARG(PCF32, A), ARG(I64, lda), ARG(PCF32, Bm),    \
                         ARG(I64, ldb), ARG(PF32, C), ARG(I64, ldc), ARG(INT, accumulate)))                      \
    F(rt_dropout, VOID, (ARG(PCTX, ctx), ARG(F64, p), ARG(I64, n), ARG(PCF32, in), ARG(PF32, out),               \
                         ARG(PF32, mask)))                                                                       \
    F(rt_exp, F32, (ARG(F32, x)))                                                                                \
    F(rt_tanh, F32, (ARG(F32, x)))                                                                               \
    F(rt_mask_seq, VOID, (ARG(PF32, v), ARG(PCI32, len), ARG(I64, B), ARG(I64, T), ARG(I64, width)))            \
    F(rt_mask_hold, VOID, (ARG(PF32, next), ARG(PCF32, cur), ARG(PCI32, len), ARG(I64, B), ARG(I64, t),         \
                           ARG(I64, width)))                                                                     \
    F(rt_mask_rows, VOID, (ARG(PF32, rows), ARG(PCI32, len), ARG(I64, B), ARG(I64, t), ARG(I64, width)))        \
    F(rt_last_step, I64, (ARG(PCI32, len), ARG(I64, b), ARG(I64, T)))                                          \
    F(rt_active_rows, I64, (ARG(PCI32, len), ARG(I64, B), ARG(I64, t)))                                        \
    F(rt_zero_tail, VOID, (ARG(PF32, rows), ARG(I64, from), ARG(I64, B), ARG(I64, width)))

#define RT_CTYPE_VOID void
#define RT_CTYPE_INT int
#define RT_CTYPE_I64 int64_t
#define RT_CTYPE_F32 float
#define RT_CTYPE_F64 double
#define RT_CTYPE_PF32 float *
#define RT_CTYPE_PCF32 const float *
#define RT_CTYPE_PCI32 const int32_t *
#define RT_CTYPE_PCTX rt_train_ctx *
#define RT_DECLARE_ARG(kind, name) RT_CTYPE_##kind name
#define RT_DECLARE_CALL(name, result, args) RT_CTYPE_##result name args;
RT_CALLS(RT_DECLARE_CALL, RT_DECLARE_ARG)

/* Elementwise functions as PyTorch defines them. rt_expf and rt_tanhf
 * are branch-free IEEE arithmetic without library calls, so the loops of
 * generated C vectorise; the LLVM backend calls the same code out of line
 * (runtime/mathfn.c): the same operations, the same bits. Accuracy is
 * measured by tests/unit/test_kernels.c. (Embedded C's --no-libm expf,
 * compiler/embedded_nolibm.h, is the same polynomial with branches: a
 * microcontroller has no vectors to keep busy, and the file stands alone.) */

/* e^x = 2^k e^r with k = round(x / ln 2) (rounded by adding and
 * subtracting 1.5 * 2^23), r = x - k ln 2 in two parts, e^r by a degree-7
 * Taylor polynomial (|r| <= 0.347: truncation under 6e-9). Above 88.72:
 * inf; below -87.33 (where results would be subnormal): 0. Within 2.5e-7
 * of e^x relative. */
static inline uint32_t rt_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static inline float rt_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Special cases are chosen with bit masks, not branches or ?: (which
 * compilers keep as control flow), so that loops of them vectorise. */
static inline float rt_expf(float x) {
    uint32_t big = 0u - (uint32_t)(x > 88.7228f), tiny = 0u - (uint32_t)(x < -87.3365f), nan = 0u - (uint32_t)(x != x);
    uint32_t keep = ~(big | tiny | nan);
    float c = rt_float((rt_bits(x) & keep) | (rt_bits(88.7228f) & big) | (rt_bits(-87.3365f) & tiny));
    float kf = (c * 1.44269504f + 12582912.0f) - 12582912.0f;
    float r = (c - kf * 0.693359375f) - kf * -2.12194440e-4f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
    int32_t k = (int32_t)kf;                             /* -126 .. 128 */
    int32_t up = (int32_t)((uint32_t)(-k) >> 31);        /* k > 0: 2^k as 2 * 2^(k-1) */
    float y = (p * (float)(1 + up)) * rt_float((uint32_t)(k - up + 127) << 23);
    return rt_float((rt_bits(y) & keep) | (0x7f800000u & big) | (rt_bits(x) & nan));
}

static inline float rt_sigmoidf(float x) { return 1.0f / (1.0f + rt_expf(-x)); }
static inline float rt_reluf(float x) { return !(x <= 0.0f) ? x : 0.0f; } /* NaN stays NaN */
static inline float rt_softplusf(float x) { return x > 20.0f ? x : log1pf(rt_expf(x)); }

/* tanh: an odd Taylor polynomial below 0.3 (its first omitted term is
 * under 1e-9 there), 1 - 2 / (e^2|x| + 1) above, with x's sign; both
 * computed, one kept. NaN stays NaN, -0 stays -0. */
static inline float rt_tanhf(float x) {
    float a = fabsf(x), x2 = x * x;
    uint32_t near0 = 0u - (uint32_t)(a < 0.3f);
    float small = x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315 + x2 * (62.0f / 2835 + x2 * (-1382.0f / 155925))))));
    float big = 1.0f - 2.0f / (rt_expf(2.0f * a) + 1.0f);          /* NaN stays NaN */
    uint32_t signed_big = rt_bits(big) | (rt_bits(x) & 0x80000000u);
    return rt_float((rt_bits(small) & near0) | (signed_big & ~near0));
}
/* rt_tanh and rt_exp (RT_CALLS above): the same, out of line, which the
 * LLVM backend calls (runtime/mathfn.c). */
static inline float rt_gt0f(float x) { return x > 0.0f ? 1.0f : 0.0f; }
static inline float rt_signf(float x) { return (float)((x > 0.0f) - (x < 0.0f)); }

#endif
