/* tests/embedded/driver.c - run an embedded model over an .npy input on the
 * host, the way firmware would: reset, then one NAME_step per time step
 * (NAME_sequence for a bidirectional model, which must also refuse a
 * sequence of NAME_MAX_STEPS + 1 steps without reading it), one sequence at a time. The
 * outputs go to an .npy file for `PROG forward --expect`. Compiled by
 * tests/embedded/run.sh with -DMODEL=NAME -include NAME.h, -DTOKENS for a
 * token input, -DBIDIRECTIONAL, and -DSEQ_OUTPUT when every step has an
 * output. With a third argument, LENGTHS.npy ([B] ids of <i8 or <i4), each
 * sequence is stepped for its own length only, the way firmware steps the
 * steps it has, and the outputs past it are 0 (as `forward --lengths`
 * writes them). Uses the runtime's npy code (the model itself uses none). */
#include "rt_io.h"
#include <stdio.h>
#include <stdlib.h>

#define CAT(a, b) a##b
#define XCAT(a, b) CAT(a, b)
#define M(x) XCAT(MODEL, x)

/* Sequence b's steps: its length from the file, else all T. */
static int64_t steps_of(const rt_array *lengths, int64_t b, int64_t T) {
    if (!lengths->data)
        return T;
    return lengths->dtype == RT_I64 ? ((int64_t *)lengths->data)[b] : ((int32_t *)lengths->data)[b];
}

int main(int argc, char **argv) {
    rt_array in, lengths = {0};
    rt_error err;
    if ((argc != 3 && argc != 4) || rt_npy_read(argv[1], &in, &err) || (argc == 4 && rt_npy_read(argv[3], &lengths, &err))) {
        fprintf(stderr, "driver: %s\n", argc >= 3 ? err.msg : "usage: driver IN.npy OUT.npy [LENGTHS.npy]");
        return 2;
    }
    int64_t B = in.dims[0], T = in.dims[1], N = in.rank > 2 ? in.dims[2] : 1, O = M(_OUTPUT_SIZE);
#ifdef SEQ_OUTPUT
    int64_t per_seq = T * O;
#else
    int64_t per_seq = O;
#endif
    float *out = calloc((size_t)(B * per_seq), sizeof(float)), *y = calloc((size_t)(T * O), sizeof(float));
    int *ids = calloc((size_t)(T + 1), sizeof(int));
    M(_state) s;
    for (int64_t b = 0; b < B; b++) {
        int64_t L = steps_of(&lengths, b, T);
        M(_reset)(&s);
#ifdef TOKENS
        for (int64_t t = 0; t < L; t++)
            ids[t] = in.dtype == RT_I64 ? (int)((int64_t *)in.data)[b * T + t] : ((int32_t *)in.data)[b * T + t];
#endif
#ifdef BIDIRECTIONAL
#ifdef TOKENS
        if (M(_sequence)(&s, ids, (int)L, y))
#else
        if (M(_sequence)(&s, (const float *)in.data + b * T * N, (int)L, y))
#endif
            return 3;
#ifdef SEQ_OUTPUT
        for (int64_t k = 0; k < L * O; k++)
#else
        for (int64_t k = 0; k < per_seq; k++)
#endif
            out[b * per_seq + k] = y[k];
#else
        for (int64_t t = 0; t < L; t++) {
#ifdef TOKENS
            M(_step)(&s, ids[t], y);
#else
            M(_step)(&s, (const float *)in.data + (b * T + t) * N, y);
#endif
#ifdef SEQ_OUTPUT
            for (int64_t k = 0; k < O; k++)
                out[b * per_seq + t * O + k] = y[k];
#else
            for (int64_t k = 0; k < O; k++)
                out[b * per_seq + k] = y[k];
#endif
        }
#endif
    }
    (void)N;
#ifdef BIDIRECTIONAL
    /* a sequence longer than the maximum is refused before its input is read */
    M(_reset)(&s);
    if (M(_sequence)(&s, NULL, M(_MAX_STEPS) + 1, y) != -1) {
        fprintf(stderr, "driver: a sequence of MAX_STEPS + 1 steps was not refused\n");
        return 4;
    }
#endif
    int64_t dims[3] = {B, T, O};
#ifdef SEQ_OUTPUT
    int rc = rt_npy_write_f32(argv[2], 3, dims, out, &err);
#else
    dims[1] = O;
    int rc = rt_npy_write_f32(argv[2], 2, dims, out, &err);
#endif
    if (rc)
        fprintf(stderr, "driver: %s\n", err.msg);
    free(out);
    free(y);
    free(ids);
    rt_array_free(&in);
    rt_array_free(&lengths);
    return rc ? 2 : 0;
}
