/* onnx_model.h - an ONNX graph walked node by node into rnnc layers
 * (onnx_model.c). */
#ifndef RNNC_ONNX_MODEL_H
#define RNNC_ONNX_MODEL_H
#include "onnx_cells.h"

typedef struct OnnxLayer {
    const char *name, *expr;     /* `name = expr` in the model */
    const char *comment;         /* the ONNX nodes it came from */
} OnnxLayer;

typedef struct OnnxModel {
    const char *cells;           /* user cells' source, or "" */
    OnnxLayer *layers;
    int nlayers, cap;
    bool input_token;            /* seq token(input_size), else seq vector(input_size) */
    int64_t input_size;
    const char *output;          /* the layer forward writes */
    bool output_seq;             /* a value per step, else per sequence */
    int64_t output_size;
    bool softmax_dropped;        /* the graph ended in a (Log)Softmax, left out: cross_entropy */
    const char *lengths;         /* the graph input of sequence_lens, or NULL */
} OnnxModel;

/* Whether s is an identifier of the language ([A-Za-z_][A-Za-z0-9_]*). */
bool onnx_is_identifier(const char *s);
/* Whether word is one of the language's keywords (not a name). */
bool onnx_reserved(const char *word);
/* Walk g: 0, or -1 with "node 'NAME' (OP): why" (or a graph-level why) in err. */
int onnx_model(Arena *a, const Onnx__GraphProto *g, OnnxModel *m, OnnxWeights *w, char *err, size_t err_len);

#endif
