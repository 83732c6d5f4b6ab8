/* test_lexer.c - unit tests for the flex scanner (grammar/lexer.l), driven
 * directly through its reentrant interface: keywords against identifiers,
 * primed names, numbers, newlines as statement ends (but white space inside
 * ( ) and [ ]), comments, token locations (line, column in UTF-8 code
 * points, byte offsets), and bad characters. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "parse.h"
#include "parser.h"
#include <stdlib.h>
#include <string.h>

/* The scanner's entry points (flex generates no header for them; rnnc_lex,
 * the yylex of grammar/lexer.l, is declared in parser.h). */
int yylex_init_extra(ParseCtx *extra, yyscan_t *scanner);
int yylex_destroy(yyscan_t scanner);
typedef struct yy_buffer_state *YY_BUFFER_STATE;
YY_BUFFER_STATE yy_scan_bytes(const char *bytes, int len, yyscan_t scanner);

enum { MAX_TOKENS = 64 };

typedef struct Tok {
    int code;
    Loc loc;
    const char *str; /* IDENT, PRIMED, NUMBER */
} Tok;

typedef struct Lexed {
    Arena arena;
    Diags diags;
    Source src;
    Tok tok[MAX_TOKENS];
    int n; /* tokens before end of file */
} Lexed;

/* Scan all of text into a freshly allocated Lexed. */
static Lexed *lex(const char *text) {
    Lexed *lx = calloc(1, sizeof *lx);
    assert_non_null(lx);
    lx->src = (Source){"test.rnn", text, (int)strlen(text), 1};
    ParseCtx ctx = {.arena = &lx->arena, .diags = &lx->diags, .src = &lx->src, .line = 1, .col = 1};
    yyscan_t scanner;
    assert_int_equal(yylex_init_extra(&ctx, &scanner), 0);
    yy_scan_bytes(text, (int)strlen(text), scanner);
    for (;;) {
        YYSTYPE val = {0};
        Loc loc = {0};
        int code = rnnc_lex(&val, &loc, scanner);
        if (code == YYEOF)
            break;
        assert_true(lx->n < MAX_TOKENS);
        lx->tok[lx->n++] = (Tok){code, loc, val.str};
    }
    yylex_destroy(scanner);
    return lx;
}

static void lex_free(Lexed *lx) {
    diag_free(&lx->diags);
    arena_free(&lx->arena);
    free(lx);
}

/* The token codes of text must be exactly `codes` (terminated by YYEOF). */
static void expect_codes(const char *text, const int *codes) {
    Lexed *lx = lex(text);
    int n = 0;
    while (codes[n] != YYEOF)
        n++;
    for (int i = 0; i < n && i < lx->n; i++)
        if (lx->tok[i].code != codes[i])
            fail_msg("%s: token %d is %d, expected %d", text, i, lx->tok[i].code, codes[i]);
    assert_int_equal(lx->n, n);
    assert_int_equal(lx->diags.errors, 0);
    lex_free(lx);
}

/* text is one token of kind code whose string value is str. */
static void expect_one(const char *text, int code, const char *str) {
    Lexed *lx = lex(text);
    assert_int_equal(lx->n, 1);
    assert_int_equal(lx->tok[0].code, code);
    assert_string_equal(lx->tok[0].str, str);
    lex_free(lx);
}

static void expect_loc(const Tok *t, int line, int col, int offset, int end) {
    assert_int_equal(t->loc.line, line);
    assert_int_equal(t->loc.col, col);
    assert_int_equal(t->loc.offset, offset);
    assert_int_equal(t->loc.begin, offset);
    assert_int_equal(t->loc.end, end);
}

/* ---- words ------------------------------------------------------------- */

static void test_keywords(void **state) {
    (void)state;
    static const int codes[] = {CELL, MODEL, INPUT, TARGET, STATE, PARAM, OUTPUT, LOSS, TRAIN,
                                SEQ, TOKEN, VECTOR, TRUE, FALSE, YYEOF};
    expect_codes("cell model input target state param output loss train seq token vector true false", codes);
}

