/* cmd_train.c - PROG train (SPEC section 5).
 * An epoch is a sequence of batches; a batch, a sequence of BPTT windows
 * that carry the cell states from one to the next (gradients stop at the
 * window's start); each window is one optimizer step.
 *   npy data: the last ceil(valid x N) sequences validate; each epoch
 *     shuffles the rest with the seed and takes them `batch` at a time.
 *   --text:   the last `valid` fraction of the bytes validates; the rest
 *     is cut into `batch` contiguous streams read in windows, in order, as
 *     one batch per epoch.
 * Per-sequence outputs (a model ending in last(...)) take whole sequences,
 * whatever bptt says. Checkpoints hold the position, so --resume continues
 * to the same bits. */
#include "rt_checkpoint.h"
#include "rt_driver.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct Config {
    rt_optim_config opt;
    double clip, valid;
    int64_t batch, bptt, epochs, every;
    uint64_t seed;
    const char *ckpt;
} Config;

typedef struct Source {        /* the training and validation data */
    bool text;
    rt_data x, y;              /* npy */
    int64_t ntrain, nvalid;    /* npy: sequences */
    unsigned char *bytes;      /* --text */
    int64_t len, train_len;    /* --text: bytes, of which training */
    int64_t stream;            /* --text: steps per stream */
} Source;

typedef struct Run {
    const rt_model *m;
    Config cfg;
    Source src;
    rt_params p;
    rt_trainer t;
    rt_optim o;
    rt_checkpoint ck;
    int64_t *perm;             /* this epoch's order of training sequences */
    float *xw, *yw;            /* one window's floats (or ids) */
    int32_t *xt, *yt;
    double t0, last_print;
    int64_t tokens, steps_done;
    double total_steps;          /* for the progress line only */
    rt_loss_sum recent;
} Run;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- configuration: the model's train { } block, then the flags -------- */

static int configure(const rt_model *m, const rt_args *a, Config *c) {
    const rt_train_config *d = &m->train;
    c->opt = (rt_optim_config){d->optimizer, d->lr, d->momentum, d->beta1, d->beta2, d->eps};
    c->clip = d->clip;
    c->valid = d->valid;
    c->batch = d->batch;
    c->bptt = d->bptt ? d->bptt : a->text ? 64 : 0;
    c->epochs = d->epochs;
    c->seed = (uint64_t)d->seed;
    c->every = 100;
    if (a->optimizer) {
        if (strcmp(a->optimizer, "sgd") && strcmp(a->optimizer, "adam"))
            return rt_usage_error(a, "--optimizer is sgd or adam, not '%s'", a->optimizer);
        c->opt.kind = strcmp(a->optimizer, "sgd") ? RT_OPT_ADAM : RT_OPT_SGD;
    }
    if (a->given & OPT_LR)
        c->opt.lr = a->lr;
    if (a->given & OPT_CLIP)
        c->clip = a->clip;
    if (a->given & OPT_VALID)
        c->valid = a->valid;
    if (a->given & OPT_BATCH)
        c->batch = a->batch;
    if (a->given & OPT_BPTT)
        c->bptt = a->bptt;
    if (a->given & OPT_EPOCHS)
        c->epochs = a->epochs;
    if (a->given & OPT_SEED)
        c->seed = (uint64_t)a->seed;
    if (a->given & OPT_CKPT_EVERY)
        c->every = a->checkpoint_every;
    if (!(c->opt.lr > 0) || c->batch < 1 || c->batch > (1 << 24) || c->epochs < 1 || c->epochs > INT32_MAX ||
        c->every < 1 || !(c->valid >= 0 && c->valid < 1) || c->clip < 0)
        return rt_usage_error(a, "%s", "need lr > 0, 1 <= batch <= 2^24, 1 <= epochs < 2^31, checkpoint-every >= 1, "
                                       "0 <= valid < 1 and clip >= 0");
    return 0;
}

/* ---- data --------------------------------------------------------------- */

