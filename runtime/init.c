/* init.c - the random generator and parameter initialisation (docs/language.md,
 * 1.2): each parameter by its rule, drawn in parameter order from one
 * stream seeded with --seed, so the same seed gives the same bits; and
 * dropout masks, a hash of a key and each element's global position. */
#include "rt_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64's finalizer: a counter in, 64 well-mixed bits out. */
static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t splitmix64(uint64_t *x) { return mix64(*x += 0x9E3779B97F4A7C15ULL); }

void rt_rng_seed(rt_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rt_rng_next(rt_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rt_rng_uniform(rt_rng *r) { return (double)(rt_rng_next(r) >> 11) * 0x1.0p-53; }

double rt_rng_normal(rt_rng *r) {
    double u1 = rt_rng_uniform(r), u2 = rt_rng_uniform(r);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

int64_t rt_param_count(const rt_param_info *p) { return p->dims[0] * (p->rank > 1 ? p->dims[1] : 1); }

static float draw(const rt_param_info *p, rt_rng *r) {
    switch (p->init) {
    case RT_INIT_ZEROS: return 0.0f;
    case RT_INIT_ONES: return 1.0f;
    case RT_INIT_NORMAL: return (float)(p->a + p->b * rt_rng_normal(r));
    default: return (float)(p->a + (p->b - p->a) * rt_rng_uniform(r));
    }
}

int rt_params_init(const rt_model *m, uint64_t seed, rt_params *out, rt_error *err) {
    rt_rng r;
    rt_rng_seed(&r, seed);
    out->n = m->nparams;
    out->data = calloc((size_t)m->nparams + 1, sizeof(float *));
    if (!out->data)
        goto oom;
    for (int i = 0; i < m->nparams; i++) {
        int64_t n = rt_param_count(&m->params[i]);
        if (!(out->data[i] = malloc(sizeof(float) * (size_t)n)))
            goto oom;
        for (int64_t k = 0; k < n; k++)
            out->data[i][k] = draw(&m->params[i], &r);
    }
    return 0;
oom:
    snprintf(err->msg, sizeof err->msg, "out of memory allocating the parameters");
    rt_params_free(out);
    return -1;
}

void rt_params_free(rt_params *p) {
    for (int i = 0; p->data && i < p->n; i++)
        free(p->data[i]);
    free(p->data);
    p->data = NULL;
    p->n = 0;
}

void rt_dropout(rt_train_ctx *ctx, double p, int64_t n, const float *in, float *out, float *mask) {
    if (!ctx->training) {
        for (int64_t i = 0; i < n; i++) {
            mask[i] = 1.0f;
            out[i] = in[i];
        }
        return;
    }
    /* element i of sequence first_seq + b has the global position
     * (first_seq + b) * per + i: the same mask however the batch is split */
    uint64_t layer = mix64(ctx->key + 0x9E3779B97F4A7C15ULL * (uint64_t)++ctx->calls);
    int64_t per = ctx->batch > 0 ? n / ctx->batch : n, first = ctx->first_seq * per;
    float keep = (float)(1.0 / (1.0 - p));
    for (int64_t i = 0; i < n; i++) {
        double u = (double)(mix64(layer + (uint64_t)(first + i)) >> 11) * 0x1.0p-53;
        mask[i] = u < p ? 0.0f : keep;
        out[i] = in[i] * mask[i];
    }
}
