/* emit_c.c - write an IR program as standalone C99 against runtime/rnnrt.h.
 * One static function per layer and direction, three entry points that run
 * them in order (forward for inference, forward_train that keeps a tape,
 * backward that walks the layers in reverse), and the rt_model descriptor
 * with main(). A cell layer is a loop over time; its body is the step over
 * the whole batch (emit_step.c). In training every step's states and the
 * forward values its backward step reads are kept in the tape; without a
 * tape the states alternate between two buffers. The same IR gives the same
 * bytes. */
#include "emit_c.h"
#include "emit_step.h"
#include "grad.h"
#include "util.h"
#include <string.h>

typedef struct Emit {
    FILE *out;
    Arena *a;
    const IrProgram *p;
} Emit;

/* ---- cell layers ------------------------------------------------------ */

static int state_floats(const IrStep *s) {
    int n = 0;
    for (int i = 0; i < s->nstates; i++)
        n += s->state_size[i];
    return n;
}

/* Floats per sample of a cell layer's tape: states for steps 0..T, and
 * the taped nodes for steps 0..T-1. Returns "B * ((T + 1) * S + T * N)". */
static const char *cell_tape_expr(Emit *e, const IrLayer *l) {
    return arena_printf(e->a, "B * ((T + 1) * %d + T * %d)", state_floats(l->step),
                        l->adj->tape_floats - state_floats(l->step));
}

static size_t scratch_of(const IrStep *s, const bool *live) {
    size_t n = 0;
    for (int i = 0; i < s->nnodes; i++)
        if (live[i] && step_has_buffer(s, i))
            n += (size_t)s->nodes[i].size;
    return n;
}

static size_t cell_forward_scratch(Emit *e, const IrLayer *l) {
    return 2 * (size_t)state_floats(l->step) + scratch_of(l->step, ir_live(e->a, l->step));
}

/* Declare the states and taped nodes in tape order (forward and backward
 * agree on it), advancing `tape`. */
static void declare_tape(Emit *e, const IrLayer *l, bool with_scratch) {
    const IrStep *s = l->step;
    FILE *out = e->out;
    for (int i = 0; i < s->nstates; i++) {
        if (with_scratch)
            fprintf(out, "    float *st%d = tape ? tape : ws;\n    if (tape)\n        tape += (T + 1) * B * %d;\n"
                         "    else\n        ws += 2 * B * %d;\n", i, s->state_size[i], s->state_size[i]);
        else
            fprintf(out, "    float *st%d = tape;\n    tape += (T + 1) * B * %d;\n", i, s->state_size[i]);
    }
    for (int k = 0; k < s->nnodes; k++)
        if (l->adj->taped[k]) {
            fprintf(out, "    float *tp%d = tape;\n", k);
            fprintf(out, with_scratch ? "    if (tape)\n        tape += T * B * %d;\n" : "    tape += T * B * %d;\n",
                    s->nodes[k].size);
        }
}

static View *state_views(Emit *e, const IrStep *s, const char *prefix) {
    View *v = arena_alloc(e->a, sizeof(View) * (size_t)(s->nstates + 1));
    for (int i = 0; i < s->nstates; i++) {
        char name[32], ld[16];
        snprintf(name, sizeof name, "%s%d", prefix, i);
        snprintf(ld, sizeof ld, "%d", s->state_size[i]);
        v[i] = view_of(name, ld, 0);
    }
    return v;
}

static StepEnv cell_env(Emit *e, const IrLayer *l) {
    StepEnv env = {.rows = "B", .prefix = "n", .params = l->params, .indent = "        "};
    char ld[32];
    snprintf(ld, sizeof ld, "ldx");
    env.input = view_of("x", ld, 0);
    env.states = state_views(e, l->step, "s");
    return env;
}

