/* test_diag.c - unit tests for compiler/diag.h: the message format
 * (FILE:LINE:COL: level: MESSAGE, the source line, a caret under the
 * column), printing in source order whatever order diagnostics were
 * reported in, notes kept right after the error they belong to, counts,
 * truncation after DIAG_MAX_ERRORS errors, and loc_text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "diag.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char text[] =
    "a = W @ h\n"              /* line 1 */
    "b = x\n"                  /* line 2 */
    "\tc = \xc3\xa9 + y\n";    /* line 3: a tab, and é (two bytes, one column) */
static const Source src = {"test.rnn", text, sizeof text - 1, 1};
static const Source prelude = {"<prelude>", "cell p {}\n", 10, 0};

/* The location of line:col (col in code points) in s. */
static Loc at(const Source *s, int line, int col) {
    int off = 0;
    for (int l = 1; l < line; l++)
        off = (int)(strchr(s->text + off, '\n') - s->text) + 1;
    for (int c = 1; c < col; c++)
        do
            off++;
        while (((unsigned char)s->text[off] & 0xC0) == 0x80);
    return (Loc){s, line, col, off, off, off + 1};
}

/* diag_print's output; the caller frees it. (The stream's buffer pointer
 * is static only to keep gcc's -Wdangling-pointer from misfiring.) */
static char *printed(Diags *d) {
    static char *buf;
    static size_t len;
    buf = NULL;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    diag_print(d, out);
    fclose(out);
    return buf;
}

static void expect_printed(Diags *d, const char *want) {
    char *got = printed(d);
    assert_string_equal(got, want);
    free(got);
    diag_free(d);
}

/* Where needle first occurs in hay at or after from, or -1. */
static long pos(const char *hay, const char *needle, long from) {
    const char *p = strstr(hay + from, needle);
    return p ? (long)(p - hay) : -1;
}

