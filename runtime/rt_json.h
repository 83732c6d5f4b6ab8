/* rt_json.h - a small pull parser for untrusted JSON text (the safetensors
 * header). The caller walks the document it expects: rt_json_object_next
 * yields one member key at a time, rt_json_array_next one element at a time,
 * and each value is then read with a typed getter or skipped. Nothing is
 * built in memory but the strings the caller asks for, each no longer than
 * its own text, so the memory used is bounded by the input's length.
 * Containers nest at most RT_JSON_MAX_DEPTH deep, and no function recurses.
 * The parser never reads past the given length. The first error is sticky:
 * every later call fails too, and err says what and where ("at byte 17:
 * expected ':' after an object key"). */
#ifndef RNNRT_JSON_H
#define RNNRT_JSON_H
#include <stddef.h>
#include <stdint.h>

enum { RT_JSON_MAX_DEPTH = 64, RT_JSON_ERR_LEN = 192 };

typedef enum {
    RT_JSON_ERROR = -1, /* malformed text, or a previous error */
    RT_JSON_NULL,
    RT_JSON_BOOL,
    RT_JSON_NUMBER,
    RT_JSON_STRING,
    RT_JSON_ARRAY,
    RT_JSON_OBJECT,
} rt_json_type;

typedef struct rt_json {
    const char *text;
    size_t len, pos;
    int depth;           /* containers opened by *_begin and not yet closed */
    uint64_t started;    /* bit d-1: the container at depth d has had a member */
    uint64_t objects;    /* bit d-1: the container at depth d is an object */
    int failed;
    char err[RT_JSON_ERR_LEN];
} rt_json;

void rt_json_init(rt_json *j, const char *text, size_t len);

/* The type of the next value, judged by its first character; consumes
 * nothing. RT_JSON_ERROR when no value can start here. */
rt_json_type rt_json_peek(rt_json *j);

/* Containers. *_begin consumes the opening bracket. *_next returns 1 when
 * another member or element follows (the caller must then read or skip
 * exactly one value), 0 after consuming the closing bracket, -1 on error.
 * rt_json_object_next stores the decoded key (malloc'd, NUL-terminated,
 * the caller frees it) and its length in bytes (the key may contain NUL). */
int rt_json_object_begin(rt_json *j);
int rt_json_object_next(rt_json *j, char **key, size_t *keylen);
int rt_json_array_begin(rt_json *j);
int rt_json_array_next(rt_json *j);

/* Scalars. Each returns 0, or -1 with j->err set. rt_json_string decodes
 * every escape (\uXXXX and surrogate pairs to UTF-8) and checks that the
 * text is valid UTF-8; *out is malloc'd and NUL-terminated. rt_json_int
 * accepts only an integer (no fraction or exponent) that fits int64_t. */
int rt_json_string(rt_json *j, char **out, size_t *len);
int rt_json_int(rt_json *j, int64_t *out);

/* Skip one value of any type, checking its syntax. */
int rt_json_skip(rt_json *j);

/* After the top-level value: only whitespace may remain. */
int rt_json_finish(rt_json *j);

/* 1 if s[0..n) is well-formed UTF-8 (no overlong forms, no surrogates). */
int rt_json_utf8_valid(const char *s, size_t n);

/* Write s[0..n) as a JSON string literal, with its quotes, escaping as
 * serde_json does (\" \\ \b \f \n \r \t, other control characters as
 * \u00XX, everything else as is). out NULL only measures. Returns the
 * literal's length; writes no terminating NUL. */
size_t rt_json_quote(char *out, const char *s, size_t n);

#endif