static void emit_cell_forward(Emit *e, int index) {
    const IrLayer *l = &e->p->layers[index];
    const IrStep *s = l->step;
    FILE *out = e->out;
    bool *live = ir_live(e->a, s);
    int width = e->p->values[l->out].size;
    fprintf(out, "/* %s: cell %s over time%s; tape: %d floats per sample per step */\n", l->label, s->cell,
            l->reverse ? ", reversed" : "", l->adj->tape_floats);
    fprintf(out, "static void layer%d(float *const *P, const float *in, float *out, int64_t B, int64_t T, float *ws,\n"
                 "                   float *tape, float *carry)\n{\n    const int64_t ldx = T * %d;\n",
            index, s->in_size);
    declare_tape(e, l, true);
    for (int k = 0; k < s->nnodes; k++)
        if (live[k] && step_has_buffer(s, k))
            fprintf(out, "    float *buf%d = ws;\n    ws += B * %d;\n", k, s->nodes[k].size);
    for (int i = 0, at = 0; i < s->nstates; at += s->state_size[i], i++)
        fprintf(out, "    if (carry)\n        memcpy(st%d, carry + B * %d, sizeof(float) * (size_t)(B * %d));\n"
                     "    else\n        memset(st%d, 0, sizeof(float) * (size_t)(B * %d));\n",
                i, at, s->state_size[i], i, s->state_size[i]);
    fprintf(out, "    for (int64_t tt = 0; tt < T; tt++) {\n        const int64_t t = %s;\n",
            l->reverse ? "T - 1 - tt" : "tt");
    fprintf(out, "        const float *x = in + t * %d;\n", s->in_size);
    for (int i = 0; i < s->nstates; i++)
        fprintf(out, "        float *s%d = st%d + (tape ? tt : tt %% 2) * B * %d;\n"
                     "        float *s%d_next = st%d + (tape ? tt + 1 : (tt + 1) %% 2) * B * %d;\n",
                i, i, s->state_size[i], i, i, s->state_size[i]);
    for (int k = 0; k < s->nnodes; k++)
        if (live[k] && step_has_buffer(s, k)) {
            if (l->adj->taped[k])
                fprintf(out, "        float *n%d = tape ? tp%d + tt * B * %d : buf%d;\n", k, k, s->nodes[k].size, k);
            else
                fprintf(out, "        float *n%d = buf%d;\n", k, k);
        }
    View *views = arena_alloc(e->a, sizeof(View) * (size_t)s->nnodes);
    StepEnv env = cell_env(e, l);
    emit_step_nodes(out, s, live, views, &env);
    char ld[48], off[48];
    snprintf(ld, sizeof ld, "T * %d", width);
    snprintf(off, sizeof off, "t * %d + %d", width, l->offset);
    emit_rows(out, &env, "out", ld, off, &views[s->output], s->nodes[s->output].size, false);
    for (int i = 0; i < s->nstates; i++) {
        char dst[32], sld[16];
        snprintf(dst, sizeof dst, "s%d_next", i);
        snprintf(sld, sizeof sld, "%d", s->state_size[i]);
        emit_rows(out, &env, dst, sld, "0", &views[s->state_next[i]], s->state_size[i], false);
    }
    fputs("    }\n", out);
    for (int i = 0, at = 0; i < s->nstates; at += s->state_size[i], i++)
        fprintf(out, "    if (carry)\n        memcpy(carry + B * %d, st%d + (tape ? T : T %% 2) * B * %d, "
                     "sizeof(float) * (size_t)(B * %d));\n", at, i, s->state_size[i], s->state_size[i]);
    fputs("    (void)ldx;\n    (void)P;\n}\n\n", out);
}

/* Backward roots: parameter gradients, previous states, and the input's
 * gradient unless the input is the model's own. */
static bool *backward_live(Emit *e, const IrAdjoint *adj, bool want_input) {
    const IrStep *b = adj->bwd;
    bool *live = arena_alloc(e->a, sizeof(bool) * (size_t)(b->nnodes + 1));
    for (int i = 0; i < adj->npgrads; i++) {
        live[adj->pgrads[i].g] = true;
        if (adj->pgrads[i].kind == PGRAD_OUTER)
            live[adj->pgrads[i].v] = true;
    }
    for (int i = 0; i < b->nstates; i++)
        if (adj->d_state[i] >= 0)
            live[adj->d_state[i]] = true;
    if (want_input && adj->d_input >= 0)
        live[adj->d_input] = true;
    for (int i = b->nnodes - 1; i >= 0; i--)
        if (live[i])
            for (int k = 0; k < b->nodes[i].nargs; k++)
                live[b->nodes[i].args[k]] = true;
    return live;
}

