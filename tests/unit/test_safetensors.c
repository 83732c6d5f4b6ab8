/* test_safetensors.c - unit tests for runtime/rt_safetensors.c: reading a
 * file laid out as the safetensors library writes it (escaped names,
 * metadata, header order unlike offset order, 0-d and empty tensors),
 * writing byte for byte what that library writes, round trips, atomic
 * writes that survive a full disk, refused writer input, and malformed
 * files built here, each of which must fail with a message naming the
 * file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rt_io.h"
#include "rt_testfiles.h"

/* ---- building files ---------------------------------------------------- */

/* 8-byte length LEN, then header, then ndata bytes counting up. */
static void make_raw(const char *path, uint64_t len, const char *header, size_t ndata) {
    size_t h = strlen(header), n = 8 + h + ndata;
    unsigned char *b = malloc(n);
    assert_non_null(b);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(len >> (8 * i));
    memcpy(b + 8, header, h);
    for (size_t i = 0; i < ndata; i++)
        b[8 + h + i] = (unsigned char)i;
    write_bytes(path, b, n);
    free(b);
}

static void make_st(const char *path, const char *header, size_t ndata) {
    make_raw(path, strlen(header), header, ndata);
}

static void expect_read_fails(const char *path, const char *what) {
    rt_safetensors st;
    rt_error err = {{0}};
    assert_fails(rt_st_read(path, &st, &err), err, path, what);
    assert_null(st.block);
    assert_int_equal(st.ntensors, 0);
}

static void expect_header_fails(const char *name, const char *header, size_t ndata, const char *what) {
    char p[256];
    make_st(scratch(p, name), header, ndata);
    expect_read_fails(p, what);
}

static void read_ok(const char *path, rt_safetensors *st) {
    rt_error err = {{0}};
    if (rt_st_read(path, st, &err) != 0)
        fail_msg("%s", err.msg);
}

/* ---- reading ----------------------------------------------------------- */

static void test_read_fixture(void **state) {
    (void)state;
    rt_safetensors st;
    read_ok(DATA_DIR "model.safetensors", &st);
    assert_int_equal(st.ntensors, 5);
    /* Header order is kept, though it is not the data's order. */
    assert_string_equal(st.tensors[0].name, "caf\xc3\xa9\xf0\x9f\x99\x82");
    assert_string_equal(st.tensors[4].name, "layer.weight_ih_l0");
    const rt_tensor *w = rt_st_find(&st, "layer.weight_ih_l0");
    assert_non_null(w);
    assert_int_equal(w->dtype, RT_F32);
    assert_int_equal(w->rank, 2);
    assert_int_equal(w->dims[0], 3);
    assert_int_equal(w->dims[1], 4);
    assert_int_equal(w->count, 12);
    assert_int_equal((uintptr_t)w->data % 4, 0);
    for (int i = 0; i < 12; i++)
        assert_true(w->data[i] == i / 8.0f);
    const rt_tensor *b = rt_st_find(&st, "layer.bias_ih_l0");
    assert_non_null(b);
    assert_true(b->rank == 1 && b->count == 3 && b->data[0] == -1.0f && b->data[2] == 1.0f);
    const rt_tensor *s = rt_st_find(&st, "scalar");
    assert_true(s && s->rank == 0 && s->count == 1 && s->data[0] == 7.0f);
    const rt_tensor *e = rt_st_find(&st, "empty");
    assert_true(e && e->rank == 2 && e->dims[0] == 0 && e->dims[1] == 2 && e->count == 0);
    const rt_tensor *u = rt_st_find(&st, "caf\xc3\xa9\xf0\x9f\x99\x82");
    assert_true(u && u->count == 1 && u->data[0] == 2.5f);
    assert_null(rt_st_find(&st, "layer"));
    assert_null(rt_st_find(&st, "zzz"));
    assert_null(rt_st_find(&st, ""));
    assert_int_equal(st.nmeta, 2);
    assert_string_equal(rt_st_meta(&st, "format"), "pt");
    assert_string_equal(rt_st_meta(&st, "note"), "quote \" backslash \\ newline \n");
    assert_null(rt_st_meta(&st, "missing"));
    rt_st_free(&st);
    assert_null(st.block);
}

