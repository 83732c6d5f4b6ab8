/* cmd_train.c - PROG train (docs/programs.md).
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
 * to the same bits.
 * Across ranks (docs/mpi.md, rt_dist.h) each global batch is split in
 * rank order; every rank reads only its own sequences (npy values by
 * offset, --text its streams' bytes), keeps its own carried states, and
 * takes the same update from the summed gradients (grad_sum.c). Rank 0
 * alone validates, prints and writes; a checkpoint holds the whole batch's
 * carried states, gathered, so it resumes under any number of ranks. A
 * failure only one rank sees ends every rank (rt_dist_abort). */
#include "rt_checkpoint.h"
#include "rt_driver.h"
#include "rt_file.h"
#include "rt_text.h"
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
    rt_data x, y;              /* npy, opened: read by offset */
    rt_data vx, vy;            /* npy validation sequences, loaded (rank 0) */
    int64_t ntrain, nvalid;    /* npy: sequences */
    rt_text corpus;            /* --text: this rank's streams (rank 0: and validation) */
    rt_lengths lengths;        /* --lengths: every sequence's (len NULL: all T) */
} Source;

typedef struct Run {
    const rt_model *m;
    Config cfg;
    Source src;
    rt_params p;
    rt_trainer t;
    rt_optim o;
    rt_checkpoint ck;
    int rank, ranks;
    bool collective;           /* the error is every rank's, not this one's */
    int64_t *perm;             /* this epoch's order of training sequences */
    float *carry, *gathered;   /* rank 0: the whole batch's carried states, and as sent */
    float *xw, *yw;            /* one window's floats (or ids) */
    int32_t *xt, *yt;
    int32_t *lw;               /* one window's valid steps per sequence */
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

/* Each value within its range, or a usage error naming its flag. */
static int check_ranges(const rt_args *a, const Config *c) {
    if (!(c->opt.lr > 0))
        return rt_usage_error(a, "--lr must be greater than 0, not %g", c->opt.lr);
    if (c->batch < 1 || c->batch > (1 << 24))
        return rt_usage_error(a, "--batch must be in [1, 16777216], not %lld", (long long)c->batch);
    if (c->epochs < 1 || c->epochs > INT32_MAX)
        return rt_usage_error(a, "--epochs must be in [1, 2147483647], not %lld", (long long)c->epochs);
    if (c->every < 1)
        return rt_usage_error(a, "--checkpoint-every must be at least 1, not %lld", (long long)c->every);
    if (!(c->valid >= 0 && c->valid < 1))
        return rt_usage_error(a, "--valid must be in [0, 1), not %g", c->valid);
    if (!(c->clip >= 0))
        return rt_usage_error(a, "--clip must be 0 (no clipping) or more, not %g", c->clip);
    return 0;
}

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
    return check_ranges(a, c);
}

/* ---- data --------------------------------------------------------------- */

/* The validation sequences, the last nvalid, into memory. */
static int load_validation(const rt_model *m, Source *s, rt_error *err) {
    rt_data *d[] = {&s->x, &s->y}, *v[] = {&s->vx, &s->vy};
    for (int i = 0; i < 2; i++) {
        int64_t per = d[i]->T * d[i]->width, n = s->nvalid * per;
        *v[i] = (rt_data){.B = s->nvalid, .T = d[i]->T, .width = d[i]->width, .type = d[i]->type};
        bool token = i ? m->target.token : m->input.token;
        void *buf = token ? (void *)(v[i]->tokens = malloc(sizeof(int32_t) * (size_t)(n + 1)))
                          : (void *)(v[i]->floats = rt_alloc_floats((size_t)n));
        if (!buf) {
            snprintf(err->msg, sizeof err->msg, "out of memory for the validation data");
            return -1;
        }
        if (rt_data_read(d[i], s->ntrain * per, n, buf, err))
            return -1;
    }
    s->vx.lengths = s->lengths.len ? s->lengths.len + s->ntrain : NULL;
    return 0;
}

