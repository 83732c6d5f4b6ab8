/* loss.c - the two losses of docs/language.md, accumulated in double over
 * chunks of a batch: cross-entropy as F.cross_entropy (mean over positions
 * whose target is not -100) and mean squared error as F.mse_loss. With
 * sequence lengths, padding positions hold target -100 and, for MSE, zeros
 * in both arrays, counted out by the caller. */
#include "rt_internal.h"

void rt_cross_entropy(const float *logits, const int32_t *targets, int64_t rows, int64_t V, rt_loss_sum *acc) {
    for (int64_t r = 0; r < rows; r++) {
        if (targets[r] == RT_IGNORE_INDEX)
            continue;
        const float *z = logits + r * V;
        int64_t best = 0;
        double max = z[0];
        for (int64_t v = 1; v < V; v++)
            if (z[v] > max) {
                max = z[v];
                best = v;
            }
        double sum = 0;
        for (int64_t v = 0; v < V; v++)
            sum += exp((double)z[v] - max);
        acc->total += max + log(sum) - (double)z[targets[r]];
        acc->count++;
        acc->correct += best == targets[r];
    }
}

void rt_mse(const float *out, const float *target, int64_t n, int64_t counted, rt_loss_sum *acc) {
    for (int64_t i = 0; i < n; i++) {
        double d = (double)out[i] - (double)target[i];
        acc->total += d * d;
    }
    acc->count += counted;
}

int64_t rt_valid_steps(const int32_t *len, int64_t B, int64_t T) {
    int64_t n = 0;
    for (int64_t b = 0; b < B; b++)
        n += len ? len[b] : T;
    return n;
}