static size_t cell_backward_scratch(Emit *e, const IrLayer *l) {
    return 2 * (size_t)state_floats(l->step) + scratch_of(l->adj->bwd, backward_live(e, l->adj, true));
}

static void emit_param_grads(Emit *e, const IrAdjoint *adj, const View *views, const StepEnv *env, const int *params) {
    FILE *out = e->out;
    for (int i = 0; i < adj->npgrads; i++) {
        const IrParamGrad *pg = &adj->pgrads[i];
        const View *g = &views[pg->g];
        char dst[32], gp[200], vp[200];
        snprintf(dst, sizeof dst, "G[%d]", params[pg->param]);
        if (pg->kind == PGRAD_VEC) {
            char a[200];
            view_access(a, sizeof a, g);
            fprintf(out, "%sfor (int64_t b = 0; b < %s; b++)\n%s    for (int64_t i = 0; i < %d; i++)\n"
                         "%s        %s[i] += %s;\n",
                    env->indent, env->rows, env->indent, adj->bwd->nodes[pg->g].size, env->indent, dst, a);
        } else {
            const View *v = &views[pg->v];
            view_pointer(gp, sizeof gp, g);
            view_pointer(vp, sizeof vp, v);
            int m = adj->bwd->nodes[pg->g].size, n = adj->bwd->nodes[pg->v].size;
            fprintf(out, "%srt_gemm_tn(%d, %d, %s, %s, %s, %s, %s, %s, %d, 1);\n", env->indent, m, n, env->rows, gp,
                    g->ld, vp, v->ld, dst, n);
        }
    }
}

