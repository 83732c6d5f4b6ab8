/* options.c - rnnc's command line: the usage of each command, the option
 * table and its parsing (options.h). */
#include "options.h"
#include "rt_options.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const usages[][2] = {
    {"check", "rnnc check FILE.rnn [-d ast|model]"},
    {"build", "rnnc build FILE.rnn [-o PROG] [--backend c|llvm] [-O0|-O1|-O2|-O3] [--mpi] [--model NAME]"},
    {"emit", "rnnc emit  FILE.rnn --target c|ir|llvm-ir|embedded|adjoint|prelude|onnx [-o OUT] [-O0..-O3]\n"
             "                  [--model NAME] [--print-after-all] [--weights W.safetensors]\n"
             "                  [--max-steps N] [--no-libm] [--quantize int8]"},
    {"import", "rnnc import MODEL.onnx [-o NAME.rnn] [--weights-out W.safetensors]"},
};

static const char help_text[] =
    "rnnc compiles recurrent neural network models written as cells and layers\n"
    "into standalone programs that initialise, train, run and sample them.\n"
    "\n"
    "commands:\n"
    "  check FILE.rnn        parse and check; print diagnostics only\n"
    "  build FILE.rnn        compile a model to an executable\n"
    "  emit FILE.rnn         write an intermediate form (--target):\n"
    "                          prelude   the built-in cells, as source (FILE optional)\n"
    "                          c, ir, llvm-ir, embedded, adjoint, onnx\n"
    "  import MODEL.onnx     translate an ONNX model into rnnc source and weights\n"
    "\n"
    "options:\n"
    "  -o PATH               output file (emit --target embedded: a directory)\n"
    "  --model NAME          the model to build when the file has several\n"
    "  --backend c|llvm      build: the code generator (default c)\n"
    "  --mpi                 build: data-parallel training under mpirun\n"
    "  -O0 .. -O3            optimisation level (default -O2); -O0: no IR passes\n"
    "  --print-after-all     emit --target ir: the IR as lowered, then after each pass\n"
    "  --weights W           emit --target embedded or onnx: the weights to bake in\n"
    "  --max-steps N         emit --target embedded: the longest sequence of a\n"
    "                        bidirectional model (default 128)\n"
    "  --no-libm             emit --target embedded: no C library at all\n"
    "  --quantize int8       emit --target embedded: matrices as int8 rows\n"
    "  --weights-out W       import: where the weights go (default NAME.safetensors)\n"
    "  -d ast | -d model     check: print the syntax tree, or each model's layers\n"
    "                        and parameters\n"
    "  -h, --help            this text; 'rnnc COMMAND --help': one command's usage\n"
    "  --version             rnnc's version\n"
    "\n"
    "Options take their value as --name VALUE or --name=VALUE; an unambiguous\n"
    "prefix of a name will do.\n"
    "exit status: 0 success, 1 errors in the input, 2 usage error\n";

enum { OPT_TARGET = 256, OPT_MODEL, OPT_BACKEND, OPT_WEIGHTS, OPT_MAX_STEPS, OPT_QUANTIZE, OPT_WEIGHTS_OUT, OPT_MPI,
       OPT_NO_LIBM, OPT_PRINT_AFTER_ALL, OPT_VERSION };

static const struct option long_options[] = {
    {"target", required_argument, NULL, OPT_TARGET},
    {"model", required_argument, NULL, OPT_MODEL},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"weights", required_argument, NULL, OPT_WEIGHTS},
    {"max-steps", required_argument, NULL, OPT_MAX_STEPS},
    {"quantize", required_argument, NULL, OPT_QUANTIZE},
    {"weights-out", required_argument, NULL, OPT_WEIGHTS_OUT},
    {"mpi", no_argument, NULL, OPT_MPI},
    {"no-libm", no_argument, NULL, OPT_NO_LIBM},
    {"print-after-all", no_argument, NULL, OPT_PRINT_AFTER_ALL},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static const char *usage_of(const char *command) {
    for (size_t i = 0; command && i < sizeof usages / sizeof *usages; i++)
        if (!strcmp(usages[i][0], command))
            return usages[i][1];
    return NULL;
}