static int load_source(const rt_model *m, const rt_args *a, Config *c, const rt_lengths *lengths, Source *s,
                       rt_error *err) {
    memset(s, 0, sizeof *s);
    s->lengths = *lengths; /* owned from here */
    if (a->text) {
        if (!m->input.token || !m->input.seq || !m->target.token || !m->target.seq || m->input.size != 256 ||
            m->target.size != 256) {
            snprintf(err->msg, sizeof err->msg, "--text reads bytes: the model's input and target must be seq token(256)");
            return -1;
        }
        s->text = true;
        return rt_text_open(a->text, c->valid, c->batch, rt_dist_rank(), rt_dist_size(), rt_dist_rank() == 0,
                            &s->corpus, err);
    }
    if (rt_data_open_pair(m, a->input, a->target, s->lengths.len ? &s->lengths : NULL, &s->x, &s->y, err))
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
    return rt_dist_rank() == 0 && s->nvalid ? load_validation(m, s, err) : 0;
}

static int64_t steps_per_seq(const Run *r) { return r->src.text ? r->src.corpus.stream : r->src.x.T; }

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

/* With lengths: the n sequences of a batch, longest first (a stable
 * insertion sort: equal lengths keep their order), so that the steps past
 * the shorter ones' ends compute fewer rows. */
static void longest_first(int64_t *seqs, int64_t n, const int32_t *len) {
    for (int64_t i = 1; i < n; i++) {
        int64_t s = seqs[i], j = i;
        for (; j > 0 && len[seqs[j - 1]] < len[s]; j--)
            seqs[j] = seqs[j - 1];
        seqs[j] = s;
    }
}

/* The epoch's order: Fisher-Yates from a stream seeded by seed and epoch;
 * with lengths, each batch then longest first. */
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
    for (int64_t first = 0; r->src.lengths.len && first < r->src.ntrain; first += r->cfg.batch)
        longest_first(r->perm + first, r->src.ntrain - first < r->cfg.batch ? r->src.ntrain - first : r->cfg.batch,
                      r->src.lengths.len);
}

/* The sequences of batch `batch` (all of them, across ranks). */
static int64_t global_batch(const Run *r, int64_t batch) {
    if (r->src.text)
        return r->cfg.batch;
    int64_t first = batch * r->cfg.batch;
    return r->src.ntrain - first < r->cfg.batch ? r->src.ntrain - first : r->cfg.batch;
}

/* Copy window [t0, t0 + len) of this rank's share of batch `batch` into the
 * window buffers, and each sequence's valid steps in it into r->lw; *B gets
 * the share's size, *first its place in the batch. Returns the valid steps
 * of the share, or -1. */
static int64_t fill_window(Run *r, int64_t batch, int64_t t0, int64_t len, int64_t *B, int64_t *first, rt_error *err) {
    const Source *s = &r->src;
    rt_dist_share_of(global_batch(r, batch), r->rank, r->ranks, first, B);
    if (s->text) {
        for (int64_t b = 0; b < *B; b++)
            for (int64_t t = 0; t < len; t++) {
                int64_t at = b * s->corpus.stream + t0 + t;
                r->xt[b * len + t] = s->corpus.bytes[at];
                r->yt[b * len + t] = s->corpus.bytes[at + 1];
            }
        return *B * len;
    }
    int64_t T = s->x.T, w = s->x.width, wy = s->y.width;
    for (int64_t b = 0; b < *B; b++) {
        int64_t seq = r->perm[batch * r->cfg.batch + *first + b];
        void *xd = r->m->input.token ? (void *)(r->xt + b * len) : (void *)(r->xw + b * len * w);
        int64_t ty = r->m->target.seq ? len : 1, y0 = r->m->target.seq ? seq * T + t0 : seq;
        void *yd = r->m->target.token ? (void *)(r->yt + b * ty) : (void *)(r->yw + b * ty * wy);
        if (rt_data_read(&s->x, (seq * T + t0) * w, len * w, xd, err) || rt_data_read(&s->y, y0 * wy, ty * wy, yd, err))
            return -1;
        rt_lengths_window(s->lengths.len ? s->lengths.len + seq : NULL, 1, t0, len, r->lw + b);
    }
    return rt_valid_steps(r->lw, *B, len);
}

