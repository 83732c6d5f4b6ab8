/* cells.c - the random tester for the compiler, after Csmith
 * and YARPGen: random cells (gen_cell.c), each
 *   1. differentiated symbolically and checked, step by step, against
 *      central finite differences in double precision through the IR
 *      interpreter (tests/tools/step_check.h: every input, state and
 *      parameter gradient within 1e-6 relative; double leaves ~1e-9);
 *   2. used in a model (one or two layers, one or both directions, MSE or
 *      cross-entropy, every step or `last`, sequences of one length or
 *      of random lengths (--lengths), chosen from the seed), built four ways - the LLVM
 *      backend through LLJIT and the C backend through $CC into a shared
 *      object, each at -O0 and -O3 - and run on the same weights and data:
 *      forward outputs and every parameter gradient must agree within the
 *      numerics bound (docs/programs.md) between all four (where a cell's values overflow float:
 *      non-finite in the same places, in the same way);
 *   3. exported with emit --target onnx (its weights the seed's; at -O3 for
 *      even seeds, -O0 for odd ones), the file read back by rnnc import,
 *      and the imported model built (LLVM, at the same level):
 *      its forward, on sequences without lengths, must agree with the
 *      original's within the bound.
 *   random_cells FIRST COUNT [DIR]
 * checks the cells of seeds FIRST..FIRST+COUNT-1 (DIR: where the C goes,
 * default /tmp); a mismatch prints the seed, what differed and the source.
 * Exit 0 when every cell passed. Runs from the repository root (it reads
 * build/include for the generated C). */
#include "emit_c.h"
#include "emit_llvm.h"
#include "emit_onnx.h"
#include "onnx_import.h"
#include "gen_cell.h"
#include "passes.h"
#include "step_check.h"
#include "rt_driver.h"
#include "rt_internal.h"
#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What JIT-compiled and dlopen'ed code calls must be linked in and exported. */
extern void (*const runtime_used[])(void);
void (*const runtime_used[])(void) = {(void (*)(void))rt_gemm_nt, (void (*)(void))rt_gemm_nn,
                                      (void (*)(void))rt_gemm_tn, (void (*)(void))rt_dropout,
                                      (void (*)(void))rt_tanh, (void (*)(void))rt_exp,
                                      (void (*)(void))rt_gemm_packed, (void (*)(void))rt_pack_part,
                                      (void (*)(void))rt_mask_seq, (void (*)(void))rt_mask_hold,
                                      (void (*)(void))rt_mask_rows, (void (*)(void))rt_last_step,
                                      (void (*)(void))rt_active_rows, (void (*)(void))rt_zero_tail,
                                      (void (*)(void))rt_main};

static const char *build_dir = "/tmp";
static int failures;
static double worst_step, worst_build, worst_onnx; /* the largest differences seen, for the summary */
static int onnx_compared;                            /* exports read back and run */

static void report(uint64_t seed, const char *source, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(uint64_t seed, const char *source, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "MISMATCH seed %llu: ", (unsigned long long)seed);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s\n", source);
    failures++;
}

/* ---- 1. the step's gradients against finite differences ---------------- */

static void step_gradients(uint64_t seed, const char *cell, int64_t in, int64_t k) {
    Frontend fe;
    if (!frontend_run(&fe, "cell.rnn", cell, strlen(cell))) {
        diag_print(&fe.diags, stderr);
        report(seed, cell, "the generated cell does not check");
        frontend_free(&fe);
        return;
    }
    CellInfo *info = strmap_get(&fe.sema.cells, "r");
    StepCheck c = {.a = &fe.arena, .nparams = info->nparams};
    c.f = ir_lower_cell(&fe.arena, info, (int64_t[]){in, k});
    c.adj = grad_step(&fe.arena, c.f);
    double most = step_check(&c, seed ^ 0xABCDEF);
    worst_step = fmax(worst_step, most);
    if (!(most <= 1e-6))
        report(seed, cell, "step gradient %s: symbolic %.12g, finite differences %.12g", c.where, c.symbolic,
               c.numeric);
    frontend_free(&fe);
}

/* ---- 2. four builds of a model, compared ------------------------------- */

enum { BUILDS = 4, B = 3, T = 5 };

typedef struct Result {
    float *out, **grads;
    int64_t nout;
} Result;