int usage_error(const Options *o, const char *fmt, ...) {
    fputs("rnnc: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    const char *cmd = usage_of(o->command) ? o->command : NULL;
    fprintf(stderr, "\n(rnnc%s%s --help shows the usage)\n", cmd ? " " : "", cmd ? cmd : "");
    return 2;
}

static void print_help(const char *command) {
    if (usage_of(command)) {
        printf("usage: %s\n", usage_of(command));
        return;
    }
    for (size_t i = 0; i < sizeof usages / sizeof *usages; i++)
        printf("%s %s\n", i ? "      " : "usage:", usages[i][1]);
    printf("       rnnc --help | --version\n\n%s", help_text);
}

/* One option (getopt_long's c, with optarg) into o; 0 or a usage error. */
static int take_option(Options *o, int c, const char *arg) {
    const char **value[] = {[OPT_TARGET - OPT_TARGET] = &o->target,   [OPT_MODEL - OPT_TARGET] = &o->model,
                            [OPT_BACKEND - OPT_TARGET] = &o->backend, [OPT_WEIGHTS - OPT_TARGET] = &o->weights,
                            [OPT_MAX_STEPS - OPT_TARGET] = &o->max_steps,
                            [OPT_QUANTIZE - OPT_TARGET] = &o->quantize,
                            [OPT_WEIGHTS_OUT - OPT_TARGET] = &o->weights_out};
    switch (c) {
    case 'o': o->output = arg; return 0;
    case 'd': o->dump = arg; return 0;
    case 'O':
        if (!(arg[0] >= '0' && arg[0] <= '3' && !arg[1]))
            return usage_error(o, "unknown optimisation level '-O%s' (expected -O0, -O1, -O2 or -O3)", arg);
        o->opt_level = arg[0] - '0';
        return 0;
    case OPT_MPI: o->mpi = true; return 0;
    case OPT_NO_LIBM: o->no_libm = true; return 0;
    case OPT_PRINT_AFTER_ALL: o->print_after_all = true; return 0;
    default: *value[c - OPT_TARGET] = arg; return 0;
    }
}

/* The command and the file: the words that are not options. */
static int take_words(Options *o, int argc, char **argv) {
    for (int i = optind; i < argc; i++) {
        if (!o->command)
            o->command = argv[i];
        else if (!o->file)
            o->file = argv[i];
        else
            return usage_error(o, "unexpected argument '%s'", argv[i]);
    }
    return 0;
}

int options_parse(int argc, char **argv, Options *o) {
    *o = (Options){.opt_level = 2, .backend = "c", .argv0 = argv[0]};
    bool help = false, version = false;
    char msg[512];
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":o:d:O:h", long_options, NULL)) != -1;) {
        if (c == '?' || c == ':')
            return usage_error(o, "%s", rt_option_problem(c, argv, long_options, msg, sizeof msg));
        help |= c == 'h';
        version |= c == OPT_VERSION;
        int rc = c == 'h' || c == OPT_VERSION ? 0 : take_option(o, c, optarg);
        if (rc)
            return rc;
    }
    int rc = take_words(o, argc, argv);
    if (help || version) {
        if (help)
            print_help(o->command);
        else
            printf("rnnc %s\n", RNNC_VERSION);
        return -1;
    }
    if (rc)
        return rc;
    if (!o->command)
        return usage_error(o, "no command given (check, build, emit or import)");
    if (!usage_of(o->command))
        return usage_error(o, "unknown command '%s' (expected check, build, emit or import)", o->command);
    if (strcmp(o->backend, "c") && strcmp(o->backend, "llvm"))
        return usage_error(o, "unknown backend '%s' (expected c or llvm)", o->backend);
    return 0;
}
