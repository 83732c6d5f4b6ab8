/* test_npy.c - unit tests for runtime/rt_npy.c: reading arrays numpy wrote
 * (every accepted dtype, format 1.0/2.0/3.0, 0-d and empty arrays), the
 * refused ones (Fortran order, big-endian, other dtypes, rank 5), writing
 * byte for byte as numpy.save does, atomic writes that survive a full disk,
 * and malformed files built here, each of which must fail with a message
 * naming the file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rt_io.h"
#include "rt_testfiles.h"

/* ---- building files ---------------------------------------------------- */

/* An .npy file: magic, version MAJOR.0, the header text as given (its
 * length in 2 or 4 bytes), then ndata bytes of data. */
static void make_npy(const char *path, int major, const char *header, const void *data, size_t ndata) {
    size_t h = strlen(header), lenbytes = major == 1 ? 2 : 4, n = 8 + lenbytes + h + ndata;
    unsigned char *b = malloc(n);
    assert_non_null(b);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    for (size_t i = 0; i < lenbytes; i++)
        b[8 + i] = (unsigned char)(h >> (8 * i));
    memcpy(b + 8 + lenbytes, header, h);
    if (ndata)
        memcpy(b + 8 + lenbytes + h, data, ndata);
    write_bytes(path, b, n);
    free(b);
}

/* A v1 file with the given dict and ndata zero bytes of data. */
static void make_dict(const char *path, const char *dict, size_t ndata) {
    char header[512];
    snprintf(header, sizeof header, "%s\n", dict);
    void *zeros = calloc(1, ndata ? ndata : 1);
    make_npy(path, 1, header, zeros, ndata);
    free(zeros);
}

/* Read path, expecting failure with a message containing what. */
static void expect_read_fails(const char *path, const char *what) {
    rt_array a;
    rt_error err = {{0}};
    int rc = rt_npy_read(path, &a, &err);
    assert_fails(rc, err, path, what);
    assert_null(a.data);
}

static void expect_dict_fails(const char *name, const char *dict, size_t ndata, const char *what) {
    char p[256];
    make_dict(scratch(p, name), dict, ndata);
    expect_read_fails(p, what);
}

/* ---- reading what numpy wrote ------------------------------------------ */

static void read_ok(const char *path, rt_array *a) {
    rt_error err = {{0}};
    if (rt_npy_read(path, a, &err) != 0)
        fail_msg("%s", err.msg);
    assert_non_null(a->data);
}

static void test_read_f4(void **state) {
    (void)state;
    static const char *const files[] = {DATA_DIR "f4_2x3.npy", DATA_DIR "f4_2x3_v2.npy", DATA_DIR "f4_2x3_v3.npy"};
    for (int f = 0; f < 3; f++) {
        rt_array a;
        read_ok(files[f], &a);
        assert_int_equal(a.dtype, RT_F32);
        assert_int_equal(a.rank, 2);
        assert_int_equal(a.dims[0], 2);
        assert_int_equal(a.dims[1], 3);
        assert_int_equal(a.count, 6);
        for (int i = 0; i < 6; i++)
            assert_true(((float *)a.data)[i] == i * 0.5f - 1.0f);
        rt_array_free(&a);
        assert_null(a.data);
    }
}

static void test_read_f8_i4_i8(void **state) {
    (void)state;
    rt_array a;
    read_ok(DATA_DIR "f8_3.npy", &a);
    assert_int_equal(a.dtype, RT_F64);
    assert_int_equal(a.rank, 1);
    assert_int_equal(a.count, 3);
    assert_true(((double *)a.data)[1] == -2.25 && ((double *)a.data)[2] == 1e300);
    rt_array_free(&a);

    read_ok(DATA_DIR "i4_2x2.npy", &a);
    assert_int_equal(a.dtype, RT_I32);
    assert_int_equal(a.count, 4);
    assert_true(((int32_t *)a.data)[1] == -2 && ((int32_t *)a.data)[3] == INT32_MIN);
    rt_array_free(&a);

    read_ok(DATA_DIR "i8_4.npy", &a);
    assert_int_equal(a.dtype, RT_I64);
    assert_int_equal(a.count, 4);
    assert_true(((int64_t *)a.data)[2] == (int64_t)1 << 40 && ((int64_t *)a.data)[3] == -((int64_t)1 << 62));
    rt_array_free(&a);
}

