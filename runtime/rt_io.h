/* rt_io.h - file formats of the generated program (docs/programs.md):
 * NumPy .npy arrays and safetensors files. Every reader treats its file as
 * untrusted: a short, truncated, oversized or inconsistent file yields a
 * message naming the file and the problem, never a crash, an out-of-bounds
 * read or an allocation the file's size does not justify. Writers are
 * atomic: they write PATH.tmp, flush it to disk, then rename it over PATH,
 * so a failure leaves any previous PATH whole. */
#ifndef RNNRT_IO_H
#define RNNRT_IO_H
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

enum { RT_MAX_RANK = 4, RT_ERR_LEN = 512 };

typedef enum { RT_F32, RT_F64, RT_I32, RT_I64 } rt_dtype;

typedef struct rt_error {
    char msg[RT_ERR_LEN]; /* "FILE: what is wrong" */
} rt_error;

typedef struct rt_array {      /* an .npy array, in memory */
    rt_dtype dtype;
    int rank;
    int64_t dims[RT_MAX_RANK];
    int64_t count;             /* product of dims */
    void *data;                /* malloc'd, little-endian host order */
} rt_array;

/* Read an .npy file (format 1.0, 2.0 or 3.0; C order; little endian;
 * dtypes <f4 <f8 <i4 <i8, and |b1/|u1/<i2/<u2 are refused with a message).
 * A 0-d array reads as rank 0 with count 1, an array with a 0 dimension
 * with count 0; on success data is never NULL. Returns 0, or -1 with err
 * filled in (and *out empty). */
int rt_npy_read(const char *path, rt_array *out, rt_error *err);
/* A shape as Python writes its tuple, "(2, 3)", in buf. */
void rt_format_shape(char *buf, size_t cap, int rank, const int64_t *dims);
/* The same checks without the data: meta gets the dtype and shape (data
 * NULL), *f stays open for reading the data, which starts at byte
 * *data_offset. */
int rt_npy_open(const char *path, rt_array *meta, FILE **f, int64_t *data_offset, rt_error *err);
int rt_npy_dtype_size(rt_dtype t);
/* Write a <f4 array (format 1.0), byte for byte as numpy.save does; data
 * may be NULL when the shape holds no element. Returns 0, or -1 with err
 * filled in. */
int rt_npy_write_f32(const char *path, int rank, const int64_t *dims, const float *data, rt_error *err);
void rt_array_free(rt_array *a);

typedef struct rt_tensor {     /* one safetensors entry */
    char *name;
    rt_dtype dtype;            /* only RT_F32 is accepted by rt_st_read */
    int rank;
    int64_t dims[RT_MAX_RANK];
    int64_t count;
    float *data;               /* points into the block: the file's data,
                                  copied to 16-byte aligned memory */
} rt_tensor;

typedef struct rt_meta {       /* one __metadata__ entry: string to string */
    char *key, *value;
} rt_meta;

typedef struct rt_safetensors {
    rt_tensor *tensors;
    int ntensors;
    rt_meta *meta;
    int nmeta;
    void *block;               /* owns everything above */
} rt_safetensors;

/* Read a safetensors file of F32 tensors. Checks: header length within the
 * file and at most 100 MB, valid JSON, every entry with dtype, shape and
 * data_offsets, offsets inside the data block, in order and not
 * overlapping, sizes equal to the shape's product times 4, no duplicate
 * names, ranks at most RT_MAX_RANK, no dimension whose product overflows.
 * Returns 0, or -1 with err filled in. */
int rt_st_read(const char *path, rt_safetensors *out, rt_error *err);
/* NULL when absent; a binary search on what rt_st_read returned. */
const rt_tensor *rt_st_find(const rt_safetensors *st, const char *name);
const char *rt_st_meta(const rt_safetensors *st, const char *key);
void rt_st_free(rt_safetensors *st);

/* Write F32 tensors in the given order, with optional metadata (string
 * values). Byte-identical output for identical input. Each count must be
 * its shape's product (data may be NULL when it is 0); names and metadata
 * keys must be unique, valid UTF-8, and no tensor may be "__metadata__". */
int rt_st_write(const char *path, const rt_tensor *tensors, int ntensors, const rt_meta *meta, int nmeta,
                rt_error *err);

#endif
