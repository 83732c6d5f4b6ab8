/* tool.c - host side of the Cortex-M test (run.sh):
 *   tool input X.npy          print sequence 0 of X as C: input[], STEPS, WIDTH
 *   tool compare Y.npy OUT    compare the firmware's outputs (one float a line,
 *                             as 8 hex digits of its bits) with sequence 0 of
 *                             Y, the host program's; the numerics bound (docs/programs.md) */
#include "rt_io.h"
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int input(const char *path) {
    rt_array a;
    rt_error err;
    if (rt_npy_read(path, &a, &err))
        return fprintf(stderr, "tool: %s\n", err.msg), 2;
    int64_t T = a.dims[1], N = a.rank > 2 ? a.dims[2] : 1;
    bool tokens = a.dtype == RT_I32 || a.dtype == RT_I64;
    printf("#define STEPS %lld\n#define WIDTH %lld\nstatic const %s input[%lld] = {\n", (long long)T, (long long)N,
           tokens ? "int" : "float", (long long)(T * N));
    for (int64_t i = 0; i < T * N; i++) {
        if (tokens)
            printf("    %lld,\n", a.dtype == RT_I64 ? (long long)((int64_t *)a.data)[i] : (long long)((int32_t *)a.data)[i]);
        else
            printf("    %.9ef,\n", (double)((float *)a.data)[i]);
    }
    puts("};");
    rt_array_free(&a);
    return 0;
}

static int compare(const char *ref_path, const char *out_path) {
    rt_array ref;
    rt_error err;
    FILE *f = fopen(out_path, "r");
    if (!f || rt_npy_read(ref_path, &ref, &err))
        return fprintf(stderr, "tool: cannot read the outputs\n"), 2;
    int64_t per_seq = ref.count / ref.dims[0], n = 0;
    double maxdiff = 0, maxref = 0;
    unsigned bits;
    char line[128];
    while (fgets(line, sizeof line, f) && n < per_seq) {
        if (strlen(line) != 9 || sscanf(line, "%8x", &bits) != 1)
            continue; /* not an output line: something QEMU said */
        float got;
        memcpy(&got, &bits, sizeof got);
        double want = ((float *)ref.data)[n++];
        double d = fabs((double)got - want);
        maxdiff = d > maxdiff || d != d ? d : maxdiff;
        maxref = fabs(want) > maxref ? fabs(want) : maxref;
    }
    fclose(f);
    double bound = 1e-4 * maxref + 1e-5;
    printf("%lld outputs from the Cortex-M, largest difference %.3g (bound %.3g)\n", (long long)n, maxdiff, bound);
    rt_array_free(&ref);
    return n == per_seq && maxdiff <= bound ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "input"))
        return input(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "compare"))
        return compare(argv[2], argv[3]);
    fprintf(stderr, "usage: tool input X.npy | tool compare Y.npy OUT\n");
    return 2;
}
