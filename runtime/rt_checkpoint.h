/* rt_checkpoint.h - training checkpoints (docs/programs.md): a safetensors
 * file with the parameters under their names, the optimizer state under
 * optim.* names (optim.exp_avg.NAME, optim.exp_avg_sq.NAME for Adam,
 * optim.momentum_buffer.NAME for SGD), the states carried between BPTT
 * windows as optim.carry, and in __metadata__ the position (epoch, batch,
 * window), the optimizer's step count and the dropout generator's state. */
#ifndef RNNRT_CHECKPOINT_H
#define RNNRT_CHECKPOINT_H
#include "rt_optim.h"

typedef struct rt_position {     /* the next thing training will do */
    int64_t epoch, batch, window;
} rt_position;

typedef struct rt_checkpoint {
    rt_position pos;
    uint64_t rng[4];             /* dropout stream */
    int64_t batch;               /* the batch size it was written with */
    int64_t carry_floats;        /* floats in carry */
    float *carry;                /* borrowed on save, owned after load */
} rt_checkpoint;

int rt_checkpoint_save(const char *path, const rt_model *m, const rt_params *p, const rt_optim *o,
                       const rt_checkpoint *c, rt_error *err);
/* Load into already-initialised params and optimizer of the same kind. */
int rt_checkpoint_load(const char *path, const rt_model *m, rt_params *p, rt_optim *o, rt_checkpoint *c,
                       rt_error *err);

#endif
