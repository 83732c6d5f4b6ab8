/* driver.c - the generated program's command line (docs/programs.md):
 *   info | init | forward | eval here; grad, train, sample in cmd_*.c
 * Errors print "PROG: error: ..." and exit 1; usage errors exit 2. */
#include "rt_driver.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_type(const char *label, const rt_type *t) {
    printf("%s: %s%s(%lld)\n", label, t->seq ? "seq " : "", t->token ? "token" : "vector", (long long)t->size);
}

static int cmd_info(const rt_model *m) {
    printf("model: %s\n", m->name);
    print_type("input", &m->input);
    print_type("target", &m->target);
    print_type("output", &m->output);
    printf("loss: %s\n", m->loss == RT_LOSS_CROSS_ENTROPY ? "cross_entropy" : "mse");
    int64_t total = 0;
    for (int i = 0; i < m->nparams; i++)
        total += rt_param_count(&m->params[i]);
    printf("parameters: %d tensors, %lld values (%lld bytes as float32)\n", m->nparams, (long long)total,
           (long long)total * 4);
    for (int i = 0; i < m->nparams; i++) {
        const rt_param_info *p = &m->params[i];
        if (p->rank == 2)
            printf("  %-32s [%lld, %lld]\n", p->name, (long long)p->dims[0], (long long)p->dims[1]);
        else
            printf("  %-32s [%lld]\n", p->name, (long long)p->dims[0]);
    }
    const rt_train_config *t = &m->train;
    if (t->optimizer == RT_OPT_ADAM)
        printf("train: adam(lr=%g, beta1=%g, beta2=%g, eps=%g)", t->lr, t->beta1, t->beta2, t->eps);
    else
        printf("train: sgd(lr=%g, momentum=%g)", t->lr, t->momentum);
    printf(" batch=%lld bptt=%lld epochs=%lld clip=%g valid=%g seed=%lld\n", (long long)t->batch,
           (long long)t->bptt, (long long)t->epochs, t->clip, t->valid, (long long)t->seed);
    return 0;
}

static int cmd_init(const rt_model *m, const rt_args *a) {
    if (!a->out)
        return rt_usage_error(a, "%s", "init needs -o W.safetensors");
    rt_params p;
    rt_error err;
    if (rt_params_init(m, a->seed, &p, &err) || rt_params_save(m, &p, a->out, &err)) {
        rt_params_free(&p);
        return rt_fail(a, err.msg);
    }
    rt_params_free(&p);
    return 0;
}

int rt_lengths_arg(const rt_model *m, const rt_args *a, rt_lengths *l, rt_error *err) {
    memset(l, 0, sizeof *l);
    if (!a->lengths)
        return 0;
    if (a->text)
        return rt_usage_error(a, "%s", "--lengths goes with --input data, not --text (a corpus has no sequences)");
    if (!m->input.seq)
        return rt_usage_error(a, "--lengths %s: the model's input is one %s per sequence, not a sequence", a->lengths,
                              m->input.token ? "token" : "vector");
    return rt_lengths_load(a->lengths, l, err);
}

/* --lengths into l, weights and input loaded, forward run; *out has B x
 * out_row floats. 0; 2 after a usage error (printed); -1 with err set. */
static int load_and_run(const rt_model *m, const rt_args *a, rt_lengths *l, rt_data *x, float **out, rt_error *err) {
    rt_params p = {0};
    *out = NULL;
    memset(x, 0, sizeof *x);
    int usage = rt_lengths_arg(m, a, l, err);
    if (usage)
        return usage;
    if (rt_params_load(m, a->weights, &p, err) || rt_data_load(a->input, &m->input, false, l->len ? l : NULL, x, err)) {
        rt_params_free(&p);
        return -1;
    }
    int64_t n = x->B * (m->output.seq ? x->T : 1) * m->output.size;
    *out = rt_alloc_floats((size_t)n);
    int rc = *out ? rt_run_forward(m, &p, x, *out, err) : -1;
    if (!*out)
        snprintf(err->msg, sizeof err->msg, "out of memory for the output (%lld floats)", (long long)n);
    rt_params_free(&p);
    return rc;
}

static int compare(const rt_args *a, const float *out, const int64_t *dims, int rank, rt_error *err) {
    rt_array ref;
    if (rt_npy_read(a->expect, &ref, err))
        return -1;
    int same = ref.rank == rank && (ref.dtype == RT_F32 || ref.dtype == RT_F64);
    for (int d = 0; same && d < rank; d++)
        same = ref.dims[d] == dims[d];
    if (!same) {
        char want[96], got[96];
        rt_format_shape(want, sizeof want, rank, dims);
        rt_format_shape(got, sizeof got, ref.rank, ref.dims);
        snprintf(err->msg, sizeof err->msg, "%s: the output is a float array of shape %s, but this file holds %s of "
                 "shape %s", a->expect, want, ref.dtype == RT_F32 || ref.dtype == RT_F64 ? "floats" : "integers", got);
        rt_array_free(&ref);
        return -1;
    }
    double maxdiff = 0, maxref = 0;
    int64_t worst = 0;
    for (int64_t i = 0; i < ref.count; i++) {
        double r = ref.dtype == RT_F32 ? ((float *)ref.data)[i] : ((double *)ref.data)[i];
        double d = fabs((double)out[i] - r);
        if (!(d <= maxdiff)) { /* NaN counts as the worst */
            maxdiff = d;
            worst = i;
        }
        maxref = fabs(r) > maxref ? fabs(r) : maxref;
    }
    double bound = a->given & OPT_TOL ? a->tol : a->given & OPT_RTOL ? a->rtol * maxref : 1e-4 * maxref + 1e-5;
    printf("largest difference: %.9g at element %lld (bound %.9g)\n", maxdiff, (long long)worst, bound);
    rt_array_free(&ref);
    return maxdiff <= bound ? 0 : 1;
}