/* Build source's model at -O level through LLVM (llvm) or C; NULL on failure. */
static const rt_model *build_ir(const char *source, bool llvm, int level, Frontend *fe, LlvmJit **jit, void **so,
                                IrProgram **program) {
    if (!frontend_run(fe, "model.rnn", source, strlen(source)))
        return NULL;
    IrProgram *ir = ir_lower(&fe->arena, fe->sema.model_list.items[0]);
    opt_program(&fe->arena, ir, level, false, NULL);
    if (program)
        *program = ir;
    if (llvm)
        return llvm_jit_model(jit, &fe->arena, ir, level);
    char c_path[512], so_path[512], cmd[2048];
    snprintf(c_path, sizeof c_path, "%s/random_cell_%d.c", build_dir, (int)getpid());
    snprintf(so_path, sizeof so_path, "%s/random_cell_%d_%d.so", build_dir, (int)getpid(), level);
    FILE *f = fopen(c_path, "w");
    if (!f)
        return NULL;
    emitc_program(f, &fe->arena, ir);
    fclose(f);
    const char *cc = getenv("CC");
    snprintf(cmd, sizeof cmd, "%s -std=c99 -O%d -march=native -ffp-contract=off -shared -fPIC -Ibuild/include -o %s %s",
             cc && *cc ? cc : "cc", level, so_path, c_path);
    if (system(cmd) != 0)
        return NULL;
    *so = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
    unlink(so_path);
    return *so ? dlsym(*so, "rnn_model") : NULL;
}

static const rt_model *build(const char *source, bool llvm, int level, Frontend *fe, LlvmJit **jit, void **so) {
    return build_ir(source, llvm, level, fe, jit, so, NULL);
}

/* Padding as the data reader leaves it: inputs 0, targets 0 or -100. */
static void pad(const rt_model *m, const int32_t *len, float *x, void *y) {
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = len[b]; t < T; t++) {
            memset(x + (b * T + t) * m->input.size, 0, sizeof(float) * (size_t)m->input.size);
            if (m->target.seq && m->target.token)
                ((int32_t *)y)[b * T + t] = RT_IGNORE_INDEX;
            else if (m->target.seq)
                memset((float *)y + (b * T + t) * m->target.size, 0, sizeof(float) * (size_t)m->target.size);
        }
}

/* Forward and gradients on seeded weights and data (with lengths: each
 * sequence's drawn from the seed, one of them T). */
static bool run(const rt_model *m, uint64_t seed, bool lengths, Result *r) {
    rt_params p;
    rt_error err;
    if (rt_params_init(m, seed, &p, &err))
        return false;
    GenRng g = {seed}, gl = {seed ^ 0x1E6};
    int32_t len[B];
    for (int b = 0; b < B; b++)
        len[b] = b == 1 ? T : 1 + gen_below(&gl, T);
    rt_data x = {.B = B, .T = T, .width = m->input.size, .lengths = lengths ? len : NULL};
    x.floats = rt_alloc_floats((size_t)(B * T * m->input.size));
    for (int64_t i = 0; i < B * T * m->input.size; i++)
        x.floats[i] = (float)((double)(gen_next(&g) >> 11) * 0x1.0p-52 - 1);
    int64_t rows = B * (m->output.seq ? T : 1), ny = m->target.token ? rows : rows * m->target.size;
    void *y = malloc(sizeof(float) * (size_t)ny);
    for (int64_t i = 0; i < ny; i++) {
        if (m->target.token)
            ((int32_t *)y)[i] = gen_below(&g, (int)m->target.size);
        else
            ((float *)y)[i] = (float)((double)(gen_next(&g) >> 11) * 0x1.0p-53);
    }
    if (lengths)
        pad(m, len, x.floats, y);
    r->nout = rows * m->output.size;
    r->out = malloc(sizeof(float) * (size_t)r->nout);
    rt_trainer t;
    bool ok = !rt_run_forward(m, &p, &x, r->out, &err) && !rt_trainer_init(&t, m, B, T, &err);
    if (ok) {
        rt_grads_zero(&t);
        memset(t.state, 0, sizeof(float) * (size_t)(B * m->state_floats));
        rt_train_pass(&t, p.data, x.floats, y, x.lengths, B, T, NULL);
        r->grads = calloc((size_t)m->nparams, sizeof(float *));
        for (int i = 0; i < m->nparams; i++) {
            size_t n = (size_t)rt_param_count(&m->params[i]);
            r->grads[i] = malloc(sizeof(float) * n);
            memcpy(r->grads[i], t.grads.data[i], sizeof(float) * n);
        }
        rt_trainer_free(&t);
    }
    rt_params_free(&p);
    free(x.floats);
    free(y);
    return ok;
}

static int overflowed; /* cells whose values left float's range (the same way in every build) */

/* The largest difference over its bound (the numerics bound, docs/programs.md): <= 1 agrees.
 * Where a cell's values overflow float, both sides must be non-finite in
 * the same way (NaN and NaN, or the same infinity); *nonfinite says so. */