static int read_text(const char *path, Source *s, double valid, int64_t batch, int64_t bptt, rt_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err->msg, sizeof err->msg, "%s: cannot open", path);
        return -1;
    }
    int64_t cap = 1 << 16;
    s->bytes = malloc((size_t)cap);
    for (size_t got; s->bytes && (got = fread(s->bytes + s->len, 1, (size_t)(cap - s->len), f)) > 0;) {
        s->len += (int64_t)got;
        if (s->len == cap) {
            unsigned char *grown = realloc(s->bytes, (size_t)(cap *= 2));
            if (!grown)
                free(s->bytes);
            s->bytes = grown;
        }
    }
    bool failed = ferror(f) || !s->bytes;
    fclose(f);
    if (failed) {
        snprintf(err->msg, sizeof err->msg, "%s: cannot read", path);
        return -1;
    }
    s->text = true;
    s->train_len = s->len - (int64_t)ceil(valid * (double)s->len);
    s->stream = (s->train_len - 1) / batch;
    if (s->stream < 1) {
        snprintf(err->msg, sizeof err->msg, "%s: %lld bytes of training text cannot fill %lld streams", path,
                 (long long)s->train_len, (long long)batch);
        return -1;
    }
    (void)bptt;
    return 0;
}

static int load_source(const rt_model *m, const rt_args *a, Config *c, Source *s, rt_error *err) {
    memset(s, 0, sizeof *s);
    if (a->text) {
        if (!m->input.token || !m->input.seq || !m->target.token || !m->target.seq || m->input.size != 256 ||
            m->target.size != 256) {
            snprintf(err->msg, sizeof err->msg, "--text reads bytes: the model's input and target must be seq token(256)");
            return -1;
        }
        return read_text(a->text, s, c->valid, c->batch, c->bptt, err);
    }
    if (rt_data_load_pair(m, a->input, a->target, &s->x, &s->y, err))
        return -1;
    s->nvalid = (int64_t)ceil(c->valid * (double)s->x.B);
    s->ntrain = s->x.B - s->nvalid;
    if (c->batch > s->ntrain) /* no batch holds more than there is */
        c->batch = s->ntrain > 0 ? s->ntrain : 1;
    if (s->ntrain < 1) {
        snprintf(err->msg, sizeof err->msg, "%s: no sequence is left to train on after %lld for validation", a->input,
                 (long long)s->nvalid);
        return -1;
    }
    return 0;
}

static int64_t steps_per_seq(const Run *r) { return r->src.text ? r->src.stream : r->src.x.T; }

static int64_t window_len(const Run *r) {
    int64_t T = steps_per_seq(r);
    return r->cfg.bptt > 0 && r->cfg.bptt < T && r->m->output.seq ? r->cfg.bptt : T;
}

static int64_t batches_per_epoch(const Run *r) {
    return r->src.text ? 1 : (r->src.ntrain + r->cfg.batch - 1) / r->cfg.batch;
}

static int64_t windows_per_batch(const Run *r) {
    int64_t w = window_len(r);
    return (steps_per_seq(r) + w - 1) / w;
}

/* The epoch's order: Fisher-Yates from a stream seeded by seed and epoch. */
static void shuffle(Run *r, int64_t epoch) {
    rt_rng g;
    rt_rng_seed(&g, r->cfg.seed * 0x9E3779B97F4A7C15ULL + (uint64_t)epoch);
    for (int64_t i = 0; i < r->src.ntrain; i++)
        r->perm[i] = i;
    for (int64_t i = r->src.ntrain - 1; i > 0; i--) {
        int64_t j = (int64_t)(rt_rng_next(&g) % (uint64_t)(i + 1)), tmp = r->perm[i];
        r->perm[i] = r->perm[j];
        r->perm[j] = tmp;
    }
}

