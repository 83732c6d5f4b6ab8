/* grad_sum.c - the gradients of a data-parallel step (docs/mpi.md).
 * Each rank's backward leaves its gradients divided by its own count of
 * positions (elements for MSE); scaled back by that count, summed over
 * ranks with the loss and the counts in the same buffer (one all-reduce),
 * and divided by the global count, they are the gradients of the whole
 * batch, the same bits on every rank. Counts travel as floats in 12-bit
 * pieces, so their sums stay exact up to 4096 ranks and 2^36 positions. */
#include "rt_dist.h"
#include "rt_train.h"
#include <string.h>
#include <time.h>

static double summing; /* seconds in the all-reduce, waiting for the other ranks included */

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double rt_grads_sum_seconds(void) { return summing; }

enum { PIECES = 3, PIECE_BITS = 12 };

static void put_count(float *slot, int64_t v) {
    for (int k = 0; k < PIECES; k++)
        slot[k] = (float)((v >> (k * PIECE_BITS)) & ((1 << PIECE_BITS) - 1));
}

static int64_t get_count(const float *slot) {
    int64_t v = 0;
    for (int k = 0; k < PIECES; k++)
        v += (int64_t)slot[k] << (k * PIECE_BITS);
    return v;
}

void rt_grads_sum_ranks(rt_trainer *t, rt_loss_sum *s, int64_t *tokens) {
    if (rt_dist_size() == 1)
        return;
    float *g = t->grad_block, *slot = g + t->grad_floats;
    float mine = (float)s->count;
    for (int64_t i = 0; i < t->grad_floats; i++)
        g[i] *= mine;
    slot[0] = (float)s->total;
    put_count(slot + 1, s->count);
    put_count(slot + 1 + PIECES, s->correct);
    put_count(slot + 1 + 2 * PIECES, *tokens);
    double t0 = seconds();
    rt_dist_sum(g, t->grad_floats + RT_SUM_SLOTS);
    summing += seconds() - t0;
    s->total = slot[0];
    s->count = get_count(slot + 1);
    s->correct = get_count(slot + 1 + PIECES);
    *tokens = get_count(slot + 1 + 2 * PIECES);
    float all = (float)s->count;
    for (int64_t i = 0; s->count && i < t->grad_floats; i++)
        g[i] /= all;
}

/* Compare a fingerprint of the weights, two overlapping 36-bit parts of a
 * 64-bit FNV-1a hash: every rank's pieces, summed, equal the rank count
 * times its own when all ranks agree (and otherwise on some rank, unless
 * one sits exactly at the others' mean in both parts). */
bool rt_ranks_agree(const rt_model *m, const rt_params *p) {
    int n = rt_dist_size();
    if (n == 1)
        return true;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over the bits */
    for (int i = 0; i < m->nparams; i++)
        for (int64_t k = 0; k < rt_param_count(&m->params[i]); k++) {
            uint32_t u;
            memcpy(&u, &p->data[i][k], sizeof u);
            h = (h ^ u) * 1099511628211ULL;
        }
    float mine[2 * PIECES], all[2 * PIECES];
    put_count(mine, (int64_t)(h & 0xFFFFFFFFFULL));
    put_count(mine + PIECES, (int64_t)(h >> 28 & 0xFFFFFFFFFULL));
    memcpy(all, mine, sizeof all);
    rt_dist_sum(all, 2 * PIECES);
    bool same = true;
    for (int k = 0; k < 2 * PIECES; k++)
        same = same && all[k] == mine[k] * (float)n;
    return same;
}
