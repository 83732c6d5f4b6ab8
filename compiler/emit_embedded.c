/* emit_embedded.c - C for microcontrollers (docs/embedded.md): NAME.h and
 * NAME.c, C99 with no allocation, no stdio and no runtime library. The
 * weights, read from a safetensors file at emit time, become static const
 * arrays. The computation is the host program's own forward functions
 * (emit_forward_program through the C backend, names prefixed NAME_), run
 * on one sample: NAME_step is forward_train over one time step carrying the
 * states in NAME_state; NAME_sequence, for bidirectional models, is forward
 * over a whole sequence of at most NAME_MAX_STEPS. Static buffers are sized
 * by the program's own sizes (emit_sizes_of: one sample, no gradients, no
 * packed weights). The few kernels and helpers the functions call are
 * static inline copies of the runtime's, in the .c file, only those the
 * code calls (embedded_helpers.c). */
#include "emit_embedded.h"
#include "cg.h"
#include "emit_c.h"
#include "output.h"
#include "rt_io.h"
#include "util.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The matrices only matrix products read: cell matrices and linear
 * weights (an embedding's rows are copied, so it stays float). */
static bool *quantizable(Arena *a, const IrProgram *p) {
    bool *q = arena_alloc(a, sizeof(bool) * (size_t)(p->nparams + 1));
    for (int i = 0; i < p->nlayers; i++) {
        const IrLayer *l = &p->layers[i];
        if (l->kind == IRL_LINEAR)
            q[l->params[0]] = true;
        for (int k = 0; l->kind == IRL_CELL && k < l->step->nnodes; k++)
            if (l->step->nodes[k].op == IR_PARAM && l->step->nodes[k].cols)
                q[l->params[l->step->nodes[k].index]] = true;
    }
    return q;
}

/* The weights, checked against the model: every parameter, with its shape. */
static int load_weights(const IrProgram *m, const char *path, rt_safetensors *st) {
    rt_error err;
    if (rt_st_read(path, st, &err)) {
        fprintf(stderr, "rnnc: error: %s\n", err.msg);
        return 1;
    }
    for (int i = 0; i < m->nparams; i++) {
        const IrParam *pi = &m->params[i];
        const rt_tensor *t = rt_st_find(st, pi->name);
        int64_t d1 = pi->rank > 1 ? pi->dims[1] : 0;
        if (!t || t->rank != pi->rank || t->dims[0] != pi->dims[0] || (pi->rank > 1 && t->dims[1] != d1)) {
            if (!t)
                fprintf(stderr, "rnnc: error: %s: missing parameter '%s'\n", path, pi->name);
            else
                fprintf(stderr, "rnnc: error: %s: parameter '%s' has shape [%lld%s%lld] in the file, but the model "
                                "needs [%lld%s%lld]\n", path, pi->name, (long long)t->dims[0], t->rank > 1 ? ", " : "",
                        t->rank > 1 ? (long long)t->dims[1] : 0LL, (long long)pi->dims[0], pi->rank > 1 ? ", " : "",
                        (long long)d1);
            return 1;
        }
    }
    return 0;
}

static void print_float(FILE *out, float v) {
    if (isfinite(v))
        fprintf(out, "%.9ef", (double)v);
    else
        fputs(v != v ? "NAN" : v > 0 ? "INFINITY" : "(-INFINITY)", out);
}

/* Row r of a [rows, cols] matrix as int8 with one float scale per row:
 * q = round(w / scale), scale = max |w| / 127. */
static void emit_int8(FILE *out, const rt_tensor *t, const char *name, int i) {
    int64_t rows = t->dims[0], cols = t->dims[1];
    fprintf(out, "static const int8_t %s_q%d[%lld] = {", name, i, (long long)t->count);
    float *scale = calloc((size_t)rows + 1, sizeof(float));
    for (int64_t r = 0; r < rows; r++) {
        float most = 0;
        for (int64_t c = 0; c < cols; c++)
            most = fabsf(t->data[r * cols + c]) > most ? fabsf(t->data[r * cols + c]) : most;
        scale[r] = most > 0 ? most / 127.0f : 1.0f;
        for (int64_t c = 0; c < cols; c++)
            fprintf(out, "%s%d,", (r * cols + c) % 16 ? " " : "\n    ", (int)lrintf(t->data[r * cols + c] / scale[r]));
    }
    fprintf(out, "\n};\nstatic const float %s_s%d[%lld] = {", name, i, (long long)rows);
    for (int64_t r = 0; r < rows; r++) {
        fputs(r % 6 ? " " : "\n    ", out);
        print_float(out, scale[r]);
        fputc(',', out);
    }
    fprintf(out, "\n};\nstatic const quantized %s_m%d = {%s_q%d, %s_s%d};\n\n", name, i, name, i, name, i);
    free(scale);
}

static void emit_weights(FILE *out, const IrProgram *m, const rt_safetensors *st, const char *name, const bool *q) {
    for (int i = 0; i < m->nparams; i++) {
        const rt_tensor *t = rt_st_find(st, m->params[i].name);
        if (q && q[i]) {
            fprintf(out, "/* %s, int8 */\n", m->params[i].name);
            emit_int8(out, t, name, i);
            continue;
        }
        fprintf(out, "/* %s */\nstatic const float %s_w%d[%lld] = {", m->params[i].name, name, i, (long long)t->count);
        for (int64_t k = 0; k < t->count; k++) {
            fputs(k % 6 ? " " : "\n    ", out);
            print_float(out, t->data[k]);
            fputc(',', out);
        }
        fputs("\n};\n\n", out);
    }
    fprintf(out, "static float *const %s_params[%d] = {\n", name, m->nparams);
    for (int i = 0; i < m->nparams; i++)
        fprintf(out, q && q[i] ? "    (float *)&%s_m%d,\n" : "    (float *)%s_w%d,\n", name, i);
    fputs("};\n\n", out);
}

typedef struct Sizes {
    int64_t ws, tape, state, weights;
} Sizes;

static void emit_header(FILE *out, const IrProgram *p, const char *name, const Sizes *z, int max_steps) {
    char guard[128];
    size_t n = 0;
    for (const char *c = name; *c && n < sizeof guard - 3; c++)
        guard[n++] = (char)toupper((unsigned char)*c);
    snprintf(guard + n, sizeof guard - n, "_H");
    int64_t ram = 4 * (z->state + z->ws + z->tape);
    fprintf(out, "/* %s.h - model '%s' for embedded C, generated by rnnc %s. Do not edit.\n", name, p->name, RNNC_VERSION);
    fprintf(out, " * RAM: %lld bytes (%s_state %lld, static workspace %lld); flash: %lld bytes of weights,\n"
                 " * plus the code. */\n", (long long)ram, name, (long long)(4 * (z->state ? z->state : 1)),
            (long long)(4 * (z->ws + z->tape)), (long long)z->weights);
    fprintf(out, "#ifndef %s\n#define %s\n\n", guard, guard);
    const IrValue *in = &p->values[p->input];
    if (in->token)
        fprintf(out, "#define %s_VOCAB_SIZE %d\n", name, in->size);
    else
        fprintf(out, "#define %s_INPUT_SIZE %d\n", name, in->size);
    fprintf(out, "#define %s_OUTPUT_SIZE %d\n", name, p->values[p->output].size);
    if (max_steps)
        fprintf(out, "#define %s_MAX_STEPS %d\n", name, max_steps);
    fprintf(out, "\ntypedef struct {\n    float carry[%lld]; /* the cells' states */\n} %s_state;\n\n",
            (long long)(z->state ? z->state : 1), name);
    fprintf(out, "/* Zero the states: the start of a sequence. */\nvoid %s_reset(%s_state *s);\n", name, name);
    const char *x = in->token ? "const int *x" : "const float *x";
    if (max_steps)
        fprintf(out, "/* The whole sequence x of T steps (at most %s_MAX_STEPS); y gets the output of every step\n"
                     " * (or the last one for a per-sequence output). Returns 0, or -1 when T is out of range. */\n"
                     "int %s_sequence(%s_state *s, %s, int T, float *y);\n", name, name, name, x);
    else
        fprintf(out, "/* One time step: x in, the step's output in y (%s_OUTPUT_SIZE floats). */\n"
                     "void %s_step(%s_state *s, %s, float *y);\n", name, name, name, in->token ? "int x" : x);
    fprintf(out, "\n#endif\n");
}

/* Everything in NAME.c after its helpers: weights, buffers, the forward
 * functions and the API. */
static void emit_code(FILE *out, Arena *a, const IrProgram *p, const char *name, const rt_safetensors *st,
                      const Sizes *z, int max_steps, const bool *q) {
    emit_weights(out, p, st, name, q);
    fprintf(out, "static float %s_ws[%lld];\n", name, (long long)(z->ws ? z->ws : 1));
    if (!max_steps) /* the tape forward_train keeps over one step */
        fprintf(out, "static float %s_tape[%lld];\n", name, (long long)(z->tape ? z->tape : 1));
    fputc('\n', out);
    emit_forward_program(cg_c_new_prefixed(a, out, name), p);
    fprintf(out, "void %s_reset(%s_state *s)\n{\n    memset(s, 0, sizeof *s);\n}\n\n", name, name);
    bool token = p->values[p->input].token;
    if (max_steps) {
        fprintf(out, "int %s_sequence(%s_state *s, const %s *x, int T, float *y)\n{\n"
                     "    (void)s;\n    if (T < 1 || T > %s_MAX_STEPS)\n        return -1;\n"
                     "    %s_forward(%s_params, x, 1, T, y, %s_ws, 0);\n    return 0;\n}\n",
                name, name, token ? "int" : "float", name, name, name, name);
        return;
    }
    fprintf(out, "void %s_step(%s_state *s, %s, float *y)\n{\n", name, name, token ? "int x" : "const float *x");
    if (token)
        fprintf(out, "    int32_t id = (int32_t)x;\n");
    /* field by field: an initialiser would zero the rest with a call to memset (clang -O0) */
    fprintf(out, "    rt_train_ctx ctx;\n    ctx.tape = %s_tape;\n    ctx.state = %s;\n    ctx.training = 0;\n", name,
            z->state ? "s->carry" : "NULL");
    fprintf(out, "    %s_forward_train(%s_params, %s, 1, 1, y, %s_ws, &ctx);\n%s}\n", name, name, token ? "&id" : "x",
            name, z->state ? "" : "    (void)s;\n");
}

/* NAME.c: the code is written first, in memory, to choose the helpers it
 * calls. Returns 0, or -1 when memory runs out. */
static int emit_source(FILE *out, Arena *a, const IrProgram *p, const char *name, const rt_safetensors *st,
                       const Sizes *z, int max_steps, bool no_libm, const bool *q) {
    char *code = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&code, &len);
    if (!mem)
        return -1;
    emit_code(mem, a, p, name, st, z, max_steps, q);
    if (fclose(mem)) {
        free(code);
        return -1;
    }
    fprintf(out, "/* %s.c - model '%s' for embedded C, generated by rnnc %s. Do not edit.\n"
                 " * C99: no allocation, no stdio; the weights are static const data.%s */\n",
            name, p->name, RNNC_VERSION, no_libm ? "\n * --no-libm: links with nothing at all." : "");
    fprintf(out, "#include \"%s.h\"\n#include <math.h>\n#include <stdint.h>\n#include <string.h>\n\n", name);
    embedded_write_helpers(a, out, code, len, no_libm, q != NULL);
    fwrite(code, 1, len, out);
    free(code);
    return 0;
}