/* 0-d: rank 0, one element. Empty: count 0 but data still not NULL. */
static void test_read_scalar_and_empty(void **state) {
    (void)state;
    rt_array a;
    read_ok(DATA_DIR "f4_scalar.npy", &a);
    assert_int_equal(a.rank, 0);
    assert_int_equal(a.count, 1);
    assert_true(((float *)a.data)[0] == 3.25f);
    rt_array_free(&a);

    read_ok(DATA_DIR "f4_0x3.npy", &a);
    assert_int_equal(a.rank, 2);
    assert_int_equal(a.dims[0], 0);
    assert_int_equal(a.dims[1], 3);
    assert_int_equal(a.count, 0);
    rt_array_free(&a);

    read_ok(DATA_DIR "f4_1x2x1x2.npy", &a);
    assert_int_equal(a.rank, 4);
    assert_int_equal(a.count, 4);
    assert_true(((float *)a.data)[3] == 4.0f);
    rt_array_free(&a);
}

static void test_refused_numpy_files(void **state) {
    (void)state;
    expect_read_fails(DATA_DIR "bad_fortran.npy", "Fortran");
    expect_read_fails(DATA_DIR "bad_bigendian.npy", "big-endian dtype '>f4'");
    expect_read_fails(DATA_DIR "bad_bool.npy", "dtype '|b1' (bool) is not supported");
    expect_read_fails(DATA_DIR "bad_u1.npy", "dtype '|u1' (uint8)");
    expect_read_fails(DATA_DIR "bad_i2.npy", "dtype '<i2' (int16)");
    expect_read_fails(DATA_DIR "bad_u2.npy", "dtype '<u2' (uint16)");
    expect_read_fails(DATA_DIR "bad_f2.npy", "dtype '<f2' (float16)");
    expect_read_fails(DATA_DIR "bad_rank5.npy", "5 dimensions; at most 4");
}

/* ---- writing ----------------------------------------------------------- */

