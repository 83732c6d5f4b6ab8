/* main.c - the rnnc command line (docs/programs.md).
 * The whole pipeline is written out here, stage by stage:
 *   read -> parse (grammar/) -> sema -> lower -> optimise and differentiate
 *   (passes.c) -> emit C, LLVM IR or embedded C -> cc
 * (run_model below)
 * Exit codes: 0 success, 1 errors in the input, 2 usage errors, 3 an
 * internal error (die()). */
#include "frontend.h"
#include "build.h"
#include "passes.h"
#include "emit_c.h"
#include "emit_embedded.h"
#include "emit_llvm.h"
#include "emit_onnx.h"
#include "options.h"
#include "onnx_import.h"
#include "output.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read and check the file; print diagnostics. */
static bool check_file(Frontend *f, const char *path) {
    char *text;
    size_t len;
    Diags read_diags = {0};
    if (!frontend_read_file(&read_diags, path, &text, &len))
        return (memset(f, 0, sizeof *f), false);
    bool ok = frontend_run(f, path, text, len);
    free(text);
    diag_print(&f->diags, stderr);
    return ok;
}

static int cmd_check(Options *o) {
    if (!o->file)
        return usage_error(o, "check needs a FILE.rnn");
    if (o->dump && strcmp(o->dump, "ast") && strcmp(o->dump, "model"))
        return usage_error(o, "unknown dump '%s' (expected ast or model)", o->dump);
    Frontend f;
    bool ok = check_file(&f, o->file);
    if (o->dump && !strcmp(o->dump, "ast"))
        ast_print(stdout, &f.user);
    for (int i = 0; ok && o->dump && !strcmp(o->dump, "model") && i < f.sema.model_list.len; i++) {
        sema_dump_model(stdout, f.sema.model_list.items[i]);
        ir_print_params(stdout, ir_lower(&f.arena, f.sema.model_list.items[i]));
    }
    frontend_free(&f);
    return ok ? 0 : 1;
}


/* Check the file and pick its model: the only one, or --model NAME. */
static ModelInfo *pick_model(Frontend *f, const Options *o, const char *what) {
    PtrVec *models = &f->sema.model_list;
    if (models->len == 0)
        fprintf(stderr, "%s: error: no model to %s: the file defines only cells\n", o->file, what);
    else if (!o->model && models->len > 1)
        fprintf(stderr, "%s: error: the file defines %d models; choose one with --model NAME\n", o->file,
                models->len);
    else if (o->model && !frontend_find_model(f, o->model))
        fprintf(stderr, "%s: error: no model named '%s'\n", o->file, o->model);
    else
        return o->model ? frontend_find_model(f, o->model) : models->items[0];
    return NULL;
}

/* The pipeline after the front end, for the model that was picked. */
/* emit --target ir | adjoint | c: one text for the picked model. */
static int emit_text(const Options *o, IrProgram *ir, Arena *arena) {
    bool ir_text = !strcmp(o->target, "ir"), adjoint = !strcmp(o->target, "adjoint");
    bool llvm = !strcmp(o->target, "llvm-ir");
    if (!ir_text && !adjoint && !llvm && strcmp(o->target, "c")) {
        fprintf(stderr, "rnnc: error: emit --target %s is not implemented yet in this version of rnnc\n", o->target);
        return 1;
    }
    Output file;
    FILE *out = output_open(&file, o->output);
    if (!out)
        return 1;
    if (ir_text)
        ir_print(out, ir);
    else if (adjoint)
        grad_print_program(out, ir);
    else if (llvm) /* a generic CPU: the same text on every machine */
        llvm_emit_text(arena, ir, &(LlvmOptions){o->opt_level, false}, out);
    else
        emitc_program(out, arena, ir);
    return output_close(&file);
}

/* emit --target embedded --weights W -o DIR [--max-steps N] */
static int emit_embedded(const Options *o, IrProgram *ir, Arena *arena) {
    if (!o->weights || !o->output)
        return usage_error(o, "--target embedded needs --weights W.safetensors and -o DIR");
    char *end = NULL;
    long steps = o->max_steps ? strtol(o->max_steps, &end, 10) : 128;
    if ((o->max_steps && (*end || !*o->max_steps)) || steps < 1 || steps > 1000000)
        return usage_error(o, "--max-steps takes a whole number in [1, 1000000], not '%s'", o->max_steps);
    if (o->quantize && strcmp(o->quantize, "int8"))
        return usage_error(o, "--quantize takes int8, not '%s'", o->quantize);
    EmbeddedOptions eo = {o->weights, o->output, (int)steps, o->no_libm, o->quantize != NULL};
    return embedded_emit(arena, ir, &eo);
}

