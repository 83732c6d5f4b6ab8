/* params.c - parameters to and from safetensors files. Loading is strict,
 * like PyTorch's load_state_dict(strict=True): every parameter present with
 * its exact shape, nothing else; a mismatch names the parameter and both
 * shapes. */
#include "rt_internal.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void shape_str(char *buf, size_t n, int rank, const int64_t *dims) {
    size_t len = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < rank && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%lld", i ? ", " : "", (long long)dims[i]);
    if (len < n)
        snprintf(buf + len, n - len, "]");
}

static int check_tensor(const rt_param_info *p, const rt_tensor *t, const char *path, rt_error *err) {
    char want[64], got[64];
    shape_str(want, sizeof want, p->rank, p->dims);
    if (!t) {
        snprintf(err->msg, sizeof err->msg, "%s: missing parameter '%s' %s", path, p->name, want);
        return -1;
    }
    bool same = t->rank == p->rank;
    for (int d = 0; same && d < p->rank; d++)
        same = t->dims[d] == p->dims[d];
    if (!same) {
        shape_str(got, sizeof got, t->rank, t->dims);
        snprintf(err->msg, sizeof err->msg, "%s: parameter '%s' has shape %s in the file, but the model needs %s",
                 path, p->name, got, want);
        return -1;
    }
    return 0;
}

static bool is_param(const rt_model *m, const char *name) {
    for (int i = 0; i < m->nparams; i++)
        if (!strcmp(m->params[i].name, name))
            return true;
    return false;
}

int rt_params_load(const rt_model *m, const char *path, rt_params *out, rt_error *err) {
    rt_safetensors st;
    if (rt_st_read(path, &st, err))
        return -1;
    int rc = -1;
    out->n = m->nparams;
    out->data = calloc((size_t)m->nparams + 1, sizeof(float *));
    for (int i = 0; i < st.ntensors; i++)
        if (!is_param(m, st.tensors[i].name)) {
            snprintf(err->msg, sizeof err->msg, "%s: unexpected tensor '%s': model '%s' has no such parameter", path,
                     st.tensors[i].name, m->name);
            goto done;
        }
    for (int i = 0; out->data && i < m->nparams; i++) {
        const rt_tensor *t = rt_st_find(&st, m->params[i].name);
        if (check_tensor(&m->params[i], t, path, err))
            goto done;
        if (!(out->data[i] = malloc(sizeof(float) * (size_t)t->count))) {
            snprintf(err->msg, sizeof err->msg, "out of memory loading '%s'", path);
            goto done;
        }
        memcpy(out->data[i], t->data, sizeof(float) * (size_t)t->count);
    }
    rc = out->data ? 0 : -1;
done:
    rt_st_free(&st);
    if (rc)
        rt_params_free(out);
    return rc;
}

int rt_params_save(const rt_model *m, const rt_params *p, const char *path, rt_error *err) {
    rt_tensor *t = calloc((size_t)m->nparams + 1, sizeof *t);
    if (!t) {
        snprintf(err->msg, sizeof err->msg, "out of memory writing '%s'", path);
        return -1;
    }
    for (int i = 0; i < m->nparams; i++) {
        const rt_param_info *pi = &m->params[i];
        t[i] = (rt_tensor){(char *)pi->name, RT_F32, pi->rank, {pi->dims[0], pi->dims[1]}, rt_param_count(pi),
                           p->data[i]};
    }
    int rc = rt_st_write(path, t, m->nparams, NULL, 0, err);
    free(t);
    return rc;
}
