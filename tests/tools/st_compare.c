/* st_compare.c - compare two safetensors files tensor by tensor, for tests:
 *   st_compare GOT.safetensors WANT.safetensors [PREFIX]
 * Every tensor of WANT (whose name starts with PREFIX, if given) must be in
 * GOT with the same shape and within the numerics bound (docs/programs.md): the largest
 * absolute difference at most 1e-4 times WANT's largest magnitude plus
 * 1e-5. Prints one line per tensor; exits 1 on any mismatch, 2 on bad use. */
#include "rt_io.h"
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int compare_one(const rt_tensor *got, const rt_tensor *want) {
    bool same = got && got->count == want->count && got->rank == want->rank;
    for (int d = 0; same && d < want->rank; d++)
        same = got->dims[d] == want->dims[d];
    if (!same) {
        printf("%-36s missing or of another shape\n", want->name);
        return 1;
    }
    double maxdiff = 0, maxref = 0;
    for (int64_t k = 0; k < want->count; k++) {
        double d = fabs((double)got->data[k] - (double)want->data[k]);
        maxdiff = d > maxdiff || d != d ? d : maxdiff;
        maxref = fabs((double)want->data[k]) > maxref ? fabs((double)want->data[k]) : maxref;
    }
    double bound = 1e-4 * maxref + 1e-5;
    int ok = maxdiff <= bound;
    printf("%-36s largest difference %.3g (bound %.3g) %s\n", want->name, maxdiff, bound, ok ? "ok" : "FAIL");
    return !ok;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: st_compare GOT.safetensors WANT.safetensors [PREFIX]\n");
        return 2;
    }
    rt_safetensors got, want;
    rt_error err;
    if (rt_st_read(argv[1], &got, &err) || rt_st_read(argv[2], &want, &err)) {
        fprintf(stderr, "st_compare: %s\n", err.msg);
        return 2;
    }
    const char *prefix = argc == 4 ? argv[3] : "";
    int bad = 0;
    for (int i = 0; i < want.ntensors; i++)
        if (!strncmp(want.tensors[i].name, prefix, strlen(prefix)))
            bad |= compare_one(rt_st_find(&got, want.tensors[i].name), &want.tensors[i]);
    rt_st_free(&got);
    rt_st_free(&want);
    return bad;
}