/* emit --target onnx --weights W -o MODEL.onnx */
static int emit_onnx(const Options *o, IrProgram *ir, Arena *arena) {
    if (!o->weights || !o->output)
        return usage_error(o, "--target onnx needs --weights W.safetensors and -o MODEL.onnx");
    return onnx_emit(arena, ir, o->opt_level, o->weights, o->output);
}

/* emit --target ir --print-after-all: the program as lowered, then after
 * each pass. */
static int emit_ir_trace(const Options *o, IrProgram *ir, Arena *arena) {
    Output file;
    FILE *out = output_open(&file, o->output);
    if (!out)
        return 1;
    fputs("; ---- as lowered ----\n", out);
    ir_print(out, ir);
    opt_program(arena, ir, o->opt_level, false, out);
    if (o->opt_level == 0) {
        fputs("; ---- differentiated (-O0: no passes) ----\n", out);
        ir_print(out, ir);
    }
    return output_close(&file);
}

/* The pipeline after the front end: lower, optimise and differentiate,
 * emit or build. */
static int run_model(const Options *o, const char *what, ModelInfo *m, Arena *arena) {
    IrProgram *ir = ir_lower(arena, m);
    bool emit = !strcmp(what, "emit");
    if (emit && o->print_after_all && strcmp(o->target, "ir"))
        return usage_error(o, "--print-after-all goes with --target ir");
    if (emit && o->print_after_all)
        return emit_ir_trace(o, ir, arena);
    /* the adjoint target shows the derivation itself, unoptimised */
    opt_program(arena, ir, emit && !strcmp(o->target, "adjoint") ? 0 : o->opt_level,
                emit && !strcmp(o->target, "embedded"), NULL);
    if (!strcmp(what, "emit") && !strcmp(o->target, "embedded"))
        return emit_embedded(o, ir, arena);
    if (!strcmp(what, "emit") && !strcmp(o->target, "onnx"))
        return emit_onnx(o, ir, arena);
    if (!strcmp(what, "emit"))
        return emit_text(o, ir, arena);
    BuildOptions bo = {o->output ? o->output : m->name, o->opt_level, o->argv0, !strcmp(o->backend, "llvm"), o->mpi};
    return build_program(arena, ir, &bo);
}

static int with_model(Options *o, const char *what) {
    if (!o->file)
        return usage_error(o, "%s needs a FILE.rnn", what);
    Frontend f;
    int rc = 1;
    if (check_file(&f, o->file)) {
        ModelInfo *m = pick_model(&f, o, what);
        if (m)
            rc = run_model(o, what, m, &f.arena);
    }
    frontend_free(&f);
    return rc;
}

static int cmd_emit(Options *o) {
    static const char *const targets[] = {"c", "ir", "llvm-ir", "embedded", "adjoint", "prelude", "onnx"};
    if (!o->target)
        return usage_error(o, "emit needs --target");
    bool known = false;
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++)
        known |= !strcmp(targets[i], o->target);
    if (!known)
        return usage_error(o, "unknown target '%s' (expected c, ir, llvm-ir, embedded, adjoint, prelude or onnx)", o->target);
    if (!strcmp(o->target, "prelude")) {
        Output file;
        FILE *out = output_open(&file, o->output);
        if (!out)
            return 1;
        fputs(rnnc_prelude_text, out);
        return output_close(&file);
    }
    return with_model(o, "emit");
}

static int cmd_import(Options *o) {
    if (!o->file)
        return usage_error(o, "import needs a MODEL.onnx");
    Arena arena = {0};
    ImportOptions io = {o->file, o->output, o->weights_out, NULL};
    int rc = onnx_import(&arena, &io);
    arena_free(&arena);
    return rc;
}

int main(int argc, char **argv) {
    Options o;
    int rc = options_parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!strcmp(o.command, "check"))
        return cmd_check(&o);
    if (!strcmp(o.command, "emit"))
        return cmd_emit(&o);
    if (!strcmp(o.command, "import"))
        return cmd_import(&o);
    return with_model(&o, "build");
}
