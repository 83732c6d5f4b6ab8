/* test_dist.c - unit tests for what data-parallel training rests on
 * (docs/mpi.md), in a program without MPI: each rank's share of a
 * batch (rt_dist_share_of), dropout masks that do not depend on how a batch
 * is split (rt_dropout), reading a data set's sequences by offset without
 * loading it (rt_data_open, rt_data_read), and the one-rank collectives. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rt_data.h"
#include "rt_dist.h"
#include "rt_testfiles.h"
#include "rt_train.h"

/* ---- shares ------------------------------------------------------------- */

static void test_shares_cover_the_batch_in_rank_order(void **state) {
    (void)state;
    for (int64_t total = 0; total <= 40; total++)
        for (int size = 1; size <= 9; size++) {
            int64_t next = 0;
            for (int rank = 0; rank < size; rank++) {
                int64_t first, count;
                rt_dist_share_of(total, rank, size, &first, &count);
                assert_int_equal(first, next);
                assert_true(count == total / size || count == (total + size - 1) / size);
                next = first + count;
            }
            assert_int_equal(next, total);
        }
}

/* ---- dropout ------------------------------------------------------------ */

enum { SEQ = 6, PER = 10, N = SEQ * PER };

/* The masks of a dropout layer over sequences [first, first + B) of PER
 * values each, for the window key. */
static void masks(uint64_t key, int64_t first, int64_t B, float *mask) {
    float in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = 1.0f;
    rt_train_ctx ctx = {.training = 1, .key = key, .first_seq = first, .batch = B};
    rt_dropout(&ctx, 0.5, B * PER, in, out, mask);
    for (int64_t i = 0; i < B * PER; i++)
        assert_true(out[i] == mask[i]);
}

static void test_dropout_does_not_depend_on_the_split(void **state) {
    (void)state;
    float whole[N], part[N];
    masks(42, 0, SEQ, whole);
    for (int64_t split = 0; split <= SEQ; split++) { /* ranks holding [0, split) and [split, SEQ) */
        masks(42, 0, split, part);
        masks(42, split, SEQ - split, part + split * PER);
        assert_memory_equal(whole, part, sizeof whole);
    }
    int dropped = 0;
    for (int i = 0; i < N; i++) {
        assert_true(whole[i] == 0.0f || whole[i] == 2.0f);
        dropped += whole[i] == 0.0f;
    }
    assert_true(dropped > N / 5 && dropped < 4 * N / 5);
    masks(43, 0, SEQ, part); /* another window, other masks */
    assert_memory_not_equal(whole, part, sizeof whole);
}

static void test_dropout_layers_of_one_pass_differ(void **state) {
    (void)state;
    float in[N], out[N], a[N], b[N];
    for (int i = 0; i < N; i++)
        in[i] = 1.0f;
    rt_train_ctx ctx = {.training = 1, .key = 7, .batch = SEQ};
    rt_dropout(&ctx, 0.5, N, in, out, a);
    rt_dropout(&ctx, 0.5, N, in, out, b);
    assert_memory_not_equal(a, b, sizeof a);
    ctx.training = 0; /* outside training: the identity */
    rt_dropout(&ctx, 0.5, N, in, out, a);
    for (int i = 0; i < N; i++)
        assert_true(a[i] == 1.0f && out[i] == 1.0f);
}

/* ---- data by offset ----------------------------------------------------- */

/* A v1 .npy file of dtype descr and the given shape text. */
static void write_npy(const char *path, const char *descr, const char *shape, const void *data, size_t bytes) {
    char header[128];
    int h = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    int pad = 63 - (10 + h) % 64; /* numpy pads the preamble and header to 64 bytes, ending in \n */
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(h + pad + 1), 0};
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(pre, 1, 10, f);
    fwrite(header, 1, (size_t)h, f);
    for (int i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    fwrite(data, 1, bytes, f);
    fclose(f);
}

static void test_vectors_read_by_offset(void **state) {
    (void)state;
    double v[4 * 5 * 3]; /* <f8, converted as it is read */
    for (int i = 0; i < 60; i++)
        v[i] = i + 0.25;
    char p[256];
    write_npy(scratch(p, "x.npy"), "<f8", "(4, 5, 3)", v, sizeof v);
    rt_type t = {.seq = 1, .token = 0, .size = 3};
    rt_data d;
    rt_error err = {{0}};
    assert_int_equal(rt_data_open(p, &t, false, NULL, &d, &err), 0);
    assert_true(d.B == 4 && d.T == 5 && d.width == 3 && d.floats == NULL);
    float got[6];
    assert_int_equal(rt_data_read(&d, (2 * 5 + 1) * 3, 6, got, &err), 0); /* sequence 2, steps 1-2 */
    for (int i = 0; i < 6; i++)
        assert_true(got[i] == (float)v[33 + i]);
    rt_data_free(&d);
}