/* forward --precision: fp32 (the default) or bf16, the weights and the
 * products' operands rounded to bfloat16 (sums in float32), where this
 * program's kernels were built for AVX512_BF16. */
static int set_precision(const rt_args *a) {
    if (!a->precision || !strcmp(a->precision, "fp32"))
        return 0;
    if (strcmp(a->precision, "bf16"))
        return rt_usage_error(a, "--precision must be fp32 or bf16, not '%s'", a->precision);
    if (!rt_bf16_available())
        return rt_fail(a, "--precision bf16 needs kernels built for a CPU with AVX512_BF16, and this program's were "
                          "not (rnnc builds them for the building machine: -march=native)");
    rt_bf16_mode = true;
    return 0;
}

static int cmd_forward(const rt_model *m, const rt_args *a) {
    if (!a->weights || !a->input || (!a->out == !a->expect))
        return rt_usage_error(a, "%s", "forward needs --weights, --input, and either -o or --expect");
    int bad = set_precision(a);
    if (bad)
        return bad;
    rt_data x = {0};
    float *out = NULL;
    rt_error err;
    rt_lengths l;
    int rc = load_and_run(m, a, &l, &x, &out, &err);
    if (rc > 0)
        return rc;
    int64_t dims[3] = {x.B, m->output.seq ? x.T : m->output.size, m->output.size};
    int rank = m->output.seq ? 3 : 2;
    if (!rc && a->out)
        rc = rt_npy_write_f32(a->out, rank, dims, out, &err);
    else if (!rc)
        rc = compare(a, out, dims, rank, &err);
    free(out);
    rt_data_free(&x);
    rt_lengths_free(&l);
    return rc < 0 ? rt_fail(a, err.msg) : rc;
}

static int cmd_eval(const rt_model *m, const rt_args *a) {
    if (!a->weights || !a->input || !a->target)
        return rt_usage_error(a, "%s", "eval needs --weights, --input and --target");
    rt_data x = {0}, y = {0};
    float *out = NULL;
    rt_error err;
    rt_lengths l;
    int rc = load_and_run(m, a, &l, &x, &out, &err);
    if (rc > 0)
        return rc;
    if (!rc)
        rc = rt_data_load(a->target, &m->target, true, l.len ? &l : NULL, &y, &err);
    if (!rc && (y.B != x.B || (m->target.seq && y.T != x.T))) {
        snprintf(err.msg, sizeof err.msg, "%s: %lld sequences of %lld steps, but the input has %lld of %lld",
                 a->target, (long long)y.B, (long long)y.T, (long long)x.B, (long long)x.T);
        rc = -1;
    }
    rt_loss_sum s = {0};
    if (!rc) {
        int64_t rows = x.B * (m->output.seq ? x.T : 1);
        if (m->loss == RT_LOSS_CROSS_ENTROPY)
            rt_cross_entropy(out, y.tokens, rows, m->output.size, &s);
        else
            rt_mse(out, y.floats, rows * m->output.size,
                   (m->output.seq ? rt_valid_steps(l.len, x.B, x.T) : x.B) * m->output.size, &s);
        if (s.count == 0) {
            snprintf(err.msg, sizeof err.msg, "%s: every target is -100, so no position counts", a->target);
            rc = -1;
        }
    }
    if (!rc) {
        double loss = s.total / (double)s.count;
        printf("loss: %.9g\n", loss);
        if (m->loss == RT_LOSS_CROSS_ENTROPY)
            printf("accuracy: %.9g\nbits_per_token: %.9g\nperplexity: %.9g\n", (double)s.correct / (double)s.count,
                   loss / log(2.0), exp(loss));
    }
    free(out);
    rt_data_free(&x);
    rt_data_free(&y);
    rt_lengths_free(&l);
    return rc ? rt_fail(a, err.msg) : 0;
}

static int run_command(const rt_model *m, int argc, char **argv) {
    rt_args a;
    int rc = rt_parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    /* Across ranks train and grad split the work; any other command is
     * rank 0's alone (the others would only repeat it). */
    if (rt_dist_rank() != 0 && strcmp(a.cmd, "train") && strcmp(a.cmd, "grad"))
        return 0;
    if (!strcmp(a.cmd, "info"))
        return cmd_info(m);
    if (!strcmp(a.cmd, "init"))
        return cmd_init(m, &a);
    if (!strcmp(a.cmd, "forward"))
        return cmd_forward(m, &a);
    if (!strcmp(a.cmd, "eval"))
        return cmd_eval(m, &a);
    if (!strcmp(a.cmd, "grad"))
        return rt_cmd_grad(m, &a);
    if (!strcmp(a.cmd, "train"))
        return rt_cmd_train(m, &a);
    if (!strcmp(a.cmd, "sample"))
        return rt_cmd_sample(m, &a);
    return rt_usage_error(&a, "unknown command '%s'", a.cmd); /* not reached: rt_parse_args knows them */
}

int rt_main(const rt_model *m, int argc, char **argv) {
    rt_dist_init(&argc, &argv);
    int rc = run_command(m, argc, argv);
    rt_dist_finish();
    return rc;
}
