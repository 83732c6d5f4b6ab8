/* lengths.c - sequence lengths (--lengths L.npy, docs/programs.md): a [B]
 * array of <i4 or <i8, each in [1, T]. Sequence b has L[b] valid steps;
 * the rest of its T steps are padding, which data.c zeroes as it reads
 * (token ids 0, target ids -100) so that no value stored there reaches a
 * result. A pass over window [t0, t0 + n) of some sequences gets each
 * one's valid steps in the window (rt_lengths_window); generated code
 * freezes a cell's states at the rest, and the runtime's helpers below
 * zero values and gradients there. A time step computes only the rows up
 * to the last sequence still running (rt_active_rows), so a batch sorted
 * by length, longest first, as training sorts it, skips the padding. */
#include "rt_data.h"
#include "rt_file.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rt_lengths_load(const char *path, rt_lengths *out, rt_error *err) {
    memset(out, 0, sizeof *out);
    rt_array a;
    if (rt_npy_read(path, &a, err))
        return -1;
    int rc = 0;
    if (a.dtype != RT_I32 && a.dtype != RT_I64)
        rc = rt_errorf(err, path, "sequence lengths are integers (<i4 or <i8), but the file holds %s",
                       a.dtype == RT_F32 ? "<f4" : "<f8");
    else if (a.rank != 1 || a.dims[0] < 1) {
        char shape[96];
        rt_format_shape(shape, sizeof shape, a.rank, a.dims);
        rc = rt_errorf(err, path, "sequence lengths are one number per sequence, shape [batch], but the file's shape "
                       "is %s", shape);
    }
    out->len = rc ? NULL : malloc(sizeof(int32_t) * (size_t)(a.count + 1));
    if (!rc && !out->len)
        rc = rt_errorf(err, path, "out of memory");
    for (int64_t b = 0; !rc && b < a.count; b++) {
        int64_t v = a.dtype == RT_I32 ? ((const int32_t *)a.data)[b] : ((const int64_t *)a.data)[b];
        if (v < 1 || v > INT32_MAX)
            rc = rt_errorf(err, path, "sequence %lld has length %lld; a length must be at least 1", (long long)b,
                           (long long)v);
        else
            out->len[b] = (int32_t)v;
    }
    out->B = a.dims[0];
    out->path = path;
    rt_array_free(&a);
    if (rc)
        rt_lengths_free(out);
    return rc;
}

int rt_lengths_fit(const rt_lengths *l, const char *data_path, int64_t B, int64_t T, rt_error *err) {
    if (l->B != B)
        return rt_errorf(err, l->path, "%lld sequence lengths, but %s holds %lld sequences", (long long)l->B, data_path,
                         (long long)B);
    for (int64_t b = 0; b < B; b++)
        if (l->len[b] > T)
            return rt_errorf(err, l->path, "sequence %lld has length %lld, but %s has only %lld steps", (long long)b,
                             (long long)l->len[b], data_path, (long long)T);
    return 0;
}

void rt_lengths_free(rt_lengths *l) {
    free(l->len);
    memset(l, 0, sizeof *l);
}

int64_t rt_lengths_window(const int32_t *len, int64_t B, int64_t t0, int64_t n, int32_t *out) {
    int64_t valid = 0;
    for (int64_t b = 0; b < B; b++) {
        int64_t v = len ? len[b] - t0 : n;
        out[b] = (int32_t)(v < 0 ? 0 : v > n ? n : v);
        valid += out[b];
    }
    return valid;
}

/* ---- called by generated code; len NULL: every step is valid ---------- */

void rt_mask_seq(float *v, const int32_t *len, int64_t B, int64_t T, int64_t width) {
    for (int64_t b = 0; len && b < B; b++)
        if (len[b] < T)
            memset(v + (b * T + len[b]) * width, 0, sizeof(float) * (size_t)((T - len[b]) * width));
}

void rt_mask_hold(float *next, const float *cur, const int32_t *len, int64_t B, int64_t t, int64_t width) {
    for (int64_t b = 0; len && b < B; b++)
        if (t >= len[b])
            memcpy(next + b * width, cur + b * width, sizeof(float) * (size_t)width);
}

void rt_mask_rows(float *rows, const int32_t *len, int64_t B, int64_t t, int64_t width) {
    for (int64_t b = 0; len && b < B; b++)
        if (t >= len[b])
            memset(rows + b * width, 0, sizeof(float) * (size_t)width);
}

int64_t rt_last_step(const int32_t *len, int64_t b, int64_t T) { return (len ? len[b] : T) - 1; }

int64_t rt_active_rows(const int32_t *len, int64_t B, int64_t t) {
    if (!len)
        return B;
    int64_t rows = B;
    while (rows > 0 && t >= len[rows - 1])
        rows--;
    return rows;
}

void rt_zero_tail(float *rows, int64_t from, int64_t B, int64_t width) {
    if (from < B)
        memset(rows + from * width, 0, sizeof(float) * (size_t)((B - from) * width));
}
