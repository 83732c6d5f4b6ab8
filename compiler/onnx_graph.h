/* onnx_graph.h - reading an ONNX graph's pieces for the importer
 * (onnx_graph.c): attributes by name and kind, constant tensors (the
 * graph's initializers) as float arrays, and the node that writes or reads
 * a value. */
#ifndef RNNC_ONNX_GRAPH_H
#define RNNC_ONNX_GRAPH_H
#include "arena.h"
#include "onnx_file.h"
#include <stdbool.h>

/* An untrusted name (a node's, from the file) as printable text for
 * messages and the source's comments: rt_show's escapes and length
 * limit, without its quotes; "(unnamed)" for an empty or absent one. */
const char *onnx_printable(Arena *a, const char *s);

/* A node's attribute by name, or NULL. */
const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *n, const char *name);
int64_t onnx_attr_int(const Onnx__NodeProto *n, const char *name, int64_t otherwise);
float onnx_attr_float(const Onnx__NodeProto *n, const char *name, float otherwise);
/* A string attribute ("forward" for direction), or otherwise. */
const char *onnx_attr_string(const Onnx__NodeProto *n, const char *name, const char *otherwise);

/* The initializer named name, or NULL. */
const Onnx__TensorProto *onnx_initializer(const Onnx__GraphProto *g, const char *name);
/* Whether name is one of the graph's inputs (and not an initializer). */
bool onnx_is_graph_input(const Onnx__GraphProto *g, const char *name);
/* A constant tensor's elements as floats (float, double, int32 or int64
 * data); *n gets the count. NULL for another type, a tensor without its
 * data (or out of memory). */
float *onnx_floats(const Onnx__TensorProto *t, size_t *n);
/* Elements of a tensor by its shape. */
int64_t onnx_elems(const Onnx__TensorProto *t);

#endif
