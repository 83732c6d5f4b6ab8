/* onnx_file.c - read an ONNX model file as untrusted data. Before
 * protobuf-c unpacks it, the file's size is bounded and its wire format is
 * walked with the messages' own descriptors, so that nesting (a subgraph
 * in an attribute in a graph ...) stays within ONNX_MAX_DEPTH and every
 * field is well formed; after, every tensor's shape and data must agree and
 * stay within ONNX_MAX_TENSOR_ELEMS, and data stored outside the file is
 * refused. */
#include "onnx_file.h"
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int onnx_errorf(char *err, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- the wire format ---------------------------------------------------- */

static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessageDescriptor *d, uint32_t id) {
    for (unsigned i = 0; d && i < d->n_fields; i++)
        if (d->fields[i].id == id)
            return &d->fields[i];
    return NULL;
}

static int walk(const ProtobufCMessageDescriptor *d, const uint8_t *p, const uint8_t *end, int depth, int max,
                char *err, size_t n) {
    while (p < end) {
        uint64_t key, len;
        if (varint(&p, end, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX)
            return onnx_errorf(err, n, "a malformed field in a %s", d->short_name);
        switch (key & 7) {
        case 0:
            if (varint(&p, end, &len))
                return onnx_errorf(err, n, "a truncated number in a %s", d->short_name);
            break;
        case 1:
        case 5: {
            size_t size = (key & 7) == 1 ? 8 : 4;
            if ((size_t)(end - p) < size)
                return onnx_errorf(err, n, "a truncated number in a %s", d->short_name);
            p += size;
            break;
        }
        case 2: {
            if (varint(&p, end, &len) || len > (uint64_t)(end - p))
                return onnx_errorf(err, n, "a field of a %s runs past the end of its data", d->short_name);
            const ProtobufCFieldDescriptor *f = field_of(d, (uint32_t)(key >> 3));
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                if (depth + 1 > max)
                    return onnx_errorf(err, n, "messages are nested more than %d deep (at %s.%s)", max, d->short_name, f->name);
                if (walk(f->descriptor, p, p + len, depth + 1, max, err, n))
                    return -1;
            }
            p += len;
            break;
        }
        default:
            return onnx_errorf(err, n, "a field of wire type %d in a %s", (int)(key & 7), d->short_name);
        }
    }
    return 0;
}

int onnx_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len, int max_depth, char *err,
                    size_t err_len) {
    return walk(desc, data, data + len, 0, max_depth, err, err_len);
}

/* ---- tensors ------------------------------------------------------------ */

size_t onnx_elem_size(int32_t type) {
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return 8;
    default: return 0;
    }
}

size_t onnx_stored_elems(const Onnx__TensorProto *t) {
    size_t fl = t->n_float_data, i32 = t->n_int32_data, i64 = t->n_int64_data, db = t->n_double_data;
    size_t size = onnx_elem_size(t->data_type);
    if (t->has_raw_data)
        return fl + i32 + i64 + db ? SIZE_MAX : size ? t->raw_data.len / size : 0;
    switch (t->data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return i32 + i64 + db ? SIZE_MAX : fl;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return fl + i64 + db ? SIZE_MAX : i32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return fl + i32 + i64 ? SIZE_MAX : db;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return fl + i32 + db ? SIZE_MAX : i64;
    default: return 0;
    }
}

static int check_tensor(const Onnx__TensorProto *t, char *err, size_t n) {
    const char *name = t->name && *t->name ? t->name : "(unnamed)";
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return onnx_errorf(err, n, "tensor '%s' keeps its data in another file; save the model with its weights inside "
                            "(onnx.save_model(..., save_as_external_data=False))", name);
    uint64_t elems = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0)
            return onnx_errorf(err, n, "tensor '%s' has a negative dimension (%lld)", name, (long long)t->dims[i]);
        if (t->dims[i] > ONNX_MAX_TENSOR_ELEMS || (elems *= (uint64_t)t->dims[i]) > ONNX_MAX_TENSOR_ELEMS)
            return onnx_errorf(err, n, "tensor '%s' would have more than %d elements", name, ONNX_MAX_TENSOR_ELEMS);
    }
    size_t size = onnx_elem_size(t->data_type), stored = onnx_stored_elems(t);
    if (size && stored == SIZE_MAX)
        return onnx_errorf(err, n, "tensor '%s' keeps data in a field its type does not use", name);
    if (size && (t->has_raw_data || stored) && stored != elems)
        return onnx_errorf(err, n, "tensor '%s' has %llu elements by its shape, but its data holds %zu", name,
                    (unsigned long long)elems, stored);
    if (t->has_raw_data && size && t->raw_data.len % size)
        return onnx_errorf(err, n, "tensor '%s' has %zu bytes of data, not a whole number of elements", name, t->raw_data.len);
    return 0;
}