static void emit_cell_backward(Emit *e, int index) {
    const IrLayer *l = &e->p->layers[index];
    const IrStep *s = l->step, *b = l->adj->bwd;
    const IrAdjoint *adj = l->adj;
    FILE *out = e->out;
    bool want_input = l->in != e->p->input;
    bool *live = backward_live(e, adj, want_input);
    int width = e->p->values[l->out].size;
    fprintf(out, "static void layer%d_backward(float *const *P, float *const *G, const float *in, float *d_in,\n"
                 "                            const float *d_out, int64_t B, int64_t T, float *ws, float *tape)\n{\n"
                 "    const int64_t ldx = T * %d;\n", index, s->in_size);
    declare_tape(e, l, false);
    for (int i = 0; i < s->nstates; i++)
        fprintf(out, "    float *dst%d = ws;\n    ws += 2 * B * %d;\n    memset(dst%d, 0, sizeof(float) * (size_t)(2 * B * %d));\n",
                i, s->state_size[i], i, s->state_size[i]);
    for (int k = 0; k < b->nnodes; k++)
        if (live[k] && step_has_buffer(b, k))
            fprintf(out, "    float *g%d = ws;\n    ws += B * %d;\n", k, b->nodes[k].size);
    fprintf(out, "    for (int64_t tt = T - 1; tt >= 0; tt--) {\n        const int64_t t = %s;\n",
            l->reverse ? "T - 1 - tt" : "tt");
    fprintf(out, "        const float *x = in + t * %d;\n", s->in_size);
    for (int i = 0; i < s->nstates; i++)
        fprintf(out, "        const float *s%d = st%d + tt * B * %d;\n"
                     "        const float *ds%d = dst%d + (tt %% 2) * B * %d;\n"
                     "        float *ds%d_prev = dst%d + ((tt + 1) %% 2) * B * %d;\n",
                i, i, s->state_size[i], i, i, s->state_size[i], i, i, s->state_size[i]);
    for (int k = 0; k < s->nnodes; k++)
        if (adj->taped[k])
            fprintf(out, "        const float *n%d = tp%d + tt * B * %d;\n", k, k, s->nodes[k].size);
    View *fwd = arena_alloc(e->a, sizeof(View) * (size_t)s->nnodes);
    StepEnv fenv = cell_env(e, l);
    fenv.views_only = true;
    bool *all = arena_alloc(e->a, sizeof(bool) * (size_t)s->nnodes);
    memset(all, 1, sizeof(bool) * (size_t)s->nnodes);
    emit_step_nodes(out, s, all, fwd, &fenv);
    StepEnv env = cell_env(e, l);
    env.prefix = "g";
    env.fwd = fwd;
    char ld[48], off[48];
    snprintf(ld, sizeof ld, "T * %d", width);
    env.adj_out = view_of("d_out", ld, l->offset);
    snprintf(env.adj_out.base, sizeof env.adj_out.base, "(d_out + t * %d)", width);
    env.adj_states = state_views(e, s, "ds");
    View *views = arena_alloc(e->a, sizeof(View) * (size_t)(b->nnodes + 1));
    emit_step_nodes(out, b, live, views, &env);
    if (want_input && adj->d_input >= 0) {
        snprintf(ld, sizeof ld, "T * %d", s->in_size);
        snprintf(off, sizeof off, "t * %d", s->in_size);
        emit_rows(out, &env, "d_in", ld, off, &views[adj->d_input], s->in_size, true);
    }
    emit_param_grads(e, adj, views, &env, l->params);
    for (int i = 0; i < s->nstates; i++) {
        char dst[32], sld[16];
        snprintf(dst, sizeof dst, "ds%d_prev", i);
        snprintf(sld, sizeof sld, "%d", s->state_size[i]);
        if (adj->d_state[i] >= 0)
            emit_rows(out, &env, dst, sld, "0", &views[adj->d_state[i]], s->state_size[i], false);
        else
            fprintf(out, "        memset(%s, 0, sizeof(float) * (size_t)(B * %d));\n", dst, s->state_size[i]);
    }
    fputs("    }\n    (void)ldx;\n    (void)d_in;\n    (void)P;\n}\n\n", out);
}

/* ---- layers without time loops ---------------------------------------- */

static const char *rows(const IrValue *v) { return v->seq ? "B * T" : "B"; }

static void emit_plain_forward(Emit *e, int index) {
    const IrLayer *l = &e->p->layers[index];
    const IrValue *in = &e->p->values[l->in], *o = &e->p->values[l->out];
    FILE *out = e->out;
    fprintf(out, "/* %s */\n", l->label);
    fprintf(out, "static void layer%d(float *const *P, const %s *in, float *out, int64_t B, int64_t T)\n{\n", index,
            in->token ? "int32_t" : "float");
    switch (l->kind) {
    case IRL_EMBED:
        fprintf(out, "    for (int64_t r = 0; r < %s; r++)\n"
                     "        memcpy(out + r * %d, P[%d] + (int64_t)in[r] * %d, sizeof(float) * %d);\n",
                rows(in), o->size, l->params[0], o->size, o->size);
        break;
    case IRL_LINEAR:
        fprintf(out, "    rt_gemm_nt(%s, %d, %d, in, %d, P[%d], %d, out, %d, 0);\n"
                     "    for (int64_t r = 0; r < %s; r++)\n"
                     "        for (int64_t i = 0; i < %d; i++)\n"
                     "            out[r * %d + i] += P[%d][i];\n",
                rows(in), o->size, in->size, in->size, l->params[0], in->size, o->size, rows(in), o->size, o->size,
                l->params[1]);
        break;
    case IRL_ACT: {
        char expr[128];
        snprintf(expr, sizeof expr, ir_ops[l->act].c_expr, "in[i]", "");
        fprintf(out, "    for (int64_t i = 0; i < %s * %d; i++)\n        out[i] = %s;\n", rows(in), in->size, expr);
        break;
    }
    case IRL_DROPOUT: /* the identity; forward_train applies the mask */
        fprintf(out, "    memcpy(out, in, sizeof(float) * (size_t)(%s * %d));\n", rows(in), in->size);
        break;
    case IRL_LAST:
        fprintf(out, "    for (int64_t b = 0; b < B; b++)\n"
                     "        memcpy(out + b * %d, in + (b * T + T - 1) * %d, sizeof(float) * %d);\n",
                o->size, in->size, in->size);
        break;
    case IRL_CELL:
        unreachable();
    }
    fprintf(out, "    (void)P;\n    (void)T;\n}\n\n");
}

