/* weights.c - a safetensors file read at emit time (embedded C and ONNX
 * bake the weights in), checked against the program's parameter table. */
#include "weights.h"
#include <stdio.h>

int weights_load(const IrProgram *m, const char *path, rt_safetensors *st) {
    rt_error err;
    if (rt_st_read(path, st, &err)) {
        fprintf(stderr, "rnnc: error: %s\n", err.msg);
        return 1;
    }
    for (int i = 0; i < m->nparams; i++) {
        const IrParam *pi = &m->params[i];
        const rt_tensor *t = rt_st_find(st, pi->name);
        int64_t d1 = pi->rank > 1 ? pi->dims[1] : 0;
        if (!t || t->rank != pi->rank || t->dims[0] != pi->dims[0] || (pi->rank > 1 && t->dims[1] != d1)) {
            if (!t)
                fprintf(stderr, "rnnc: error: %s: missing parameter '%s'\n", path, pi->name);
            else
                fprintf(stderr, "rnnc: error: %s: parameter '%s' has shape [%lld%s%lld] in the file, but the model "
                                "needs [%lld%s%lld]\n", path, pi->name, (long long)t->dims[0], t->rank > 1 ? ", " : "",
                        t->rank > 1 ? (long long)t->dims[1] : 0LL, (long long)pi->dims[0], pi->rank > 1 ? ", " : "",
                        (long long)d1);
            rt_st_free(st);
            return 1;
        }
    }
    return 0;
}
