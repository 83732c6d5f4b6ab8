/* onnx_graph.c - reading an ONNX graph's pieces (onnx_graph.h). The file
 * was checked by onnx_file.c: every tensor's data agrees with its shape. */
#include "onnx_graph.h"
#include "rt_file.h"
#include <stdlib.h>
#include <string.h>

const char *onnx_printable(Arena *a, const char *s) {
    if (!s || !*s)
        return "(unnamed)";
    char buf[RT_SHOW_LEN];
    rt_show(buf, s, strlen(s));
    return arena_printf(a, "%.*s", (int)strlen(buf) - 2, buf + 1);
}

const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *n, const char *name) {
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

int64_t onnx_attr_int(const Onnx__NodeProto *n, const char *name, int64_t otherwise) {
    const Onnx__AttributeProto *a = onnx_attr(n, name);
    return a && a->has_i ? a->i : otherwise;
}

float onnx_attr_float(const Onnx__NodeProto *n, const char *name, float otherwise) {
    const Onnx__AttributeProto *a = onnx_attr(n, name);
    return a && a->has_f ? a->f : otherwise;
}

const char *onnx_attr_string(const Onnx__NodeProto *n, const char *name, const char *otherwise) {
    const Onnx__AttributeProto *a = onnx_attr(n, name);
    static char buf[64];
    if (!a || !a->has_s)
        return otherwise;
    size_t len = a->s.len < sizeof buf - 1 ? a->s.len : sizeof buf - 1;
    memcpy(buf, a->s.data, len);
    buf[len] = 0;
    return buf;
}

const Onnx__TensorProto *onnx_initializer(const Onnx__GraphProto *g, const char *name) {
    for (size_t i = 0; name && *name && i < g->n_initializer; i++)
        if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name))
            return g->initializer[i];
    return NULL;
}

bool onnx_is_graph_input(const Onnx__GraphProto *g, const char *name) {
    for (size_t i = 0; name && *name && i < g->n_input; i++)
        if (g->input[i]->name && !strcmp(g->input[i]->name, name))
            return !onnx_initializer(g, name);
    return false;
}

int64_t onnx_elems(const Onnx__TensorProto *t) {
    int64_t n = 1;
    for (size_t i = 0; i < t->n_dims; i++)
        n *= t->dims[i];
    return n;
}

/* Little-endian bytes of raw data, as an element. */
static double raw_elem(const Onnx__TensorProto *t, size_t i) {
    const uint8_t *p = t->raw_data.data;
    switch (t->data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
        float f;
        memcpy(&f, p + 4 * i, 4);
        return f;
    }
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
        double d;
        memcpy(&d, p + 8 * i, 8);
        return d;
    }
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: {
        int32_t v;
        memcpy(&v, p + 4 * i, 4);
        return v;
    }
    default: {
        int64_t v;
        memcpy(&v, p + 8 * i, 8);
        return (double)v;
    }
    }
}

float *onnx_floats(const Onnx__TensorProto *t, size_t *n) {
    int32_t ty = t->data_type;
    if (ty != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && ty != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE &&
        ty != ONNX__TENSOR_PROTO__DATA_TYPE__INT32 && ty != ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
        return NULL;
    *n = (size_t)onnx_elems(t);
    if (onnx_stored_elems(t) != *n) /* a tensor without its data */
        return NULL;
    float *out = malloc(sizeof(float) * (*n + 1));
    for (size_t i = 0; out && i < *n; i++) {
        if (t->has_raw_data)
            out[i] = (float)raw_elem(t, i);
        else if (ty == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
            out[i] = t->float_data[i];
        else if (ty == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
            out[i] = (float)t->double_data[i];
        else if (ty == ONNX__TENSOR_PROTO__DATA_TYPE__INT32)
            out[i] = (float)t->int32_data[i];
        else
            out[i] = (float)t->int64_data[i];
    }
    return out;
}