/* An activation's backward: its derived one-node step over every row. */
static void emit_act_backward(Emit *e, const IrLayer *l, const char *d_in, const char *in, const char *out_v,
                              const char *d_out) {
    const IrAdjoint *adj = l->adj;
    const IrValue *v = &e->p->values[l->in];
    if (adj->d_input < 0)
        return;
    char n[16], rowexpr[32];
    snprintf(n, sizeof n, "%d", v->size);
    snprintf(rowexpr, sizeof rowexpr, "(%s)", rows(v));
    View fwd[2] = {view_of(in, n, 0), view_of(out_v, n, 0)};
    StepEnv env = {.rows = rowexpr, .prefix = "ga", .indent = "    ", .fwd = fwd, .input = fwd[0]};
    env.adj_out = view_of(d_out, n, 0);
    bool *live = backward_live(e, adj, true);
    View *views = arena_alloc(e->a, sizeof(View) * (size_t)(adj->bwd->nnodes + 1));
    fputs("    {\n", e->out);
    for (int k = 0; k < adj->bwd->nnodes; k++)
        if (live[k] && step_has_buffer(adj->bwd, k))
            fprintf(e->out, "    float *ga%d = ws + %s * %d * %d;\n", k, rowexpr, v->size, k);
    emit_step_nodes(e->out, adj->bwd, live, views, &env);
    emit_rows(e->out, &env, d_in, n, "0", &views[adj->d_input], v->size, true);
    fputs("    }\n", e->out);
}

/* ---- the program ------------------------------------------------------ */

static void emit_params(FILE *out, const ModelInfo *m) {
    static const char *init[] = {"RT_INIT_UNIFORM", "RT_INIT_ZEROS", "RT_INIT_ONES", "RT_INIT_UNIFORM",
                                 "RT_INIT_NORMAL"};
    fprintf(out, "static const rt_param_info params[%d] = {\n", m->nparams);
    for (int i = 0; i < m->nparams; i++) {
        const ParamInfo *pi = m->params[i];
        fprintf(out, "    {\"%s\", %d, {%lld, %lld}, %s, %.17g, %.17g},\n", pi->name, pi->rank,
                (long long)pi->dims[0], (long long)(pi->rank > 1 ? pi->dims[1] : 0), init[pi->init.kind],
                pi->init.a, pi->init.b);
    }
    fputs("};\n\n", out);
}

static const char *value_size(Emit *e, int v) {
    const IrValue *val = &e->p->values[v];
    return arena_printf(e->a, "%s * %d", rows(val), val->size);
}

/* The most scratch any one layer needs: per sample for cells, per row of
 * B * T for activations (their backward step runs over every row). */
static void max_scratch(Emit *e, size_t *per_sample, size_t *per_row) {
    *per_sample = *per_row = 0;
    for (int i = 0; i < e->p->nlayers; i++) {
        const IrLayer *l = &e->p->layers[i];
        if (l->kind == IRL_CELL) {
            size_t f = cell_forward_scratch(e, l), b = cell_backward_scratch(e, l);
            *per_sample = f > *per_sample ? f : *per_sample;
            *per_sample = b > *per_sample ? b : *per_sample;
        } else if (l->kind == IRL_ACT) {
            size_t s = (size_t)l->adj->bwd->nnodes * (size_t)e->p->values[l->in].size;
            *per_row = s > *per_row ? s : *per_row;
        }
    }
}