static void test_identifiers_not_keywords(void **state) {
    (void)state;
    expect_one("in", IDENT, "in");
    expect_one("inputs", IDENT, "inputs");
    expect_one("cells", IDENT, "cells");
    expect_one("_x9", IDENT, "_x9");
    expect_one("True", IDENT, "True");
    expect_one("lstm", IDENT, "lstm"); /* prelude names are not reserved */
    static const int codes[] = {IDENT, INPUT, IDENT, YYEOF};
    expect_codes("in input in_put", codes);
}

static void test_primed_name(void **state) {
    (void)state;
    expect_one("h'", PRIMED, "h");
    expect_one("c_2'", PRIMED, "c_2");
    Lexed *lx = lex("h '"); /* a prime apart from its name */
    assert_int_equal(lx->n, 2);
    assert_int_equal(lx->tok[0].code, IDENT);
    assert_int_equal(lx->tok[1].code, BADCHAR);
    assert_int_equal(lx->diags.errors, 1);
    assert_non_null(strstr(lx->diags.items[0].msg, "prime must follow a name"));
    lex_free(lx);
}

static void test_primed_in_expression(void **state) {
    (void)state;
    static const int codes[] = {PRIMED, '=', IDENT, '*', PRIMED, '+', IDENT, YYEOF};
    expect_codes("c' = f*c' + g", codes);
}

/* ---- numbers ----------------------------------------------------------- */

static void test_numbers(void **state) {
    (void)state;
    expect_one("0.5", NUMBER, "0.5");
    expect_one("2e-3", NUMBER, "2e-3");
    expect_one("42", NUMBER, "42");
    expect_one("1.5E+10", NUMBER, "1.5E+10");
    expect_one("007", NUMBER, "007");
}

static void test_number_then_name(void **state) {
    (void)state;
    /* 4*hidden written without the '*' is a number and a name */
    static const int codes[] = {NUMBER, IDENT, YYEOF};
    expect_codes("4hidden", codes);
    static const int minus[] = {'-', NUMBER, YYEOF};
    expect_codes("-1", minus);
}

static void test_punctuation(void **state) {
    (void)state;
    static const int codes[] = {'(', ')', '[', ']', '{', '}', '+', '-', '*', '/', '@', '=', ',', ':', ';', YYEOF};
    expect_codes("()[]{}+-*/@=,:;", codes);
}

/* ---- newlines and comments -------------------------------------------- */

static void test_newline_at_depth_zero(void **state) {
    (void)state;
    static const int codes[] = {IDENT, NEWLINE, IDENT, NEWLINE, NEWLINE, YYEOF};
    expect_codes("a\nb\n\n", codes);
}

static void test_newline_inside_brackets(void **state) {
    (void)state;
    static const int paren[] = {IDENT, '(', IDENT, ',', IDENT, ')', NEWLINE, IDENT, YYEOF};
    expect_codes("f(a,\n  b)\nc", paren);
    static const int square[] = {IDENT, '[', NUMBER, ':', IDENT, ']', NEWLINE, YYEOF};
    expect_codes("x[0:\nn]\n", square);
    static const int nested[] = {'(', '[', '(', IDENT, ')', ']', IDENT, ')', NEWLINE, YYEOF};
    expect_codes("([\n(a\n)\n]\nb\n)\n", nested);
}

static void test_brace_resets_depth(void **state) {
    (void)state;
    /* an unclosed '(' does not swallow the newlines after the next brace */
    static const int codes[] = {'(', IDENT, '}', NEWLINE, IDENT, NEWLINE, YYEOF};
    expect_codes("(a }\nb\n", codes);
    static const int open[] = {'(', '{', NEWLINE, YYEOF};
    expect_codes("(\n{\n", open);
}

static void test_comments(void **state) {
    (void)state;
    static const int codes[] = {IDENT, NEWLINE, NEWLINE, IDENT, YYEOF};
    expect_codes("a # cell model ( [ h' \xc3\xa9\n# whole line\nb # at end of file", codes);
    /* a comment inside brackets does not hide the closing one */
    static const int paren[] = {'(', IDENT, IDENT, ')', YYEOF};
    expect_codes("(a # note )\nb)", paren);
}

static void test_white_space(void **state) {
    (void)state;
    static const int codes[] = {IDENT, IDENT, NEWLINE, IDENT, YYEOF};
    expect_codes(" \t a\r\f\vb\r\n c", codes);
}

/* ---- locations --------------------------------------------------------- */