static void test_write_matches_numpy(void **state) {
    (void)state;
    char p[256];
    float v[6];
    int64_t dims[2] = {2, 3};
    rt_error err = {{0}};
    for (int i = 0; i < 6; i++)
        v[i] = i * 0.5f - 1.0f;
    assert_int_equal(rt_npy_write_f32(scratch(p, "w.npy"), 2, dims, v, &err), 0);
    size_t n1, n2;
    unsigned char *mine = read_bytes(p, &n1), *numpy = read_bytes(DATA_DIR "f4_2x3.npy", &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(mine, numpy, n1);
    free(mine);
    free(numpy);
    /* numpy's other shapes too: 0-d, empty, rank 4. */
    static const struct { const char *file; int rank; int64_t dims[4]; float v[4]; } cases[] = {
        {DATA_DIR "f4_scalar.npy", 0, {0}, {3.25f}},
        {DATA_DIR "f4_0x3.npy", 2, {0, 3}, {0}},
        {DATA_DIR "f4_1x2x1x2.npy", 4, {1, 2, 1, 2}, {1, 2, 3, 4}},
    };
    for (int c = 0; c < 3; c++) {
        assert_int_equal(rt_npy_write_f32(p, cases[c].rank, cases[c].dims, cases[c].v, &err), 0);
        mine = read_bytes(p, &n1);
        numpy = read_bytes(cases[c].file, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(mine, numpy, n1);
        free(mine);
        free(numpy);
    }
    assert_false(file_exists(scratch(p, "w.npy.tmp")));
}

static void test_round_trip(void **state) {
    (void)state;
    char p[256];
    float v[120];
    for (int i = 0; i < 120; i++)
        v[i] = (float)i / 7.0f - 3.0f;
    static const struct { int rank; int64_t dims[4]; } shapes[] = {
        {0, {0}}, {1, {1}}, {1, {120}}, {2, {10, 12}}, {3, {2, 3, 20}}, {4, {2, 3, 4, 5}}, {2, {0, 5}}, {4, {5, 4, 3, 0}},
        {1, {0}}, {2, {123456789, 0}},
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        rt_error err = {{0}};
        rt_array a;
        assert_int_equal(rt_npy_write_f32(scratch(p, "rt.npy"), shapes[s].rank, shapes[s].dims, v, &err), 0);
        read_ok(p, &a);
        assert_int_equal(a.dtype, RT_F32);
        assert_int_equal(a.rank, shapes[s].rank);
        int64_t count = 1;
        for (int d = 0; d < a.rank; d++) {
            assert_int_equal(a.dims[d], shapes[s].dims[d]);
            count *= shapes[s].dims[d];
        }
        assert_int_equal(a.count, count);
        assert_memory_equal(a.data, v, (size_t)count * 4);
        size_t n;
        unsigned char *raw = read_bytes(p, &n);
        assert_int_equal((n - (size_t)count * 4) % 64, 0); /* header padded as numpy does */
        free(raw);
        rt_array_free(&a);
    }
}

/* Empty data may be NULL when writing. */
static void test_write_empty_null_data(void **state) {
    (void)state;
    char p[256];
    int64_t dims[1] = {0};
    rt_error err = {{0}};
    assert_int_equal(rt_npy_write_f32(scratch(p, "e.npy"), 1, dims, NULL, &err), 0);
    rt_array a;
    read_ok(p, &a);
    assert_int_equal(a.count, 0);
    rt_array_free(&a);
}

static void test_write_bad_arguments(void **state) {
    (void)state;
    char p[256];
    float v[4] = {0};
    rt_error err = {{0}};
    int64_t five[5] = {1, 1, 1, 1, 4}, neg[2] = {2, -2}, huge[3] = {1 << 30, (int64_t)1 << 40, (int64_t)1 << 40};
    scratch(p, "bad.npy");
    assert_fails(rt_npy_write_f32(p, 5, five, v, &err), err, p, "rank 5");
    assert_fails(rt_npy_write_f32(p, -1, five, v, &err), err, p, "rank -1");
    assert_fails(rt_npy_write_f32(p, 2, neg, v, &err), err, p, "shape (2, -2)");
    assert_fails(rt_npy_write_f32(p, 3, huge, v, &err), err, p, "too large");
    assert_fails(rt_npy_write_f32(p, 1, neg, NULL, &err), err, p, "no data");
    assert_false(file_exists(p));
    scratch(p, "no/such/dir/x.npy");
    assert_fails(rt_npy_write_f32(p, 1, neg, v, &err), err, p, "cannot create");
}

/* Writing 64 KiB past a 4 KiB file size limit fails like a full disk:
 * the message says so and the previous file is untouched. */
static int write_big(void *arg) {
    static float big[16384];
    int64_t dims[1] = {16384};
    rt_error err = {{0}};
    const char *p = arg;
    if (rt_npy_write_f32(p, 1, dims, big, &err) != -1)
        return 1;
    if (strncmp(err.msg, p, strlen(p)) != 0 || !strstr(err.msg, "File too large"))
        return 2;
    return 0;
}

static void test_write_failure_keeps_old_file(void **state) {
    (void)state;
    char p[256], tmp[256];
    float v[3] = {1, 2, 3};
    int64_t dims[1] = {3};
    rt_error err = {{0}};
    assert_int_equal(rt_npy_write_f32(scratch(p, "keep.npy"), 1, dims, v, &err), 0);
    size_t n0, n1;
    unsigned char *before = read_bytes(p, &n0);
    assert_int_equal(with_file_size_limit(4096, write_big, p), 0);
    unsigned char *after = read_bytes(p, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    assert_false(file_exists(scratch(tmp, "keep.npy.tmp")));
    free(before);
    free(after);
}

/* ---- malformed files --------------------------------------------------- */

static void test_short_files(void **state) {
    (void)state;
    char p[256];
    write_bytes(scratch(p, "empty.npy"), "", 0);
    expect_read_fails(p, "too short to be an .npy file (0 bytes)");
    write_bytes(scratch(p, "magic5.npy"), "\x93NUMP", 5);
    expect_read_fails(p, "too short");
    write_bytes(scratch(p, "magic9.npy"), "\x93NUMPY\x01\x00\x10", 9);
    expect_read_fails(p, "too short");
    write_bytes(scratch(p, "v2short.npy"), "\x93NUMPY\x02\x00\x10\x00", 10);
    expect_read_fails(p, "too short for a version 2.0 preamble");
    write_bytes(scratch(p, "text.npy"), "hello, world, not an array", 26);
    expect_read_fails(p, "does not start with \\x93NUMPY");
    write_bytes(scratch(p, "v4.npy"), "\x93NUMPY\x04\x00\x00\x00", 10);
    expect_read_fails(p, "version 4.0");
    write_bytes(scratch(p, "v1.1.npy"), "\x93NUMPY\x01\x01\x00\x00", 10);
    expect_read_fails(p, "version 1.1");
}

static void test_header_length(void **state) {
    (void)state;
    char p[256];
    write_bytes(scratch(p, "past.npy"), "\x93NUMPY\x01\x00\x76\x00{'descr'", 18);
    expect_read_fails(p, "header length 118 runs past the end of the file (18 bytes)");
    write_bytes(scratch(p, "huge.npy"), "\x93NUMPY\x02\x00\xff\xff\xff\xff{}", 14);
    expect_read_fails(p, "header length 4294967295 exceeds");
    write_bytes(scratch(p, "huge3.npy"), "\x93NUMPY\x03\x00\x00\x00\x00\x80{}", 14);
    expect_read_fails(p, "header length 2147483648 exceeds");
    make_npy(scratch(p, "zero.npy"), 1, "", NULL, 0);
    expect_read_fails(p, "malformed header: expected '{'");
}

static void test_data_size(void **state) {
    (void)state;
    const char *d = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }";
    expect_dict_fails("trunc.npy", d, 40,
                      "truncated: header says shape (2, 3, 4) = 24 float32 values (96 bytes) but the file holds 40 "
                      "bytes of data");
    expect_dict_fails("trail.npy", d, 100, "trailing data: header says shape (2, 3, 4) = 24 float32 values (96 bytes)"
                                          " but the file holds 100 bytes");
    expect_dict_fails("nodata.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", 0,
                      "truncated: header says shape (3,) = 3 int64 values (24 bytes) but the file holds 0 bytes");
    /* 2^40 elements claimed in a tiny file: refused without allocating. */
    expect_dict_fails("t40.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576), }", 16,
                      "truncated: header says shape (1048576, 1048576) = 1099511627776 float32 values");
    expect_dict_fails("ovf.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
                      16, "shape (4294967296, 4294967296) is too large");
    expect_dict_fails("ovf2.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", 16,
                      "too large");
    expect_dict_fails("dimbig.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
                      16, "dimension too large");
    expect_dict_fails("empty_trail.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", 4,
                      "trailing data");
}

static void test_bad_dicts(void **state) {
    (void)state;
    static const struct { const char *dict, *what; } cases[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "negative dimension"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }", "expected ',' or ')'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': ('2',), }", "expected a dimension"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", "not a tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", "expected '('"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 2), }", "5 dimensions"},
        {"{'descr': '<f4', 'fortran_order': False, }", "lacks 'shape'"},
        {"{'fortran_order': False, 'shape': (2,), }", "lacks 'descr'"},
        {"{'descr': '<f4', 'shape': (2,), }", "lacks 'fortran_order'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1, }", "unexpected key 'extra'"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "'descr' appears twice"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", "neither True nor False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", "expected a quoted string"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", "unexpected text after the header dict"},
        {"{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", "expected ',' or '}'"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", "structured dtypes"},
        {"{'descr': '<f4\\n', 'fortran_order': False, 'shape': (2,), }", "unexpected character in a string"},
        {"{'descr' '<f4', 'fortran_order': False, 'shape': (2,), }", "expected ':' after a key"},
        {"{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", "big-endian dtype '>f8'"},
        {"{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", "dtype '<c16' (complex128)"},
        {"{'descr': 'float32', 'fortran_order': False, 'shape': (1,), }", "dtype 'float32' is not supported"},
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", "Fortran-order arrays are not supported"},
        {"['descr', '<f4']", "expected '{'"},
    };
    char name[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(name, sizeof name, "dict%zu.npy", i);
        expect_dict_fails(name, cases[i].dict, 8, cases[i].what);
    }
}

/* A NUL in the header, and a header of nothing but a long run of '('. */
static void test_odd_headers(void **state) {
    (void)state;
    char p[256];
    static const char nul[] = "\x93NUMPY\x01\x00\x06\x00{'de\0'";
    write_bytes(scratch(p, "nul.npy"), nul, sizeof nul - 1);
    expect_read_fails(p, "malformed header");
    char *deep = malloc(60001);
    assert_non_null(deep);
    memcpy(deep, "{'shape': ", 10);
    memset(deep + 10, '(', 59990);
    deep[60000] = '\0';
    make_npy(scratch(p, "deep.npy"), 2, deep, NULL, 0);
    expect_read_fails(p, "expected a dimension");
    free(deep);
}

static void test_not_a_file(void **state) {
    (void)state;
    char p[256];
    expect_read_fails(scratch(p, "missing.npy"), "cannot open: No such file or directory");
    expect_read_fails(scratch_dir, "is a directory");
}

/* A file that ends anywhere inside a valid one fails cleanly. */
static void test_every_truncation(void **state) {
    (void)state;
    char p[256];
    size_t n;
    unsigned char *full = read_bytes(DATA_DIR "i4_2x2.npy", &n);
    for (size_t k = 0; k < n; k++) {
        write_bytes(scratch(p, "cut.npy"), full, k);
        rt_array a;
        rt_error err = {{0}};
        assert_fails(rt_npy_read(p, &a, &err), err, p, "");
    }
    free(full);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_f4),
        cmocka_unit_test(test_read_f8_i4_i8),
        cmocka_unit_test(test_read_scalar_and_empty),
        cmocka_unit_test(test_refused_numpy_files),
        cmocka_unit_test(test_write_matches_numpy),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_write_empty_null_data),
        cmocka_unit_test(test_write_bad_arguments),
        cmocka_unit_test(test_write_failure_keeps_old_file),
        cmocka_unit_test(test_short_files),
        cmocka_unit_test(test_header_length),
        cmocka_unit_test(test_data_size),
        cmocka_unit_test(test_bad_dicts),
        cmocka_unit_test(test_odd_headers),
        cmocka_unit_test(test_not_a_file),
        cmocka_unit_test(test_every_truncation),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
