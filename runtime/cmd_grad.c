/* cmd_grad.c - PROG grad: the loss and d loss / d parameter over a whole
 * data set as one batch, without dropout (docs/programs.md). With --expect,
 * compares every gradient with a reference file instead of writing one and
 * prints a line per tensor (an extension, for golden tests in CI). Across
 * ranks each takes its share of the sequences and the gradients are summed
 * (grad_sum.c); rank 0 prints and writes. With --lengths each sequence
 * counts its valid steps only. */
#include "rt_driver.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each tensor within the numerics bound (docs/programs.md) (or --tol); 1 if any is not. */
static int compare(const rt_model *m, const rt_args *a, const rt_params *g, rt_error *err) {
    rt_safetensors ref;
    if (rt_st_read(a->expect, &ref, err))
        return -1;
    int bad = 0;
    for (int i = 0; i < m->nparams; i++) {
        const rt_tensor *t = rt_st_find(&ref, m->params[i].name);
        int64_t n = rt_param_count(&m->params[i]);
        if (!t || t->count != n) {
            printf("%-32s missing or of another size in %s\n", m->params[i].name, a->expect);
            bad = 1;
            continue;
        }
        double maxdiff = 0, maxref = 0;
        for (int64_t k = 0; k < n; k++) {
            double d = fabs((double)g->data[i][k] - (double)t->data[k]);
            maxdiff = d > maxdiff || d != d ? d : maxdiff;
            maxref = fabs((double)t->data[k]) > maxref ? fabs((double)t->data[k]) : maxref;
        }
        double bound = a->given & OPT_TOL ? a->tol : 1e-4 * maxref + 1e-5;
        int ok = maxdiff <= bound;
        printf("%-32s largest difference %.3g (bound %.3g) %s\n", m->params[i].name, maxdiff, bound, ok ? "ok" : "FAIL");
        bad |= !ok;
    }
    rt_st_free(&ref);
    return bad;
}

int rt_cmd_grad(const rt_model *m, const rt_args *a) {
    if (!a->weights || !a->input || !a->target || (!a->out == !a->expect))
        return rt_usage_error(a, "%s", "grad needs --weights, --input, --target, and either -o or --expect");
    rt_params p = {0};
    rt_data x, y;
    rt_trainer t = {0};
    rt_error err;
    rt_lengths l;
    int rc = rt_lengths_arg(m, a, &l, &err);
    if (rc)
        return rc > 0 ? rc : rt_fail(a, err.msg);
    rc = -1;
    if (rt_params_load(m, a->weights, &p, &err) || rt_data_load_pair(m, a->input, a->target, l.len ? &l : NULL, &x, &y,
                                                                     &err)) {
        rt_params_free(&p);
        rt_lengths_free(&l);
        return rt_fail(a, err.msg);
    }
    int64_t first, B;
    rt_dist_share_of(x.B, rt_dist_rank(), rt_dist_size(), &first, &B);
    if (!rt_trainer_init(&t, m, B, x.T, &err)) {
        rt_grads_zero(&t);
        memset(t.state, 0, sizeof(float) * (size_t)(B * m->state_floats));
        int64_t ty = m->target.seq ? y.T : 1;
        const void *xin = x.tokens ? (const void *)(x.tokens + first * x.T) : (const void *)(x.floats + first * x.T * x.width);
        const void *yin = y.tokens ? (const void *)(y.tokens + first * ty) : (const void *)(y.floats + first * ty * y.width);
        rt_loss_sum s = {0};
        int64_t tokens = B * x.T;
        int32_t *lw = l.len ? malloc(sizeof(int32_t) * (size_t)(B + 1)) : NULL;
        bool padded = lw && rt_lengths_window(l.len + first, B, 0, x.T, lw) < B * x.T;
        rt_train_pass(&t, p.data, xin, yin, padded ? lw : NULL, B, x.T, &s);
        free(lw);
        rt_grads_sum_ranks(&t, &s, &tokens);
        rc = 0;
        if (rt_dist_rank() == 0) {
            printf("loss: %.9g\n", s.count ? s.total / (double)s.count : NAN);
            rc = a->out ? rt_params_save(m, &t.grads, a->out, &err) : compare(m, a, &t.grads, &err);
        }
        rt_trainer_free(&t);
    }
    rt_params_free(&p);
    rt_data_free(&x);
    rt_data_free(&y);
    rt_lengths_free(&l);
    return rc < 0 ? rt_fail(a, err.msg) : rc;
}