static int check_graph(const Onnx__GraphProto *g, char *err, size_t n);

static int check_attribute(const Onnx__AttributeProto *a, char *err, size_t n) {
    if (a->t && check_tensor(a->t, err, n))
        return -1;
    for (size_t i = 0; i < a->n_tensors; i++)
        if (check_tensor(a->tensors[i], err, n))
            return -1;
    if (a->g && check_graph(a->g, err, n))
        return -1;
    for (size_t i = 0; i < a->n_graphs; i++)
        if (check_graph(a->graphs[i], err, n))
            return -1;
    return 0;
}

/* The names ONNX requires (proto2 leaves an absent string NULL): each
 * graph input and output, initializer, node operator and attribute. */
static int check_names(const Onnx__GraphProto *g, char *err, size_t n) {
    for (size_t i = 0; i < g->n_input; i++)
        if (!g->input[i]->name)
            return onnx_errorf(err, n, "the graph's input %zu has no name", i + 1);
    for (size_t i = 0; i < g->n_output; i++)
        if (!g->output[i]->name)
            return onnx_errorf(err, n, "the graph's output %zu has no name", i + 1);
    for (size_t i = 0; i < g->n_initializer; i++)
        if (!g->initializer[i]->name)
            return onnx_errorf(err, n, "the graph's initializer %zu has no name", i + 1);
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *node = g->node[i];
        if (!node->op_type)
            return onnx_errorf(err, n, "node %zu ('%s') has no operator type", i + 1, node->name ? node->name : "");
        for (size_t k = 0; k < node->n_attribute; k++)
            if (!node->attribute[k]->name)
                return onnx_errorf(err, n, "node %zu ('%s', %s) has an attribute without a name", i + 1,
                                   node->name ? node->name : "", node->op_type);
    }
    return 0;
}

static int check_graph(const Onnx__GraphProto *g, char *err, size_t n) {
    if (check_names(g, err, n))
        return -1;
    for (size_t i = 0; i < g->n_initializer; i++)
        if (check_tensor(g->initializer[i], err, n))
            return -1;
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t k = 0; k < g->node[i]->n_attribute; k++)
            if (check_attribute(g->node[i]->attribute[k], err, n))
                return -1;
    return 0;
}

/* ---- the file ------------------------------------------------------------ */

int onnx_file_parse(OnnxFile *f, const char *name, const uint8_t *data, size_t len) {
    char why[400];
    memset(f, 0, sizeof *f);
    if (onnx_wire_check(&onnx__model_proto__descriptor, data, len, ONNX_MAX_DEPTH, why, sizeof why)) {
        snprintf(f->error, sizeof f->error, "%s: is not an ONNX model: %s", name, why);
        return -1;
    }
    f->model = onnx__model_proto__unpack(NULL, len, data);
    if (!f->model) {
        snprintf(f->error, sizeof f->error, "%s: is not an ONNX model (protobuf-c cannot read it)", name);
        return -1;
    }
    if (!f->model->graph) {
        snprintf(f->error, sizeof f->error, "%s: the model has no graph", name);
        onnx_file_free(f);
        return -1;
    }
    if (check_graph(f->model->graph, why, sizeof why)) {
        snprintf(f->error, sizeof f->error, "%s: %s", name, why);
        onnx_file_free(f);
        return -1;
    }
    return 0;
}

int onnx_file_load(OnnxFile *f, const char *path) {
    memset(f, 0, sizeof *f);
    FILE *in = fopen(path, "rb");
    if (!in) {
        snprintf(f->error, sizeof f->error, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    uint8_t *data = malloc(ONNX_MAX_FILE_BYTES / 1024); /* grown as the file is read */
    size_t cap = ONNX_MAX_FILE_BYTES / 1024, len = 0, got;
    while (data && (got = fread(data + len, 1, cap - len, in)) > 0) {
        len += got;
        if (len == cap) {
            uint8_t *more = cap < ONNX_MAX_FILE_BYTES ? realloc(data, cap * 2) : NULL;
            if (!more) {
                free(data);
                data = NULL;
                break;
            }
            data = more;
            cap *= 2;
        }
    }
    bool read_error = ferror(in);
    fclose(in);
    int rc = -1;
    if (!data)
        snprintf(f->error, sizeof f->error, "%s: larger than %d MiB, or out of memory", path, ONNX_MAX_FILE_BYTES >> 20);
    else if (read_error)
        snprintf(f->error, sizeof f->error, "%s: cannot read: %s", path, strerror(errno));
    else
        rc = onnx_file_parse(f, path, data, len);
    free(data);
    return rc;
}

void onnx_file_free(OnnxFile *f) {
    if (f->model)
        onnx__model_proto__free_unpacked(f->model, NULL);
    f->model = NULL;
}
