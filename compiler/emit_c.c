/* emit_c.c - write the IR as standalone C99 against runtime/rnnrt.h.
 * One static function per IR layer, one forward() running them in order,
 * and the rt_model descriptor with main(). A cell layer is a loop over time
 * whose body evaluates the step for the whole batch: each matrix-vector
 * node is one rt_gemm_nt over B rows, each elementwise node one loop over
 * B x size. Slices are views (a pointer offset and a row stride), so they
 * cost nothing; a parameter vector is a view with row stride 0, shared by
 * every sample. Output is deterministic: the same IR gives the same bytes. */
#include "emit_c.h"
#include "util.h"
#include <string.h>

typedef struct View {     /* where a node's values live, per sample b */
    char base[40];        /* C pointer expression */
    char ld[32];          /* row stride between samples, a C expression */
    int off;              /* first element */
    bool is_const;
    double value;
} View;

static void literal(char *buf, size_t n, double v) { snprintf(buf, n, "(%.9ef)", v); }

/* The C expression for element i of sample b of a view. */
static void access(char *buf, size_t n, const View *v) {
    if (v->is_const)
        literal(buf, n, v->value);
    else if (!strcmp(v->ld, "0"))
        snprintf(buf, n, "%s[%d + i]", v->base, v->off);
    else
        snprintf(buf, n, "%s[%d + b * %s + i]", v->base, v->off, v->ld);
}

static void pointer(char *buf, size_t n, const View *v) { snprintf(buf, n, "(%s + %d)", v->base, v->off); }

/* ---- one step ----------------------------------------------------------- */

static void emit_elementwise(FILE *out, const IrNode *node, int id, const View *views) {
    char a[160] = "", b[160] = "", expr[400];
    access(a, sizeof a, &views[node->args[0]]);
    if (node->nargs > 1)
        access(b, sizeof b, &views[node->args[1]]);
    snprintf(expr, sizeof expr, ir_ops[node->op].c_expr, a, b);
    fprintf(out, "        for (int64_t b = 0; b < B; b++)\n"
                 "            for (int64_t i = 0; i < %d; i++)\n"
                 "                n%d[b * %d + i] = %s;\n",
            node->size, id, node->size, expr);
}

static void emit_node(FILE *out, const IrStep *s, int id, View *views, const IrLayer *l) {
    const IrNode *node = &s->nodes[id];
    View *v = &views[id];
    *v = (View){.off = 0};
    snprintf(v->base, sizeof v->base, "n%d", id);
    snprintf(v->ld, sizeof v->ld, "%d", node->size);
    char ptr[160];
    switch (ir_ops[node->op].kind) {
    case IRK_LEAF:
        if (node->op == IR_INPUT) {
            snprintf(v->base, sizeof v->base, "x");
            snprintf(v->ld, sizeof v->ld, "ldx");
        } else if (node->op == IR_STATE) {
            snprintf(v->base, sizeof v->base, "s%d", node->index);
        } else if (node->op == IR_PARAM) {
            snprintf(v->base, sizeof v->base, "P[%d]", l->params[node->index]);
            snprintf(v->ld, sizeof v->ld, "0");
        } else {
            v->is_const = true;
            v->value = node->value;
        }
        return;
    case IRK_SLICE:
        *v = views[node->args[0]];
        v->off += node->lo;
        return;
    case IRK_MATVEC: {
        const IrNode *w = &s->nodes[node->args[0]];
        pointer(ptr, sizeof ptr, &views[node->args[1]]);
        fprintf(out, "        rt_gemm_nt(B, %d, %d, %s, %s, %s, %d, n%d, %d, 0);\n", node->size, w->cols, ptr,
                views[node->args[1]].ld, views[node->args[0]].base, w->cols, id, node->size);
        return;
    }
    case IRK_CONCAT: {
        int at = 0;
        for (int k = 0; k < node->nargs; k++) {
            char a[160];
            access(a, sizeof a, &views[node->args[k]]);
            int size = s->nodes[node->args[k]].size;
            fprintf(out, "        for (int64_t b = 0; b < B; b++)\n"
                         "            for (int64_t i = 0; i < %d; i++)\n"
                         "                n%d[b * %d + %d + i] = %s;\n",
                    size, id, node->size, at, a);
            at += size;
        }
        return;
    }
    case IRK_ELEMWISE:
        emit_elementwise(out, node, id, views);
        return;
    }
}

