/* output.h - rnnc's output files (emit -o, embedded C), written as the
 * generated programs write theirs (runtime/rt_file.h): a regular file is
 * replaced atomically, a symbolic link is written through to its final
 * target, and a device or FIFO is written in place, never replaced. */
#ifndef RNNC_OUTPUT_H
#define RNNC_OUTPUT_H
#include "rt_file.h"

typedef struct Output {
    FILE *f;        /* where to print */
    rt_writer w;    /* unused for stdout */
} Output;

/* Open path, or stdout when path is NULL; NULL after printing why. */
FILE *output_open(Output *o, const char *path);
/* Finish: 0, or 1 after printing why (the previous file is left whole). */
int output_close(Output *o);

#endif
