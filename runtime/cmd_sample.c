/* cmd_sample.c - PROG sample: generate tokens from a model whose input and
 * output are the same vocabulary (a language model such as charlm). The
 * prime is read through the model with the state carried; then each next
 * token is drawn from softmax(logits / temperature) (the most likely one at
 * temperature 0) and fed back. Bytes go to stdout: the prime, then what the
 * model wrote. */
#include "rt_driver.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Draw from softmax(z / temperature); argmax when temperature is 0. */
static int32_t draw(const float *z, int64_t V, double temperature, rt_rng *g) {
    int64_t best = 0;
    for (int64_t v = 1; v < V; v++)
        if (z[v] > z[best])
            best = v;
    if (temperature == 0)
        return (int32_t)best;
    double sum = 0, u = rt_rng_uniform(g);
    for (int64_t v = 0; v < V; v++)
        sum += exp(((double)z[v] - z[best]) / temperature);
    double acc = 0;
    for (int64_t v = 0; v < V; v++) {
        acc += exp(((double)z[v] - z[best]) / temperature) / sum;
        if (u < acc)
            return (int32_t)v;
    }
    return (int32_t)(V - 1);
}

static int check_model(const rt_model *m, const rt_args *a) {
    if (!m->input.token || !m->input.seq || !m->output.seq || m->output.size != m->input.size)
        return rt_fail(a, "sample needs a model that reads a sequence of tokens and predicts the next one "
                          "(input seq token(V), output seq vector(V))");
    if (m->bidirectional)
        return rt_fail(a, "sample runs one step at a time, which a bidirectional model cannot");
    if (a->given & OPT_TEMPERATURE && !(a->temperature >= 0))
        return rt_usage_error(a, "%s", "--temperature must be >= 0");
    return 0;
}

int rt_cmd_sample(const rt_model *m, const rt_args *a) {
    if (!a->weights)
        return rt_usage_error(a, "%s", "sample needs --weights");
    int rc = check_model(m, a);
    if (rc)
        return rc;
    const char *prime = a->prime && *a->prime ? a->prime : "\n";
    int64_t plen = (int64_t)strlen(prime), length = a->given & OPT_LENGTH ? a->length : 200, V = m->input.size;
    double temperature = a->given & OPT_TEMPERATURE ? a->temperature : 1.0;
    rt_params p;
    rt_trainer t;
    rt_error err;
    if (rt_params_load(m, a->weights, &p, &err))
        return rt_fail(a, err.msg);
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)(plen + 1));
    if (!ids || rt_trainer_init(&t, m, 1, plen, &err)) {
        free(ids);
        rt_params_free(&p);
        return rt_fail(a, ids ? err.msg : "out of memory");
    }
    for (int64_t i = 0; i < plen; i++) {
        ids[i] = (unsigned char)prime[i];
        if (ids[i] >= V) {
            snprintf(err.msg, sizeof err.msg, "the prime's byte %d is outside the vocabulary [0, %lld)", ids[i],
                     (long long)V);
            rc = 1;
        }
    }
    rt_rng g;
    rt_rng_seed(&g, (uint64_t)a->seed);
    t.ctx.training = 0;
    t.ctx.state = m->state_floats ? t.state : NULL;
    memset(t.state, 0, sizeof(float) * (size_t)m->state_floats);
    if (!rc) {
        fwrite(prime, 1, (size_t)plen, stdout);
        m->forward_train(p.data, ids, NULL, 1, plen, t.out, t.ws, &t.ctx);
        const float *z = t.out + (plen - 1) * V;
        for (int64_t i = 0; i < length; i++) {
            int32_t next = draw(z, V, temperature, &g);
            putchar(next & 0xFF);
            m->forward_train(p.data, &next, NULL, 1, 1, t.out, t.ws, &t.ctx);
            z = t.out;
        }
        putchar('\n');
    }
    free(ids);
    rt_trainer_free(&t);
    rt_params_free(&p);
    return rc ? rt_fail(a, err.msg) : 0;
}