static double over_bound(const float *got, const float *want, int64_t n, bool *nonfinite) {
    double diff = 0, ref = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(want[i]) || !isfinite(got[i])) {
            bool same = (isnan(want[i]) && isnan(got[i])) || want[i] == got[i];
            *nonfinite = true;
            if (!same)
                return INFINITY;
            continue;
        }
        diff = fmax(diff, fabs((double)got[i] - (double)want[i]));
        ref = fmax(ref, fabs((double)want[i]));
    }
    return diff / (1e-4 * ref + 1e-5);
}

/* The seed's input for m: B x T vectors in [-1, 1). */
static float *random_input(const rt_model *m, uint64_t seed) {
    GenRng g = {seed};
    float *x = rt_alloc_floats((size_t)(B * T * m->input.size));
    for (int64_t i = 0; i < B * T * m->input.size; i++)
        x[i] = (float)((double)(gen_next(&g) >> 11) * 0x1.0p-52 - 1);
    return x;
}

/* m's forward on x with the weights in path (or the seed's): its outputs, or NULL. */
static float *forward_of(const rt_model *m, const char *path, uint64_t seed, float *x, int64_t *n) {
    rt_params p;
    rt_error err;
    if (path ? rt_params_load(m, path, &p, &err) : rt_params_init(m, seed, &p, &err))
        return NULL;
    rt_data data = {.B = B, .T = T, .width = m->input.size, .floats = x};
    *n = B * (m->output.seq ? T : 1) * m->output.size;
    float *out = malloc(sizeof(float) * (size_t)*n);
    if (rt_run_forward(m, &p, &data, out, &err)) {
        free(out);
        out = NULL;
    }
    rt_params_free(&p);
    return out;
}

/* A whole file as text (malloc'd), or NULL. */
static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    for (size_t got; text && (got = fread(text + len, 1, cap - len - 1, f)) > 0;) {
        len += got;
        if (cap - len < 2)
            text = realloc(text, cap *= 2);
    }
    fclose(f);
    if (text)
        text[len] = 0;
    return text;
}

/* Step 3: emit --target onnx, rnnc import, build; forward against the original's. */
static void onnx_round_trip(uint64_t seed, const char *source) {
    char weights[512], model[512], back[512], back_weights[512];
    snprintf(weights, sizeof weights, "%s/random_cell_%d.safetensors", build_dir, (int)getpid());
    snprintf(model, sizeof model, "%s/random_cell_%d.onnx", build_dir, (int)getpid());
    snprintf(back, sizeof back, "%s/random_cell_%d_back.rnn", build_dir, (int)getpid());
    snprintf(back_weights, sizeof back_weights, "%s/random_cell_%d_back.safetensors", build_dir, (int)getpid());
    Frontend fe, fe_back;
    LlvmJit *jit = NULL, *jit_back = NULL;
    IrProgram *ir = NULL;
    int level = seed % 2 ? 0 : 3; /* the export of the optimised step, and of the step as lowered */
    const rt_model *m = build_ir(source, true, level, &fe, &jit, NULL, &ir), *m_back = NULL;
    rt_params p;
    rt_error err;
    char *text = NULL;
    float *x = m ? random_input(m, seed) : NULL, *want = NULL, *got = NULL;
    int64_t n = 0, n_back = 0;
    if (!m || rt_params_init(m, seed, &p, &err))
        report(seed, source, "onnx: the model does not build");
    else if (rt_params_save(m, &p, weights, &err) || (rt_params_free(&p), 0))
        report(seed, source, "onnx: the weights cannot be written: %s", err.msg);
    else if (onnx_emit(&fe.arena, ir, level, weights, model))
        report(seed, source, "onnx: emit --target onnx fails");
    else if (onnx_import(&fe.arena, &(ImportOptions){model, back, back_weights, NULL}))
        report(seed, source, "onnx: rnnc import of the export fails");
    else if (!(text = read_text(back)) || !(m_back = build(text, true, level, &fe_back, &jit_back, NULL)))
        report(seed, source, "onnx: the imported model does not build:\n%s", text ? text : "");
    else if (!(want = forward_of(m, NULL, seed, x, &n)) || !(got = forward_of(m_back, back_weights, seed, x, &n_back)) ||
             n != n_back)
        report(seed, source, "onnx: the imported model does not run, or gives %lld outputs for %lld", (long long)n_back,
               (long long)n);
    else {
        bool nonfinite = false;
        double o = over_bound(got, want, n, &nonfinite);
        worst_onnx = fmax(worst_onnx, o);
        onnx_compared++;
        if (!(o <= 1))
            report(seed, source, "onnx: the imported export's forward differs (%.3g x the bound)", o);
    }
    if (m_back) {
        llvm_jit_free(jit_back);
        frontend_free(&fe_back);
    }
    if (jit)
        llvm_jit_free(jit);
    frontend_free(&fe);
    free(text), free(x), free(want), free(got);
    unlink(weights), unlink(model), unlink(back), unlink(back_weights);
}

