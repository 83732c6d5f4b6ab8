/* options.h - rnnc's command line (options.c): the command, its file and
 * options, parsed with getopt_long, so that --name VALUE, --name=VALUE and
 * an unambiguous prefix of a name all work. */
#ifndef RNNC_OPTIONS_H
#define RNNC_OPTIONS_H
#include <stdbool.h>

typedef struct Options {
    const char *command, *file;     /* check | build | emit | import, and FILE.rnn (or MODEL.onnx) */
    const char *output;             /* -o */
    const char *target, *model, *backend, *weights, *dump;
    const char *max_steps, *quantize, *weights_out;
    const char *argv0;
    bool no_libm, print_after_all, mpi;
    int opt_level;                  /* -O0 .. -O3, default 2 */
} Options;

/* Parse argv into o. Returns 0 to run o->command, 2 after a usage error,
 * or -1 after answering --help or --version. */
int options_parse(int argc, char **argv, Options *o);
/* "rnnc: message" and a hint to --help, on stderr; returns 2. */
int usage_error(const Options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