/* Nodes that need a buffer of their own: computed, and live. */
static bool has_buffer(const IrStep *s, int id, const bool *live) {
    IrKind k = ir_ops[s->nodes[id].op].kind;
    return live[id] && k != IRK_LEAF && k != IRK_SLICE;
}

static size_t cell_scratch(const IrStep *s, const bool *live) {
    size_t per_sample = 0;
    for (int i = 0; i < s->nstates; i++)
        per_sample += 2 * (size_t)s->state_size[i];
    for (int i = 0; i < s->nnodes; i++)
        if (has_buffer(s, i, live))
            per_sample += (size_t)s->nodes[i].size;
    return per_sample;
}

/* Copy a view into rows of dst: dst[b * ld + off .. + size] for every b. */
static void emit_copy_rows(FILE *out, const char *dst, const char *ld, const char *off, const View *v, int size) {
    char a[160];
    access(a, sizeof a, v);
    fprintf(out, "        for (int64_t b = 0; b < B; b++)\n"
                 "            for (int64_t i = 0; i < %d; i++)\n"
                 "                %s[b * %s + %s + i] = %s;\n",
            size, dst, ld, off, a);
}

static void emit_cell_layer(FILE *out, Arena *a, const IrProgram *p, int index) {
    const IrLayer *l = &p->layers[index];
    const IrStep *s = l->step;
    int width = p->values[l->out].size;
    bool *live = ir_live(a, s);
    View *views = arena_alloc(a, sizeof(View) * (size_t)s->nnodes);
    fprintf(out, "/* %s: cell %s over time%s */\n", l->label, s->cell, l->reverse ? ", reversed" : "");
    fprintf(out, "static void layer%d(float *const *P, const float *in, float *out, int64_t B, int64_t T, float *ws)\n{\n",
            index);
    fprintf(out, "    const int64_t ldx = T * %d;\n", s->in_size);
    for (int i = 0; i < s->nstates; i++)
        fprintf(out, "    float *s%d = ws, *s%d_next = ws + B * %d;\n    ws += 2 * B * %d;\n"
                     "    memset(s%d, 0, sizeof(float) * (size_t)(B * %d));\n",
                i, i, s->state_size[i], s->state_size[i], i, s->state_size[i]);
    for (int i = 0; i < s->nnodes; i++)
        if (has_buffer(s, i, live))
            fprintf(out, "    float *n%d = ws;\n    ws += B * %d;\n", i, s->nodes[i].size);
    fprintf(out, "    for (int64_t tt = 0; tt < T; tt++) {\n");
    fprintf(out, "        const int64_t t = %s;\n", l->reverse ? "T - 1 - tt" : "tt");
    fprintf(out, "        const float *x = in + t * %d;\n", s->in_size);
    for (int i = 0; i < s->nnodes; i++)
        if (live[i])
            emit_node(out, s, i, views, l);
    char ld[64], off[64];
    snprintf(ld, sizeof ld, "T * %d", width);
    snprintf(off, sizeof off, "t * %d + %d", width, l->offset);
    emit_copy_rows(out, "out", ld, off, &views[s->output], s->nodes[s->output].size);
    for (int i = 0; i < s->nstates; i++) {
        char dst[32], sld[32];
        snprintf(dst, sizeof dst, "s%d_next", i);
        snprintf(sld, sizeof sld, "%d", s->state_size[i]);
        emit_copy_rows(out, dst, sld, "0", &views[s->state_next[i]], s->state_size[i]);
    }
    for (int i = 0; i < s->nstates; i++)
        fprintf(out, "        { float *swap = s%d; s%d = s%d_next; s%d_next = swap; }\n", i, i, i, i);
    fprintf(out, "    }\n    (void)ldx;\n}\n\n");
}

/* ---- layers without time loops ---------------------------------------- */

static const char *rows(const IrValue *v) { return v->seq ? "B * T" : "B"; }