/* Copy window [t0, t0 + len) of batch b into the window buffers; returns B. */
static int64_t fill_window(Run *r, int64_t batch, int64_t t0, int64_t len) {
    const Source *s = &r->src;
    if (s->text) {
        for (int64_t b = 0; b < r->cfg.batch; b++)
            for (int64_t t = 0; t < len; t++) {
                int64_t at = b * s->stream + t0 + t;
                r->xt[b * len + t] = s->bytes[at];
                r->yt[b * len + t] = s->bytes[at + 1];
            }
        return r->cfg.batch;
    }
    int64_t first = batch * r->cfg.batch, B = s->ntrain - first < r->cfg.batch ? s->ntrain - first : r->cfg.batch;
    int64_t T = s->x.T, w = s->x.width, wy = s->y.width;
    for (int64_t b = 0; b < B; b++) {
        int64_t seq = r->perm[first + b];
        if (s->x.tokens)
            memcpy(r->xt + b * len, s->x.tokens + seq * T + t0, sizeof(int32_t) * (size_t)len);
        else
            memcpy(r->xw + b * len * w, s->x.floats + (seq * T + t0) * w, sizeof(float) * (size_t)(len * w));
        int64_t ty = r->m->target.seq ? len : 1, y0 = r->m->target.seq ? seq * T + t0 : seq;
        if (s->y.tokens)
            memcpy(r->yt + b * ty, s->y.tokens + y0, sizeof(int32_t) * (size_t)ty);
        else
            memcpy(r->yw + b * ty * wy, s->y.floats + y0 * wy, sizeof(float) * (size_t)(ty * wy));
    }
    return B;
}

/* ---- reporting ---------------------------------------------------------- */

static void print_metrics(const rt_model *m, double loss) {
    fprintf(stderr, "loss %.4f", loss);
    if (m->loss == RT_LOSS_CROSS_ENTROPY)
        fprintf(stderr, "  bpc %.4f  ppl %.3f", loss / log(2.0), exp(loss));
}

static void progress(Run *r, bool force) {
    double t = now();
    if (!force && t - r->last_print < 1.0)
        return;
    r->last_print = t;
    double loss = r->recent.count ? r->recent.total / (double)r->recent.count : NAN, rate = r->tokens / (t - r->t0);
    double eta = r->steps_done ? (t - r->t0) / (double)r->steps_done * (r->total_steps - (double)r->o.steps) : 0;
    fprintf(stderr, "epoch %lld/%lld  step %lld/%.0f  ", (long long)r->ck.pos.epoch + 1, (long long)r->cfg.epochs,
            (long long)r->o.steps, r->total_steps);
    print_metrics(r->m, loss);
    fprintf(stderr, "  %.0f tokens/s  eta %.0fs\n", rate, eta);
    r->recent = (rt_loss_sum){0};
}

/* Validation loss: npy sequences whole through forward; text as one stream
 * in windows with the state carried. */
static int validate(Run *r, rt_error *err) {
    rt_loss_sum s = {0};
    const rt_model *m = r->m;
    if (!r->src.text) {
        if (!r->src.nvalid)
            return 0;
        rt_data vx = r->src.x;
        vx.B = r->src.nvalid;
        if (vx.tokens)
            vx.tokens += r->src.ntrain * vx.T;
        else
            vx.floats += r->src.ntrain * vx.T * vx.width;
        int64_t rows = vx.B * (m->output.seq ? vx.T : 1);
        float *out = malloc(sizeof(float) * (size_t)(rows * m->output.size + 1));
        if (!out || rt_run_forward(m, &r->p, &vx, out, err)) {
            free(out);
            return -1;
        }
        int64_t y0 = r->src.ntrain * (m->target.seq ? vx.T : 1);
        if (m->loss == RT_LOSS_CROSS_ENTROPY)
            rt_cross_entropy(out, r->src.y.tokens + y0, rows, m->output.size, &s);
        else
            rt_mse(out, r->src.y.floats + y0 * r->src.y.width, rows * m->output.size, &s);
        free(out);
    } else {
        int64_t start = r->src.train_len, n = r->src.len - start - 1, w = window_len(r);
        if (n < 1)
            return 0;
        rt_train_ctx ctx = r->t.ctx;
        ctx.training = 0;
        ctx.state = m->state_floats ? r->t.state : NULL;
        memset(r->t.state, 0, sizeof(float) * (size_t)m->state_floats);
        for (int64_t t0 = 0; t0 < n; t0 += w) {
            int64_t len = n - t0 < w ? n - t0 : w;
            for (int64_t t = 0; t < len; t++) {
                r->xt[t] = r->src.bytes[start + t0 + t];
                r->yt[t] = r->src.bytes[start + t0 + t + 1];
            }
            m->forward_train(r->p.data, r->xt, 1, len, r->t.out, r->t.ws, &ctx);
            rt_cross_entropy(r->t.out, r->yt, len, m->output.size, &s);
        }
    }
    fprintf(stderr, "epoch %lld/%lld  validation  ", (long long)r->ck.pos.epoch + 1, (long long)r->cfg.epochs);
    print_metrics(m, s.count ? s.total / (double)s.count : NAN);
    fputc('\n', stderr);
    return 0;
}

