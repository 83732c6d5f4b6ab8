/* weights.h - weights read at emit time (weights.c). */
#ifndef RNNC_WEIGHTS_H
#define RNNC_WEIGHTS_H
#include "ir.h"
#include "rt_io.h"

/* Read path into st and check it holds every parameter of m with its
 * shape: 0, or 1 after printing why (naming the file, the parameter and
 * both shapes; st is freed then). */
int weights_load(const IrProgram *m, const char *path, rt_safetensors *st);

#endif