/* The smallest files: "{}" and an empty metadata object. */
static void test_read_empty(void **state) {
    (void)state;
    char p[256];
    rt_safetensors st;
    make_st(scratch(p, "empty.st"), "{}", 0);
    read_ok(p, &st);
    assert_int_equal(st.ntensors, 0);
    assert_int_equal(st.nmeta, 0);
    assert_null(rt_st_find(&st, "x"));
    rt_st_free(&st);
    make_st(p, " { \"__metadata__\" : { } }  \n", 0);
    read_ok(p, &st);
    assert_int_equal(st.ntensors + st.nmeta, 0);
    rt_st_free(&st);
}

/* Unknown members of an entry are skipped, whatever they hold; the data
 * block need not start on a 4-byte boundary of the file. */
static void test_read_tolerates(void **state) {
    (void)state;
    char p[256];
    rt_safetensors st;
    make_st(scratch(p, "extra.st"),
            "{\"a\":{\"extra\":[1,{\"k\":[true,false,null,-1.5e3,\"s\\u00e9\"]}],\"dtype\":\"F32\",\"shape\":[1],"
            "\"data_offsets\":[0,4]}}",
            4);
    read_ok(p, &st);
    assert_int_equal(st.ntensors, 1);
    assert_int_equal((uintptr_t)st.tensors[0].data % 4, 0);
    unsigned char want[4] = {0, 1, 2, 3};
    assert_memory_equal(st.tensors[0].data, want, 4);
    rt_st_free(&st);
}

/* ---- writing ----------------------------------------------------------- */

