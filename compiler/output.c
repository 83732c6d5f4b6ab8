/* output.c - rnnc's output files through the runtime's writer (output.h). */
#include "output.h"
#include <string.h>

FILE *output_open(Output *o, const char *path) {
    memset(o, 0, sizeof *o);
    if (!path)
        return o->f = stdout;
    rt_error err;
    if (rt_writer_open(&o->w, path, &err)) {
        fprintf(stderr, "rnnc: error: %s\n", err.msg);
        return NULL;
    }
    return o->f = o->w.f;
}

int output_close(Output *o) {
    if (o->f == stdout)
        return fflush(stdout) != 0;
    rt_error err;
    if (rt_writer_commit(&o->w, &err)) {
        fprintf(stderr, "rnnc: error: %s\n", err.msg);
        return 1;
    }
    return 0;
}