/* ---- the loop ----------------------------------------------------------- */

static int checkpoint(Run *r, rt_error *err) {
    memcpy(r->ck.rng, r->t.ctx.rng, sizeof r->ck.rng);
    r->ck.carry = r->t.state;
    r->ck.batch = r->cfg.batch;
    return rt_checkpoint_save(r->cfg.ckpt, r->m, &r->p, &r->o, &r->ck, err);
}

/* One window: forward, loss, backward, clip, update. */
static int step(Run *r, int64_t batch, int64_t window, rt_error *err) {
    int64_t w = window_len(r), t0 = window * w, T = steps_per_seq(r);
    int64_t len = T - t0 < w ? T - t0 : w;
    int64_t B = fill_window(r, batch, t0, len);
    const void *x = r->m->input.token ? (const void *)r->xt : (const void *)r->xw;
    const void *y = r->m->target.token ? (const void *)r->yt : (const void *)r->yw;
    rt_grads_zero(&r->t);
    rt_loss_sum s = {0};
    double loss = rt_train_pass(&r->t, r->p.data, x, y, B, len, &s);
    r->tokens += B * len;
    if (s.count == 0)
        return 0; /* every target of the window is -100: nothing to learn */
    if (!isfinite(loss)) {
        snprintf(err->msg, sizeof err->msg,
                 "the loss is %s at epoch %lld, step %lld; training stopped, and the last good checkpoint, %s, is kept",
                 isnan(loss) ? "NaN" : "infinite", (long long)r->ck.pos.epoch + 1, (long long)r->o.steps + 1,
                 r->cfg.ckpt);
        return -1;
    }
    double norm = rt_clip_grad_norm(r->m, r->t.grads.data, r->cfg.clip);
    if (!isfinite(norm)) {
        snprintf(err->msg, sizeof err->msg,
                 "the gradient is not finite at epoch %lld, step %lld; training stopped, and the last good checkpoint, %s, "
                 "is kept", (long long)r->ck.pos.epoch + 1, (long long)r->o.steps + 1, r->cfg.ckpt);
        return -1;
    }
    rt_optim_step(&r->o, r->m, r->p.data, r->t.grads.data);
    r->recent.total += s.total;
    r->recent.count += s.count;
    r->steps_done++;
    return 0;
}

static int train_loop(Run *r, rt_error *err) {
    int64_t nb = batches_per_epoch(r), nw = windows_per_batch(r);
    rt_position *pos = &r->ck.pos;
    r->total_steps = (double)r->cfg.epochs * (double)nb * (double)nw;
    while (pos->epoch < r->cfg.epochs) {
        if (!r->src.text)
            shuffle(r, pos->epoch);
        for (; pos->batch < nb; pos->batch++, pos->window = 0) {
            if (pos->window == 0) /* a batch starts from zero states */
                memset(r->t.state, 0, sizeof(float) * (size_t)(r->cfg.batch * r->m->state_floats));
            while (pos->window < nw) {
                if (step(r, pos->batch, pos->window, err))
                    return -1;
                pos->window++;
                progress(r, false);
                if (r->o.steps % r->cfg.every == 0 && checkpoint(r, err))
                    return -1;
            }
        }
        progress(r, true);
        if (validate(r, err))
            return -1;
        *pos = (rt_position){pos->epoch + 1, 0, 0};
        if (checkpoint(r, err))
            return -1;
    }
    return 0;
}

/* ---- setup -------------------------------------------------------------- */

/* Fail now, not after the last epoch, when an output cannot be written. */
static int writable(const char *path, rt_error *err) {
    size_t n = strlen(path) + 5;
    char *tmp = malloc(n);
    FILE *f = tmp ? (snprintf(tmp, n, "%s.tmp", path), fopen(tmp, "wb")) : NULL;
    if (f) {
        fclose(f);
        remove(tmp);
    } else {
        snprintf(err->msg, sizeof err->msg, "%s: cannot write here", path);
    }
    free(tmp);
    return f ? 0 : -1;
}

