/* checkpoint.c - write and read training checkpoints (rt_checkpoint.h).
 * Writing is atomic (rt_st_write), so a crash leaves the previous file. */
#include "rt_checkpoint.h"
#include "rt_file.h"
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *buffer_name(int kind, int b) {
    if (kind == RT_OPT_SGD)
        return "momentum_buffer";
    return b == 0 ? "exp_avg" : "exp_avg_sq";
}

/* "optim.BUFFER.PARAM", malloc'd. */
static char *optim_name(int kind, int b, const char *param) {
    char *name = malloc(strlen(param) + 32);
    if (name)
        sprintf(name, "optim.%s.%s", buffer_name(kind, b), param);
    return name;
}

/* FNV-1a over n bytes, continuing from h. */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ULL;
    return h;
}

/* The model's shape, as a hash: its name, input, target and output types,
 * parameters (names and shapes) and carried states. A checkpoint records
 * it, so that resuming another model's checkpoint says so. */
static uint64_t model_fingerprint(const rt_model *m) {
    uint64_t h = fnv(0xcbf29ce484222325ULL, m->name, strlen(m->name) + 1);
    const rt_type *types[] = {&m->input, &m->target, &m->output};
    for (int i = 0; i < 3; i++) {
        int64_t t[3] = {types[i]->seq, types[i]->token, types[i]->size};
        h = fnv(h, t, sizeof t);
    }
    for (int i = 0; i < m->nparams; i++) {
        const rt_param_info *pi = &m->params[i];
        int64_t shape[3] = {pi->rank, pi->dims[0], pi->rank > 1 ? pi->dims[1] : 0};
        h = fnv(fnv(h, pi->name, strlen(pi->name) + 1), shape, sizeof shape);
    }
    int64_t carried[2] = {m->state_floats, m->ncarry};
    return fnv(h, carried, sizeof carried);
}

static rt_tensor tensor(char *name, const rt_param_info *pi, float *data) {
    rt_tensor t = {name, RT_F32, pi->rank, {pi->dims[0], pi->dims[1]}, rt_param_count(pi), data};
    return t;
}

int rt_checkpoint_save(const char *path, const rt_model *m, const rt_params *p, const rt_optim *o,
                       const rt_checkpoint *c, rt_error *err) {
    int buffers = o->cfg.kind == RT_OPT_ADAM ? 2 : 1, n = 0;
    rt_tensor *t = calloc((size_t)(m->nparams * (1 + buffers) + 1), sizeof *t);
    char **names = calloc((size_t)(m->nparams * buffers + 1), sizeof *names);
    int rc = -1;
    if (!t || !names)
        goto done;
    for (int i = 0; i < m->nparams; i++)
        t[n++] = tensor((char *)m->params[i].name, &m->params[i], p->data[i]);
    for (int b = 0; b < buffers; b++)
        for (int i = 0; i < m->nparams; i++) {
            char *name = optim_name(o->cfg.kind, b, m->params[i].name);
            if (!name)
                goto done;
            names[b * m->nparams + i] = name;
            t[n++] = tensor(name, &m->params[i], o->buf[b][i]);
        }
    if (c->carry_floats)
        t[n++] = (rt_tensor){"optim.carry", RT_F32, 1, {c->carry_floats, 0}, c->carry_floats, c->carry};
    char values[9][64];
    snprintf(values[0], 64, "%" PRId64, c->pos.epoch);
    snprintf(values[1], 64, "%" PRId64, c->pos.batch);
    snprintf(values[2], 64, "%" PRId64, c->pos.window);
    snprintf(values[3], 64, "%" PRId64, o->steps);
    snprintf(values[4], 64, "%016" PRIx64 "%016" PRIx64, c->rng[0], c->rng[1]);
    snprintf(values[5], 64, "%016" PRIx64 "%016" PRIx64, c->rng[2], c->rng[3]);
    snprintf(values[6], 64, "%s", o->cfg.kind == RT_OPT_ADAM ? "adam" : "sgd");
    snprintf(values[7], 64, "%" PRId64, c->batch);
    snprintf(values[8], 64, "%016" PRIx64, model_fingerprint(m));
    rt_meta meta[] = {{"epoch", values[0]}, {"batch", values[1]}, {"window", values[2]}, {"optimizer_steps", values[3]},
                      {"rng_a", values[4]}, {"rng_b", values[5]}, {"optimizer", values[6]}, {"batch_size", values[7]},
                      {"model", (char *)m->name}, {"model_fingerprint", values[8]}};
    rc = rt_st_write(path, t, n, meta, (int)(sizeof meta / sizeof *meta), err);
done:
    if (rc && !err->msg[0])
        snprintf(err->msg, sizeof err->msg, "%s: out of memory writing the checkpoint", path);
    for (int i = 0; names && i < m->nparams * buffers; i++)
        free(names[i]);
    free(names);
    free(t);
    return rc;
}

