/* main.c - the rnnc command line (SPEC section 4).
 * The whole pipeline is written out here, stage by stage:
 *   read -> parse (grammar/) -> sema -> lower -> optimise and differentiate
 *   (passes.c) -> emit C, LLVM IR or embedded C -> cc
 * (run_model below)
 * Exit codes: 0 success, 1 errors in the input, 2 usage errors. */
#include "frontend.h"
#include "build.h"
#include "passes.h"
#include "emit_c.h"
#include "emit_embedded.h"
#include "emit_llvm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: rnnc check FILE.rnn [-d ast|model]\n"
    "       rnnc build FILE.rnn [-o PROG] [--backend c|llvm] [-O0|-O1|-O2|-O3] [--mpi] [--model NAME]\n"
    "       rnnc emit  FILE.rnn --target c|ir|llvm-ir|embedded|adjoint|prelude [-o OUT]\n"
    "                  [-O0..-O3] [--print-after-all]\n"
    "                  [--weights W.safetensors] [--model NAME]\n"
    "       rnnc --help | --version\n";

static const char help_text[] =
    "rnnc compiles recurrent neural network models written as cells and layers\n"
    "into standalone programs that initialise, train, run and sample them.\n"
    "\n"
    "commands:\n"
    "  check FILE.rnn        parse and check; print diagnostics only\n"
    "  build FILE.rnn        compile a model to an executable\n"
    "  emit FILE.rnn         write an intermediate form (--target):\n"
    "                          prelude   the built-in cells, as source (FILE optional)\n"
    "                          c, ir, llvm-ir, embedded, adjoint\n"
    "\n"
    "options:\n"
    "  -o PATH               output file (emit: a directory for multi-file targets)\n"
    "  --model NAME          the model to build when the file has several\n"
    "  --backend c|llvm      code generator for build (default c)\n"
    "  -O0 .. -O3            optimisation level (default -O2); -O0: no IR passes\n"
    "  --print-after-all     emit --target ir: the IR as lowered, then after each pass\n"
    "  -d ast                check: print the syntax tree\n"
    "  -d model              check: print each model's layers and parameters\n"
    "\n"
    "exit status: 0 success, 1 errors in the input, 2 usage error\n";

typedef struct Options {
    const char *command, *file, *output, *target, *model, *backend, *weights, *dump;
    const char *argv0;
    const char *max_steps, *quantize;
    bool no_libm, print_after_all;
    int opt_level;
    bool mpi;
} Options;

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "rnnc: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage_text);
    return 2;
}

/* Parse argv into o; returns 0, or the exit code of a usage error. */
static int parse_options(int argc, char **argv, Options *o) {
    *o = (Options){.opt_level = 2, .backend = "c", .argv0 = argv[0]};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **value = NULL;
        if (!strcmp(a, "-o"))
            value = &o->output;
        else if (!strcmp(a, "--target"))
            value = &o->target;
        else if (!strcmp(a, "--model"))
            value = &o->model;
        else if (!strcmp(a, "--backend"))
            value = &o->backend;
        else if (!strcmp(a, "--weights"))
            value = &o->weights;
        else if (!strcmp(a, "-d"))
            value = &o->dump;
        else if (!strcmp(a, "--max-steps"))
            value = &o->max_steps;
        else if (!strcmp(a, "--quantize"))
            value = &o->quantize;
        if (value) {
            if (i + 1 >= argc)
                return usage_error("option '%s' needs a value", a);
            *value = argv[++i];
        } else if (!strcmp(a, "--mpi")) {
            o->mpi = true;
        } else if (!strcmp(a, "--no-libm")) {
            o->no_libm = true;
        } else if (!strcmp(a, "--print-after-all")) {
            o->print_after_all = true;
        } else if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3]) {
            o->opt_level = a[2] - '0';
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option '%s'", a);
        } else if (!o->command) {
            o->command = a;
        } else if (!o->file) {
            o->file = a;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (!o->command)
        return usage_error("%s", "no command given");
    if (strcmp(o->backend, "c") && strcmp(o->backend, "llvm"))
        return usage_error("unknown backend '%s' (expected c or llvm)", o->backend);
    return 0;
}

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
        return usage_error("%s", "check needs a FILE.rnn");
    if (o->dump && strcmp(o->dump, "ast") && strcmp(o->dump, "model"))
        return usage_error("unknown dump '%s' (expected ast or model)", o->dump);
    Frontend f;
    bool ok = check_file(&f, o->file);
    if (o->dump && !strcmp(o->dump, "ast"))
        ast_print(stdout, &f.user);
    for (int i = 0; ok && o->dump && !strcmp(o->dump, "model") && i < f.sema.model_list.len; i++)
        sema_dump_model(stdout, f.sema.model_list.items[i]);
    frontend_free(&f);
    return ok ? 0 : 1;
}


