/* rt_json.c - the pull parser of rt_json.h: JSON (RFC 8259) read from a
 * counted buffer, with strings decoded to checked UTF-8, integers checked
 * against int64_t, and nesting kept on a 64-entry bit stack instead of the C
 * stack. Also the string quoting the safetensors writer uses. */
#include "rt_json.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIT(d) ((uint64_t)1 << ((d) - 1))

void rt_json_init(rt_json *j, const char *text, size_t len) {
    memset(j, 0, sizeof *j);
    j->text = text;
    j->len = len;
}

/* Describe the character at the current position, for messages. */
static void describe_here(const rt_json *j, char *buf, size_t cap) {
    if (j->pos >= j->len) {
        snprintf(buf, cap, "the end of the text");
        return;
    }
    unsigned char c = (unsigned char)j->text[j->pos];
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, cap, "'%c'", c);
    else
        snprintf(buf, cap, "byte 0x%02x", c);
}

/* Record the first error, "at byte N: MESSAGE, found X". Returns -1. */
__attribute__((format(printf, 2, 3))) static int fail(rt_json *j, const char *fmt, ...) {
    if (j->failed)
        return -1;
    char what[96], here[32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    describe_here(j, here, sizeof here);
    snprintf(j->err, sizeof j->err, "at byte %zu: %s, found %s", j->pos, what, here);
    j->failed = 1;
    return -1;
}

static int cur(const rt_json *j) {
    return j->pos < j->len ? (unsigned char)j->text[j->pos] : -1;
}

static void skip_ws(rt_json *j) {
    while (j->pos < j->len) {
        char c = j->text[j->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        j->pos++;
    }
}

rt_json_type rt_json_peek(rt_json *j) {
    if (j->failed)
        return RT_JSON_ERROR;
    skip_ws(j);
    int c = cur(j);
    if (c == '{')
        return RT_JSON_OBJECT;
    if (c == '[')
        return RT_JSON_ARRAY;
    if (c == '"')
        return RT_JSON_STRING;
    if (c == '-' || (c >= '0' && c <= '9'))
        return RT_JSON_NUMBER;
    if (c == 't' || c == 'f')
        return RT_JSON_BOOL;
    if (c == 'n')
        return RT_JSON_NULL;
    return RT_JSON_ERROR;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (avail bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t avail) {
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        if (c == 0xed)
            hi = 0x9f; /* no UTF-16 surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else
        return 0;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

int rt_json_utf8_valid(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_len(u + i, n - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

/* Encode code point cp (at most U+10FFFF, not a surrogate) into out, if
 * out is not NULL. Returns the number of bytes. */
static size_t utf8_put(char *out, uint32_t cp) {
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | cp >> 6);
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xe0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xf0 | cp >> 18);
        b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    if (out)
        memcpy(out, b, n);
    return n;
}

/* ---- strings ----------------------------------------------------------- */

/* Four hex digits at j->pos into *v. */
static int hex4(rt_json *j, uint32_t *v) {
    *v = 0;
    if (j->len - j->pos < 4)
        return fail(j, "expected four hex digits after \\u");
    for (int i = 0; i < 4; i++) {
        char c = j->text[j->pos];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return fail(j, "expected four hex digits after \\u");
        *v = *v << 4 | (uint32_t)d;
        j->pos++;
    }
    return 0;
}

/* A \uXXXX escape, with j->pos after the 'u'; a high surrogate must be
 * followed by \u and a low one. */
static int unicode_escape(rt_json *j, uint32_t *cp) {
    if (hex4(j, cp) < 0)
        return -1;
    if (*cp >= 0xdc00 && *cp <= 0xdfff)
        return fail(j, "lone low surrogate \\u%04X in a string", (unsigned)*cp);
    if (*cp < 0xd800 || *cp > 0xdbff)
        return 0;
    uint32_t lo;
    if (j->len - j->pos < 2 || j->text[j->pos] != '\\' || j->text[j->pos + 1] != 'u')
        return fail(j, "high surrogate \\u%04X not followed by a low surrogate", (unsigned)*cp);
    j->pos += 2;
    if (hex4(j, &lo) < 0)
        return -1;
    if (lo < 0xdc00 || lo > 0xdfff)
        return fail(j, "high surrogate \\u%04X followed by \\u%04X, not a low surrogate", (unsigned)*cp,
                    (unsigned)lo);
    *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
    return 0;
}

/* One escape sequence, j->pos at the backslash. Writes its UTF-8 to out
 * (if not NULL) and returns the byte count, or -1. */
static int escape(rt_json *j, char *out) {
    j->pos++;
    int c = cur(j);
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *p = c > 0 ? strchr(from, c) : NULL;
    if (p && c) {
        if (out)
            *out = to[p - from];
        j->pos++;
        return 1;
    }
    if (c != 'u')
        return fail(j, "invalid escape in a string");
    j->pos++;
    uint32_t cp;
    if (unicode_escape(j, &cp) < 0)
        return -1;
    return (int)utf8_put(out, cp);
}

/* The string at j->pos (which holds '"'): checks it and, when out is not
 * NULL, writes its decoded bytes there. *n gets the decoded length. */
static int string_body(rt_json *j, char *out, size_t *n) {
    *n = 0;
    j->pos++;
    for (;;) {
        int c = cur(j);
        if (c < 0)
            return fail(j, "unterminated string");
        if (c == '"') {
            j->pos++;
            return 0;
        }
        if (c < 0x20)
            return fail(j, "unescaped control character in a string");
        size_t k;
        if (c == '\\') {
            int r = escape(j, out ? out + *n : NULL);
            if (r < 0)
                return -1;
            k = (size_t)r;
        } else {
            k = utf8_len((const unsigned char *)j->text + j->pos, j->len - j->pos);
            if (!k)
                return fail(j, "invalid UTF-8 in a string");
            if (out)
                memcpy(out + *n, j->text + j->pos, k);
            j->pos += k;
        }
        *n += k;
    }
}

int rt_json_string(rt_json *j, char **out, size_t *len) {
    *out = NULL;
    *len = 0;
    if (j->failed)
        return -1;
    skip_ws(j);
    if (cur(j) != '"')
        return fail(j, "expected a string");
    size_t start = j->pos, n;
    if (string_body(j, NULL, &n) < 0)
        return -1;
    char *s = malloc(n + 1); /* n is at most the string's own length */
    if (!s) {
        j->pos = start;
        return fail(j, "out of memory for a string of %zu bytes", n);
    }
    j->pos = start;
    string_body(j, s, &n); /* cannot fail: the same text passed above */
    s[n] = '\0';
    *out = s;
    *len = n;
    return 0;
}

/* ---- numbers and literals ---------------------------------------------- */

static void digits(rt_json *j) {
    while (cur(j) >= '0' && cur(j) <= '9')
        j->pos++;
}

/* A number per RFC 8259; *integral is 1 when it has no fraction or
 * exponent. */
static int number(rt_json *j, int *integral) {
    *integral = 1;
    if (cur(j) == '-')
        j->pos++;
    if (cur(j) == '0')
        j->pos++;
    else if (cur(j) >= '1' && cur(j) <= '9')
        digits(j);
    else
        return fail(j, "expected a digit in a number");
    if (cur(j) == '.') {
        *integral = 0;
        j->pos++;
        if (cur(j) < '0' || cur(j) > '9')
            return fail(j, "expected a digit after the decimal point");
        digits(j);
    }
    if (cur(j) == 'e' || cur(j) == 'E') {
        *integral = 0;
        j->pos++;
        if (cur(j) == '+' || cur(j) == '-')
            j->pos++;
        if (cur(j) < '0' || cur(j) > '9')
            return fail(j, "expected a digit in the exponent");
        digits(j);
    }
    return 0;
}

int rt_json_int(rt_json *j, int64_t *out) {
    *out = 0;
    if (j->failed)
        return -1;
    skip_ws(j);
    size_t start = j->pos;
    int c = cur(j), integral;
    if (c != '-' && (c < '0' || c > '9'))
        return fail(j, "expected an integer");
    if (number(j, &integral) < 0)
        return -1;
    if (!integral) {
        j->pos = start;
        return fail(j, "expected an integer, not a number with a fraction or exponent");
    }
    int neg = j->text[start] == '-';
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
    for (size_t i = start + (size_t)neg; i < j->pos; i++) {
        uint64_t d = (uint64_t)(j->text[i] - '0');
        if (v > (limit - d) / 10) {
            j->pos = start;
            return fail(j, "integer does not fit in 64 bits");
        }
        v = v * 10 + d;
    }
    *out = !neg ? (int64_t)v : v == limit ? INT64_MIN : -(int64_t)v;
    return 0;
}

static int literal(rt_json *j, const char *word) {
    size_t n = strlen(word);
    if (j->len - j->pos < n || memcmp(j->text + j->pos, word, n) != 0)
        return fail(j, "expected a value");
    j->pos += n;
    return 0;
}

/* ---- containers -------------------------------------------------------- */

static int open_container(rt_json *j, char bracket, int object) {
    if (j->failed)
        return -1;
    skip_ws(j);
    if (cur(j) != bracket)
        return fail(j, object ? "expected an object" : "expected an array");
    if (j->depth >= RT_JSON_MAX_DEPTH)
        return fail(j, "containers nested deeper than %d levels", RT_JSON_MAX_DEPTH);
    j->pos++;
    j->depth++;
    j->started &= ~BIT(j->depth);
    if (object)
        j->objects |= BIT(j->depth);
    else
        j->objects &= ~BIT(j->depth);
    return 0;
}

int rt_json_object_begin(rt_json *j) {
    return open_container(j, '{', 1);
}

int rt_json_array_begin(rt_json *j) {
    return open_container(j, '[', 0);
}

/* Common part of *_next: 0 and close on the closing bracket, 1 when a
 * member follows (after its comma, if not the first), -1 on error. */
static int next_member(rt_json *j, char close, int object) {
    if (j->failed)
        return -1;
    if (j->depth == 0 || !(j->objects & BIT(j->depth)) != !object)
        return fail(j, object ? "internal: not inside an object" : "internal: not inside an array");
    skip_ws(j);
    if (cur(j) == close) {
        j->pos++;
        j->depth--;
        return 0;
    }
    if (j->started & BIT(j->depth)) {
        if (cur(j) != ',')
            return fail(j, object ? "expected ',' or '}' after an object member"
                                  : "expected ',' or ']' after an array element");
        j->pos++;
        skip_ws(j);
    }
    j->started |= BIT(j->depth);
    return 1;
}

/* The key and colon of an object member; decodes the key when key is not
 * NULL. */
static int member_key(rt_json *j, char **key, size_t *keylen) {
    size_t n;
    if (cur(j) != '"')
        return fail(j, "expected a string key");
    if (key ? rt_json_string(j, key, keylen) < 0 : string_body(j, NULL, &n) < 0)
        return -1;
    skip_ws(j);
    if (cur(j) != ':') {
        if (key) {
            free(*key);
            *key = NULL;
        }
        return fail(j, "expected ':' after an object key");
    }
    j->pos++;
    return 0;
}

int rt_json_object_next(rt_json *j, char **key, size_t *keylen) {
    *key = NULL;
    *keylen = 0;
    int r = next_member(j, '}', 1);
    if (r == 1 && member_key(j, key, keylen) < 0)
        return -1;
    return r;
}

int rt_json_array_next(rt_json *j) {
    return next_member(j, ']', 0);
}

/* Skip one scalar, or open a container, at the current position. */
static int skip_start(rt_json *j) {
    size_t n;
    int integral;
    switch (rt_json_peek(j)) {
    case RT_JSON_OBJECT:
        return rt_json_object_begin(j);
    case RT_JSON_ARRAY:
        return rt_json_array_begin(j);
    case RT_JSON_STRING:
        return string_body(j, NULL, &n);
    case RT_JSON_NUMBER:
        return number(j, &integral);
    case RT_JSON_BOOL:
        return literal(j, cur(j) == 't' ? "true" : "false");
    case RT_JSON_NULL:
        return literal(j, "null");
    default:
        return fail(j, "expected a value");
    }
}

int rt_json_skip(rt_json *j) {
    if (j->failed)
        return -1;
    int base = j->depth;
    do {
        if (skip_start(j) < 0)
            return -1;
        /* Close finished containers until another value is due. */
        while (j->depth > base) {
            int object = (j->objects & BIT(j->depth)) != 0;
            int r = next_member(j, object ? '}' : ']', object);
            if (r < 0 || (r == 1 && object && member_key(j, NULL, NULL) < 0))
                return -1;
            if (r == 1)
                break;
        }
    } while (j->depth > base);
    return 0;
}

int rt_json_finish(rt_json *j) {
    if (j->failed)
        return -1;
    if (j->depth != 0)
        return fail(j, "internal: %d containers left open", j->depth);
    skip_ws(j);
    if (j->pos != j->len)
        return fail(j, "expected the end of the text after the JSON value");
    return 0;
}

/* ---- writing ----------------------------------------------------------- */

size_t rt_json_quote(char *out, const char *s, size_t n) {
    size_t k = 0;
    char esc[8];
#define PUT(c) (out ? (void)(out[k] = (c)) : (void)0, k++)
    PUT('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *e = c == '"'    ? "\\\""
                        : c == '\\' ? "\\\\"
                        : c == '\b' ? "\\b"
                        : c == '\f' ? "\\f"
                        : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t"
                                    : NULL;
        if (!e && c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            e = esc;
        }
        if (!e) {
            PUT((char)c);
            continue;
        }
        for (; *e; e++)
            PUT(*e);
    }
    PUT('"');
#undef PUT
    return k;
}