static int copy_tensor(const rt_safetensors *st, const char *name, const rt_param_info *pi, float *dst,
                       const char *path, rt_error *err) {
    const rt_tensor *t = rt_st_find(st, name);
    int64_t count = rt_param_count(pi);
    bool same = t && t->rank == pi->rank && t->dims[0] == pi->dims[0] && (pi->rank < 2 || t->dims[1] == pi->dims[1]);
    if (!same) {
        snprintf(err->msg, sizeof err->msg, "%s: the checkpoint has no tensor '%s' of the parameter's shape", path,
                 name);
        return -1;
    }
    memcpy(dst, t->data, sizeof(float) * (size_t)count);
    return 0;
}

static int meta_int(const rt_safetensors *st, const char *key, int64_t *out, const char *path, rt_error *err) {
    const char *v = rt_st_meta(st, key);
    char *end;
    if (v) {
        *out = strtoll(v, &end, 10);
        if (*v && !*end && *out >= 0)
            return 0;
    }
    snprintf(err->msg, sizeof err->msg, "%s: the checkpoint's metadata lacks a valid '%s'", path, key);
    return -1;
}

static int meta_rng(const rt_safetensors *st, const char *key, uint64_t *two, const char *path, rt_error *err) {
    const char *v = rt_st_meta(st, key);
    if (v && strlen(v) == 32 && sscanf(v, "%16" SCNx64 "%16" SCNx64, &two[0], &two[1]) == 2)
        return 0;
    snprintf(err->msg, sizeof err->msg, "%s: the checkpoint's metadata lacks a valid '%s'", path, key);
    return -1;
}

/* Not a checkpoint at all (a weights file), or another model's: say so. */
static bool is_foreign(const rt_safetensors *st, const rt_model *m, const char *path, rt_error *err) {
    const char *kind = rt_st_meta(st, "optimizer"), *model = rt_st_meta(st, "model");
    const char *print = rt_st_meta(st, "model_fingerprint");
    char mine[32], name[RT_SHOW_LEN];
    snprintf(mine, sizeof mine, "%016" PRIx64, model_fingerprint(m));
    if (!kind || !rt_st_meta(st, "epoch"))
        snprintf(err->msg, sizeof err->msg, "%s: not a checkpoint: it holds no training state (a weights file is "
                 "given with --weights)", path);
    else if (print && strcmp(print, mine))
        snprintf(err->msg, sizeof err->msg, "%s: the checkpoint belongs to another model (%s, whose parameters or "
                 "types differ from this model's)", path, model ? rt_show(name, model, strlen(model)) : "'?'");
    else
        return false;
    return true;
}

int rt_checkpoint_load(const char *path, const rt_model *m, rt_params *p, rt_optim *o, rt_checkpoint *c,
                       rt_error *err) {
    rt_safetensors st;
    if (rt_st_read(path, &st, err))
        return -1;
    int rc = -1, buffers = o->cfg.kind == RT_OPT_ADAM ? 2 : 1;
    if (is_foreign(&st, m, path, err))
        goto done;
    const char *kind = rt_st_meta(&st, "optimizer");
    if (strcmp(kind, o->cfg.kind == RT_OPT_ADAM ? "adam" : "sgd")) {
        snprintf(err->msg, sizeof err->msg, "%s: the checkpoint was written with optimizer '%s', not '%s'", path, kind,
                 o->cfg.kind == RT_OPT_ADAM ? "adam" : "sgd");
        goto done;
    }
    for (int i = 0; i < m->nparams; i++)
        if (copy_tensor(&st, m->params[i].name, &m->params[i], p->data[i], path, err))
            goto done;
    for (int b = 0; b < buffers; b++)
        for (int i = 0; i < m->nparams; i++) {
            char *name = optim_name(o->cfg.kind, b, m->params[i].name);
            int bad = !name || copy_tensor(&st, name, &m->params[i], o->buf[b][i], path, err);
            free(name);
            if (bad)
                goto done;
        }
    if (meta_int(&st, "epoch", &c->pos.epoch, path, err) || meta_int(&st, "batch", &c->pos.batch, path, err) ||
        meta_int(&st, "window", &c->pos.window, path, err) || meta_int(&st, "optimizer_steps", &o->steps, path, err) ||
        meta_int(&st, "batch_size", &c->batch, path, err) ||
        meta_rng(&st, "rng_a", c->rng, path, err) || meta_rng(&st, "rng_b", c->rng + 2, path, err))
        goto done;
    const rt_tensor *carry = rt_st_find(&st, "optim.carry");
    c->carry_floats = carry ? carry->count : 0;
    c->carry = carry ? malloc(sizeof(float) * (size_t)(carry->count + 1)) : NULL;
    if (carry && !c->carry) {
        snprintf(err->msg, sizeof err->msg, "%s: out of memory", path);
        goto done;
    }
    if (carry)
        memcpy(c->carry, carry->data, sizeof(float) * (size_t)carry->count);
    rc = 0;
done:
    rt_st_free(&st);
    return rc;
}
