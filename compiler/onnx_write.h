/* onnx_write.h - building ONNX messages (protobuf-c's, onnx.pb-c.h) for
 * emit --target onnx (onnx_write.c): a graph grown node by node, with its
 * attributes, tensors and typed inputs and outputs, everything in an
 * arena, then packed into the file's bytes. */
#ifndef RNNC_ONNX_WRITE_H
#define RNNC_ONNX_WRITE_H
#include "arena.h"
#include "onnx.pb-c.h"
#include <stdint.h>

enum { OW_FLOAT = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, OW_INT64 = ONNX__TENSOR_PROTO__DATA_TYPE__INT64 };

typedef struct OwGraph {
    Arena *a;
    const char *name;
    PtrVec nodes, initializers, inputs, outputs;
} OwGraph;

/* A dimension of a declared input or output: a size, or a symbol. */
typedef struct OwDim {
    int64_t size;       /* used when symbol is NULL; -1: unknown */
    const char *symbol; /* "batch", "time" */
} OwDim;

OwGraph *ow_graph(Arena *a, const char *name);
/* A node computing out from the inputs (nin of them); its name is out's. */
Onnx__NodeProto *ow_node(OwGraph *g, const char *op, const char *out, int nin, const char *const *in);
/* A node with several outputs, named after the first. */
Onnx__NodeProto *ow_node_outs(OwGraph *g, const char *op, int nin, const char *const *in, int nout,
                              const char *const *out);
void ow_attr_int(OwGraph *g, Onnx__NodeProto *n, const char *name, int64_t v);
void ow_attr_ints(OwGraph *g, Onnx__NodeProto *n, const char *name, int count, const int64_t *v);
void ow_attr_float(OwGraph *g, Onnx__NodeProto *n, const char *name, float v);
void ow_attr_string(OwGraph *g, Onnx__NodeProto *n, const char *name, const char *v);
void ow_attr_strings(OwGraph *g, Onnx__NodeProto *n, const char *name, int count, const char *const *v);
void ow_attr_graph(OwGraph *g, Onnx__NodeProto *n, const char *name, Onnx__GraphProto *body);
void ow_attr_tensor(OwGraph *g, Onnx__NodeProto *n, const char *name, Onnx__TensorProto *t);
/* Tensors: float data (count = product of dims) or int64 data, rank 0 to 2. */
Onnx__TensorProto *ow_tensor_float(Arena *a, const char *name, int rank, const int64_t *dims, const float *data);
Onnx__TensorProto *ow_tensor_int64(Arena *a, const char *name, int rank, const int64_t *dims, const int64_t *data);
void ow_initializer(OwGraph *g, Onnx__TensorProto *t);
/* A Constant node: an int64 vector of n values, a float scalar. */
const char *ow_const_ints(OwGraph *g, const char *name, int n, const int64_t *v);
const char *ow_const_float(OwGraph *g, const char *name, float v);
/* A graph input or output of element type elem and the given dimensions. */
void ow_input(OwGraph *g, const char *name, int elem, int rank, const OwDim *dims);
void ow_output(OwGraph *g, const char *name, int elem, int rank, const OwDim *dims);
/* The graph's message, its lists filled in. */
Onnx__GraphProto *ow_finish(OwGraph *g);
/* The model (opset, producer) around graph, packed: its bytes (in the arena) and their count. */
uint8_t *ow_pack_model(Arena *a, Onnx__GraphProto *graph, int64_t opset, const char *producer,
                       const char *version, size_t *len);

#endif
