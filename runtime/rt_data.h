/* rt_data.h - a data set: inputs or targets of B sequences, in memory
 * (rt_data_load) or read from the file a few values at a time by offset
 * (rt_data_open, rt_data_read: training, where each rank reads only its
 * own sequences). */
#ifndef RNNRT_DATA_H
#define RNNRT_DATA_H
#include "rt_internal.h"
#include <stdbool.h>

typedef struct rt_data {
    int64_t B, T;       /* sequences, steps (1 for per-sequence data) */
    int64_t width;      /* values per step: 1 for tokens, N for vectors */
    int32_t *tokens;    /* [B, T] ids, or NULL */
    float *floats;      /* [B, T, N] values, or NULL */
    /* opened, not loaded: */
    FILE *file;         /* the .npy file, its values from byte offset on */
    int64_t offset;
    rt_dtype dtype;
    const rt_type *type;
    bool is_target;
    const char *path;
    const int32_t *lengths; /* valid steps per sequence (--lengths), or NULL: all T */
} rt_data;

/* Sequence lengths (lengths.c): L[b] valid steps of sequence b. */
typedef struct rt_lengths {
    int64_t B;
    int32_t *len;
    const char *path;
} rt_lengths;

/* Load a [B] array of <i4 or <i8, each at least 1. */
int rt_lengths_load(const char *path, rt_lengths *out, rt_error *err);
/* Check lengths against data of B sequences of T steps in data_path. */
int rt_lengths_fit(const rt_lengths *l, const char *data_path, int64_t B, int64_t T, rt_error *err);
void rt_lengths_free(rt_lengths *l);
/* Valid steps of each of B sequences within window [t0, t0 + n) into out
 * (len NULL: all n); returns their sum. */
int64_t rt_lengths_window(const int32_t *len, int64_t B, int64_t t0, int64_t n, int32_t *out);

/* Load an .npy file as the model's input (or target, which may hold -100).
 * With lengths (NULL: none), which must fit the file, values at padding
 * steps are neither checked nor kept: they read as 0 (target ids as -100). */
int rt_data_load(const char *path, const rt_type *t, bool is_target, const rt_lengths *lengths, rt_data *out,
                 rt_error *err);
void rt_data_free(rt_data *d);
/* Input and target together, checked to hold the same sequences; loaded,
 * or only opened (open). */
int rt_data_load_pair(const rt_model *m, const char *input, const char *target, const rt_lengths *lengths, rt_data *x,
                      rt_data *y, rt_error *err);
int rt_data_open_pair(const rt_model *m, const char *input, const char *target, const rt_lengths *lengths, rt_data *x,
                      rt_data *y, rt_error *err);
/* Check an .npy file's header against type t and keep it open; token ids
 * are checked by reading the file through once. */
int rt_data_open(const char *path, const rt_type *t, bool is_target, const rt_lengths *lengths, rt_data *out,
                 rt_error *err);
/* count values from flat index first ([B, T, width] order) of an opened
 * or loaded data set into dst: int32 ids for tokens, else floats. */
int rt_data_read(const rt_data *d, int64_t first, int64_t count, void *dst, rt_error *err);

#endif
