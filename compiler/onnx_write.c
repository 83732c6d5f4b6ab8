/* onnx_write.c - ONNX messages built in an arena (onnx_write.h). Each
 * message starts from protobuf-c's INIT value; the lists a graph grows
 * (nodes, initializers, inputs, outputs) are PtrVecs copied into the
 * message by ow_finish. Float data is stored as raw little-endian bytes,
 * whatever the host's byte order. */
#include "onnx_write.h"
#include <string.h>

#define NEW(a, type, init) ow_new_##type(a, (type)init)
#define DEFINE_NEW(type)                                                                                            \
    static type *ow_new_##type(Arena *a, type v) {                                                                  \
        type *p = arena_alloc(a, sizeof *p);                                                                        \
        *p = v;                                                                                                     \
        return p;                                                                                                   \
    }
DEFINE_NEW(Onnx__NodeProto)
DEFINE_NEW(Onnx__AttributeProto)
DEFINE_NEW(Onnx__TensorProto)
DEFINE_NEW(Onnx__GraphProto)
DEFINE_NEW(Onnx__ValueInfoProto)
DEFINE_NEW(Onnx__TypeProto)
DEFINE_NEW(Onnx__TypeProto__Tensor)
DEFINE_NEW(Onnx__TensorShapeProto)
DEFINE_NEW(Onnx__TensorShapeProto__Dimension)
DEFINE_NEW(Onnx__ModelProto)
DEFINE_NEW(Onnx__OperatorSetIdProto)

OwGraph *ow_graph(Arena *a, const char *name) {
    OwGraph *g = arena_alloc(a, sizeof *g);
    g->a = a;
    g->name = name;
    return g;
}

static char **names(Arena *a, int n, const char *const *s) {
    char **v = arena_alloc(a, sizeof(char *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        v[i] = arena_strdup(a, s[i]);
    return v;
}

Onnx__NodeProto *ow_node_outs(OwGraph *g, const char *op, int nin, const char *const *in, int nout,
                              const char *const *out) {
    Onnx__NodeProto *n = NEW(g->a, Onnx__NodeProto, ONNX__NODE_PROTO__INIT);
    n->op_type = arena_strdup(g->a, op);
    n->name = arena_strdup(g->a, out[0]);
    n->n_input = (size_t)nin;
    n->input = names(g->a, nin, in);
    n->n_output = (size_t)nout;
    n->output = names(g->a, nout, out);
    vec_push(g->a, &g->nodes, n);
    return n;
}

Onnx__NodeProto *ow_node(OwGraph *g, const char *op, const char *out, int nin, const char *const *in) {
    return ow_node_outs(g, op, nin, in, 1, &out);
}

static Onnx__AttributeProto *attr(OwGraph *g, Onnx__NodeProto *n, const char *name,
                                  Onnx__AttributeProto__AttributeType type) {
    Onnx__AttributeProto *at = NEW(g->a, Onnx__AttributeProto, ONNX__ATTRIBUTE_PROTO__INIT);
    at->name = arena_strdup(g->a, name);
    at->has_type = 1;
    at->type = type;
    Onnx__AttributeProto **list = arena_alloc(g->a, sizeof *list * (n->n_attribute + 1));
    if (n->n_attribute)
        memcpy(list, n->attribute, sizeof *list * n->n_attribute);
    list[n->n_attribute++] = at;
    n->attribute = list;
    return at;
}

void ow_attr_int(OwGraph *g, Onnx__NodeProto *n, const char *name, int64_t v) {
    Onnx__AttributeProto *at = attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    at->has_i = 1;
    at->i = v;
}

void ow_attr_ints(OwGraph *g, Onnx__NodeProto *n, const char *name, int count, const int64_t *v) {
    Onnx__AttributeProto *at = attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    at->n_ints = (size_t)count;
    at->ints = arena_alloc(g->a, sizeof(int64_t) * (size_t)(count + 1));
    memcpy(at->ints, v, sizeof(int64_t) * (size_t)count);
}

void ow_attr_float(OwGraph *g, Onnx__NodeProto *n, const char *name, float v) {
    Onnx__AttributeProto *at = attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    at->has_f = 1;
    at->f = v;
}

static ProtobufCBinaryData bytes_of(Arena *a, const char *v) {
    return (ProtobufCBinaryData){strlen(v), (uint8_t *)arena_strdup(a, v)};
}

void ow_attr_string(OwGraph *g, Onnx__NodeProto *n, const char *name, const char *v) {
    Onnx__AttributeProto *at = attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    at->has_s = 1;
    at->s = bytes_of(g->a, v);
}

void ow_attr_strings(OwGraph *g, Onnx__NodeProto *n, const char *name, int count, const char *const *v) {
    Onnx__AttributeProto *at = attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    at->n_strings = (size_t)count;
    at->strings = arena_alloc(g->a, sizeof(ProtobufCBinaryData) * (size_t)(count + 1));
    for (int i = 0; i < count; i++)
        at->strings[i] = bytes_of(g->a, v[i]);
}

void ow_attr_graph(OwGraph *g, Onnx__NodeProto *n, const char *name, Onnx__GraphProto *body) {
    attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH)->g = body;
}

void ow_attr_tensor(OwGraph *g, Onnx__NodeProto *n, const char *name, Onnx__TensorProto *t) {
    attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)->t = t;
}

static Onnx__TensorProto *tensor(Arena *a, const char *name, int type, int rank, const int64_t *dims,
                                 size_t *count) {
    Onnx__TensorProto *t = NEW(a, Onnx__TensorProto, ONNX__TENSOR_PROTO__INIT);
    t->name = arena_strdup(a, name);
    t->has_data_type = 1;
    t->data_type = type;
    t->n_dims = (size_t)rank;
    t->dims = arena_alloc(a, sizeof(int64_t) * (size_t)(rank + 1));
    *count = 1;
    for (int i = 0; i < rank; i++)
        *count *= (size_t)(t->dims[i] = dims[i]);
    return t;
}