/* ---- reporting ---------------------------------------------------------- */

static void print_metrics(const rt_model *m, double loss) {
    fprintf(stderr, "loss %.4f", loss);
    if (m->loss == RT_LOSS_CROSS_ENTROPY)
        fprintf(stderr, "  bpc %.4f  ppl %.3f", loss / log(2.0), exp(loss));
}

static void progress(Run *r, bool force) {
    double t = now();
    if ((!force && t - r->last_print < 1.0) || (force && r->recent.count == 0))
        return; /* forced at an epoch's end: unless the last line already said it all */
    r->last_print = t;
    double loss = r->recent.count ? r->recent.total / (double)r->recent.count : NAN, rate = r->tokens / (t - r->t0);
    if (r->rank != 0)
        return;
    double eta = r->steps_done ? (t - r->t0) / (double)r->steps_done * (r->total_steps - (double)r->o.steps) : 0;
    fprintf(stderr, "epoch %lld/%lld  step %lld/%.0f  ", (long long)r->ck.pos.epoch + 1, (long long)r->cfg.epochs,
            (long long)r->o.steps, r->total_steps);
    print_metrics(r->m, loss);
    fprintf(stderr, "  %.0f tokens/s  eta %.0fs", rate, eta);
    if (r->ranks > 1) /* rank 0's time in the all-reduce, waiting for the others included */
        fprintf(stderr, "  all-reduce %.1f%%", 100 * rt_grads_sum_seconds() / (t - r->t0));
    fputs("\n", stderr);
    r->recent = (rt_loss_sum){0};
}

/* Validation loss: npy sequences whole through forward; text as one stream
 * in windows with the state carried. */
static int validate(Run *r, rt_error *err) {
    rt_loss_sum s = {0};
    const rt_model *m = r->m;
    if (r->rank != 0)
        return 0;
    if (!r->src.text) {
        if (!r->src.nvalid)
            return 0;
        const rt_data vx = r->src.vx;
        int64_t rows = vx.B * (m->output.seq ? vx.T : 1);
        float *out = malloc(sizeof(float) * (size_t)(rows * m->output.size + 1));
        if (!out || rt_run_forward(m, &r->p, &vx, out, err)) {
            free(out);
            return -1;
        }
        if (m->loss == RT_LOSS_CROSS_ENTROPY)
            rt_cross_entropy(out, r->src.vy.tokens, rows, m->output.size, &s);
        else
            rt_mse(out, r->src.vy.floats, rows * m->output.size,
                   (m->output.seq ? rt_valid_steps(vx.lengths, vx.B, vx.T) : vx.B) * m->output.size, &s);
        free(out);
    } else {
        int64_t n = r->src.corpus.len - r->src.corpus.train_len - 1, w = window_len(r);
        if (n < 1)
            return 0;
        rt_train_ctx ctx = r->t.ctx;
        ctx.training = 0;
        ctx.state = m->state_floats ? r->t.state : NULL;
        memset(r->t.state, 0, sizeof(float) * (size_t)m->state_floats);
        for (int64_t t0 = 0; t0 < n; t0 += w) {
            int64_t len = n - t0 < w ? n - t0 : w;
            for (int64_t t = 0; t < len; t++) {
                r->xt[t] = r->src.corpus.vbytes[t0 + t];
                r->yt[t] = r->src.corpus.vbytes[t0 + t + 1];
            }
            m->forward_train(r->p.data, r->xt, NULL, 1, len, r->t.out, r->t.ws, &ctx);
            rt_cross_entropy(r->t.out, r->yt, len, m->output.size, &s);
        }
    }
    fprintf(stderr, "epoch %lld/%lld  validation  ", (long long)r->ck.pos.epoch + 1, (long long)r->cfg.epochs);
    print_metrics(m, s.count ? s.total / (double)s.count : NAN);
    fputc('\n', stderr);
    return 0;
}