static int setup(Run *r, const rt_args *a, rt_error *err) {
    const rt_model *m = r->m;
    if (writable(a->out, err) || writable(r->cfg.ckpt, err))
        return -1;
    if (a->weights ? rt_params_load(m, a->weights, &r->p, err) : rt_params_init(m, r->cfg.seed, &r->p, err))
        return -1;
    if (load_source(m, a, &r->cfg, &r->src, err))
        return -1;
    int64_t w = window_len(r), B = r->cfg.batch;
    int64_t xw = m->input.token ? 1 : m->input.size, yw = m->target.token ? 1 : m->target.size;
    r->perm = malloc(sizeof(int64_t) * (size_t)(r->src.ntrain + 1));
    r->xw = malloc(sizeof(float) * (size_t)(B * w * xw + 1));
    r->yw = malloc(sizeof(float) * (size_t)(B * w * yw + 1));
    r->xt = malloc(sizeof(int32_t) * (size_t)(B * w + 1));
    r->yt = malloc(sizeof(int32_t) * (size_t)(B * w + 1));
    if (!r->perm || !r->xw || !r->yw || !r->xt || !r->yt) {
        snprintf(err->msg, sizeof err->msg, "out of memory for the training data");
        return -1;
    }
    if (rt_trainer_init(&r->t, m, B, w, err) || rt_optim_init(&r->o, m, &r->cfg.opt, err))
        return -1;
    r->t.ctx.training = 1;
    rt_rng g;
    rt_rng_seed(&g, r->cfg.seed ^ 0xD1B54A32D192ED03ULL);
    memcpy(r->t.ctx.rng, g.s, sizeof g.s);
    memset(r->t.state, 0, sizeof(float) * (size_t)(B * m->state_floats));
    r->ck.carry_floats = B * m->state_floats;
    if (!a->resume)
        return 0;
    rt_checkpoint c = {0};
    if (rt_checkpoint_load(a->resume, m, &r->p, &r->o, &c, err))
        return -1;
    int rc = 0;
    if (c.carry_floats != r->ck.carry_floats || c.batch != B) {
        snprintf(err->msg, sizeof err->msg, "%s: the checkpoint was written with batch %lld, not %lld", a->resume,
                 (long long)c.batch, (long long)B);
        rc = -1;
    } else {
        if (c.carry_floats)
            memcpy(r->t.state, c.carry, sizeof(float) * (size_t)c.carry_floats);
        memcpy(r->t.ctx.rng, c.rng, sizeof c.rng);
        r->ck.pos = c.pos;
    }
    free(c.carry);
    return rc;
}

static void teardown(Run *r) {
    rt_params_free(&r->p);
    rt_trainer_free(&r->t);
    rt_optim_free(&r->o);
    rt_data_free(&r->src.x);
    rt_data_free(&r->src.y);
    free(r->src.bytes);
    free(r->perm);
    free(r->xw);
    free(r->yw);
    free(r->xt);
    free(r->yt);
}

int rt_cmd_train(const rt_model *m, const rt_args *a) {
    if (!a->out || (!a->text && (!a->input || !a->target)) || (a->text && (a->input || a->target)))
        return rt_usage_error(a, "%s", "train needs -o, and either --input with --target or --text");
    if (a->weights && a->resume)
        return rt_usage_error(a, "%s", "--resume continues from its own weights; drop --weights");
    Run r = {.m = m};
    int rc = configure(m, a, &r.cfg);
    if (rc)
        return rc;
    char *ckpt = NULL;
    if (a->checkpoint) {
        r.cfg.ckpt = a->checkpoint;
    } else if ((ckpt = malloc(strlen(a->out) + 6))) {
        sprintf(ckpt, "%s.ckpt", a->out);
        r.cfg.ckpt = ckpt;
    }
    rt_error err = {{0}};
    r.t0 = r.last_print = now();
    rc = !ckpt && !a->checkpoint ? -1 : setup(&r, a, &err);
    if (!rc)
        rc = train_loop(&r, &err);
    if (!rc)
        rc = rt_params_save(m, &r.p, a->out, &err);
    teardown(&r);
    free(ckpt);
    if (rc && !err.msg[0])
        snprintf(err.msg, sizeof err.msg, "out of memory");
    return rc ? rt_fail(a, err.msg) : 0;
}