static void emit_sizes(Emit *e) {
    FILE *out = e->out;
    const IrProgram *p = e->p;
    fputs("static size_t workspace(int64_t B, int64_t T)\n{\n    size_t n = 0;\n", out);
    for (int v = 0; v < p->nvalues; v++)
        if (v != p->input && v != p->output)
            fprintf(out, "    n += 2 * (size_t)(%s); /* the value and its gradient */\n", value_size(e, v));
    size_t per_sample, per_row;
    max_scratch(e, &per_sample, &per_row);
    fprintf(out, "    n += (size_t)(B * %zu + B * T * %zu);\n    return n;\n}\n\n", per_sample, per_row);
    fputs("static size_t tape_size(int64_t B, int64_t T)\n{\n    size_t n = 0;\n", out);
    for (int v = 0; v < p->nvalues; v++)
        if (v != p->input && v != p->output)
            fprintf(out, "    n += (size_t)(%s);\n", value_size(e, v));
    for (int i = 0; i < p->nlayers; i++) {
        const IrLayer *l = &p->layers[i];
        if (l->kind == IRL_CELL)
            fprintf(out, "    n += (size_t)(%s);\n", cell_tape_expr(e, l));
        if (l->kind == IRL_DROPOUT)
            fprintf(out, "    n += (size_t)(%s); /* dropout mask */\n", value_size(e, l->out));
    }
    fputs("    return n;\n}\n\n", out);
}

/* Value pointers: the input, the output, and the rest from `from`. */
static void declare_values(Emit *e, const char *from) {
    const IrProgram *p = e->p;
    for (int v = 0; v < p->nvalues; v++) {
        if (v == p->input)
            fprintf(e->out, "    const %s *v%d = x;\n", p->values[v].token ? "int32_t" : "float", v);
        else if (v == p->output)
            fprintf(e->out, "    float *v%d = out;\n", v);
        else
            fprintf(e->out, "    float *v%d = %s;\n    %s += %s;\n", v, from, from, value_size(e, v));
        fprintf(e->out, "    (void)v%d;\n", v);
    }
}

/* Per layer: its carried-state offset (floats per sample) and tape pointer. */
static void declare_layer_tapes(Emit *e) {
    for (int i = 0; i < e->p->nlayers; i++) {
        const IrLayer *l = &e->p->layers[i];
        if (l->kind == IRL_CELL)
            fprintf(e->out, "    float *tape%d = tape;\n    tape += %s;\n", i, cell_tape_expr(e, l));
        if (l->kind == IRL_DROPOUT)
            fprintf(e->out, "    float *tape%d = tape;\n    tape += %s;\n", i, value_size(e, l->out));
    }
}

static int carry_offset(const IrProgram *p, int index) {
    int at = 0;
    for (int i = 0; i < index; i++)
        if (p->layers[i].kind == IRL_CELL)
            at += state_floats(p->layers[i].step);
    return at;
}

static void emit_forward(Emit *e) {
    FILE *out = e->out;
    const IrProgram *p = e->p;
    fputs("static void forward(float *const *P, const void *x, int64_t B, int64_t T, float *out, float *ws)\n{\n", out);
    declare_values(e, "ws");
    for (int i = 0; i < p->nlayers; i++) {
        const IrLayer *l = &p->layers[i];
        if (l->kind == IRL_CELL)
            fprintf(out, "    layer%d(P, v%d, v%d, B, T, ws, NULL, NULL);\n", i, l->in, l->out);
        else
            fprintf(out, "    layer%d(P, v%d, v%d, B, T);\n", i, l->in, l->out);
    }
    if (p->output == p->input)
        fprintf(out, "    memcpy(out, x, sizeof(float) * (size_t)(%s));\n", value_size(e, p->input));
    fputs("}\n\n", out);
}