/* ---- the loop ----------------------------------------------------------- */

/* Between the whole batch's carried states (Bg sequences: block k of
 * [Bg][size k] after Bg times the sizes before it) and those of the B
 * sequences from `first` (the same blocks for B). */
static void carry_rows(const rt_model *m, float *whole, int64_t Bg, float *part, int64_t first, int64_t B,
                       bool to_part) {
    for (int64_t k = 0, before = 0; k < m->ncarry; before += m->carry_sizes[k++]) {
        int64_t size = m->carry_sizes[k];
        float *w = whole + Bg * before + first * size, *p = part + B * before;
        memcpy(to_part ? p : w, to_part ? w : p, sizeof(float) * (size_t)(B * size));
    }
}

/* Every rank's carried states into rank 0's r->carry, as one batch. */
static void gather_carry(Run *r) {
    int64_t Bg = global_batch(r, r->ck.pos.batch), SF = r->m->state_floats, first, B;
    int64_t *counts = r->rank == 0 ? malloc(sizeof(int64_t) * (size_t)r->ranks) : NULL;
    if (r->rank == 0 && !counts)
        rt_dist_abort("error: out of memory for a checkpoint");
    for (int k = 0; counts && k < r->ranks; k++) {
        rt_dist_share_of(Bg, k, r->ranks, &first, &B);
        counts[k] = B * SF;
    }
    rt_dist_share_of(Bg, r->rank, r->ranks, &first, &B);
    rt_dist_gather(r->t.state, B * SF, r->rank == 0 ? r->gathered : NULL, counts);
    for (int64_t k = 0, at = 0; counts && k < r->ranks; at += counts[k++]) {
        rt_dist_share_of(Bg, (int)k, r->ranks, &first, &B);
        carry_rows(r->m, r->carry, Bg, r->gathered + at, first, B, false);
    }
    free(counts);
}

/* Collective: every rank sends its states; rank 0 writes. */
static int checkpoint(Run *r, rt_error *err) {
    if (r->m->state_floats)
        gather_carry(r);
    if (r->rank != 0)
        return 0;
    memcpy(r->ck.rng, r->t.ctx.rng, sizeof r->ck.rng);
    r->ck.carry = r->carry;
    r->ck.batch = r->cfg.batch;
    return rt_checkpoint_save(r->cfg.ckpt, r->m, &r->p, &r->o, &r->ck, err);
}

