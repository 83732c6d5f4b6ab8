/* rt_train.h - training in the runtime: the trainer (forward, loss and
 * backward over one batch window), optimizers and gradient clipping. */
#ifndef RNNRT_TRAIN_H
#define RNNRT_TRAIN_H
#include "rt_data.h"

typedef struct rt_trainer {
    const rt_model *m;
    int64_t B, T;          /* the largest batch and window it was sized for */
    rt_params grads;       /* d loss / d parameter, accumulated by backward */
    float *ws, *out, *d_out;
    float *state;          /* carried states, [state_floats x B] */
    rt_train_ctx ctx;
} rt_trainer;

int rt_trainer_init(rt_trainer *t, const rt_model *m, int64_t B, int64_t T, rt_error *err);
void rt_trainer_free(rt_trainer *t);
void rt_grads_zero(rt_trainer *t);
/* forward_train from t->state (carried; zero it to start a sequence), the
 * loss against y, and backward adding into t->grads. Returns the window's
 * mean loss (NaN when no position counts) and adds to acc when given. */
double rt_train_pass(rt_trainer *t, float *const *P, const void *x, const void *y, int64_t B, int64_t T,
                     rt_loss_sum *acc);

#endif
