/* test_parser.c - unit tests for the bison grammar (grammar/parser.y)
 * through parse_source(): the tree it builds, compared as ast_print
 * S-expressions; operator precedence; statement separators; calls with
 * named arguments; slices; train blocks; typed model inputs; source
 * locations in the tree; and recovery from syntax errors (each reported
 * once, at its place, with the good statements around it kept). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "parse.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Parsed {
    Arena arena;
    Diags diags;
    Source src;
    Program prog;
    bool ok;
    char *ast; /* ast_print of the program */
} Parsed;

static Parsed *parse(const char *text) {
    Parsed *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->src = (Source){"test.rnn", text, (int)strlen(text), 1};
    p->ok = parse_source(&p->arena, &p->diags, &p->src, &p->prog);
    size_t len = 0;
    FILE *out = open_memstream(&p->ast, &len);
    assert_non_null(out);
    ast_print(out, &p->prog);
    fclose(out);
    return p;
}

static void parsed_free(Parsed *p) {
    free(p->ast);
    diag_free(&p->diags);
    arena_free(&p->arena);
    free(p);
}

/* text parses without errors to exactly the tree want. */
static void expect_ast(const char *text, const char *want) {
    Parsed *p = parse(text);
    assert_true(p->ok);
    assert_int_equal(p->diags.errors, 0);
    assert_string_equal(p->ast, want);
    parsed_free(p);
}

/* The S-expression of one expression, parsed as `a = text` in a cell. */
static void expect_expr(const char *expr, const char *want) {
    char src[256], got[256] = "";
    snprintf(src, sizeof src, "cell c {\n    a = %s\n}\n", expr);
    Parsed *p = parse(src);
    assert_int_equal(p->diags.errors, 0);
    assert_int_equal(p->prog.nblocks, 1);
    assert_int_equal(p->prog.blocks[0]->nstmts, 1);
    FILE *out = fmemopen(got, sizeof got, "w");
    assert_non_null(out);
    ast_print_expr(out, p->prog.blocks[0]->stmts[0]->value);
    fclose(out);
    assert_string_equal(got, want);
    parsed_free(p);
}

static void expect_error(const Diags *d, int i, int line, int col, const char *part) {
    assert_true(i < d->len);
    const Diag *g = &d->items[i];
    assert_int_equal(g->level, DIAG_ERROR);
    assert_int_equal(g->loc.line, line);
    assert_int_equal(g->loc.col, col);
    if (!strstr(g->msg, part))
        fail_msg("message '%s' does not contain '%s'", g->msg, part);
}

/* Each of parts appears in haystack, in this order. */
static void expect_in_order(const char *haystack, const char *const *parts, int n) {
    const char *at = haystack;
    for (int i = 0; i < n; i++) {
        const char *hit = strstr(at, parts[i]);
        if (!hit)
            fail_msg("'%s' missing (or out of order) in:\n%s", parts[i], haystack);
        at = hit + strlen(parts[i]);
    }
}

/* ---- blocks and declarations ------------------------------------------- */

static void test_cell_without_params(void **state) {
    (void)state;
    expect_ast("cell c {\n    input x[4]\n}\n", "(cell c ()\n  (input (x 4)))\n");
    expect_ast("cell c() { input x[4] }", "(cell c ()\n  (input (x 4)))\n");
}

static void test_cell_declarations(void **state) {
    (void)state;
    expect_ast("cell peep(in, hidden) {\n"
               "    input x[in]\n"
               "    state h[hidden], c[hidden]\n"
               "    param W[4*hidden, in], p[3*hidden]\n"
               "    param b[4*hidden] = zeros, u[2] = uniform(-0.5, 0.5)\n"
               "    c' = c\n"
               "    h' = c'\n"
               "    output h'\n"
               "}\n",
               "(cell peep (in hidden)\n"
               "  (input (x in))\n"
               "  (state (h hidden) (c hidden))\n"
               "  (param (W (* 4 hidden) in) (p (* 3 hidden)))\n"
               "  (param (b (* 4 hidden) = zeros) (u 2 = (call uniform (neg 0.5) 0.5)))\n"
               "  (= c' c)\n"
               "  (= h' c')\n"
               "  (output h'))\n");
}

