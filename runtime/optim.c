/* optim.c - the optimizers and gradient clipping, as torch.optim.SGD
 * (dampening 0, no Nesterov, no weight decay), torch.optim.Adam (no weight
 * decay, no amsgrad) and torch.nn.utils.clip_grad_norm_ compute them, in
 * float32 with the same order of operations per element, on the worker
 * threads for large parameters. */
#include "rt_optim.h"
#include "rt_threads.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rt_optim_init(rt_optim *o, const rt_model *m, const rt_optim_config *cfg, rt_error *err) {
    memset(o, 0, sizeof *o);
    o->cfg = *cfg;
    o->n = m->nparams;
    int buffers = cfg->kind == RT_OPT_ADAM ? 2 : 1;
    for (int b = 0; b < buffers; b++) {
        o->buf[b] = calloc((size_t)m->nparams + 1, sizeof(float *));
        for (int i = 0; o->buf[b] && i < m->nparams; i++)
            if (!(o->buf[b][i] = calloc((size_t)rt_param_count(&m->params[i]) + 1, sizeof(float))))
                break;
        if (!o->buf[b] || (m->nparams && !o->buf[b][m->nparams - 1])) {
            snprintf(err->msg, sizeof err->msg, "out of memory for the optimizer state");
            rt_optim_free(o);
            return -1;
        }
    }
    return 0;
}

void rt_optim_free(rt_optim *o) {
    for (int b = 0; b < 2; b++) {
        for (int i = 0; o->buf[b] && i < o->n; i++)
            free(o->buf[b][i]);
        free(o->buf[b]);
    }
    memset(o, 0, sizeof *o);
}

/* Parameters are processed in chunks of CHUNK elements, spread over the
 * worker threads when large; each chunk's work is the same whoever runs
 * it, and sums over chunks are added in chunk order, so the results do not
 * depend on the thread count. */
enum { CHUNK = 1 << 14 };

static int64_t chunks_of(int64_t n) { return (n + CHUNK - 1) / CHUNK; }
static int64_t chunk_start(int64_t c, int64_t n) { return c * CHUNK < n ? c * CHUNK : n; } /* = end of chunk c - 1 */

enum { GROUP = 256 }; /* chunks whose sums are held at once */

typedef struct Norm {
    const float *g;
    int64_t n, c0;      /* elements; the group's first chunk */
    double sums[GROUP]; /* one per chunk of the group */
} Norm;

static void chunk_squares(void *arg, int64_t lo, int64_t hi) {
    Norm *t = arg;
    for (int64_t c = t->c0 + lo; c < t->c0 + hi; c++) {
        double sq[8] = {0}; /* eight partial sums in a fixed order: they vectorise */
        int64_t k = c * CHUNK, end = chunk_start(c + 1, t->n);
        for (; k + 8 <= end; k += 8)
            for (int l = 0; l < 8; l++)
                sq[l] += (double)t->g[k + l] * (double)t->g[k + l];
        for (; k < end; k++)
            sq[0] += (double)t->g[k] * (double)t->g[k];
        t->sums[c - t->c0] = ((sq[0] + sq[1]) + (sq[2] + sq[3])) + ((sq[4] + sq[5]) + (sq[6] + sq[7]));
    }
}

typedef struct Scale {
    float *g, coef;
    int64_t n;
} Scale;

static void chunk_scale(void *arg, int64_t lo, int64_t hi) {
    const Scale *t = arg;
    for (int64_t k = lo * CHUNK; k < chunk_start(hi, t->n); k++)
        t->g[k] *= t->coef;
}

double rt_clip_grad_norm(const rt_model *m, float *const *G, double max_norm) {
    double total = 0;
    for (int i = 0; i < m->nparams; i++) {
        Norm t = {.g = G[i], .n = rt_param_count(&m->params[i])};
        for (int64_t nc = chunks_of(t.n); t.c0 < nc; t.c0 += GROUP) {
            int64_t group = nc - t.c0 < GROUP ? nc - t.c0 : GROUP;
            rt_parallel(group, chunk_squares, &t, group > 1);
            for (int64_t c = 0; c < group; c++)
                total += t.sums[c];
        }
    }
    total = sqrt(total);
    if (max_norm > 0) {
        float coef = (float)(max_norm / (total + 1e-6));
        for (int i = 0; coef < 1.0f && i < m->nparams; i++) {
            Scale t = {G[i], coef, rt_param_count(&m->params[i])};
            rt_parallel(chunks_of(t.n), chunk_scale, &t, t.n > CHUNK);
        }
    }
    return total;
}

static void sgd(rt_optim *o, float *p, const float *g, float *buf, int64_t n) {
    float lr = (float)o->cfg.lr, mom = (float)o->cfg.momentum;
    for (int64_t k = 0; k < n; k++) {
        float d = g[k];
        if (o->cfg.momentum != 0) {
            buf[k] = o->steps == 1 ? d : buf[k] * mom + d;
            d = buf[k];
        }
        p[k] = p[k] + d * -lr;
    }
}

static void adam(rt_optim *o, float *p, const float *g, float *m, float *v, int64_t n) {
    const rt_optim_config *c = &o->cfg;
    double bc1 = 1 - pow(c->beta1, (double)o->steps), bc2 = 1 - pow(c->beta2, (double)o->steps);
    float b1 = (float)c->beta1, b2 = (float)c->beta2, one_b1 = (float)(1 - c->beta1), one_b2 = (float)(1 - c->beta2);
    float step_size = (float)(c->lr / bc1), bc2_sqrt = (float)sqrt(bc2), eps = (float)c->eps;
    for (int64_t k = 0; k < n; k++) {
        m[k] = m[k] * b1 + g[k] * one_b1;
        v[k] = v[k] * b2 + g[k] * g[k] * one_b2;
        float denom = sqrtf(v[k]) / bc2_sqrt + eps;
        p[k] = p[k] + (m[k] / denom) * -step_size;
    }
}

typedef struct Update {
    rt_optim *o;
    float *p, *g, *buf0, *buf1;
    int64_t n;
} Update;

static void chunk_update(void *arg, int64_t lo, int64_t hi) {
    const Update *u = arg;
    int64_t k = lo * CHUNK, n = chunk_start(hi, u->n) - k;
    if (u->o->cfg.kind == RT_OPT_ADAM)
        adam(u->o, u->p + k, u->g + k, u->buf0 + k, u->buf1 + k, n);
    else
        sgd(u->o, u->p + k, u->g + k, u->buf0 + k, n);
}

void rt_optim_step(rt_optim *o, const rt_model *m, float *const *P, float *const *G) {
    o->steps++;
    for (int i = 0; i < m->nparams; i++) {
        Update u = {o, P[i], G[i], o->buf[0][i], o->cfg.kind == RT_OPT_ADAM ? o->buf[1][i] : NULL,
                    rt_param_count(&m->params[i])};
        rt_parallel(chunks_of(u.n), chunk_update, &u, u.n > CHUNK);
    }
}
