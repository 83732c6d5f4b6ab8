/* test_onnx_file.c - unit tests for reading ONNX files as untrusted data
 * (compiler/onnx_file.c): a model packed here with protobuf-c reads back;
 * truncated data, fields that run past their message, nesting deeper than
 * the limit, tensors whose data disagree with their shape, negative and
 * huge dimensions, external data and missing required names are each
 * refused with a message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "onnx_file.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A graph with one float initializer of shape dims holding n floats. */
typedef struct Built {
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__TensorProto tensor, *tensors[1];
    Onnx__OperatorSetIdProto opset, *opsets[1];
    int64_t dims[2];
    float data[8];
} Built;

static void build(Built *b, int64_t d0, int64_t d1, size_t n) {
    memset(b, 0, sizeof *b);
    onnx__model_proto__init(&b->model);
    onnx__graph_proto__init(&b->graph);
    onnx__tensor_proto__init(&b->tensor);
    onnx__operator_set_id_proto__init(&b->opset);
    b->opset.has_version = 1;
    b->opset.version = 14;
    b->opsets[0] = &b->opset;
    b->model.n_opset_import = 1;
    b->model.opset_import = b->opsets;
    b->model.has_ir_version = 1;
    b->model.ir_version = 7;
    b->graph.name = "g";
    b->dims[0] = d0;
    b->dims[1] = d1;
    b->tensor.name = "W";
    b->tensor.has_data_type = 1;
    b->tensor.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    b->tensor.n_dims = 2;
    b->tensor.dims = b->dims;
    for (size_t i = 0; i < n; i++)
        b->data[i] = (float)i;
    b->tensor.n_float_data = n;
    b->tensor.float_data = b->data;
    b->tensors[0] = &b->tensor;
    b->graph.n_initializer = 1;
    b->graph.initializer = b->tensors;
    b->model.graph = &b->graph;
}

static uint8_t *pack(const Built *b, size_t *len) {
    *len = onnx__model_proto__get_packed_size(&b->model);
    uint8_t *buf = malloc(*len + 1);
    assert_non_null(buf);
    onnx__model_proto__pack(&b->model, buf);
    return buf;
}

/* data fails to parse with a message containing part. */
static void expect_refused(const uint8_t *data, size_t len, const char *part) {
    OnnxFile f;
    assert_int_equal(onnx_file_parse(&f, "m.onnx", data, len), -1);
    if (!strstr(f.error, part))
        fail_msg("'%s' does not say '%s'", f.error, part);
    assert_null(f.model);
}

static void test_a_model_reads_back(void **state) {
    (void)state;
    Built b;
    build(&b, 2, 3, 6);
    size_t len;
    uint8_t *data = pack(&b, &len);
    OnnxFile f;
    assert_int_equal(onnx_file_parse(&f, "m.onnx", data, len), 0);
    assert_int_equal(f.model->ir_version, 7);
    assert_int_equal(f.model->opset_import[0]->version, 14);
    assert_string_equal(f.model->graph->initializer[0]->name, "W");
    assert_int_equal(f.model->graph->initializer[0]->n_float_data, 6);
    assert_true(f.model->graph->initializer[0]->float_data[5] == 5.0f);
    onnx_file_free(&f);
    free(data);
}

static void test_every_truncation_is_refused(void **state) {
    (void)state;
    Built b;
    build(&b, 2, 3, 6);
    size_t len;
    uint8_t *data = pack(&b, &len);
    for (size_t cut = 1; cut < len; cut++) {
        OnnxFile f;
        if (onnx_file_parse(&f, "m.onnx", data, cut) == 0) { /* a prefix may end between fields */
            onnx_file_free(&f);
            continue;
        }
        assert_true(strncmp(f.error, "m.onnx: ", 8) == 0);
    }
    free(data);
}

static void test_a_field_past_its_message(void **state) {
    (void)state;
    /* field 7 (graph), length-delimited, claiming 100 bytes of 3 */
    static const uint8_t data[] = {0x3a, 100, 0x0a, 0x01, 'g'};
    expect_refused(data, sizeof data, "runs past the end");
}