static void test_empty_blocks_and_blank_lines(void **state) {
    (void)state;
    expect_ast("", "");
    expect_ast("\n# only a comment\n\n", "");
    expect_ast("cell a {}\nmodel m {\n\n}\n", "(cell a ())\n(model m)\n");
    expect_ast("cell a\n{\n}\n", "(cell a ())\n");
}

/* ---- expressions --------------------------------------------------------- */

static void test_matmul_binds_tighter_than_times(void **state) {
    (void)state;
    expect_expr("a @ b * c", "(* (@ a b) c)");
    expect_expr("a * b @ c", "(* a (@ b c))");
    expect_expr("W @ x + U @ h + b", "(+ (+ (@ W x) (@ U h)) b)");
}

static void test_unary_minus_between(void **state) {
    (void)state;
    expect_expr("-a @ b", "(neg (@ a b))");  /* looser than @ */
    expect_expr("-a * b", "(* (neg a) b)");  /* tighter than * */
    expect_expr("a * -b", "(* a (neg b))");
    expect_expr("- -a", "(neg (neg a))");
    expect_expr("-a[0:1]", "(neg (slice a 0 1))");
}

static void test_arithmetic_precedence(void **state) {
    (void)state;
    expect_expr("a + b * c", "(+ a (* b c))");
    expect_expr("a - b - c", "(- (- a b) c)");
    expect_expr("a / b * c", "(* (/ a b) c)");
    expect_expr("(a + b) * c", "(* (+ a b) c)");
    expect_expr("1 - z", "(- 1 z)");
    expect_expr("2e-3 * x", "(* 0.002 x)");
}

static void test_calls_and_named_args(void **state) {
    (void)state;
    expect_expr("sigmoid(x)", "(call sigmoid x)");
    expect_expr("concat(a, b, c)", "(call concat a b c)");
    expect_expr("f()", "(call f)");
    expect_expr("lstm(e, hidden=256, layers=2, bidirectional=true)",
                "(call lstm e hidden=256 layers=2 bidirectional=true)");
    expect_expr("rnn(x,\n  hidden = 4,\n  nonlinearity = relu\n)", "(call rnn x hidden=4 nonlinearity=relu)");
    expect_expr("linear(relu(linear(h, 64)), 10)", "(call linear (call relu (call linear h 64)) 10)");
}

static void test_slices(void **state) {
    (void)state;
    expect_expr("a[0:hidden]", "(slice a 0 hidden)");
    expect_expr("g[2*hidden:3*hidden]", "(slice g (* 2 hidden) (* 3 hidden))");
    expect_expr("a[0:4][1:2]", "(slice (slice a 0 4) 1 2)");
    expect_expr("f(x)[0:n]", "(slice (call f x) 0 n)");
    expect_expr("(a + b)[0:n] * c", "(* (slice (+ a b) 0 n) c)");
    expect_expr("a[\n  0 :\n  n\n]", "(slice a 0 n)");
}

static void test_number_kinds(void **state) {
    (void)state;
    Parsed *p = parse("cell c { a = 42; b = 4.0; d = 2e3 }");
    Stmt **s = p->prog.blocks[0]->stmts;
    assert_int_equal(p->prog.blocks[0]->nstmts, 3);
    assert_true(s[0]->value->is_int);
    assert_false(s[1]->value->is_int);
    assert_false(s[2]->value->is_int);
    assert_true(s[2]->value->num == 2000.0);
    parsed_free(p);
}

/* ---- statements ---------------------------------------------------------- */

static void test_statement_separators(void **state) {
    (void)state;
    const char *want = "(cell c ()\n  (= a x)\n  (= b y)\n  (= d z))\n";
    expect_ast("cell c {\n a = x\n b = y\n d = z\n}", want);
    expect_ast("cell c { a = x; b = y; d = z }", want);
    expect_ast("cell c { a = x; b = y\n d = z; }", want);
    expect_ast("cell c {;; a = x;\n\n; b = y ;d = z\n;}", want);
}

static void test_two_statements_on_a_line_is_an_error(void **state) {
    (void)state;
    Parsed *p = parse("cell c {\n a = x b = y\n}\n");
    assert_false(p->ok);
    assert_int_equal(p->diags.errors, 1);
    expect_error(&p->diags, 0, 2, 8, "unexpected name 'b'");
    parsed_free(p);
}