static void emit_forward_train(Emit *e) {
    FILE *out = e->out;
    const IrProgram *p = e->p;
    fputs("static void forward_train(float *const *P, const void *x, int64_t B, int64_t T, float *out, float *ws,\n"
          "                          rt_train_ctx *ctx)\n{\n    float *tape = ctx->tape;\n", out);
    declare_values(e, "tape");
    declare_layer_tapes(e);
    for (int i = 0; i < p->nlayers; i++) {
        const IrLayer *l = &p->layers[i];
        if (l->kind == IRL_CELL)
            fprintf(out, "    layer%d(P, v%d, v%d, B, T, ws, tape%d, ctx->state ? ctx->state + B * %d : NULL);\n", i,
                    l->in, l->out, i, carry_offset(p, i));
        else if (l->kind == IRL_DROPOUT)
            fprintf(out, "    rt_dropout(ctx, %.17g, (int64_t)(%s), v%d, v%d, tape%d);\n", l->p, value_size(e, l->out),
                    l->in, l->out, i);
        else
            fprintf(out, "    layer%d(P, v%d, v%d, B, T);\n", i, l->in, l->out);
    }
    if (p->output == p->input)
        fprintf(out, "    memcpy(out, x, sizeof(float) * (size_t)(%s));\n", value_size(e, p->input));
    fputs("    (void)tape;\n}\n\n", out);
}

static void emit_layer_backward(Emit *e, int i) {
    FILE *out = e->out;
    const IrProgram *p = e->p;
    const IrLayer *l = &p->layers[i];
    const IrValue *in = &p->values[l->in], *o = &p->values[l->out];
    bool want_input = l->in != p->input;
    char d_in[16], d_out[16], vin[16], vout[16];
    snprintf(d_in, sizeof d_in, "d%d", l->in);
    snprintf(d_out, sizeof d_out, "d%d", l->out);
    snprintf(vin, sizeof vin, "v%d", l->in);
    snprintf(vout, sizeof vout, "v%d", l->out);
    switch (l->kind) {
    case IRL_CELL:
        fprintf(out, "    layer%d_backward(P, G, %s, %s, %s, B, T, ws, tape%d);\n", i, vin, want_input ? d_in : "NULL",
                d_out, i);
        break;
    case IRL_EMBED:
        fprintf(out, "    for (int64_t r = 0; r < %s; r++)\n        for (int64_t i = 0; i < %d; i++)\n"
                     "            G[%d][(int64_t)%s[r] * %d + i] += %s[r * %d + i];\n",
                rows(in), o->size, l->params[0], vin, o->size, d_out, o->size);
        break;
    case IRL_LINEAR:
        if (want_input)
            fprintf(out, "    rt_gemm_nn(%s, %d, %d, %s, %d, P[%d], %d, %s, %d, 1);\n", rows(in), in->size, o->size,
                    d_out, o->size, l->params[0], in->size, d_in, in->size);
        fprintf(out, "    rt_gemm_tn(%d, %d, %s, %s, %d, %s, %d, G[%d], %d, 1);\n", o->size, in->size, rows(in), d_out,
                o->size, vin, in->size, l->params[0], in->size);
        fprintf(out, "    for (int64_t r = 0; r < %s; r++)\n        for (int64_t i = 0; i < %d; i++)\n"
                     "            G[%d][i] += %s[r * %d + i];\n", rows(in), o->size, l->params[1], d_out, o->size);
        break;
    case IRL_ACT:
        if (want_input)
            emit_act_backward(e, l, d_in, vin, vout, d_out);
        break;
    case IRL_DROPOUT:
        if (want_input)
            fprintf(out, "    for (int64_t i = 0; i < %s; i++)\n        %s[i] += ctx->training ? %s[i] * tape%d[i] : %s[i];\n",
                    value_size(e, l->in), d_in, d_out, i, d_out);
        break;
    case IRL_LAST:
        if (want_input)
            fprintf(out, "    for (int64_t b = 0; b < B; b++)\n        for (int64_t i = 0; i < %d; i++)\n"
                         "            %s[(b * T + T - 1) * %d + i] += %s[b * %d + i];\n",
                    in->size, d_in, in->size, d_out, in->size);
        break;
    }
}

