/* rt_internal.h - pieces of the runtime that only the runtime uses:
 * the random generator, parameter storage, losses and metrics. */
#ifndef RNNRT_INTERNAL_H
#define RNNRT_INTERNAL_H
#include "rnnrt.h"
#include "rt_io.h"
#include <stdbool.h>

typedef struct rt_rng {      /* xoshiro256** seeded through splitmix64 */
    uint64_t s[4];
} rt_rng;

void rt_rng_seed(rt_rng *r, uint64_t seed);
uint64_t rt_rng_next(rt_rng *r);
double rt_rng_uniform(rt_rng *r);   /* [0, 1) with 53 random bits */
double rt_rng_normal(rt_rng *r);    /* standard normal, Box-Muller */

/* n floats (and one more), 64-byte aligned, on huge pages when large
 * (memory.c); NULL when out of memory; freed with free(). */
float *rt_alloc_floats(size_t n);

/* Where a packed buffer's strips start: its first 64-byte boundary
 * (kernels.c). Whether a product is worth the other threads, its weights
 * of weight_bytes each. */
float *rt_packed_start(const float *Bp);
int rt_product_is_wide(int64_t M, int64_t N, int64_t K, int weight_bytes);

/* bfloat16 products (kernels_bf16.c): with rt_bf16_mode set (forward
 * --precision bf16, before anything is packed), rt_pack_part and
 * rt_gemm_packed store and read packed weights as bf16 pairs. */
extern bool rt_bf16_mode;
bool rt_bf16_available(void); /* this build's kernels have AVX512_BF16 */
void rt_pack_part_bf16(int64_t K, int64_t N, int64_t k0, int64_t nk, int64_t j0, int64_t nj, const float *src,
                       int64_t sk, int64_t sn, float *Bp);
void rt_gemm_packed_bf16(int64_t M, int64_t N, int64_t K, const float *A, int64_t sai, int64_t sak, const float *Bp,
                         float *C, int64_t ldc, int accumulate);

typedef struct rt_params {   /* every parameter of a model, in order */
    float **data;            /* data[i] has rt_param_count(&m->params[i]) floats */
    int n;
} rt_params;

int64_t rt_param_count(const rt_param_info *p);
/* Allocate and initialise by each parameter's rule from one seeded stream. */
int rt_params_init(const rt_model *m, uint64_t seed, rt_params *out, rt_error *err);
/* Load from safetensors: exactly the model's parameters, with its shapes. */
int rt_params_load(const rt_model *m, const char *path, rt_params *out, rt_error *err);
int rt_params_save(const rt_model *m, const rt_params *p, const char *path, rt_error *err);
void rt_params_free(rt_params *p);

typedef struct rt_loss_sum { /* a loss accumulated over chunks of a batch */
    double total;            /* sum of per-position losses */
    int64_t count;           /* positions (CE) or elements (MSE) that count */
    int64_t correct;         /* CE: argmax == target */
} rt_loss_sum;

/* rows x V logits against rows targets; -100 is skipped. */
void rt_cross_entropy(const float *logits, const int32_t *targets, int64_t rows, int64_t V, rt_loss_sum *acc);
/* n elements, of which `counted` count (the others are padding, 0 in both). */
void rt_mse(const float *out, const float *target, int64_t n, int64_t counted, rt_loss_sum *acc);
/* Valid steps of B sequences of T steps (len NULL: B T). */
int64_t rt_valid_steps(const int32_t *len, int64_t B, int64_t T);

#endif