static void test_model_and_train_block(void **state) {
    (void)state;
    expect_ast("model charlm {\n"
               "    input  x : seq token(256)\n"
               "    target y : seq token(256)\n"
               "    e      = embedding(x, dim=64)\n"
               "    h      = lstm(e, hidden=256, layers=2, dropout=0.5)\n"
               "    logits = linear(h, 256)\n"
               "    loss cross_entropy(logits, y)\n"
               "    train { optimizer = adam(lr=0.002); clip = 5.0; batch = 32; bptt = 64; epochs = 10 }\n"
               "}\n",
               "(model charlm\n"
               "  (input x : seq token(256))\n"
               "  (target y : seq token(256))\n"
               "  (= e (call embedding x dim=64))\n"
               "  (= h (call lstm e hidden=256 layers=2 dropout=0.5))\n"
               "  (= logits (call linear h 256))\n"
               "  (loss (call cross_entropy logits y))\n"
               "  (train\n"
               "    (= optimizer (call adam lr=0.002))\n"
               "    (= clip 5)\n"
               "    (= batch 32)\n"
               "    (= bptt 64)\n"
               "    (= epochs 10)))\n");
}

static void test_train_block_on_lines(void **state) {
    (void)state;
    expect_ast("model m {\n  train\n  {\n    optimizer = sgd(0.1, momentum=0.5)\n\n    batch = 8\n  }\n}\n",
               "(model m\n"
               "  (train\n"
               "    (= optimizer (call sgd 0.10000000000000001 momentum=0.5))\n"
               "    (= batch 8)))\n");
}

static void test_model_types(void **state) {
    (void)state;
    expect_ast("model m {\n input a : seq vector(8)\n target b : token(10)\n target c : vector(3)\n}",
               "(model m\n"
               "  (input a : seq vector(8))\n"
               "  (target b : token(10))\n"
               "  (target c : vector(3)))\n");
}

/* ---- locations in the tree ---------------------------------------------- */

static void test_tree_locations(void **state) {
    (void)state;
    Parsed *p = parse("cell c {\n    a = (W @ x) + b\n}");
    Block *b = p->prog.blocks[0];
    assert_int_equal(b->loc.line, 1);
    assert_int_equal(b->loc.col, 6);      /* the name */
    assert_int_equal(b->end.line, 3);     /* the closing brace */
    Stmt *s = b->stmts[0];
    assert_int_equal(s->loc.col, 5);
    Expr *sum = s->value;
    assert_int_equal(sum->loc.col, 17);   /* the caret is at the '+' */
    assert_int_equal(sum->loc.begin, 17); /* the '(' */
    assert_int_equal(sum->loc.end, 28);   /* past the b */
    Expr *mm = sum->lhs;
    assert_int_equal(mm->loc.col, 12);    /* '@' */
    assert_int_equal(mm->loc.begin, 17);  /* parentheses included */
    assert_int_equal(mm->loc.end, 24);
    parsed_free(p);
}

/* ---- errors and recovery -------------------------------------------------- */

static const char three_errors[] =
    "cell c(n) {\n"        /* 1 */
    "    input x[n]\n"     /* 2 */
    "    a = x +\n"        /* 3: nothing after '+' */
    "    state h[n]\n"     /* 4 */
    "    b = (x * )\n"     /* 5: nothing after '*' */
    "    h' = tanh(x)\n"   /* 6 */
    "    d = x ) x\n"      /* 7: a stray ')' */
    "    output h'\n"      /* 8 */
    "}\n"
    "model m {\n"
    "    input z : seq vector(2)\n"
    "}\n";

static void test_recovery_reports_each_error_once(void **state) {
    (void)state;
    Parsed *p = parse(three_errors);
    assert_false(p->ok);
    assert_int_equal(p->diags.errors, 3);
    assert_int_equal(p->diags.len, 3);
    expect_error(&p->diags, 0, 3, 12, "unexpected end of line");
    expect_error(&p->diags, 1, 5, 14, "unexpected ')'");
    expect_error(&p->diags, 2, 7, 11, "unexpected ')'");
    parsed_free(p);
}