static void emit_backward(Emit *e) {
    FILE *out = e->out;
    const IrProgram *p = e->p;
    fputs("static void backward(float *const *P, float *const *G, const void *x, int64_t B, int64_t T,\n"
          "                     const float *d_out, float *ws, rt_train_ctx *ctx)\n{\n"
          "    float *tape = ctx->tape;\n    float *out = NULL;\n", out);
    declare_values(e, "tape");
    declare_layer_tapes(e);
    for (int v = 0; v < p->nvalues; v++) {
        if (v == p->input)
            continue;
        if (v == p->output)
            fprintf(out, "    const float *d%d = d_out;\n", v);
        else
            fprintf(out, "    float *d%d = ws;\n    ws += %s;\n    memset(d%d, 0, sizeof(float) * (size_t)(%s));\n", v,
                    value_size(e, v), v, value_size(e, v));
    }
    for (int i = p->nlayers - 1; i >= 0; i--)
        emit_layer_backward(e, i);
    fputs("    (void)tape;\n    (void)out;\n    (void)x;\n    (void)ctx;\n}\n\n", out);
}

static void emit_type(FILE *out, const char *field, bool seq, bool token, int64_t size) {
    fprintf(out, "    .%s = {%d, %d, %lld},\n", field, seq, token, (long long)size);
}

static void emit_descriptor(Emit *e) {
    FILE *out = e->out;
    const ModelInfo *m = e->p->model;
    const TrainConfig *t = &m->train;
    int carry = carry_offset(e->p, e->p->nlayers);
    bool bidirectional = false;
    for (int i = 0; i < e->p->nlayers; i++)
        bidirectional |= e->p->layers[i].reverse;
    fputs("const rt_model rnn_model = {\n", out);
    fprintf(out, "    .name = \"%s\",\n    .params = params,\n    .nparams = %d,\n", m->name, m->nparams);
    emit_type(out, "input", m->input->type.seq, m->input->type.token, m->input->type.size);
    emit_type(out, "target", m->target->type.seq, m->target->type.token, m->target->type.size);
    emit_type(out, "output", m->loss_arg->type.seq, false, m->loss_arg->type.size);
    fprintf(out, "    .loss = %s,\n", m->loss == LOSS_CROSS_ENTROPY ? "RT_LOSS_CROSS_ENTROPY" : "RT_LOSS_MSE");
    fprintf(out, "    .train = {%s, %.17g, %.17g, %.17g, %.17g, %.17g, %.17g, %.17g, %lld, %lld, %lld, %lld},\n",
            t->optimizer == OPT_ADAM ? "RT_OPT_ADAM" : "RT_OPT_SGD", t->lr, t->momentum, t->beta1, t->beta2, t->eps,
            t->clip, t->valid, (long long)t->batch, (long long)t->bptt, (long long)t->epochs, (long long)t->seed);
    fprintf(out, "    .state_floats = %d,\n    .bidirectional = %d,\n", carry, bidirectional);
    fputs("    .workspace = workspace,\n    .tape_size = tape_size,\n    .forward = forward,\n"
          "    .forward_train = forward_train,\n    .backward = backward,\n};\n\n", out);
    fputs("int main(int argc, char **argv)\n{\n    return rt_main(&rnn_model, argc, argv);\n}\n", out);
}

void emitc_program(FILE *out, Arena *a, const IrProgram *p) {
    Emit e = {out, a, p};
    fprintf(out, "/* %s - generated by rnnc %s from model '%s'. Do not edit. */\n", p->name, RNNC_VERSION, p->name);
    fputs("#include \"rnnrt.h\"\n#include <string.h>\n\n", out);
    emit_params(out, p->model);
    for (int i = 0; i < p->nlayers; i++) {
        if (p->layers[i].kind == IRL_CELL) {
            emit_cell_forward(&e, i);
            emit_cell_backward(&e, i);
        } else {
            emit_plain_forward(&e, i);
        }
    }
    emit_sizes(&e);
    emit_forward(&e);
    emit_forward_train(&e);
    emit_backward(&e);
    emit_descriptor(&e);
}
