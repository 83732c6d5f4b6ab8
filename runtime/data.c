/* data.c - inputs and targets from .npy files, checked against the model's
 * types (docs/programs.md): tokens as <i4 or <i8 within the vocabulary
 * (targets may also be -100, skipped by cross_entropy), vectors as <f4
 * (<f8 is converted), shaped [B, T(, N)] for sequences, [B(, N)] otherwise.
 * Every value must be finite. With sequence lengths, steps past a
 * sequence's length are padding: never checked, and read as 0 (a target id
 * as -100, which every loss and metric skips). A data set is opened (its header checked,
 * its values read through once) and then read by offset (training: each rank reads its own
 * sequences), or loaded whole; both go through rt_data_read, which
 * converts and checks every value it reads. */
#include "rt_data.h"
#include "rt_file.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dtype_name(rt_dtype d) {
    static const char *names[] = {"<f4", "<f8", "<i4", "<i8"};
    return names[d];
}

static void type_str(char *buf, size_t n, const rt_type *t) {
    snprintf(buf, n, "%s%s(%lld)", t->seq ? "seq " : "", t->token ? "token" : "vector", (long long)t->size);
}

/* The shape a file of type t must have: [B, T, N], [B, T], [B, N] or [B]. */
static int expected_rank(const rt_type *t) { return 1 + (t->seq ? 1 : 0) + (t->token ? 0 : 1); }

static int check_shape(const rt_array *a, const rt_type *t, const char *path, const char *what, rt_error *err) {
    char ty[64];
    type_str(ty, sizeof ty, t);
    const char *want = t->seq ? (t->token ? "[batch, time]" : "[batch, time, N]") : (t->token ? "[batch]" : "[batch, N]");
    if (a->rank != expected_rank(t)) {
        snprintf(err->msg, sizeof err->msg, "%s: the model's %s is %s, so the array must be %s, but it has %d dimension%s",
                 path, what, ty, want, a->rank, a->rank == 1 ? "" : "s");
        return -1;
    }
    if (!t->token && a->dims[a->rank - 1] != t->size) {
        snprintf(err->msg, sizeof err->msg, "%s: the model's %s is %s, but the array's last dimension is %lld", path,
                 what, ty, (long long)a->dims[a->rank - 1]);
        return -1;
    }
    if (a->dims[0] < 1 || (t->seq && a->dims[1] < 1)) {
        snprintf(err->msg, sizeof err->msg, "%s: the %s holds no %s", path, what, a->dims[0] < 1 ? "sequences" : "steps");
        return -1;
    }
    return 0;
}

/* ---- read by offset, or whole ---------------------------------------------- */

enum { CHUNK = 4096 }; /* values per read */

/* "sequence b, step t" (or "sequence b") of flat index i, in buf. */
static const char *position(const rt_data *d, int64_t i, char *buf, size_t n) {
    int64_t b = i / (d->T * d->width), t = i / d->width % d->T;
    if (d->type->seq)
        snprintf(buf, n, "sequence %lld, step %lld", (long long)b, (long long)t);
    else
        snprintf(buf, n, "sequence %lld", (long long)b);
    return buf;
}

/* n raw values of d's dtype at flat index first into dst, checked: ids
 * within the vocabulary, vectors finite. */
static int convert_values(const rt_data *d, const void *raw, int64_t first, int64_t n, void *dst, rt_error *err) {
    const rt_type *t = d->type;
    const char *what = d->is_target ? "target" : "input";
    char at[64];
    for (int64_t i = 0; i < n; i++) {
        if (!t->token) {
            double v = d->dtype == RT_F32 ? ((const float *)raw)[i] : ((const double *)raw)[i];
            float f = (float)v;
            if (!isfinite(f))
                return rt_errorf(err, d->path, "%s: the %s holds %s%s, but every value must be finite",
                                 position(d, first + i, at, sizeof at), what, v != v ? "NaN" : "an infinity",
                                 isfinite(v) ? " once converted to float" : "");
            ((float *)dst)[i] = f;
            continue;
        }
        int64_t v = d->dtype == RT_I32 ? ((const int32_t *)raw)[i] : ((const int64_t *)raw)[i];
        if ((v < 0 || v >= t->size) && !(d->is_target && v == RT_IGNORE_INDEX))
            return rt_errorf(err, d->path, "%s: %s id %lld is outside the vocabulary [0, %lld)%s",
                             position(d, first + i, at, sizeof at), what, (long long)v, (long long)t->size,
                             d->is_target ? " (and is not -100)" : "");
        ((int32_t *)dst)[i] = (int32_t)v;
    }
    return 0;
}

/* n values of padding: 0, or -100 for target ids. */
static void pad_values(const rt_data *d, int64_t n, void *dst) {
    for (int64_t i = 0; i < n; i++) {
        if (d->type->token)
            ((int32_t *)dst)[i] = d->is_target ? RT_IGNORE_INDEX : 0;
        else
            ((float *)dst)[i] = 0;
    }
}

/* As convert_values, with the padding steps of sequences with lengths
 * read as padding, unchecked: run by run of valid values and padding. */
static int convert(const rt_data *d, const void *raw, int64_t first, int64_t n, void *dst, rt_error *err) {
    if (!d->lengths)
        return convert_values(d, raw, first, n, dst, err);
    size_t in = (size_t)rt_npy_dtype_size(d->dtype), out = d->type->token ? sizeof(int32_t) : sizeof(float);
    int64_t per_seq = d->T * d->width;
    for (int64_t done = 0; done < n;) {
        int64_t at = first + done, seq = at / per_seq, within = at % per_seq, valid = d->lengths[seq] * d->width;
        int64_t run = (within < valid ? valid : per_seq) - within;
        run = run < n - done ? run : n - done;
        if (within >= valid)
            pad_values(d, run, (char *)dst + (size_t)done * out);
        else if (convert_values(d, (const char *)raw + (size_t)done * in, at, run, (char *)dst + (size_t)done * out, err))
            return -1;
        done += run;
    }
    return 0;
}

