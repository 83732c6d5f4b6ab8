/* onnx_scan.h - an ONNX Scan whose body is one cell step, as a user cell
 * (onnx_scan.c): what emit --target onnx writes, and any body built from
 * the same operators. */
#ifndef RNNC_ONNX_SCAN_H
#define RNNC_ONNX_SCAN_H
#include "arena.h"
#include "onnx_graph.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct OnnxScanParam {
    const char *name;             /* the cell's name for it */
    int64_t rows, cols;           /* cols 0: a vector */
    float *data;                  /* malloc'd: the caller's from then on */
} OnnxScanParam;

typedef struct OnnxScan {
    const char *body;             /* the cell's declarations and equations, one per line */
    int64_t in, out;              /* the step's input and output widths */
    int nstates;
    OnnxScanParam *params;
    int nparams;
} OnnxScan;

/* The body of Scan node n (in graph g, whose initializers the body may
 * read) as a cell: 0, or -1 with why in err. The caller checks the
 * node's attributes and inputs. */
int onnx_scan_body(Arena *a, const Onnx__GraphProto *g, const Onnx__NodeProto *n, OnnxScan *out, char *err,
                   size_t err_len);
/* The language's function that ONNX elementwise node n computes (its
 * operator, attributes and operand count), or NULL. */
const char *onnx_cell_function(const Onnx__NodeProto *n);
/* Free what onnx_scan_body allocated and the caller did not take. */
void onnx_scan_free(OnnxScan *s);

#endif