static void test_token_ids_checked_at_open(void **state) {
    (void)state;
    int32_t ids[2 * 3] = {1, 2, 3, 4, -100, 5};
    char p[256];
    write_npy(scratch(p, "y.npy"), "<i4", "(2, 3)", ids, sizeof ids);
    rt_type t = {.seq = 1, .token = 1, .size = 6};
    rt_data d;
    rt_error err = {{0}};
    assert_int_equal(rt_data_open(p, &t, true, NULL, &d, &err), 0); /* targets may hold -100 */
    int32_t got[3];
    assert_int_equal(rt_data_read(&d, 3, 3, got, &err), 0);
    assert_true(got[0] == 4 && got[1] == -100 && got[2] == 5);
    rt_data_free(&d);
    assert_fails(rt_data_open(p, &t, false, NULL, &d, &err), err, p, "sequence 1, step 1: input id -100 is outside the vocabulary");
    t.size = 5;
    assert_fails(rt_data_open(p, &t, true, NULL, &d, &err), err, p, "sequence 1, step 2: target id 5 is outside");
}

/* NaN and infinities are refused where they stand, as they are read. */
static void test_values_must_be_finite(void **state) {
    (void)state;
    float v[2 * 3 * 2] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    char p[256];
    rt_type t = {.seq = 1, .token = 0, .size = 2};
    rt_data d;
    rt_error err = {{0}};
    v[7] = NAN; /* sequence 1, step 0 */
    write_npy(scratch(p, "nan.npy"), "<f4", "(2, 3, 2)", v, sizeof v);
    assert_fails(rt_data_open(p, &t, false, NULL, &d, &err), err, p, "sequence 1, step 0: the input holds NaN");
    assert_fails(rt_data_load(p, &t, true, NULL, &d, &err), err, p, "sequence 1, step 0: the target holds NaN");
    v[7] = 7;
    v[4] = INFINITY; /* sequence 0, step 2 */
    write_npy(scratch(p, "inf.npy"), "<f4", "(2, 3, 2)", v, sizeof v);
    assert_fails(rt_data_open(p, &t, false, NULL, &d, &err), err, p, "sequence 0, step 2: the input holds an infinity");
    double big[2 * 2] = {1, 2, 1e300, 4}; /* per-sequence, finite as a double but not as a float */
    t.seq = 0;
    write_npy(scratch(p, "big.npy"), "<f8", "(2, 2)", big, sizeof big);
    assert_fails(rt_data_load(p, &t, false, NULL, &d, &err), err, p, "sequence 1: the input holds an infinity once converted");
}

static void test_open_checks_the_header(void **state) {
    (void)state;
    float v[6] = {0};
    char p[256];
    write_npy(scratch(p, "z.npy"), "<f4", "(2, 3)", v, sizeof v);
    rt_type t = {.seq = 1, .token = 1, .size = 9};
    rt_data d;
    rt_error err = {{0}};
    assert_fails(rt_data_open(p, &t, false, NULL, &d, &err), err, p, "stored as <i4 or <i8, but the file holds <f4");
    t.token = 0;
    assert_fails(rt_data_open(p, &t, false, NULL, &d, &err), err, p, "the array must be [batch, time, N]");
    write_npy(p, "<f4", "(2, 3)", v, sizeof v - 4);
    assert_fails(rt_data_open(p, &t, false, NULL, &d, &err), err, p, "truncated");
}

/* ---- one rank ----------------------------------------------------------- */

static void test_one_rank_collectives(void **state) {
    (void)state;
    float buf[3] = {1, 2, 3}, all[3] = {0};
    int64_t counts[1] = {3};
    assert_int_equal(rt_dist_rank(), 0);
    assert_int_equal(rt_dist_size(), 1);
    rt_dist_sum(buf, 3);
    assert_true(buf[0] == 1 && buf[1] == 2 && buf[2] == 3);
    rt_dist_gather(buf, 3, all, counts);
    assert_memory_equal(all, buf, sizeof buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shares_cover_the_batch_in_rank_order),
        cmocka_unit_test(test_dropout_does_not_depend_on_the_split),
        cmocka_unit_test(test_dropout_layers_of_one_pass_differ),
        cmocka_unit_test(test_vectors_read_by_offset),
        cmocka_unit_test(test_token_ids_checked_at_open),
        cmocka_unit_test(test_values_must_be_finite),
        cmocka_unit_test(test_open_checks_the_header),
        cmocka_unit_test(test_one_rank_collectives),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