/* buf[0..*len) becomes the body of a length-delimited field with key. */
static void wrap(uint8_t *buf, size_t *len, uint8_t key) {
    uint8_t head[6] = {key};
    size_t n = 1;
    for (size_t v = *len; ; v >>= 7) {
        head[n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80)
            break;
    }
    memmove(buf + n, buf, *len);
    memcpy(buf, head, n);
    *len += n;
}

static void test_nesting_deeper_than_the_limit(void **state) {
    (void)state;
    /* graph > node > attribute > g (a subgraph) > node > ..., 40 times over */
    static const uint8_t keys[] = {0x32 /* AttributeProto.g */, 0x2a /* NodeProto.attribute */,
                                   0x0a /* GraphProto.node */};
    uint8_t *data = calloc(4096, 1);
    size_t len = 0;
    for (int level = 0; level < 120; level++)
        wrap(data, &len, keys[level % 3]);
    wrap(data, &len, 0x3a); /* ModelProto.graph */
    expect_refused(data, len, "nested more than 32 deep");
    free(data);
}

static void test_data_that_disagrees_with_the_shape(void **state) {
    (void)state;
    Built b;
    build(&b, 2, 3, 5);
    size_t len;
    uint8_t *data = pack(&b, &len);
    expect_refused(data, len, "tensor 'W' has 6 elements by its shape, but its data holds 5");
    free(data);
}

static void test_negative_and_huge_dimensions(void **state) {
    (void)state;
    Built b;
    build(&b, -1, 3, 0);
    size_t len;
    uint8_t *data = pack(&b, &len);
    expect_refused(data, len, "tensor 'W' has a negative dimension (-1)");
    free(data);
    build(&b, 1 << 20, 1 << 20, 0);
    data = pack(&b, &len);
    expect_refused(data, len, "tensor 'W' would have more than");
    free(data);
}

static void test_external_data(void **state) {
    (void)state;
    Built b;
    build(&b, 2, 3, 0);
    b.tensor.has_data_location = 1;
    b.tensor.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    size_t len;
    uint8_t *data = pack(&b, &len);
    expect_refused(data, len, "tensor 'W' keeps its data in another file");
    free(data);
}

static void test_no_graph_and_not_a_file(void **state) {
    (void)state;
    Built b;
    build(&b, 2, 3, 6);
    b.model.graph = NULL;
    size_t len;
    uint8_t *data = pack(&b, &len);
    expect_refused(data, len, "the model has no graph");
    free(data);
    OnnxFile f;
    assert_int_equal(onnx_file_load(&f, "/nonexistent/m.onnx"), -1);
    assert_non_null(strstr(f.error, "/nonexistent/m.onnx: cannot open"));
}

/* Names ONNX requires: a node without an operator type and an unnamed
 * initializer are refused, not left for the importer to meet as NULL. */
static void test_missing_names(void **state) {
    (void)state;
    Built b;
    build(&b, 2, 3, 6);
    Onnx__NodeProto node, *nodes[1] = {&node};
    onnx__node_proto__init(&node);
    node.name = "n0";
    b.graph.n_node = 1;
    b.graph.node = nodes;
    size_t len;
    uint8_t *data = pack(&b, &len);
    expect_refused(data, len, "node 1 ('n0') has no operator type");
    free(data);
    b.graph.n_node = 0;
    b.tensor.name = NULL;
    data = pack(&b, &len);
    expect_refused(data, len, "the graph's initializer 1 has no name");
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_model_reads_back),
        cmocka_unit_test(test_every_truncation_is_refused),
        cmocka_unit_test(test_a_field_past_its_message),
        cmocka_unit_test(test_nesting_deeper_than_the_limit),
        cmocka_unit_test(test_data_that_disagrees_with_the_shape),
        cmocka_unit_test(test_negative_and_huge_dimensions),
        cmocka_unit_test(test_external_data),
        cmocka_unit_test(test_no_graph_and_not_a_file),
        cmocka_unit_test(test_missing_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
