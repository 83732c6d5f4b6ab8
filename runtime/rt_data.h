/* rt_data.h - a data set in memory: inputs or targets of B sequences. */
#ifndef RNNRT_DATA_H
#define RNNRT_DATA_H
#include "rt_internal.h"
#include <stdbool.h>

typedef struct rt_data {
    int64_t B, T;       /* sequences, steps (1 for per-sequence data) */
    int64_t width;      /* values per step: 1 for tokens, N for vectors */
    int32_t *tokens;    /* [B, T] ids, or NULL */
    float *floats;      /* [B, T, N] values, or NULL */
} rt_data;

/* Load an .npy file as the model's input (or target, which may hold -100). */
int rt_data_load(const char *path, const rt_type *t, bool is_target, rt_data *out, rt_error *err);
void rt_data_free(rt_data *d);
/* Input and target together, checked to hold the same sequences. */
int rt_data_load_pair(const rt_model *m, const char *input, const char *target, rt_data *x, rt_data *y,
                      rt_error *err);

#endif