int embedded_emit(Arena *a, const IrProgram *p, const EmbeddedOptions *o) {
    const IrProgram *m = p;
    rt_safetensors st;
    if (load_weights(m, o->weights, &st))
        return 1;
    int max_steps = ir_is_bidirectional(p) ? o->max_steps : 0;
    Sizes z = {0};
    ProgramSizes sizes = emit_sizes_of(a, p, false); /* one sample; no packed weights */
    z.ws = ir_size_at(sizes.forward, 1, max_steps ? max_steps : 1);
    z.tape = max_steps ? 0 : ir_size_at(sizes.tape, 1, 1);
    z.state = ir_state_floats(p);
    bool *q = o->int8 ? quantizable(a, p) : NULL;
    for (int i = 0; i < m->nparams; i++) { /* bytes: 4 a float, or 1 an int8 plus 4 a row */
        int64_t rows = m->params[i].dims[0], count = rows * (m->params[i].rank > 1 ? m->params[i].dims[1] : 1);
        z.weights += q && q[i] ? count + 4 * rows : 4 * count;
    }
    if (mkdir(o->dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "rnnc: error: cannot create directory '%s': %s\n", o->dir, strerror(errno));
        rt_st_free(&st);
        return 1;
    }
    char *h_path = arena_printf(a, "%s/%s.h", o->dir, m->name), *c_path = arena_printf(a, "%s/%s.c", o->dir, m->name);
    Output h, c;
    int rc = 1;
    if (output_open(&h, h_path)) {
        emit_header(h.f, p, m->name, &z, max_steps);
        rc = output_close(&h);
    }
    if (!rc && output_open(&c, c_path)) {
        rc = emit_source(c.f, a, p, m->name, &st, &z, max_steps, o->no_libm, o->int8 ? quantizable(a, p) : NULL);
        if (rc)
            fprintf(stderr, "rnnc: error: out of memory while writing '%s'\n", c_path);
        rc = rc ? (rt_writer_abort(&c.w), 1) : output_close(&c);
    } else if (!rc) {
        rc = 1;
    }
    rt_st_free(&st);
    return rc;
}