/* Open -o PATH, or stdout without -o. */
static FILE *open_output(const Options *o) {
    FILE *out = o->output ? fopen(o->output, "w") : stdout;
    if (!out)
        fprintf(stderr, "rnnc: error: cannot write '%s'\n", o->output);
    return out;
}

static int close_output(const Options *o, FILE *out) {
    if (out != stdout && fclose(out)) {
        fprintf(stderr, "rnnc: error: cannot write '%s'\n", o->output);
        return 1;
    }
    return 0;
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
    FILE *out = open_output(o);
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
    return close_output(o, out);
}

/* emit --target embedded --weights W -o DIR [--max-steps N] */
static int emit_embedded(const Options *o, IrProgram *ir, Arena *arena) {
    if (!o->weights || !o->output)
        return usage_error("%s", "--target embedded needs --weights W.safetensors and -o DIR");
    char *end = NULL;
    long steps = o->max_steps ? strtol(o->max_steps, &end, 10) : 128;
    if ((o->max_steps && (*end || !*o->max_steps)) || steps < 1 || steps > 1000000)
        return usage_error("--max-steps takes a whole number in [1, 1000000], not '%s'", o->max_steps);
    if (o->quantize && strcmp(o->quantize, "int8"))
        return usage_error("--quantize takes int8, not '%s'", o->quantize);
    EmbeddedOptions eo = {o->weights, o->output, (int)steps, o->no_libm, o->quantize != NULL};
    return embedded_emit(arena, ir, &eo);
}

/* emit --target ir --print-after-all: the program as lowered, then after
 * each pass. */
static int emit_ir_trace(const Options *o, IrProgram *ir, Arena *arena) {
    FILE *out = open_output(o);
    if (!out)
        return 1;
    fputs("; ---- as lowered ----\n", out);
    ir_print(out, ir);
    opt_program(arena, ir, o->opt_level, false, out);
    if (o->opt_level == 0) {
        fputs("; ---- differentiated (-O0: no passes) ----\n", out);
        ir_print(out, ir);
    }
    return close_output(o, out);
}

/* The pipeline after the front end: lower, optimise and differentiate,
 * emit or build. */
static int run_model(const Options *o, const char *what, ModelInfo *m, Arena *arena) {
    IrProgram *ir = ir_lower(arena, m);
    bool emit = !strcmp(what, "emit");
    if (emit && o->print_after_all && strcmp(o->target, "ir"))
        return usage_error("%s", "--print-after-all goes with --target ir");
    if (emit && o->print_after_all)
        return emit_ir_trace(o, ir, arena);
    /* the adjoint target shows the derivation itself, unoptimised */
    opt_program(arena, ir, emit && !strcmp(o->target, "adjoint") ? 0 : o->opt_level,
                emit && !strcmp(o->target, "embedded"), NULL);
    if (!strcmp(what, "emit") && !strcmp(o->target, "embedded"))
        return emit_embedded(o, ir, arena);
    if (!strcmp(what, "emit"))
        return emit_text(o, ir, arena);
    BuildOptions bo = {o->output ? o->output : m->name, o->opt_level, o->argv0, !strcmp(o->backend, "llvm"), o->mpi};
    return build_program(arena, ir, &bo);
}

static int with_model(Options *o, const char *what) {
    if (!o->file)
        return usage_error("%s needs a FILE.rnn", what);
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
    static const char *const targets[] = {"c", "ir", "llvm-ir", "embedded", "adjoint", "prelude"};
    if (!o->target)
        return usage_error("%s", "emit needs --target");
    bool known = false;
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++)
        known |= !strcmp(targets[i], o->target);
    if (!known)
        return usage_error("unknown target '%s' (expected c, ir, llvm-ir, embedded, adjoint or prelude)", o->target);
    if (!strcmp(o->target, "prelude")) {
        FILE *out = open_output(o);
        if (!out)
            return 1;
        fputs(rnnc_prelude_text, out);
        return close_output(o, out);
    }
    return with_model(o, "emit");
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_text, stdout);
            fputs("\n", stdout);
            fputs(help_text, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("rnnc %s\n", RNNC_VERSION);
            return 0;
        }
    }
    Options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc;
    if (!strcmp(o.command, "check"))
        return cmd_check(&o);
    if (!strcmp(o.command, "emit"))
        return cmd_emit(&o);
    if (!strcmp(o.command, "build"))
        return with_model(&o, "build");
    return usage_error("unknown command '%s' (expected check, build or emit)", o.command);
}
