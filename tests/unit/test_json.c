/* test_json.c - unit tests for runtime/rt_json.c, the pull parser behind the
 * safetensors header: walking objects and arrays, string escapes and
 * surrogate pairs, UTF-8 checks, integers at the int64 limits, the number
 * grammar, skipping, the nesting limit, trailing text, and (run under
 * AddressSanitizer) never reading past the given length: every input is
 * copied to a buffer of exactly its length, without a terminating NUL. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rt_json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A parser over an exact-length heap copy of text (freed by done()). */
static rt_json *open_json(const char *text) {
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1);
    rt_json *j = malloc(sizeof *j);
    assert_non_null(copy);
    assert_non_null(j);
    memcpy(copy, text, n);
    rt_json_init(j, copy, n);
    return j;
}

static void done(rt_json *j) {
    free((char *)j->text);
    free(j);
}

/* Skip one value and finish: 0 when text is one valid JSON value. */
static int skip_all(const char *text, char *err, size_t cap) {
    rt_json *j = open_json(text);
    int r = rt_json_skip(j) < 0 || rt_json_finish(j) < 0 ? -1 : 0;
    if (err)
        snprintf(err, cap, "%s", j->err);
    done(j);
    return r;
}

static void assert_valid(const char *text) {
    char err[RT_JSON_ERR_LEN];
    if (skip_all(text, err, sizeof err) != 0)
        fail_msg("\"%s\" rejected: %s", text, err);
}

static void assert_invalid(const char *text, const char *what) {
    char err[RT_JSON_ERR_LEN];
    if (skip_all(text, err, sizeof err) == 0)
        fail_msg("\"%s\" accepted", text);
    if (!strstr(err, what))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", text, err, what);
}

/* The decoded value of one JSON string. */
static void assert_string(const char *text, const char *want, size_t wantlen) {
    rt_json *j = open_json(text);
    char *s;
    size_t n;
    if (rt_json_string(j, &s, &n) != 0)
        fail_msg("%s: %s", text, j->err);
    assert_int_equal(rt_json_finish(j), 0);
    assert_int_equal(n, wantlen);
    assert_memory_equal(s, want, n);
    assert_int_equal(s[n], '\0');
    free(s);
    done(j);
}

static void test_walk_object(void **state) {
    (void)state;
    rt_json *j = open_json(" {\"a\" : [1, -2 ,3], \"b\":{}, \"c\": \"x\", \"d\": [] , \"e\":null}\r\n\t");
    char *key;
    size_t len;
    int64_t v;
    assert_int_equal(rt_json_peek(j), RT_JSON_OBJECT);
    assert_int_equal(rt_json_object_begin(j), 0);
    assert_int_equal(rt_json_object_next(j, &key, &len), 1);
    assert_string_equal(key, "a");
    free(key);
    assert_int_equal(rt_json_array_begin(j), 0);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(rt_json_array_next(j), 1);
        assert_int_equal(rt_json_int(j, &v), 0);
        assert_int_equal(v, i == 2 ? -2 : i);
    }
    assert_int_equal(rt_json_array_next(j), 0);
    assert_int_equal(rt_json_object_next(j, &key, &len), 1);
    assert_string_equal(key, "b");
    free(key);
    assert_int_equal(rt_json_peek(j), RT_JSON_OBJECT);
    assert_int_equal(rt_json_skip(j), 0);
    assert_int_equal(rt_json_object_next(j, &key, &len), 1);
    free(key);
    assert_int_equal(rt_json_peek(j), RT_JSON_STRING);
    assert_int_equal(rt_json_skip(j), 0);
    assert_int_equal(rt_json_object_next(j, &key, &len), 1);
    free(key);
    assert_int_equal(rt_json_array_begin(j), 0);
    assert_int_equal(rt_json_array_next(j), 0);
    assert_int_equal(rt_json_object_next(j, &key, &len), 1);
    free(key);
    assert_int_equal(rt_json_peek(j), RT_JSON_NULL);
    assert_int_equal(rt_json_skip(j), 0);
    assert_int_equal(rt_json_object_next(j, &key, &len), 0);
    assert_null(key);
    assert_int_equal(rt_json_finish(j), 0);
    done(j);
}

static void test_errors_are_sticky(void **state) {
    (void)state;
    rt_json *j = open_json("[1 2]");
    int64_t v;
    char *s;
    size_t n;
    assert_int_equal(rt_json_array_begin(j), 0);
    assert_int_equal(rt_json_array_next(j), 1);
    assert_int_equal(rt_json_int(j, &v), 0);
    assert_int_equal(rt_json_array_next(j), -1);
    assert_string_equal(j->err, "at byte 3: expected ',' or ']' after an array element, found '2'");
    assert_int_equal(rt_json_array_next(j), -1);
    assert_int_equal(rt_json_int(j, &v), -1);
    assert_int_equal(rt_json_string(j, &s, &n), -1);
    assert_null(s);
    assert_int_equal(rt_json_peek(j), RT_JSON_ERROR);
    assert_int_equal(rt_json_finish(j), -1);
    assert_string_equal(j->err, "at byte 3: expected ',' or ']' after an array element, found '2'");
    done(j);
}