static void test_recovery_keeps_good_statements(void **state) {
    (void)state;
    Parsed *p = parse(three_errors);
    static const char *const kept[] = {
        "(cell c (n)\n", "  (input (x n))\n", "  (state (h n))\n", "  (= h' (call tanh x))\n",
        "  (output h'))\n", "(model m\n  (input z : seq vector(2)))\n",
    };
    expect_in_order(p->ast, kept, 6);
    assert_int_equal(p->prog.nblocks, 2);
    assert_true(p->prog.blocks[0]->syntax_error);
    assert_false(p->prog.blocks[1]->syntax_error); /* the next block is clean */
    parsed_free(p);
}

static void test_unclosed_paren(void **state) {
    (void)state;
    Parsed *p = parse("cell c {\n    a = f(x\n    b = y\n    d = z\n}\n");
    assert_int_equal(p->diags.errors, 1);
    expect_error(&p->diags, 0, 3, 5, "expected ')' to close '(' at line 2, column 10");
    /* the statement after the broken one is kept */
    assert_non_null(strstr(p->ast, "(= d z)"));
    parsed_free(p);
}

/* End of file is reported at the end of the last line, after its last token. */
static void test_missing_closing_brace(void **state) {
    (void)state;
    Parsed *p = parse("cell c {\n    a = x\n");
    assert_int_equal(p->diags.errors, 1);
    expect_error(&p->diags, 0, 2, 10, "unexpected end of file; expected '}' to close '{' at line 1, column 8");
    parsed_free(p);
    p = parse("cell c {\n    a = x"); /* no newline at the end */
    assert_int_equal(p->diags.errors, 1);
    expect_error(&p->diags, 0, 2, 10, "unexpected end of file; expected '}' to close '{' at line 1, column 8");
    assert_int_equal(p->diags.items[0].loc.offset, 18);
    parsed_free(p);
}

static void test_reserved_word_as_name(void **state) {
    (void)state;
    Parsed *p = parse("cell c {\n    state = x\n    input x[2]\n}\n");
    assert_int_equal(p->diags.errors, 1);
    expect_error(&p->diags, 0, 2, 5, "'state' is a reserved word");
    assert_non_null(strstr(p->ast, "(input (x 2))"));
    parsed_free(p);
}

static void test_bad_character_reported_once(void **state) {
    (void)state;
    Parsed *p = parse("cell c {\n    a = x $ y\n    b = z\n}\n");
    assert_int_equal(p->diags.errors, 1);
    expect_error(&p->diags, 0, 2, 11, "unexpected character '$'");
    assert_non_null(strstr(p->ast, "(= b z)"));
    parsed_free(p);
}

static void test_expression_depth_limit(void **state) {
    (void)state;
    enum { TERMS = AST_MAX_DEPTH + 1 };
    size_t n = 32 + 2 * TERMS;
    char *src = malloc(n);
    assert_non_null(src);
    strcpy(src, "cell c { a = x");
    for (int i = 1; i < TERMS; i++)
        strcat(src, "+x");
    strcat(src, " }");
    Parsed *p = parse(src);
    assert_int_equal(p->diags.errors, 1);
    assert_non_null(strstr(p->diags.items[0].msg, "nested more than"));
    assert_non_null(strstr(p->ast, "(= a <error>)"));
    parsed_free(p);
    free(src);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cell_without_params),
        cmocka_unit_test(test_cell_declarations),
        cmocka_unit_test(test_empty_blocks_and_blank_lines),
        cmocka_unit_test(test_matmul_binds_tighter_than_times),
        cmocka_unit_test(test_unary_minus_between),
        cmocka_unit_test(test_arithmetic_precedence),
        cmocka_unit_test(test_calls_and_named_args),
        cmocka_unit_test(test_slices),
        cmocka_unit_test(test_number_kinds),
        cmocka_unit_test(test_statement_separators),
        cmocka_unit_test(test_two_statements_on_a_line_is_an_error),
        cmocka_unit_test(test_model_and_train_block),
        cmocka_unit_test(test_train_block_on_lines),
        cmocka_unit_test(test_model_types),
        cmocka_unit_test(test_tree_locations),
        cmocka_unit_test(test_recovery_reports_each_error_once),
        cmocka_unit_test(test_recovery_keeps_good_statements),
        cmocka_unit_test(test_unclosed_paren),
        cmocka_unit_test(test_missing_closing_brace),
        cmocka_unit_test(test_reserved_word_as_name),
        cmocka_unit_test(test_bad_character_reported_once),
        cmocka_unit_test(test_expression_depth_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
