/* onnx_cells.h - an ONNX RNN, GRU or LSTM node as rnnc source and weights
 * (onnx_cells.c): the prelude cell that computes what it computes, its
 * weights reordered to that cell's gate order, or else a user cell with
 * the node's equations written in the language. */
#ifndef RNNC_ONNX_CELLS_H
#define RNNC_ONNX_CELLS_H
#include "arena.h"
#include "onnx_graph.h"
#include "rt_io.h"
#include <stdio.h>

typedef struct OnnxWeights {      /* tensors to write, in order */
    rt_tensor *items;
    int n, cap;
} OnnxWeights;

typedef struct OnnxCell {
    const char *cell_source;      /* a user cell's definition, or NULL (a prelude cell) */
    const char *layer_call;       /* the right-hand side of the layer: "gru(x, hidden=5)" */
    int64_t in, hidden, dirs;
    const char *lengths;          /* the graph input giving sequence_lens, or NULL */
} OnnxCell;

/* Translate recurrent node n of graph g, whose input is the layer value
 * named `input`, into a layer named `layer` (cell name for a user cell:
 * onnx_<op>_<index>); its weights go to w. The caller has checked that
 * its initial states are zeros. 0, or -1 with why in err. */
int onnx_cell(Arena *a, const Onnx__GraphProto *g, const Onnx__NodeProto *n, const char *input,
              const char *layer, int index, OnnxCell *out, OnnxWeights *w, char *err, size_t err_len);
/* The prelude cell's gate block b is the ONNX operator's block order[b]
 * (gates 1: RNN; 3: GRU, r z n from z r h; 4: LSTM, i f g o from i o f c),
 * the order import and emit --target onnx both use. */
const int *onnx_gate_order(int gates);
/* Append a tensor (name and data are w's from then on). */
void onnx_weights_add(OnnxWeights *w, char *name, int64_t rows, int64_t cols, float *data);

void onnx_weights_free(OnnxWeights *w);

#endif
