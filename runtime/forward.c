/* forward.c - a model's forward over every sequence of a data set
 * (rt_run_forward, for the forward and eval commands and validation):
 * sequences a chunk at a time, long sequences a window of steps at a time
 * with their states carried across, and, where each thread gets enough
 * sequences, the sequences split over the threads. Sequences never
 * interact in a forward pass and each output element is computed by the
 * same operations in the same order, so the bits do not depend on the
 * chunks, the windows or the threads. */
#include "rt_driver.h"
#include "rt_threads.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sequences and steps per forward call: they bound the workspace, which is
 * then reused (cache-warm, no fresh pages) along a long sequence.
 * SPLIT_ROWS: sequences per thread worth running each thread's sequences
 * through the model on its own (its products are then large enough to
 * run at speed on one core, and the threads never wait for each other);
 * below, the threads share each product instead. */
enum { FORWARD_CHUNK = 64, FORWARD_STEPS = 1024, SPLIT_ROWS = 8 };

/* Sequences b0.. b0+nb-1, steps t0.. t0+n-1 of x, contiguous in dst. */
static void gather_steps(const rt_data *x, int64_t b0, int64_t nb, int64_t t0, int64_t n, void *dst) {
    size_t row = x->tokens ? sizeof(int32_t) : sizeof(float) * (size_t)x->width;
    const char *src = x->tokens ? (const char *)x->tokens : (const char *)x->floats;
    for (int64_t b = 0; b < nb; b++)
        memcpy((char *)dst + (size_t)(b * n) * row, src + (size_t)((b0 + b) * x->T + t0) * row, (size_t)n * row);
}

/* The valid steps of sequences b0.. b0+nb-1 in steps t0.. t0+n-1, in lw;
 * NULL when all are valid (the model then runs exactly as without lengths). */
static const int32_t *window_lengths(const rt_data *x, int64_t b0, int64_t nb, int64_t t0, int64_t n, int32_t *lw) {
    if (!x->lengths)
        return NULL;
    return rt_lengths_window(x->lengths + b0, nb, t0, n, lw) < nb * n ? lw : NULL;
}

/* One thread's part of a forward run: sequences [first, end). */
typedef struct Part {
    const rt_model *m;
    const rt_params *p;
    const rt_data *x;
    float *out;
    int64_t first, end;
    int64_t chunk, steps; /* sequences and steps per call */
    int failed;           /* out of memory */
} Part;

/* Sequences [first, end) of x, a chunk at a time. A unidirectional model
 * runs FORWARD_STEPS steps at a time with its states carried across: the
 * same operations in the same order, so the same bits as one call over
 * the whole sequence (not with lengths and `last`, whose step may lie in
 * any part). */
static void run_part(Part *r) {
    const rt_model *m = r->m;
    const rt_data *x = r->x;
    int64_t B = r->end - r->first, chunk = B < FORWARD_CHUNK ? B : FORWARD_CHUNK;
    bool whole = m->bidirectional || x->T <= FORWARD_STEPS || (x->lengths && !m->output.seq);
    int64_t steps = whole ? x->T : FORWARD_STEPS;
    r->chunk = chunk, r->steps = steps;
    int32_t lw[FORWARD_CHUNK];
    int64_t out_step = m->output.size, out_row = (m->output.seq ? x->T : 1) * out_step;
    int64_t in_floats = chunk * steps * (x->tokens ? 1 : x->width);
    int64_t part_floats = chunk * (m->output.seq ? steps : 1) * out_step;
    bool split = steps < x->T;
    float *ws = rt_alloc_floats(m->workspace(chunk, steps));
    float *in = split ? rt_alloc_floats((size_t)in_floats) : NULL, *part = split ? rt_alloc_floats((size_t)part_floats) : NULL;
    float *state = split ? rt_alloc_floats((size_t)(chunk * m->state_floats)) : NULL;
    r->failed = !ws || (split && (!in || !part || !state));
    for (int64_t b0 = r->first; !r->failed && b0 < r->end; b0 += chunk) {
        int64_t nb = r->end - b0 < chunk ? r->end - b0 : chunk;
        if (!split) {
            const void *from = x->tokens ? (const void *)(x->tokens + b0 * x->T) : (const void *)(x->floats + b0 * x->T * x->width);
            m->forward(r->p->data, from, window_lengths(x, b0, nb, 0, x->T, lw), nb, x->T, r->out + b0 * out_row, ws, NULL);
            continue;
        }
        memset(state, 0, sizeof(float) * (size_t)(nb * m->state_floats));
        for (int64_t t0 = 0; t0 < x->T; t0 += steps) {
            int64_t n = x->T - t0 < steps ? x->T - t0 : steps;
            gather_steps(x, b0, nb, t0, n, in);
            m->forward(r->p->data, in, window_lengths(x, b0, nb, t0, n, lw), nb, n, part, ws, state);
            for (int64_t b = 0; m->output.seq && b < nb; b++)
                memcpy(r->out + (b0 + b) * out_row + t0 * out_step, part + b * n * out_step,
                       sizeof(float) * (size_t)(n * out_step));
        }
        if (!m->output.seq) /* the last call's: the outputs of the last step */
            memcpy(r->out + b0 * out_row, part, sizeof(float) * (size_t)(nb * out_step));
    }
    free(ws), free(in), free(part), free(state);
}

static void run_parts(void *arg, int64_t lo, int64_t hi) {
    Part *parts = arg;
    for (int64_t i = lo; i < hi; i++)
        run_part(&parts[i]);
}

int rt_run_forward(const rt_model *m, const rt_params *p, const rt_data *x, float *out, rt_error *err) {
    int threads = rt_threads();
    int nparts = x->B >= (int64_t)threads * SPLIT_ROWS ? threads : 1;
    Part parts[RT_MAX_THREADS];
    for (int i = 0; i < nparts; i++)
        parts[i] = (Part){m, p, x, out, x->B * i / nparts, x->B * (i + 1) / nparts, 0, 0, 0};
    rt_parallel(nparts, run_parts, parts, 1); /* each part's products then run on its own thread */
    for (int i = 0; i < nparts; i++)
        if (parts[i].failed) {
            snprintf(err->msg, sizeof err->msg, "out of memory for %lld sequences of %lld steps",
                     (long long)parts[i].chunk, (long long)parts[i].steps);
            return -1;
        }
    return 0;
}
