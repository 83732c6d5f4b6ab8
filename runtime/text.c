/* text.c - reading a --text corpus by positions (rt_text.h): the file's
 * length first, then only the byte ranges this rank trains (and validates)
 * on, so no rank holds the whole corpus. */
#include "rt_dist.h"
#include "rt_file.h"
#include "rt_text.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Bytes [from, from + n) of f into a new buffer. */
static unsigned char *read_bytes(FILE *f, int64_t from, int64_t n, const char *path, rt_error *err) {
    unsigned char *buf = malloc((size_t)n + 1);
    if (!buf || fseeko(f, (off_t)from, SEEK_SET) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        rt_errorf(err, path, "cannot read %lld bytes at offset %lld", (long long)n, (long long)from);
        free(buf);
        return NULL;
    }
    return buf;
}

int rt_text_open(const char *path, double valid, int64_t batch, int rank, int ranks, bool validation, rt_text *t,
                 rt_error *err) {
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    off_t end = f && !fseeko(f, 0, SEEK_END) ? ftello(f) : -1;
    if (end < 0) {
        rt_errorf(err, path, "cannot open for reading");
        if (f)
            fclose(f);
        return -1;
    }
    t->len = (int64_t)end;
    t->train_len = t->len - (int64_t)ceil(valid * (double)t->len);
    t->stream = (t->train_len - 1) / batch;
    int rc = 0;
    if (t->stream < 1) {
        rc = rt_errorf(err, path, "%lld bytes of training text cannot fill %lld streams", (long long)t->train_len,
                       (long long)batch);
    } else {
        rt_dist_share_of(batch, rank, ranks, &t->first, &t->count);
        t->bytes = read_bytes(f, t->first * t->stream, t->count * t->stream + 1, path, err);
        if (t->bytes && validation)
            t->vbytes = read_bytes(f, t->train_len, t->len - t->train_len, path, err);
        rc = t->bytes && (!validation || t->vbytes) ? 0 : -1;
    }
    fclose(f);
    if (rc)
        rt_text_free(t);
    return rc;
}

void rt_text_free(rt_text *t) {
    free(t->bytes);
    free(t->vbytes);
    memset(t, 0, sizeof *t);
}