static void test_locations(void **state) {
    (void)state;
    Lexed *lx = lex("ab  cd\n  h' = 2e-3");
    assert_int_equal(lx->n, 6);
    expect_loc(&lx->tok[0], 1, 1, 0, 2);   /* ab */
    expect_loc(&lx->tok[1], 1, 5, 4, 6);   /* cd */
    expect_loc(&lx->tok[2], 1, 7, 6, 7);   /* newline */
    expect_loc(&lx->tok[3], 2, 3, 9, 11);  /* h' */
    expect_loc(&lx->tok[4], 2, 6, 12, 13); /* = */
    expect_loc(&lx->tok[5], 2, 8, 14, 18); /* 2e-3 */
    assert_ptr_equal(lx->tok[0].loc.src, &lx->src);
    lex_free(lx);
}

static void test_locations_after_bracketed_newline(void **state) {
    (void)state;
    Lexed *lx = lex("f(a,\n   b)");
    assert_int_equal(lx->n, 6);
    expect_loc(&lx->tok[4], 2, 4, 8, 9); /* b */
    lex_free(lx);
}

static void test_columns_count_code_points(void **state) {
    (void)state;
    /* é (2 bytes) and 猫 (3 bytes) are one column each */
    Lexed *lx = lex("# \xc3\xa9\n\xc3\xa9 x \xe7\x8c\xab y");
    assert_int_equal(lx->n, 5);
    assert_int_equal(lx->tok[0].code, NEWLINE);
    assert_int_equal(lx->tok[1].code, BADCHAR);
    expect_loc(&lx->tok[1], 2, 1, 5, 7);
    expect_loc(&lx->tok[2], 2, 3, 8, 9);   /* x */
    assert_int_equal(lx->tok[3].code, BADCHAR);
    expect_loc(&lx->tok[3], 2, 5, 10, 13);
    expect_loc(&lx->tok[4], 2, 7, 14, 15); /* y */
    assert_int_equal(lx->diags.errors, 2);
    lex_free(lx);
}

/* ---- bad input --------------------------------------------------------- */

static void test_bad_character(void **state) {
    (void)state;
    Lexed *lx = lex("a $ b");
    assert_int_equal(lx->n, 3);
    assert_int_equal(lx->tok[1].code, BADCHAR);
    expect_loc(&lx->tok[1], 1, 3, 2, 3);
    assert_int_equal(lx->tok[2].code, IDENT);
    assert_int_equal(lx->diags.errors, 1);
    assert_int_equal(lx->diags.items[0].level, DIAG_ERROR);
    assert_string_equal(lx->diags.items[0].msg, "unexpected character '$'");
    assert_int_equal(lx->diags.items[0].loc.col, 3);
    lex_free(lx);
}

static void test_bad_bytes(void **state) {
    (void)state;
    Lexed *lx = lex("x \xe7\x8c\xab");
    assert_int_equal(lx->n, 2);
    assert_int_equal(lx->tok[1].code, BADCHAR);
    assert_int_equal(lx->diags.errors, 1);
    assert_string_equal(lx->diags.items[0].msg, "unexpected bytes \\xe7\\x8c\\xab outside a comment");
    lex_free(lx);
}

static void test_control_and_dot(void **state) {
    (void)state;
    Lexed *lx = lex("1.\x01");
    assert_int_equal(lx->n, 3);
    assert_int_equal(lx->tok[0].code, NUMBER);
    assert_int_equal(lx->tok[1].code, BADCHAR); /* '.' without digits after it */
    assert_int_equal(lx->tok[2].code, BADCHAR);
    assert_int_equal(lx->diags.errors, 2);
    assert_string_equal(lx->diags.items[1].msg, "unexpected byte \\x01 outside a comment");
    lex_free(lx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_identifiers_not_keywords),
        cmocka_unit_test(test_primed_name),
        cmocka_unit_test(test_primed_in_expression),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_number_then_name),
        cmocka_unit_test(test_punctuation),
        cmocka_unit_test(test_newline_at_depth_zero),
        cmocka_unit_test(test_newline_inside_brackets),
        cmocka_unit_test(test_brace_resets_depth),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_white_space),
        cmocka_unit_test(test_locations),
        cmocka_unit_test(test_locations_after_bracketed_newline),
        cmocka_unit_test(test_columns_count_code_points),
        cmocka_unit_test(test_bad_character),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_control_and_dot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