static void test_write_matches_library(void **state) {
    (void)state;
    char p[256];
    float w[12], b[3] = {-1, 0, 1}, z = 1;
    for (int i = 0; i < 12; i++)
        w[i] = i / 8.0f;
    rt_tensor t[3] = {
        {.name = "a.bias", .dtype = RT_F32, .rank = 1, .dims = {3}, .count = 3, .data = b},
        {.name = "a.weight", .dtype = RT_F32, .rank = 2, .dims = {3, 4}, .count = 12, .data = w},
        {.name = "z", .dtype = RT_F32, .rank = 0, .count = 1, .data = &z},
    };
    rt_meta m[1] = {{"step", "42"}};
    rt_error err = {{0}};
    assert_int_equal(rt_st_write(scratch(p, "w.st"), t, 3, m, 1, &err), 0);
    size_t n1, n2;
    unsigned char *mine = read_bytes(p, &n1), *ref = read_bytes(DATA_DIR "expected_write.safetensors", &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(mine, ref, n1);
    free(mine);
    free(ref);
    assert_false(file_exists(scratch(p, "w.st.tmp")));
}

static void test_round_trip(void **state) {
    (void)state;
    char p[256];
    float v[120];
    for (int i = 0; i < 120; i++)
        v[i] = (float)i * 0.25f - 7.0f;
    rt_tensor t[6] = {
        {.name = "h.weight_ih_l0", .rank = 2, .dims = {4, 5}, .count = 20, .data = v},
        {.name = "s", .rank = 0, .count = 1, .data = v + 3},
        {.name = "empty", .rank = 3, .dims = {2, 0, 9}, .count = 0, .data = NULL},
        {.name = "r4", .rank = 4, .dims = {2, 3, 4, 5}, .count = 120, .data = v},
        {.name = "odd \"name\"\n\t\x01 caf\xc3\xa9", .rank = 1, .dims = {7}, .count = 7, .data = v + 1},
        {.name = "", .rank = 1, .dims = {1}, .count = 1, .data = v + 9},
    };
    rt_meta m[3] = {{"b", "two"}, {"a", "\"quoted\"\\ \x7f \xf0\x9f\x99\x82"}, {"", ""}};
    rt_error err = {{0}};
    rt_safetensors st;
    assert_int_equal(rt_st_write(scratch(p, "rt.st"), t, 6, m, 3, &err), 0);
    read_ok(p, &st);
    assert_int_equal(st.ntensors, 6);
    for (int i = 0; i < 6; i++) {
        const rt_tensor *r = &st.tensors[i];
        assert_string_equal(r->name, t[i].name);
        assert_ptr_equal(rt_st_find(&st, t[i].name), r);
        assert_int_equal(r->rank, t[i].rank);
        assert_int_equal(r->count, t[i].count);
        assert_memory_equal(r->dims, t[i].dims, sizeof r->dims);
        if (r->count)
            assert_memory_equal(r->data, t[i].data, (size_t)r->count * 4);
    }
    assert_int_equal(st.nmeta, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(st.meta[i].key, m[i].key);
        assert_string_equal(rt_st_meta(&st, m[i].key), m[i].value);
    }
    rt_st_free(&st);

    /* Deterministic, padded to 8, metadata first. */
    size_t n1, n2;
    unsigned char *a = read_bytes(p, &n1);
    assert_int_equal(rt_st_write(p, t, 6, m, 3, &err), 0);
    unsigned char *b = read_bytes(p, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    assert_int_equal(a[0] % 8, 0);
    assert_memory_equal(a + 8, "{\"__metadata__\":{\"b\":\"two\"", 26);
    free(a);
    free(b);
}

/* No tensors, no metadata: "{}" padded to 8 bytes. */
static void test_write_empty(void **state) {
    (void)state;
    char p[256];
    rt_error err = {{0}};
    assert_int_equal(rt_st_write(scratch(p, "none.st"), NULL, 0, NULL, 0, &err), 0);
    size_t n;
    unsigned char *b = read_bytes(p, &n);
    assert_int_equal(n, 16);
    assert_memory_equal(b, "\x08\0\0\0\0\0\0\0{}      ", 16);
    free(b);
}

static void test_write_refuses(void **state) {
    (void)state;
    char p[256];
    float v[4] = {0};
    rt_error err = {{0}};
    rt_tensor ok = {.name = "x", .rank = 1, .dims = {4}, .count = 4, .data = v};
    rt_tensor t[2] = {ok, ok};
    rt_meta m[2] = {{"k", "v"}, {"k", "w"}};
    scratch(p, "refused.st");
    assert_fails(rt_st_write(p, t, 2, NULL, 0, &err), err, p, "tensor 'x' appears twice");
    assert_fails(rt_st_write(p, t, 1, m, 2, &err), err, p, "metadata key 'k' appears twice");
    t[1].name = "__metadata__";
    assert_fails(rt_st_write(p, t, 2, NULL, 0, &err), err, p, "reserved");
    t[1].name = "bad\xff";
    assert_fails(rt_st_write(p, t, 2, NULL, 0, &err), err, p, "tensor name 'bad\\xff' is not valid UTF-8");
    t[1].name = NULL;
    assert_fails(rt_st_write(p, t, 2, NULL, 0, &err), err, p, "tensor name 1 is NULL");
    t[1] = ok;
    t[1].name = "y";
    t[1].count = 5;
    assert_fails(rt_st_write(p, t, 2, NULL, 0, &err), err, p, "tensor 'y': count 5 but the shape holds 4");
    t[1].count = 4;
    t[1].rank = 5;
    assert_fails(rt_st_write(p, t, 2, NULL, 0, &err), err, p, "tensor 'y': only F32 of rank 0 to 4");
    t[1].rank = 1;
    t[1].dtype = RT_I64;
    assert_fails(rt_st_write(p, t, 2, NULL, 0, &err), err, p, "only F32");
    t[1].dtype = RT_F32;
    t[1].dims[0] = -4;
    assert_fails(rt_st_write(p, t, 2, NULL, 0, &err), err, p, "negative or overflowing");
    t[1].dims[0] = 4;
    t[1].data = NULL;
    assert_fails(rt_st_write(p, t, 2, NULL, 0, &err), err, p, "tensor 'y': no data");
    rt_meta nullv = {"k", NULL};
    assert_fails(rt_st_write(p, &ok, 1, &nullv, 1, &err), err, p, "metadata value 0 is NULL");
    assert_fails(rt_st_write(p, &ok, -1, NULL, 0, &err), err, p, "count");
    assert_false(file_exists(p));
    scratch(p, "no/such/dir.st");
    assert_fails(rt_st_write(p, &ok, 1, NULL, 0, &err), err, p, "cannot create");
}

static int write_big(void *arg) {
    static float big[16384];
    rt_tensor t = {.name = "big", .rank = 1, .dims = {16384}, .count = 16384, .data = big};
    rt_error err = {{0}};
    const char *p = arg;
    if (rt_st_write(p, &t, 1, NULL, 0, &err) != -1)
        return 1;
    if (strncmp(err.msg, p, strlen(p)) != 0 || !strstr(err.msg, "File too large"))
        return 2;
    return 0;
}

static void test_write_failure_keeps_old_file(void **state) {
    (void)state;
    char p[256], tmp[256];
    float v[2] = {1, 2};
    rt_tensor t = {.name = "old", .rank = 1, .dims = {2}, .count = 2, .data = v};
    rt_error err = {{0}};
    assert_int_equal(rt_st_write(scratch(p, "keep.st"), &t, 1, NULL, 0, &err), 0);
    size_t n0, n1;
    unsigned char *before = read_bytes(p, &n0);
    assert_int_equal(with_file_size_limit(4096, write_big, p), 0);
    unsigned char *after = read_bytes(p, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    assert_false(file_exists(scratch(tmp, "keep.st.tmp")));
    free(before);
    free(after);
}

/* ---- malformed files --------------------------------------------------- */

static void test_short_and_length(void **state) {
    (void)state;
    char p[256];
    write_bytes(scratch(p, "empty.st"), "", 0);
    expect_read_fails(p, "too short to be a safetensors file (0 bytes");
    write_bytes(scratch(p, "seven.st"), "\x02\0\0\0\0\0\0", 7);
    expect_read_fails(p, "too short");
    make_raw(scratch(p, "past.st"), 100, "{}", 0);
    expect_read_fails(p, "is not a safetensors file: its first 8 bytes, read as the header's length, give 100, past the "
                         "end of the file (10 bytes)");
    make_raw(scratch(p, "huge.st"), UINT64_MAX, "{}", 0);
    expect_read_fails(p, "give 18446744073709551615, past the end");
    write_bytes(scratch(p, "array.npy"), "\x93NUMPY\x01\x00\x76\x00{'descr'", 18);
    expect_read_fails(p, "is a NumPy .npy file, not a safetensors file");
    make_raw(scratch(p, "zero.st"), 0, "", 0);
    expect_read_fails(p, "not a JSON object");
    /* Over the 100 MB limit, in a (sparse) file that long. */
    make_raw(scratch(p, "limit.st"), 100000001, "{}", 0);
    assert_int_equal(truncate(p, 8 + 100000001 + 8), 0);
    expect_read_fails(p, "header length 100000001 exceeds the limit of 100000000 bytes");
    expect_read_fails(scratch(p, "missing.st"), "cannot open");
    expect_read_fails(scratch_dir, "is a directory");
}

static void test_bad_json(void **state) {
    (void)state;
    static const struct { const char *header, *what; } cases[] = {
        {"{", "invalid JSON in the header, at byte 1: expected a string key"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}", "expected ',' or '}'"},
        {"{} x", "at byte 3: expected the end of the text"},
        {"{}{}", "expected the end of the text"},
        {"{\"a\" {}}", "expected ':'"},
        {"{'a':{}}", "expected a string key, found '''"},
        {"{\"a\":{\"dtype\":\"F32\",}}", "expected a string key"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,],\"data_offsets\":[0,4]}}", "holds something other than a number"},
        {"[]", "the header is not a JSON object"},
        {"\"str\"", "the header is not a JSON object"},
        {"{\"a\":[]}", "tensor 'a': its entry is not a JSON object"},
        {"{\"a\":{\"dtype\":\"F32\",\"x\":tru}}", "expected a value"},
        {"{\"a\":{\"dtype\":\"F32\",\"x\":01}}", "expected ',' or '}'"},
        {"{\"a\":{\"dtype\":\"F32\",\"x\":1.}}", "expected a digit after the decimal point"},
        {"{\"a\":{\"dtype\":\"F32\",\"x\":\"\\q\"}}", "invalid escape"},
        {"{\"a\":{\"dtype\":\"F32\",\"x\":\"tab\there\"}}", "unescaped control character"},
        {"{\"a\\ud800\":{}}", "high surrogate \\uD800 not followed by a low surrogate"},
        {"{\"a\\udc00\":{}}", "lone low surrogate"},
        {"{\"bad\xc3\x28\":{}}", "invalid UTF-8"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", "expected ',' or '}'"},
        {"{\"a\\u0000b\":{}}", "tensor name 'a\\x00b' contains a NUL"},
    };
    char name[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(name, sizeof name, "json%zu.st", i);
        expect_header_fails(name, cases[i].header, 4, cases[i].what);
    }
}

static void test_bad_entries(void **state) {
    (void)state;
    static const struct { const char *header; size_t ndata; const char *what; } cases[] = {
        {"{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "tensor 'w': dtype 'F16' is not supported (only F32)"},
        {"{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "dtype 'BF16'"},
        {"{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "the dtype of tensor 'w' is not a string"},
        {"{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'w' has no dtype"},
        {"{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "tensor 'w' has no shape"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "tensor 'w' has no data_offsets"},
        {"{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype appears twice"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":{},\"data_offsets\":[0,4]}}", 4, "shape is not an array"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,4]}}", 4, "tensor 'w': shape: at byte"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1e2],\"data_offsets\":[0,4]}}", 4, "not a number with a fraction or exponent"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape holds the negative number -1"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4, "shape holds something other than a number"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "tensor 'w': rank above 4"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", 4, "does not fit in 64 bits"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1048576,1048576],\"data_offsets\":[0,4]}}", 4,
         "data_offsets [0, 4] hold 4 bytes but its shape needs 4398046511104 (1099511627776 floats)"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,4]}}", 4, "overflows 64 bits"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,4]}}", 4, "overflows 64 bits"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8, "more than 2 numbers"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", 4, "holds 1 number, not 2"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":4}}", 4, "data_offsets is not an array"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]}}", 4, "negative number -4"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", 4, "data_offsets [0, 8] run past the data block (4 bytes)"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8, "data_offsets [8, 4] are reversed"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "hold 4 bytes but its shape needs 8"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,9223372036854775807]}}", 4, "run past the data block"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0, "run past the data block (0 bytes)"},
    };
    char name[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(name, sizeof name, "entry%zu.st", i);
        expect_header_fails(name, cases[i].header, cases[i].ndata, cases[i].what);
    }
}