static void model_builds(uint64_t seed, const char *source, bool lengths) {
    static const char *names[BUILDS] = {"llvm -O0", "llvm -O3", "c -O0", "c -O3"};
    Result res[BUILDS] = {{0}};
    int nparams = 0;
    bool nonfinite = false;
    for (int b = 0; b < BUILDS; b++) {
        Frontend fe;
        LlvmJit *jit = NULL;
        void *so = NULL;
        const rt_model *m = build(source, b < 2, b % 2 ? 3 : 0, &fe, &jit, &so);
        if (!m || !run(m, seed, lengths, &res[b]))
            report(seed, source, "%s: the model does not build or run", names[b]);
        else
            nparams = m->nparams;
        for (int i = 0; b > 0 && m && res[0].out && res[b].out && i < nparams; i++) {
            int64_t n = rt_param_count(&m->params[i]);
            double o = over_bound(res[b].grads[i], res[0].grads[i], n, &nonfinite);
            worst_build = fmax(worst_build, o);
            if (!(o <= 1))
                report(seed, source, "%s against %s: gradient of %s differs (%.3g x the bound)", names[b], names[0],
                       m->params[i].name, o);
        }
        double o = b > 0 && res[0].out && res[b].out ? over_bound(res[b].out, res[0].out, res[0].nout, &nonfinite) : 0;
        worst_build = fmax(worst_build, o);
        if (!(o <= 1))
            report(seed, source, "%s against %s: forward outputs differ", names[b], names[0]);
        if (jit)
            llvm_jit_free(jit);
        if (so)
            dlclose(so);
        frontend_free(&fe);
    }
    overflowed += nonfinite;
    for (int b = 0; b < BUILDS; b++) {
        for (int i = 0; res[b].grads && i < nparams; i++)
            free(res[b].grads[i]);
        free(res[b].grads);
        free(res[b].out);
    }
}

/* The cell of seed in a model: sizes, layers, direction, loss, `last`
 * and whether sequences have lengths from the seed. */
static char *model_source(uint64_t seed, const char *cell, int64_t *in, int64_t *k, bool *lengths) {
    GenRng r = {seed ^ 0x5EED};
    *in = 1 + gen_below(&r, 5);
    *k = 1 + gen_below(&r, 6);
    int layers = 1 + gen_below(&r, 2), bidi = gen_below(&r, 3) == 0, ce = gen_below(&r, 2);
    *lengths = gen_below(&r, 2);
    int last = gen_below(&r, 4) == 0;
    char *s = malloc(strlen(cell) + 512);
    sprintf(s, "%smodel m {\n  input x : seq vector(%lld)\n  target y : %s%s(%d)\n"
               "  h = r(x, k=%lld%s%s)\n  o = linear(%s, %d)\n  loss %s(o, y)\n}\n",
            cell, (long long)*in, last ? "" : "seq ", ce ? "token" : "vector", ce ? 4 : 2, (long long)*k,
            layers == 2 ? ", layers=2" : "", bidi ? ", bidirectional=true" : "", last ? "last(h)" : "h", ce ? 4 : 2,
            ce ? "cross_entropy" : "mse");
    return s;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: random_cells FIRST COUNT [DIR]\n");
        return 2;
    }
    uint64_t first = strtoull(argv[1], NULL, 10), count = strtoull(argv[2], NULL, 10);
    if (argc > 3)
        build_dir = argv[3];
    for (uint64_t seed = first; seed < first + count; seed++) {
        char *cell = gen_cell(seed);
        int64_t in, k;
        bool lengths;
        char *source = model_source(seed, cell, &in, &k, &lengths);
        step_gradients(seed, cell, in, k);
        model_builds(seed, source, lengths);
        onnx_round_trip(seed, source);
        free(source);
        free(cell);
        if ((seed - first + 1) % 100 == 0) {
            printf("%llu cells, %d mismatches\n", (unsigned long long)(seed - first + 1), failures);
            fflush(stdout);
        }
    }
    printf("random cells %llu..%llu: %llu checked, %d mismatches; largest step gradient error %.2g (relative, "
           "bound 1e-6), largest difference between builds %.2g of the numerics bound (docs/programs.md), and between "
           "a model and its ONNX export read back %.2g (%d compared); %d cells overflowed float, the same way in all four "
           "builds\n",
           (unsigned long long)first, (unsigned long long)(first + count - 1), (unsigned long long)count, failures,
           worst_step, worst_build, worst_onnx, onnx_compared, overflowed);
    return failures != 0;
}
