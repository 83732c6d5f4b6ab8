/* onnx_import.h - rnnc import MODEL.onnx (onnx_import.c): an ONNX model as
 * rnnc source and a safetensors file of its weights. */
#ifndef RNNC_ONNX_IMPORT_H
#define RNNC_ONNX_IMPORT_H
#include "arena.h"
#include <stdio.h>

typedef struct ImportOptions {
    const char *path;         /* MODEL.onnx */
    const char *source;       /* -o, or NULL: NAME.rnn */
    const char *weights;      /* --weights-out, or NULL: NAME.safetensors */
    FILE *messages;           /* where errors go, or NULL: stderr */
} ImportOptions;

/* 0 on success; 1 after printing "rnnc: error: ..." to o->messages */
int onnx_import(Arena *a, const ImportOptions *o);

#endif
