/* build.h - rnnc build: emit C for a model and compile it with the
 * runtime library into a standalone executable. */
#ifndef RNNC_BUILD_H
#define RNNC_BUILD_H
#include "ir.h"

typedef struct BuildOptions {
    const char *output;   /* executable path */
    int opt_level;        /* 0..3: IR passes, and the C compiler's -O */
    const char *argv0;    /* rnnc's own path, to find the runtime */
    bool llvm;            /* the LLVM backend: an object file, linked by $CC */
    bool mpi;             /* data-parallel training: $MPICC (mpicc) and the runtime's MPI layer */
} BuildOptions;

/* Returns 0, or 1 after printing why the build failed. */
int build_program(Arena *a, const IrProgram *p, const BuildOptions *o);

#endif
