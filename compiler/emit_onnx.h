/* emit_onnx.h - a model as an ONNX file (emit --target onnx; docs/onnx.md). */
#ifndef RNNC_EMIT_ONNX_H
#define RNNC_EMIT_ONNX_H
#include "ir.h"
#include "onnx.pb-c.h"
#include "onnx_write.h"
#include "rt_io.h"

/* Write the program, optimised at level, with the weights of the
 * safetensors file at weights into the ONNX file at path: 0, or 1 after
 * printing why. */
int onnx_emit(Arena *a, const IrProgram *p, int level, const char *weights, const char *path);

/* The Scan body of cell layer l (emit_onnx_step.c): names start with
 * prefix; its outputs are named state_out[i] (the next states) and out. */
Onnx__GraphProto *onnx_step_body(Arena *a, const IrProgram *p, const IrLayer *l, const char *prefix,
                                 const char *const *state_out, const char *out);

/* ONNX's RNN, GRU or LSTM operator that computes what step s (optimised
 * at level) computes, or NULL (emit_onnx_cells.c). */
typedef struct OnnxCellOp OnnxCellOp;
const OnnxCellOp *onnx_cell_op(const IrStep *s, int level);
/* That operator over the sequence in, for the directions of a layer
 * (forward, then reverse), weights from st; its output reshaped to
 * [batch, time, dirs * H] named out; names start with prefix. Returns
 * the operator's node. */
Onnx__NodeProto *onnx_cell_op_node(OwGraph *g, const OnnxCellOp *op, const IrProgram *p, const IrLayer *const *dir,
                                   int ndirs, const rt_safetensors *st, const char *in, const char *out,
                                   const char *prefix);

/* A node computing elementwise op on in: the operator ir_ops.def names
 * for it, with the attributes that make it compute the same. */
Onnx__NodeProto *onnx_elementwise(OwGraph *g, IrOp op, const char *out, int nin, const char *const *in);

#endif
