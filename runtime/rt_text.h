/* rt_text.h - a --text corpus for training (docs/programs.md): the last
 * `valid` fraction of the file's bytes validates; the rest is cut into
 * `batch` contiguous streams of `stream` steps (stream b's inputs are bytes
 * b * stream + t, its targets the byte after each). Across ranks each
 * reads only its own streams' bytes, and only rank 0 the validation bytes. */
#ifndef RNNRT_TEXT_H
#define RNNRT_TEXT_H
#include "rt_io.h"
#include <stdbool.h>

typedef struct rt_text {
    int64_t len, train_len;  /* the file's bytes, of which training */
    int64_t stream;          /* steps per stream */
    int64_t first, count;    /* this rank's streams */
    unsigned char *bytes;    /* count * stream + 1 bytes from stream first's start */
    unsigned char *vbytes;   /* len - train_len validation bytes, or NULL */
} rt_text;

/* Read rank's share of batch streams of path (and the validation bytes
 * when validation); 0, or -1 with err filled in and *t empty. */
int rt_text_open(const char *path, double valid, int64_t batch, int rank, int ranks, bool validation, rt_text *t,
                 rt_error *err);
void rt_text_free(rt_text *t);

#endif