/* One window: forward, loss, backward, the sum over ranks, clip, update. */
static int step(Run *r, int64_t batch, int64_t window, rt_error *err) {
    int64_t w = window_len(r), t0 = window * w, T = steps_per_seq(r);
    int64_t len = T - t0 < w ? T - t0 : w, B, first;
    int64_t valid = fill_window(r, batch, t0, len, &B, &first, err);
    if (valid < 0)
        return -1;
    const void *x = r->m->input.token ? (const void *)r->xt : (const void *)r->xw;
    const void *y = r->m->target.token ? (const void *)r->yt : (const void *)r->yw;
    rt_grads_zero(&r->t);
    rt_trainer_window(&r->t, first);
    rt_loss_sum s = {0};
    rt_train_pass(&r->t, r->p.data, x, y, valid < B * len ? r->lw : NULL, B, len, &s);
    int64_t tokens = valid;
    rt_grads_sum_ranks(&r->t, &s, &tokens);
    r->tokens += tokens;
    if (s.count == 0)
        return 0; /* every target of the window is -100: nothing to learn */
    double loss = s.total / (double)s.count;
    r->collective = true; /* the sums are every rank's */
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
    r->collective = false;
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
                memset(r->t.state, 0, sizeof(float) * (size_t)(r->t.B * r->m->state_floats));
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

/* The buffers of one window of this rank's share of a batch. */
static int alloc_windows(Run *r, rt_error *err) {
    const rt_model *m = r->m;
    int64_t w = window_len(r), B = (r->cfg.batch + r->ranks - 1) / r->ranks, whole = r->cfg.batch * m->state_floats;
    int64_t xw = m->input.token ? 1 : m->input.size, yw = m->target.token ? 1 : m->target.size;
    r->perm = malloc(sizeof(int64_t) * (size_t)(r->src.ntrain + 1));
    r->xw = malloc(sizeof(float) * (size_t)(B * w * xw + 1));
    r->yw = malloc(sizeof(float) * (size_t)(B * w * yw + 1));
    r->xt = malloc(sizeof(int32_t) * (size_t)(B * w + 1));
    r->yt = malloc(sizeof(int32_t) * (size_t)(B * w + 1));
    r->lw = malloc(sizeof(int32_t) * (size_t)(B + 1));
    r->carry = calloc((size_t)(r->rank == 0 ? whole : 0) + 1, sizeof(float));
    r->gathered = malloc(sizeof(float) * (size_t)((r->rank == 0 ? whole : 0) + 1));
    if (!r->perm || !r->xw || !r->yw || !r->xt || !r->yt || !r->lw || !r->carry || !r->gathered) {
        snprintf(err->msg, sizeof err->msg, "out of memory for the training data");
        return -1;
    }
    return rt_trainer_init(&r->t, m, B, w, err);
}

/* Continue from a checkpoint: every rank reads it and takes its own rows
 * of the carried states. */
static int resume(Run *r, const char *path, rt_error *err) {
    rt_checkpoint c = {0};
    if (rt_checkpoint_load(path, r->m, &r->p, &r->o, &c, err))
        return -1;
    int rc = 0;
    if (c.carry_floats != r->ck.carry_floats || c.batch != r->cfg.batch) {
        snprintf(err->msg, sizeof err->msg, "%s: the checkpoint was written with batch %lld, not %lld", path,
                 (long long)c.batch, (long long)r->cfg.batch);
        rc = -1;
    } else {
        r->ck.pos = c.pos;
        int64_t first, B, Bg = global_batch(r, c.pos.batch < batches_per_epoch(r) ? c.pos.batch : 0);
        rt_dist_share_of(Bg, r->rank, r->ranks, &first, &B);
        if (c.carry_floats)
            carry_rows(r->m, c.carry, Bg, r->t.state, first, B, true);
        memcpy(r->t.ctx.rng, c.rng, sizeof c.rng);
        if (r->rank == 0) /* in the progress line's terms */
            fprintf(stderr, "resuming from %s at epoch %lld/%lld, step %lld (batch %lld of the epoch, window %lld)\n",
                    path, (long long)c.pos.epoch + 1, (long long)r->cfg.epochs, (long long)r->o.steps,
                    (long long)c.pos.batch + 1, (long long)c.pos.window + 1);
    }
    free(c.carry);
    return rc;
}

static int setup(Run *r, const rt_args *a, rt_lengths *lengths, rt_error *err) {
    const rt_model *m = r->m;
    if ((r->rank == 0 && (rt_check_writable(a->out, err) || rt_check_writable(r->cfg.ckpt, err))) ||
        (a->weights ? rt_params_load(m, a->weights, &r->p, err) : rt_params_init(m, r->cfg.seed, &r->p, err))) {
        rt_lengths_free(lengths);
        return -1;
    }
    if (load_source(m, a, &r->cfg, lengths, &r->src, err) || alloc_windows(r, err) ||
        rt_optim_init(&r->o, m, &r->cfg.opt, err))
        return -1;
    r->t.ctx.training = 1;
    rt_rng g;
    rt_rng_seed(&g, r->cfg.seed ^ 0xD1B54A32D192ED03ULL);
    memcpy(r->t.ctx.rng, g.s, sizeof g.s);
    memset(r->t.state, 0, sizeof(float) * (size_t)(r->t.B * m->state_floats));
    r->ck.carry_floats = r->cfg.batch * m->state_floats;
    return a->resume ? resume(r, a->resume, err) : 0;
}

static void teardown(Run *r) {
    rt_params_free(&r->p);
    rt_trainer_free(&r->t);
    rt_optim_free(&r->o);
    rt_data_free(&r->src.x);
    rt_data_free(&r->src.y);
    rt_data_free(&r->src.vx);
    rt_data_free(&r->src.vy);
    rt_text_free(&r->src.corpus);
    free(r->carry);
    free(r->gathered);
    free(r->perm);
    free(r->xw);
    free(r->yw);
    free(r->xt);
    free(r->yt);
    free(r->lw);
    rt_lengths_free(&r->src.lengths);
}

int rt_cmd_train(const rt_model *m, const rt_args *a) {
    if (!a->out || (!a->text && (!a->input || !a->target)) || (a->text && (a->input || a->target)))
        return rt_usage_error(a, "%s", "train needs -o, and either --input with --target or --text");
    if (a->weights && a->resume)
        return rt_usage_error(a, "%s", "--resume continues from its own weights; drop --weights");
    Run r = {.m = m, .rank = rt_dist_rank(), .ranks = rt_dist_size()};
    rt_error err = {{0}};
    rt_lengths lengths;
    int rc = configure(m, a, &r.cfg);
    if (!rc)
        rc = rt_lengths_arg(m, a, &lengths, &err);
    if (rc)
        return rc > 0 ? rc : rt_fail(a, err.msg);
    char *ckpt = NULL;
    if (a->checkpoint) {
        r.cfg.ckpt = a->checkpoint;
    } else if ((ckpt = malloc(strlen(a->out) + 6))) {
        sprintf(ckpt, "%s.ckpt", a->out);
        r.cfg.ckpt = ckpt;
    }
    r.t0 = r.last_print = now();
    rc = !ckpt && !a->checkpoint ? (rt_lengths_free(&lengths), -1) : setup(&r, a, &lengths, &err);
    int64_t T = rc ? 0 : steps_per_seq(&r);
    if (!rc && m->bidirectional && r.cfg.bptt > 0 && r.cfg.bptt < T) {
        teardown(&r);
        free(ckpt);
        return rt_usage_error(a, "--bptt %lld is shorter than the sequences (%lld steps), but the model is "
                              "bidirectional: a reversed pass over a window is not back-propagation through the "
                              "sequence; give --bptt %lld or more%s", (long long)r.cfg.bptt, (long long)T,
                              (long long)T,
                              a->text ? " (--text reads windows of 64 bytes by default)" : ", or no --bptt");
    }
    if (!rc)
        rc = train_loop(&r, &err);
    if (!rc && !rt_ranks_agree(r.m, &r.p)) {
        snprintf(err.msg, sizeof err.msg, "the ranks' weights differ after training (MPI's sums were not the same "
                                          "bits on every rank); nothing was written");
        r.collective = true;
        rc = -1;
    }
    if (!rc && r.rank == 0)
        rc = rt_params_save(m, &r.p, a->out, &err);
    teardown(&r);
    free(ckpt);
    if (rc && !err.msg[0])
        snprintf(err.msg, sizeof err.msg, "out of memory");
    if (rc && r.ranks > 1 && !r.collective) { /* only this rank knows: end them all */
        char msg[RT_ERR_LEN + 16];
        snprintf(msg, sizeof msg, "error: %s", err.msg);
        rt_dist_abort(msg);
    }
    return rc ? rt_fail(a, err.msg) : 0;
}
