/* onnx_file.h - an ONNX model file read as untrusted data (onnx_file.c):
 * its size, the nesting of its messages and its tensors are bounded and
 * checked before the importer looks at it. The messages are protobuf-c's,
 * generated at build time from Debian's onnx.proto into the build
 * directory (onnx.pb-c.h). */
#ifndef RNNC_ONNX_FILE_H
#define RNNC_ONNX_FILE_H
#include "onnx.pb-c.h"
#include <stddef.h>
#include <stdint.h>

enum {
    ONNX_MAX_FILE_BYTES = 1 << 30,   /* 1 GiB */
    ONNX_MAX_DEPTH = 32,             /* messages inside messages (subgraphs included) */
    ONNX_MAX_TENSOR_ELEMS = 1 << 28, /* per tensor */
};

typedef struct OnnxFile {
    Onnx__ModelProto *model;
    char error[512];                 /* why loading failed */
} OnnxFile;

/* Load and check path; 0, or -1 with f->error set ("PATH: reason"). */
int onnx_file_load(OnnxFile *f, const char *path);
/* The same from bytes in memory (what the file held); name for messages. */
int onnx_file_parse(OnnxFile *f, const char *name, const uint8_t *data, size_t len);
void onnx_file_free(OnnxFile *f);

/* Bytes per element of an ONNX data type (0: not one rnnc reads). */
size_t onnx_elem_size(int32_t type);
/* Elements of t's data, in raw_data or the field its type uses; SIZE_MAX
 * when another field holds data too. */
size_t onnx_stored_elems(const Onnx__TensorProto *t);

/* Write why into err (of n bytes), printf-style; returns -1. */
int onnx_errorf(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The wire format's nesting of messages in data, walked with desc's field
 * types: 0 when it stays within max_depth and every field is well formed,
 * else -1 with why in err. */
int onnx_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len, int max_depth,
                    char *err, size_t err_len);

#endif