int rt_data_read(const rt_data *d, int64_t first, int64_t count, void *dst, rt_error *err) {
    size_t unit = d->type->token ? sizeof(int32_t) : sizeof(float);
    if (!d->file) {
        const char *from = d->tokens ? (const char *)d->tokens : (const char *)d->floats;
        memcpy(dst, from + (size_t)first * unit, unit * (size_t)count);
        return 0;
    }
    int size = rt_npy_dtype_size(d->dtype);
    static _Thread_local int64_t raw[CHUNK];
    for (int64_t done = 0; done < count; done += CHUNK) {
        int64_t n = count - done < CHUNK ? count - done : CHUNK;
        if (fseeko(d->file, (off_t)(d->offset + (first + done) * size), SEEK_SET))
            return rt_errorf(err, d->path, "cannot seek to value %lld", (long long)(first + done));
        if (rt_read_exact(d->file, raw, (size_t)(n * size), d->path, "the data", err) < 0 ||
            convert(d, raw, first + done, n, (char *)dst + (size_t)done * unit, err) < 0)
            return -1;
    }
    return 0;
}

/* Open and check the header; with check_values, read every value once. */
static int open_data(const char *path, const rt_type *t, bool is_target, const rt_lengths *lengths, bool check_values,
                     rt_data *out, rt_error *err) {
    memset(out, 0, sizeof *out);
    rt_array a;
    if (rt_npy_open(path, &a, &out->file, &out->offset, err))
        return -1;
    const char *what = is_target ? "target" : "input";
    int rc = check_shape(&a, t, path, what, err);
    if (!rc && t->token && a.dtype != RT_I32 && a.dtype != RT_I64)
        rc = rt_errorf(err, path, "the model's %s is tokens, stored as <i4 or <i8, but the file holds %s", what,
                       dtype_name(a.dtype));
    if (!rc && !t->token && a.dtype != RT_F32 && a.dtype != RT_F64)
        rc = rt_errorf(err, path, "the model's %s is vectors, stored as <f4 (or <f8), but the file holds %s", what,
                       dtype_name(a.dtype));
    out->B = a.dims[0];
    out->T = t->seq ? a.dims[1] : 1;
    out->width = t->token ? 1 : t->size;
    out->dtype = a.dtype;
    out->type = t;
    out->is_target = is_target;
    out->path = path;
    if (!rc && lengths)
        rc = rt_lengths_fit(lengths, path, out->B, t->seq ? out->T : INT64_MAX, err);
    out->lengths = lengths && t->seq ? lengths->len : NULL;
    static _Thread_local int32_t values[CHUNK]; /* ids or floats */
    for (int64_t at = 0; !rc && check_values && at < a.count; at += CHUNK)
        rc = rt_data_read(out, at, a.count - at < CHUNK ? a.count - at : CHUNK, values, err);
    if (rc)
        rt_data_free(out);
    return rc;
}

int rt_data_open(const char *path, const rt_type *t, bool is_target, const rt_lengths *lengths, rt_data *out,
                 rt_error *err) {
    return open_data(path, t, is_target, lengths, true, out, err);
}

/* Opened, then read whole (every value checked as it is read). */
int rt_data_load(const char *path, const rt_type *t, bool is_target, const rt_lengths *lengths, rt_data *out,
                 rt_error *err) {
    rt_data file;
    if (open_data(path, t, is_target, lengths, false, &file, err))
        return -1;
    int64_t n = file.B * file.T * file.width;
    *out = file;
    out->file = NULL;
    void *dst = t->token ? (void *)(out->tokens = malloc(sizeof(int32_t) * (size_t)(n + 1)))
                         : (void *)(out->floats = rt_alloc_floats((size_t)n));
    int rc = dst ? rt_data_read(&file, 0, n, dst, err) : rt_errorf(err, path, "out of memory");
    fclose(file.file);
    if (rc)
        rt_data_free(out);
    return rc;
}

void rt_data_free(rt_data *d) {
    if (d->file)
        fclose(d->file);
    free(d->tokens);
    free(d->floats);
    memset(d, 0, sizeof *d);
}

typedef int data_reader(const char *path, const rt_type *t, bool is_target, const rt_lengths *lengths, rt_data *out,
                        rt_error *err);

static int pair(data_reader *read, const rt_model *m, const char *input, const char *target, const rt_lengths *lengths,
                rt_data *x, rt_data *y, rt_error *err) {
    memset(y, 0, sizeof *y);
    if (read(input, &m->input, false, lengths, x, err))
        return -1;
    if (read(target, &m->target, true, lengths, y, err)) {
        rt_data_free(x);
        return -1;
    }
    if (y->B != x->B || (m->target.seq && y->T != x->T)) {
        snprintf(err->msg, sizeof err->msg, "%s: %lld sequences of %lld steps, but the input has %lld of %lld",
                 target, (long long)y->B, (long long)y->T, (long long)x->B, (long long)x->T);
        rt_data_free(x);
        rt_data_free(y);
        return -1;
    }
    return 0;
}

int rt_data_load_pair(const rt_model *m, const char *input, const char *target, const rt_lengths *lengths, rt_data *x,
                      rt_data *y, rt_error *err) {
    return pair(rt_data_load, m, input, target, lengths, x, y, err);
}

int rt_data_open_pair(const rt_model *m, const char *input, const char *target, const rt_lengths *lengths, rt_data *x,
                      rt_data *y, rt_error *err) {
    return pair(rt_data_open, m, input, target, lengths, x, y, err);
}
