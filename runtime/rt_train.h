/* rt_train.h - training in the runtime: the trainer (forward, loss and
 * backward over one batch window), optimizers and gradient clipping. */
#ifndef RNNRT_TRAIN_H
#define RNNRT_TRAIN_H
#include "rt_data.h"

typedef struct rt_trainer {
    const rt_model *m;
    int64_t B, T;          /* the largest batch and window it was sized for */
    rt_params grads;       /* d loss / d parameter, accumulated by backward */
    float *grad_block;     /* where grads live, one after the other, then the
                              RT_SUM_SLOTS of rt_grads_sum_ranks: one buffer */
    int64_t grad_floats;   /* floats of grads in grad_block, with padding */
    float *ws, *out, *d_out;
    float *state;          /* carried states, [state_floats x B] */
    rt_train_ctx ctx;
} rt_trainer;

int rt_trainer_init(rt_trainer *t, const rt_model *m, int64_t B, int64_t T, rt_error *err);
void rt_trainer_free(rt_trainer *t);
void rt_grads_zero(rt_trainer *t);
/* A key for the window's dropout masks, drawn from the dropout stream;
 * first_seq: the global index of this rank's first sequence. Each mask
 * element then depends only on (key, global position), not on how the
 * batch is split over ranks. */
void rt_trainer_window(rt_trainer *t, int64_t first_seq);
/* forward_train from t->state (carried; zero it to start a sequence), the
 * loss against y, and backward adding into t->grads; len: each sequence's
 * valid steps in the window, or NULL (all T). Returns the window's mean
 * loss (NaN when no position counts) and adds to acc when given. */
double rt_train_pass(rt_trainer *t, float *const *P, const void *x, const void *y, const int32_t *len, int64_t B,
                     int64_t T, rt_loss_sum *acc);

/* Across ranks (grad_sum.c): the gradients of every rank, each
 * normalised by its own count, become the gradients of the whole batch,
 * normalised by the global count, on every rank; s and *tokens become the
 * global sums. One all-reduce over grad_block. A no-op for one rank. */
enum { RT_SUM_SLOTS = 10 };
void rt_grads_sum_ranks(rt_trainer *t, rt_loss_sum *s, int64_t *tokens);
/* Seconds spent in that all-reduce so far (waiting included). */
double rt_grads_sum_seconds(void);
/* Collective: whether every rank holds the same weights. */
bool rt_ranks_agree(const rt_model *m, const rt_params *p);

#endif