static void emit_plain_layer(FILE *out, const IrProgram *p, int index) {
    const IrLayer *l = &p->layers[index];
    const IrValue *in = &p->values[l->in], *o = &p->values[l->out];
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
    case IRL_DROPOUT: /* identity outside training */
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

/* ---- the model -------------------------------------------------------- */

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

static void value_size_expr(char *buf, size_t n, const IrValue *v) {
    snprintf(buf, n, "%s * %d", v->seq ? "B * T" : "B", v->size);
}

static size_t layer_scratch(Arena *a, const IrLayer *l) {
    return l->kind == IRL_CELL ? cell_scratch(l->step, ir_live(a, l->step)) : 0;
}

static void emit_forward(FILE *out, Arena *a, const IrProgram *p) {
    size_t scratch = 0;
    for (int i = 0; i < p->nlayers; i++) {
        size_t s = layer_scratch(a, &p->layers[i]);
        scratch = s > scratch ? s : scratch;
    }
    fputs("static size_t workspace(int64_t B, int64_t T)\n{\n    size_t n = 0;\n", out);
    for (int v = 0; v < p->nvalues; v++)
        if (v != p->input && v != p->output) {
            char size[64];
            value_size_expr(size, sizeof size, &p->values[v]);
            fprintf(out, "    n += (size_t)(%s);\n", size);
        }
    fprintf(out, "    n += (size_t)(B * %zu);\n    (void)T;\n    return n;\n}\n\n", scratch);
    fputs("static void forward(float *const *P, const void *x, int64_t B, int64_t T, float *out, float *ws)\n{\n", out);
    for (int v = 0; v < p->nvalues; v++) {
        const IrValue *val = &p->values[v];
        if (v == p->input)
            fprintf(out, "    const %s *v%d = x;\n", val->token ? "int32_t" : "float", v);
        else if (v == p->output)
            fprintf(out, "    float *v%d = out;\n", v);
        else {
            char size[64];
            value_size_expr(size, sizeof size, val);
            fprintf(out, "    float *v%d = ws;\n    ws += %s;\n", v, size);
        }
    }
    for (int i = 0; i < p->nlayers; i++) {
        const IrLayer *l = &p->layers[i];
        if (l->kind == IRL_CELL)
            fprintf(out, "    layer%d(P, v%d, v%d, B, T, ws);\n", i, l->in, l->out);
        else
            fprintf(out, "    layer%d(P, v%d, v%d, B, T);\n", i, l->in, l->out);
    }
    if (p->output == p->input)
        fprintf(out, "    memcpy(out, x, sizeof(float) * (size_t)(%s * %d));\n", rows(&p->values[p->input]),
                p->values[p->input].size);
    fputs("    (void)ws;\n}\n\n", out);
}

static void emit_type(FILE *out, const char *field, bool seq, bool token, int64_t size) {
    fprintf(out, "    .%s = {%d, %d, %lld},\n", field, seq, token, (long long)size);
}

static void emit_descriptor(FILE *out, const IrProgram *p) {
    const ModelInfo *m = p->model;
    const TrainConfig *t = &m->train;
    fputs("const rt_model rnn_model = {\n", out);
    fprintf(out, "    .name = \"%s\",\n    .params = params,\n    .nparams = %d,\n", m->name, m->nparams);
    emit_type(out, "input", m->input->type.seq, m->input->type.token, m->input->type.size);
    emit_type(out, "target", m->target->type.seq, m->target->type.token, m->target->type.size);
    emit_type(out, "output", m->loss_arg->type.seq, false, m->loss_arg->type.size);
    fprintf(out, "    .loss = %s,\n", m->loss == LOSS_CROSS_ENTROPY ? "RT_LOSS_CROSS_ENTROPY" : "RT_LOSS_MSE");
    fprintf(out, "    .train = {%s, %.17g, %.17g, %.17g, %.17g, %.17g, %.17g, %.17g, %lld, %lld, %lld, %lld},\n",
            t->optimizer == OPT_ADAM ? "RT_OPT_ADAM" : "RT_OPT_SGD", t->lr, t->momentum, t->beta1, t->beta2, t->eps,
            t->clip, t->valid, (long long)t->batch, (long long)t->bptt, (long long)t->epochs, (long long)t->seed);
    fputs("    .workspace = workspace,\n    .forward = forward,\n};\n\n", out);
    fputs("int main(int argc, char **argv)\n{\n    return rt_main(&rnn_model, argc, argv);\n}\n", out);
}

void emitc_program(FILE *out, Arena *a, const IrProgram *p) {
    fprintf(out, "/* %s - generated by rnnc %s from model '%s'. Do not edit. */\n", p->name, RNNC_VERSION, p->name);
    fputs("#include \"rnnrt.h\"\n#include <string.h>\n\n", out);
    emit_params(out, p->model);
    for (int i = 0; i < p->nlayers; i++) {
        if (p->layers[i].kind == IRL_CELL)
            emit_cell_layer(out, a, p, i);
        else
            emit_plain_layer(out, p, i);
    }
    emit_forward(out, a, p);
    emit_descriptor(out, p);
}
