/* rt_optim.h - optimizers (SGD with momentum, Adam) and clipping. */
#ifndef RNNRT_OPTIM_H
#define RNNRT_OPTIM_H
#include "rt_internal.h"

typedef struct rt_optim_config {
    int kind;                    /* RT_OPT_SGD or RT_OPT_ADAM */
    double lr, momentum, beta1, beta2, eps;
} rt_optim_config;

typedef struct rt_optim {
    rt_optim_config cfg;
    int n;                       /* parameters */
    int64_t steps;               /* updates taken */
    float **buf[2];              /* adam: exp_avg, exp_avg_sq; sgd: momentum_buffer */
} rt_optim;

int rt_optim_init(rt_optim *o, const rt_model *m, const rt_optim_config *cfg, rt_error *err);
void rt_optim_free(rt_optim *o);
/* One update of every parameter from its gradient. */
void rt_optim_step(rt_optim *o, const rt_model *m, float *const *P, float *const *G);
/* The global gradient norm; when max_norm > 0 and the norm exceeds it,
 * scale every gradient by max_norm / (norm + 1e-6). */
double rt_clip_grad_norm(const rt_model *m, float *const *G, double max_norm);

#endif
