/* trainer.c - one training pass over a batch: forward_train, the loss and
 * its gradient with respect to the model's output, then backward into the
 * parameter gradients. Buffers are sized once for the largest batch and
 * window and reused. The loss gradients are PyTorch's: cross_entropy's is
 * (softmax - onehot) / counted positions, mse's 2 (out - y) / elements
 * (at valid steps: padding steps are 0 in the output and the target). */
#include "rt_train.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A parameter's gradient in the block: its floats, to a whole cache line. */
static int64_t padded_count(const rt_param_info *p) { return (rt_param_count(p) + 15) / 16 * 16; }

int rt_trainer_init(rt_trainer *t, const rt_model *m, int64_t B, int64_t T, rt_error *err) {
    memset(t, 0, sizeof *t);
    t->m = m;
    t->B = B;
    t->T = T;
    int64_t out_rows = B * (m->output.seq ? T : 1);
    t->ws = rt_alloc_floats(m->workspace(B, T));
    t->ctx.tape = rt_alloc_floats(m->tape_size(B, T));
    t->out = rt_alloc_floats((size_t)(out_rows * m->output.size));
    t->d_out = rt_alloc_floats((size_t)(out_rows * m->output.size));
    t->state = rt_alloc_floats((size_t)(B * m->state_floats));
    t->grads.n = m->nparams;
    t->grads.data = calloc((size_t)m->nparams + 1, sizeof(float *));
    for (int i = 0; i < m->nparams; i++)
        t->grad_floats += padded_count(&m->params[i]);
    t->grad_block = rt_alloc_floats((size_t)(t->grad_floats + RT_SUM_SLOTS));
    bool ok = t->ws && t->ctx.tape && t->out && t->d_out && t->state && t->grads.data && t->grad_block;
    for (int64_t i = 0, at = 0; ok && i < m->nparams; at += padded_count(&m->params[i]), i++)
        t->grads.data[i] = t->grad_block + at;
    if (!ok) {
        snprintf(err->msg, sizeof err->msg, "out of memory for training %lld sequences of %lld steps", (long long)B,
                 (long long)T);
        rt_trainer_free(t);
        return -1;
    }
    return 0;
}

void rt_trainer_free(rt_trainer *t) {
    free(t->ws);
    free(t->ctx.tape);
    free(t->out);
    free(t->d_out);
    free(t->state);
    free(t->grad_block);
    free(t->grads.data);
    memset(t, 0, sizeof *t);
}

void rt_grads_zero(rt_trainer *t) { memset(t->grad_block, 0, sizeof(float) * (size_t)(t->grad_floats + RT_SUM_SLOTS)); }

void rt_trainer_window(rt_trainer *t, int64_t first_seq) {
    rt_rng r;
    memcpy(r.s, t->ctx.rng, sizeof r.s);
    t->ctx.key = rt_rng_next(&r);
    memcpy(t->ctx.rng, r.s, sizeof r.s);
    t->ctx.first_seq = first_seq;
}

/* d_out and the loss sum for cross_entropy over rows of V logits. */
static void cross_entropy_grad(const float *z, const int32_t *y, int64_t rows, int64_t V, float *d, rt_loss_sum *acc) {
    int64_t count = 0;
    for (int64_t r = 0; r < rows; r++)
        count += y[r] != RT_IGNORE_INDEX;
    rt_cross_entropy(z, y, rows, V, acc);
    for (int64_t r = 0; r < rows; r++) {
        float *dr = d + r * V;
        const float *zr = z + r * V;
        if (y[r] == RT_IGNORE_INDEX) {
            memset(dr, 0, sizeof(float) * (size_t)V);
            continue;
        }
        double max = zr[0], sum = 0;
        for (int64_t v = 1; v < V; v++)
            max = zr[v] > max ? zr[v] : max;
        for (int64_t v = 0; v < V; v++)
            sum += exp((double)zr[v] - max);
        for (int64_t v = 0; v < V; v++)
            dr[v] = (float)((exp((double)zr[v] - max) / sum - (v == y[r])) / (double)count);
    }
}

/* Over n elements of which counted are valid: the rest, padding, are 0 in
 * out and y alike, so they add nothing but would count. None valid (a
 * rank's share of a window past every one of its sequences' ends): no
 * gradient. */
static void mse_grad(const float *out, const float *y, int64_t n, int64_t counted, float *d, rt_loss_sum *acc) {
    rt_mse(out, y, n, counted, acc);
    for (int64_t i = 0; i < n; i++)
        d[i] = counted ? (float)(2.0 * ((double)out[i] - (double)y[i]) / (double)counted) : 0.0f;
}

double rt_train_pass(rt_trainer *t, float *const *P, const void *x, const void *y, const int32_t *len, int64_t B,
                     int64_t T, rt_loss_sum *acc) {
    const rt_model *m = t->m;
    if (B < 1) /* a rank with no sequences in this batch */
        return NAN;
    t->ctx.state = m->state_floats ? t->state : NULL;
    t->ctx.batch = B;
    t->ctx.calls = 0;
    m->forward_train(P, x, len, B, T, t->out, t->ws, &t->ctx);
    int64_t rows = B * (m->output.seq ? T : 1);
    rt_loss_sum s = {0};
    if (m->loss == RT_LOSS_CROSS_ENTROPY) { /* padding targets read as -100 */
        cross_entropy_grad(t->out, y, rows, m->output.size, t->d_out, &s);
    } else {
        int64_t valid = m->output.seq ? rt_valid_steps(len, B, T) : B;
        mse_grad(t->out, y, rows * m->output.size, valid * m->output.size, t->d_out, &s);
    }
    m->backward(P, t->grads.data, x, len, B, T, t->d_out, t->ws, &t->ctx);
    if (acc) {
        acc->total += s.total;
        acc->count += s.count;
        acc->correct += s.correct;
    }
    return s.count ? s.total / (double)s.count : NAN;
}