Onnx__TensorProto *ow_tensor_float(Arena *a, const char *name, int rank, const int64_t *dims, const float *data) {
    size_t count;
    Onnx__TensorProto *t = tensor(a, name, OW_FLOAT, rank, dims, &count);
    uint8_t *bytes = arena_alloc(a, 4 * count + 1);
    for (size_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &data[i], 4);
        for (int b = 0; b < 4; b++)
            bytes[4 * i + (size_t)b] = (uint8_t)(u >> (8 * b));
    }
    t->has_raw_data = 1;
    t->raw_data = (ProtobufCBinaryData){4 * count, bytes};
    return t;
}

Onnx__TensorProto *ow_tensor_int64(Arena *a, const char *name, int rank, const int64_t *dims, const int64_t *data) {
    size_t count;
    Onnx__TensorProto *t = tensor(a, name, OW_INT64, rank, dims, &count);
    t->n_int64_data = count;
    t->int64_data = arena_alloc(a, sizeof(int64_t) * (count + 1));
    memcpy(t->int64_data, data, sizeof(int64_t) * count);
    return t;
}

void ow_initializer(OwGraph *g, Onnx__TensorProto *t) { vec_push(g->a, &g->initializers, t); }

const char *ow_const_ints(OwGraph *g, const char *name, int n, const int64_t *v) {
    int64_t dims[1] = {n};
    ow_attr_tensor(g, ow_node(g, "Constant", name, 0, NULL), "value", ow_tensor_int64(g->a, name, 1, dims, v));
    return name;
}

const char *ow_const_float(OwGraph *g, const char *name, float v) {
    ow_attr_tensor(g, ow_node(g, "Constant", name, 0, NULL), "value", ow_tensor_float(g->a, name, 0, NULL, &v));
    return name;
}

static Onnx__ValueInfoProto *value_info(Arena *a, const char *name, int elem, int rank, const OwDim *dims) {
    Onnx__TensorShapeProto *shape = NEW(a, Onnx__TensorShapeProto, ONNX__TENSOR_SHAPE_PROTO__INIT);
    shape->n_dim = (size_t)rank;
    shape->dim = arena_alloc(a, sizeof *shape->dim * (size_t)(rank + 1));
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *d =
            NEW(a, Onnx__TensorShapeProto__Dimension, ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT);
        if (dims[i].symbol) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = arena_strdup(a, dims[i].symbol);
        } else if (dims[i].size >= 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i].size;
        }
        shape->dim[i] = d;
    }
    Onnx__TypeProto__Tensor *tt = NEW(a, Onnx__TypeProto__Tensor, ONNX__TYPE_PROTO__TENSOR__INIT);
    tt->has_elem_type = 1;
    tt->elem_type = elem;
    tt->shape = shape;
    Onnx__TypeProto *type = NEW(a, Onnx__TypeProto, ONNX__TYPE_PROTO__INIT);
    type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type->tensor_type = tt;
    Onnx__ValueInfoProto *v = NEW(a, Onnx__ValueInfoProto, ONNX__VALUE_INFO_PROTO__INIT);
    v->name = arena_strdup(a, name);
    v->type = type;
    return v;
}

void ow_input(OwGraph *g, const char *name, int elem, int rank, const OwDim *dims) {
    vec_push(g->a, &g->inputs, value_info(g->a, name, elem, rank, dims));
}

void ow_output(OwGraph *g, const char *name, int elem, int rank, const OwDim *dims) {
    vec_push(g->a, &g->outputs, value_info(g->a, name, elem, rank, dims));
}

Onnx__GraphProto *ow_finish(OwGraph *g) {
    Onnx__GraphProto *p = NEW(g->a, Onnx__GraphProto, ONNX__GRAPH_PROTO__INIT);
    p->name = arena_strdup(g->a, g->name);
    p->n_node = (size_t)g->nodes.len;
    p->node = (Onnx__NodeProto **)g->nodes.items;
    p->n_initializer = (size_t)g->initializers.len;
    p->initializer = (Onnx__TensorProto **)g->initializers.items;
    p->n_input = (size_t)g->inputs.len;
    p->input = (Onnx__ValueInfoProto **)g->inputs.items;
    p->n_output = (size_t)g->outputs.len;
    p->output = (Onnx__ValueInfoProto **)g->outputs.items;
    return p;
}

uint8_t *ow_pack_model(Arena *a, Onnx__GraphProto *graph, int64_t opset, const char *producer,
                       const char *version, size_t *len) {
    Onnx__OperatorSetIdProto *ops = NEW(a, Onnx__OperatorSetIdProto, ONNX__OPERATOR_SET_ID_PROTO__INIT);
    ops->domain = arena_strdup(a, "");
    ops->has_version = 1;
    ops->version = opset;
    Onnx__ModelProto *m = NEW(a, Onnx__ModelProto, ONNX__MODEL_PROTO__INIT);
    m->has_ir_version = 1;
    m->ir_version = 8; /* the IR version of opset 17 */
    m->n_opset_import = 1;
    m->opset_import = arena_alloc(a, sizeof *m->opset_import);
    m->opset_import[0] = ops;
    m->producer_name = arena_strdup(a, producer);
    m->producer_version = arena_strdup(a, version);
    m->graph = graph;
    *len = onnx__model_proto__get_packed_size(m);
    uint8_t *bytes = arena_alloc(a, *len + 1);
    onnx__model_proto__pack(m, bytes);
    return bytes;
}