/* Calling the wrong *_next for the open container is caught. */
static void test_misuse(void **state) {
    (void)state;
    rt_json *j = open_json("[1]");
    char *key;
    size_t n;
    assert_int_equal(rt_json_array_begin(j), 0);
    assert_int_equal(rt_json_object_next(j, &key, &n), -1);
    assert_non_null(strstr(j->err, "not inside an object"));
    done(j);
    j = open_json("1");
    assert_int_equal(rt_json_array_next(j), -1);
    done(j);
}

static void test_strings(void **state) {
    (void)state;
    assert_string("\"\"", "", 0);
    assert_string("\"plain\"", "plain", 5);
    assert_string("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\" \\ / \b \f \n \r \t", 15);
    assert_string("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6);
    assert_string("\"\\ud83d\\ude42\"", "\xf0\x9f\x99\x82", 4);      /* U+1F642 */
    assert_string("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4);      /* U+10FFFF */
    assert_string("\"\\u0000x\"", "\0x", 2);
    assert_string("\"caf\xc3\xa9 \xf0\x9f\x99\x82 \x7f\"", "caf\xc3\xa9 \xf0\x9f\x99\x82 \x7f", 12);
    assert_invalid("\"abc", "unterminated string");
    assert_invalid("\"abc\\", "invalid escape");
    assert_invalid("\"\\x41\"", "invalid escape");
    assert_invalid("\"\\u12\"", "four hex digits");
    assert_invalid("\"\\u12", "four hex digits");
    assert_invalid("\"\\uZZZZ\"", "four hex digits");
    assert_invalid("\"\\ud83d\"", "not followed by a low surrogate");
    assert_invalid("\"\\ud83dx\"", "not followed by a low surrogate");
    assert_invalid("\"\\ud83d\\u0041\"", "not a low surrogate");
    assert_invalid("\"\\ude42\"", "lone low surrogate");
    assert_invalid("\"a\nb\"", "unescaped control character");
    assert_invalid("\"\x01\"", "unescaped control character");
}

static void test_utf8(void **state) {
    (void)state;
    static const char *const bad[] = {
        "\"\x80\"",             /* continuation byte alone */
        "\"\xc0\x80\"",         /* overlong NUL */
        "\"\xc1\xbf\"",         /* overlong */
        "\"\xe0\x80\x80\"",     /* overlong */
        "\"\xed\xa0\x80\"",     /* UTF-16 surrogate */
        "\"\xf0\x80\x80\x80\"", /* overlong */
        "\"\xf4\x90\x80\x80\"", /* above U+10FFFF */
        "\"\xf5\x80\x80\x80\"", "\"\xff\"", "\"\xc3\"", "\"\xe2\x82\"", "\"\xf0\x9f\x99\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_invalid(bad[i], "invalid UTF-8");
    assert_true(rt_json_utf8_valid("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 18));
    assert_false(rt_json_utf8_valid("\xe2\x82", 2));
    assert_true(rt_json_utf8_valid("", 0));
    /* A multi-byte sequence cut by the end of the buffer. */
    rt_json *j = open_json("\"\xe2\x82");
    assert_int_equal(rt_json_skip(j), -1);
    done(j);
}

static void assert_int(const char *text, int64_t want) {
    rt_json *j = open_json(text);
    int64_t v;
    if (rt_json_int(j, &v) != 0)
        fail_msg("%s: %s", text, j->err);
    assert_int_equal(rt_json_finish(j), 0);
    assert_true(v == want);
    done(j);
}

static void assert_not_int(const char *text, const char *what) {
    rt_json *j = open_json(text);
    int64_t v;
    assert_int_equal(rt_json_int(j, &v), -1);
    if (!strstr(j->err, what))
        fail_msg("%s: message \"%s\" lacks \"%s\"", text, j->err, what);
    done(j);
}

static void test_integers(void **state) {
    (void)state;
    assert_int("0", 0);
    assert_int("-0", 0);
    assert_int(" 42 ", 42);
    assert_int("9223372036854775807", INT64_MAX);
    assert_int("-9223372036854775808", INT64_MIN);
    assert_not_int("9223372036854775808", "does not fit in 64 bits");
    assert_not_int("-9223372036854775809", "does not fit in 64 bits");
    assert_not_int("99999999999999999999999", "does not fit in 64 bits");
    assert_not_int("1.0", "not a number with a fraction or exponent");
    assert_not_int("1e3", "not a number with a fraction or exponent");
    assert_not_int("\"1\"", "expected an integer");
    assert_not_int("true", "expected an integer");
    assert_not_int("", "expected an integer, found the end of the text");
    assert_not_int("-", "expected a digit");
    assert_not_int("+1", "expected an integer");
}

static void test_numbers_and_literals(void **state) {
    (void)state;
    static const char *const good[] = {"0", "-0", "1.5", "-0.0e-0", "1E+10", "123e45", "0.125", "true",
                                       "false", "null", "[true,false,null]", "{\"a\":-1.5e-3}"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_valid(good[i]);
    assert_invalid("01", "expected the end of the text");
    assert_invalid("1.", "digit after the decimal point");
    assert_invalid(".5", "expected a value");
    assert_invalid("1e", "digit in the exponent");
    assert_invalid("1e+", "digit in the exponent");
    assert_invalid("-a", "expected a digit");
    assert_invalid("tru", "expected a value");
    assert_invalid("nul", "expected a value");
    assert_invalid("True", "expected a value");
    assert_invalid("NaN", "expected a value");
    assert_invalid("Infinity", "expected a value");
}

static void test_structure(void **state) {
    (void)state;
    assert_valid("{}");
    assert_valid(" [ ] ");
    assert_valid("{\"a\":{\"b\":[[],{}]},\"a\":1}");
    assert_invalid("", "expected a value, found the end of the text");
    assert_invalid("   ", "expected a value");
    assert_invalid("[1,]", "expected a value");
    assert_invalid("[,1]", "expected a value");
    assert_invalid("{\"a\":1,}", "expected a string key");
    assert_invalid("{\"a\"}", "expected ':'");
    assert_invalid("{\"a\":}", "expected a value");
    assert_invalid("{1:2}", "expected a string key");
    assert_invalid("[1}", "expected ',' or ']'");
    assert_invalid("{\"a\":1]", "expected ',' or '}'");
    assert_invalid("[", "expected a value");
    assert_invalid("[1", "expected ',' or ']'");
    assert_invalid("{} {}", "expected the end of the text");
    assert_invalid("{}x", "at byte 2: expected the end of the text after the JSON value, found 'x'");
    assert_invalid("{}\x01", "found byte 0x01");
    assert_invalid("\xef\xbb\xbf{}", "expected a value, found byte 0xef"); /* no BOM */
}

/* 64 levels are read, 65 are not, and a million are refused quickly. */
static void test_depth(void **state) {
    (void)state;
    char *text = malloc(2000001);
    assert_non_null(text);
    for (int depth = 63; depth <= 65; depth++) {
        memset(text, '[', (size_t)depth);
        memset(text + depth, ']', (size_t)depth);
        text[2 * depth] = '\0';
        if (depth <= RT_JSON_MAX_DEPTH)
            assert_valid(text);
        else
            assert_invalid(text, "at byte 64: containers nested deeper than 64 levels");
    }
    for (int i = 0; i < 64; i++)
        memcpy(text + 5 * i, "{\"a\":", 5);
    strcpy(text + 320, "{}");
    assert_invalid(text, "at byte 320: containers nested deeper than 64 levels");
    memset(text, '[', 2000000);
    text[2000000] = '\0';
    assert_invalid(text, "nested deeper");
    free(text);
}

static void test_quote(void **state) {
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        {"", "\"\""},
        {"abc", "\"abc\""},
        {"q\"b\\s/", "\"q\\\"b\\\\s/\""},
        {"\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\""},
        {"\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\""},
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = rt_json_quote(NULL, cases[i].in, strlen(cases[i].in));
        assert_int_equal(n, strlen(cases[i].out));
        memset(buf, 'Z', sizeof buf);
        assert_int_equal(rt_json_quote(buf, cases[i].in, strlen(cases[i].in)), n);
        assert_memory_equal(buf, cases[i].out, n);
        assert_int_equal(buf[n], 'Z');
        /* And it reads back. */
        buf[n] = '\0';
        assert_string(buf, cases[i].in, strlen(cases[i].in));
    }
}

/* Every prefix of a document with every kind of value fails cleanly. */
static void test_every_prefix(void **state) {
    (void)state;
    const char *doc = "{\"k\\u00e9\\ud83d\\ude42\":[1,-2.5e+3,true,false,null,\"s\\n\",{\"x\":[]}]}";
    char prefix[128];
    size_t n = strlen(doc);
    for (size_t k = 0; k < n; k++) {
        memcpy(prefix, doc, k);
        prefix[k] = '\0';
        assert_int_equal(skip_all(prefix, NULL, 0), -1);
    }
    assert_valid(doc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_object),
        cmocka_unit_test(test_errors_are_sticky),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_numbers_and_literals),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