/* Each of parts occurs in hay, in this order. */
static void expect_in_order(const char *hay, const char *const *parts, int n) {
    long from = 0;
    for (int i = 0; i < n; i++) {
        long at = pos(hay, parts[i], from);
        if (at < 0)
            fail_msg("'%s' missing or out of order in:\n%s", parts[i], hay);
        from = at + (long)strlen(parts[i]);
    }
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* ---- format ---------------------------------------------------------------- */

static void test_format_and_caret(void **state) {
    (void)state;
    Diags d = {0};
    diag_error(&d, at(&src, 1, 7), "size mismatch in '%c'", '@');
    expect_printed(&d, "test.rnn:1:7: error: size mismatch in '@'\n"
                       "  a = W @ h\n"
                       "        ^\n");
}

static void test_caret_after_tab_and_utf8(void **state) {
    (void)state;
    Diags d = {0};
    diag_warning(&d, at(&src, 3, 8), "here");
    assert_int_equal(at(&src, 3, 8).offset, 24);
    expect_printed(&d, "test.rnn:3:8: warning: here\n"
                       "  \tc = \xc3\xa9 + y\n"
                       "  \t      ^\n");
}

static void test_caret_at_end_of_line(void **state) {
    (void)state;
    Diags d = {0};
    diag_error(&d, at(&src, 2, 6), "unexpected end of line"); /* on the newline */
    expect_printed(&d, "test.rnn:2:6: error: unexpected end of line\n"
                       "  b = x\n"
                       "       ^\n");
}

static void test_long_line_is_cut(void **state) {
    (void)state;
    char line[301];
    memset(line, 'x', 300);
    line[300] = 0;
    line[149] = '!';
    Source s = {"long.rnn", line, 300, 1};
    Diags d = {0};
    diag_error(&d, at(&s, 1, 150), "bang");
    char *got = printed(&d);
    char want[512];
    snprintf(want, sizeof want, "long.rnn:1:150: error: bang\n  ...%.80s!%.79s...\n     %80s^\n", line, line, "");
    assert_string_equal(got, want);
    free(got);
    diag_free(&d);
}

static void test_control_characters_shown_safely(void **state) {
    (void)state;
    static const char t[] = "a\x01" "b\x7f" " c";
    Source s = {"ctl.rnn", t, sizeof t - 1, 1};
    Diags d = {0};
    diag_error(&d, at(&s, 1, 6), "odd");
    expect_printed(&d, "ctl.rnn:1:6: error: odd\n  a?b? c\n       ^\n");
}

static void test_file_and_global_errors(void **state) {
    (void)state;
    Diags d = {0};
    diag_error(&d, at(&src, 1, 1), "positioned");
    diag_file_error(&d, &src, "source is larger than %d bytes", 16);
    diag_error(&d, (Loc){0}, "no source at all");
    expect_printed(&d, "rnnc: error: no source at all\n"
                       "test.rnn: error: source is larger than 16 bytes\n"
                       "test.rnn:1:1: error: positioned\n"
                       "  a = W @ h\n"
                       "  ^\n");
}

/* ---- order --------------------------------------------------------------- */

static void test_printed_in_source_order(void **state) {
    (void)state;
    Diags d = {0};
    diag_error(&d, at(&src, 3, 2), "third");
    diag_error(&d, at(&src, 1, 1), "first");
    diag_warning(&d, at(&src, 2, 5), "second");
    diag_error(&d, at(&prelude, 1, 6), "in the prelude");
    char *got = printed(&d);
    const char *order[] = {"<prelude>:1:6: error: in the prelude", "test.rnn:1:1: error: first",
                           "test.rnn:2:5: warning: second", "test.rnn:3:2: error: third"};
    expect_in_order(got, order, 4);
    free(got);
    diag_free(&d);
}

static void test_same_place_keeps_report_order(void **state) {
    (void)state;
    Diags d = {0};
    for (int i = 0; i < 20; i++)
        diag_error(&d, at(&src, 2, 1), "e%02d", i);
    char *got = printed(&d);
    long from = 0;
    for (int i = 0; i < 20; i++) {
        char msg[8];
        snprintf(msg, sizeof msg, "e%02d\n", i);
        from = pos(got, msg, from);
        assert_true(from >= 0);
    }
    free(got);
    diag_free(&d);
}

static void test_notes_follow_their_error(void **state) {
    (void)state;
    Diags d = {0};
    diag_error(&d, at(&src, 3, 2), "late error");
    diag_note(&d, at(&src, 1, 1), "early note");
    diag_error(&d, at(&src, 2, 1), "middle error");
    diag_note(&d, at(&src, 3, 10), "later note");
    diag_note(&d, at(&prelude, 1, 1), "prelude note");
    char *got = printed(&d);
    assert_int_equal(count(got, "^\n"), 5); /* each with its caret line */
    const char *order[] = {"test.rnn:2:1: error: middle error", "test.rnn:3:10: note: later note",
                           "<prelude>:1:1: note: prelude note", "test.rnn:3:2: error: late error",
                           "test.rnn:1:1: note: early note"};
    expect_in_order(got, order, 5);
    free(got);
    diag_free(&d);
}

/* ---- counts and truncation --------------------------------------------- */

static void test_counts(void **state) {
    (void)state;
    Diags d = {0};
    diag_error(&d, at(&src, 1, 1), "e");
    diag_note(&d, at(&src, 1, 1), "n");
    diag_warning(&d, at(&src, 1, 1), "w");
    diag_warning(&d, at(&src, 2, 1), "w");
    assert_int_equal(d.errors, 1);
    assert_int_equal(d.warnings, 2);
    assert_int_equal(d.len, 4);
    assert_false(d.truncated);
    diag_free(&d);
    assert_int_equal(d.len, 0);
    assert_null(d.items);
}

static void test_truncation_after_max_errors(void **state) {
    (void)state;
    enum { N = DIAG_MAX_ERRORS + 10 };
    Diags d = {0};
    for (int i = 0; i < N; i++) {
        diag_error(&d, at(&src, 1 + i % 3, 1), "error %d", i);
        diag_note(&d, at(&src, 1, 1), "note %d", i);
    }
    assert_int_equal(d.errors, N); /* still counted */
    assert_true(d.truncated);
    assert_int_equal(d.len, 2 * DIAG_MAX_ERRORS); /* dropped errors take their notes along */
    char *got = printed(&d);
    assert_int_equal(count(got, ": error: "), DIAG_MAX_ERRORS);
    assert_int_equal(count(got, ": note: "), DIAG_MAX_ERRORS);
    assert_null(strstr(got, "error 50\n"));
    assert_null(strstr(got, "note 50\n"));
    assert_non_null(strstr(got, "note 49\n"));
    char last[96];
    snprintf(last, sizeof last, "\nrnnc: too many errors; stopped reporting after %d\n", DIAG_MAX_ERRORS);
    size_t n = strlen(got), m = strlen(last);
    assert_true(n > m);
    assert_string_equal(got + n - m, last);
    free(got);
    diag_free(&d);
}

static void test_warnings_survive_truncation(void **state) {
    (void)state;
    Diags d = {0};
    for (int i = 0; i < DIAG_MAX_ERRORS + 1; i++)
        diag_error(&d, at(&src, 1, 1), "e");
    diag_warning(&d, at(&src, 2, 1), "still here");
    diag_note(&d, at(&src, 2, 3), "its note");
    assert_int_equal(d.warnings, 1);
    char *got = printed(&d);
    assert_non_null(strstr(got, "test.rnn:2:1: warning: still here"));
    assert_non_null(strstr(got, "test.rnn:2:3: note: its note"));
    free(got);
    diag_free(&d);
}

/* ---- loc_text --------------------------------------------------------------- */

static void test_loc_text(void **state) {
    (void)state;
    static const char t[] = "f(a,\n     b)  + c";
    Source s = {"t.rnn", t, sizeof t - 1, 1};
    char buf[64];
    loc_text((Loc){&s, 1, 1, 0, 0, 12}, buf, sizeof buf);
    assert_string_equal(buf, "f(a, b)");  /* white space folded */
    loc_text((Loc){&s, 1, 1, 0, 0, 16}, buf, 10);
    assert_string_equal(buf, "f(a, b...");  /* shortened to fit the buffer */
    loc_text((Loc){&s, 1, 1, 0, 0, 0}, buf, sizeof buf);
    assert_string_equal(buf, "?");        /* empty */
}

/* Blanks before the last character that fits once wrote "..." one byte
 * past the buffer (found by fuzzing the front end): every size, on a heap
 * buffer of exactly that size so that ASan sees a byte too many. */
static void test_loc_text_fits_every_buffer(void **state) {
    (void)state;
    static const char t[] = "a b  c\td e f g h i j k l m n o p q r s t u v w x y z";
    Source s = {"t.rnn", t, sizeof t - 1, 1};
    for (int max = 5; max < 64; max++) {
        char *buf = malloc((size_t)max);
        assert_non_null(buf);
        loc_text((Loc){&s, 1, 1, 0, 0, (int)sizeof t - 1}, buf, max);
        assert_true(strlen(buf) < (size_t)max);
        assert_true((max >= 55) == (strstr(buf, "...") == NULL)); /* the 51 folded characters need 55 */
        free(buf);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_caret),
        cmocka_unit_test(test_caret_after_tab_and_utf8),
        cmocka_unit_test(test_caret_at_end_of_line),
        cmocka_unit_test(test_long_line_is_cut),
        cmocka_unit_test(test_control_characters_shown_safely),
        cmocka_unit_test(test_file_and_global_errors),
        cmocka_unit_test(test_printed_in_source_order),
        cmocka_unit_test(test_same_place_keeps_report_order),
        cmocka_unit_test(test_notes_follow_their_error),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_truncation_after_max_errors),
        cmocka_unit_test(test_warnings_survive_truncation),
        cmocka_unit_test(test_loc_text),
        cmocka_unit_test(test_loc_text_fits_every_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