#define ENT(name, b, e) "\"" name "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" #b "," #e "]}"

static void test_bad_layout(void **state) {
    (void)state;
    static const struct { const char *header; size_t ndata; const char *what; } cases[] = {
        {"{" ENT("a", 0, 4) "," ENT("b", 0, 4) "}", 8, "tensors 'a' [0, 4] and 'b' [0, 4] overlap in the data block"},
        {"{" ENT("a", 0, 4) "," ENT("b", 8, 12) "}", 12, "bytes 4 to 8 of the data block belong to no tensor"},
        {"{" ENT("a", 4, 8) "}", 8, "bytes 0 to 4 of the data block belong to no tensor"},
        {"{" ENT("a", 0, 4) "}", 8, "trailing data: the tensors end at byte 4 of the 8-byte data block"},
        {"{}", 1, "trailing data"},
        {"{" ENT("a", 0, 4) "," ENT("a", 4, 8) "}", 8, "tensor 'a' appears twice"},
        {"{" ENT("a", 0, 4) ",\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[2,2]}}", 4, "'a' [0, 4] and 'z' [2, 2] overlap"},
        {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, "\"__metadata__\" appears twice"},
        {"{\"__metadata__\":[]}", 0, "\"__metadata__\" is not a JSON object"},
        {"{\"__metadata__\":{\"k\":1}}", 0, "the value of metadata key 'k' is not a string"},
        {"{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, "metadata key 'k' appears twice"},
        {"{\"__metadata__\":{\"k\":\"a\\u0000\"}}", 0, "the value of metadata key 'k' contains a NUL"},
        {"{\"__metadata__\":{\"k\\u0000\":\"a\"}}", 0, "metadata key 'k\\x00' contains a NUL"},
    };
    char name[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(name, sizeof name, "layout%zu.st", i);
        expect_header_fails(name, cases[i].header, cases[i].ndata, cases[i].what);
    }
}

/* Nesting: 64 levels inside an entry's unknown member are read; deeper is
 * refused, and so is a very deep document (no recursion, no crash). */
static void test_deep_nesting(void **state) {
    (void)state;
    char p[256];
    size_t deep = 100000;
    char *h = malloc(2 * deep + 200);
    assert_non_null(h);
    /* Depth: the header object 1, the entry 2, then 62 arrays = 64. */
    int k = sprintf(h, "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"x\":");
    memset(h + k, '[', 62);
    memset(h + k + 62, ']', 62);
    strcpy(h + k + 124, "}}");
    rt_safetensors st;
    make_st(scratch(p, "deep64.st"), h, 4);
    read_ok(p, &st);
    rt_st_free(&st);
    memset(h + k, '[', 63);
    memset(h + k + 63, ']', 63);
    strcpy(h + k + 126, "}}");
    make_st(scratch(p, "deep65.st"), h, 4);
    expect_read_fails(p, "nested deeper than 64 levels");
    memcpy(h, "{\"a\":{\"x\":", 10);
    memset(h + 10, '[', deep);
    h[10 + deep] = '\0';
    make_st(scratch(p, "deepest.st"), h, 0);
    expect_read_fails(p, "nested deeper than 64 levels");
    memset(h, '{', deep);
    h[deep] = '\0';
    make_st(scratch(p, "braces.st"), h, 0);
    expect_read_fails(p, "expected a string key");
    free(h);
}

/* A file cut anywhere fails cleanly; names in messages are made printable
 * and cut short. */
static void test_every_truncation(void **state) {
    (void)state;
    char p[256];
    size_t n;
    unsigned char *full = read_bytes(DATA_DIR "model.safetensors", &n);
    for (size_t k = 0; k < n; k++) {
        write_bytes(scratch(p, "cut.st"), full, k);
        rt_safetensors st;
        rt_error err = {{0}};
        assert_fails(rt_st_read(p, &st, &err), err, p, "");
    }
    free(full);
}

static void test_long_name_in_message(void **state) {
    (void)state;
    char p[256], h[1200];
    char name[1001];
    memset(name, 'n', 1000);
    name[0] = '\x1b';
    name[1000] = '\0';
    snprintf(h, sizeof h, "{\"\\u001b%s\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}", name + 1);
    make_st(scratch(p, "long.st"), h, 1);
    rt_safetensors st;
    rt_error err = {{0}};
    assert_fails(rt_st_read(p, &st, &err), err, p, "tensor '\\x1bnnnnnnnn");
    assert_non_null(strstr(err.msg, "nnn...': dtype 'I8' is not supported"));
    assert_null(strchr(err.msg, '\x1b'));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_fixture),
        cmocka_unit_test(test_read_empty),
        cmocka_unit_test(test_read_tolerates),
        cmocka_unit_test(test_write_matches_library),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_write_empty),
        cmocka_unit_test(test_write_refuses),
        cmocka_unit_test(test_write_failure_keeps_old_file),
        cmocka_unit_test(test_short_and_length),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_bad_entries),
        cmocka_unit_test(test_bad_layout),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_long_name_in_message),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
