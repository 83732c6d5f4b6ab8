/* rt_npy.c - NumPy .npy arrays (rt_io.h): reading format 1.0/2.0/3.0 files
 * of <f4 <f8 <i4 <i8 in C order, with the header's Python dict literal
 * parsed strictly, and writing <f4 arrays byte for byte as numpy.save does.
 *
 * Decisions: a 0-d array (shape ()) reads as rank 0 with count 1, and an
 * array with a zero dimension reads with count 0; on success data is never
 * NULL (an empty array gets a 1-byte allocation), so callers free it the
 * same way. Both may be written too (data may then be NULL for count 0).
 * Whether such a shape is acceptable is for the caller to decide. */
#include "rt_file.h"
#include "rt_internal.h"
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Headers longer than this are refused (numpy itself refuses over 10000
 * bytes by default); a rank-4 header needs about 128. */
enum { NPY_MAX_HEADER = 65536, NPY_ALIGN = 64, NPY_GROWTH_DIGITS = 21 };

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* ---- the header's dict literal ----------------------------------------- */

typedef struct npy_header {
    const char *s;
    size_t n, pos;
    char err[128];  /* what is wrong, when parsing failed */
    char descr[16]; /* the dtype string, cut if longer */
    int fortran;
    int rank;       /* may exceed RT_MAX_RANK; then only the first dims are kept */
    int64_t dims[RT_MAX_RANK];
    unsigned seen;  /* 1 descr, 2 fortran_order, 4 shape */
} npy_header;

__attribute__((format(printf, 2, 3))) static int hfail(npy_header *h, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->err, sizeof h->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int hcur(const npy_header *h) {
    return h->pos < h->n ? (unsigned char)h->s[h->pos] : -1;
}

static void hws(npy_header *h) {
    while (hcur(h) == ' ' || hcur(h) == '\t' || hcur(h) == '\n' || hcur(h) == '\r')
        h->pos++;
}

static int hexpect(npy_header *h, char c, const char *where) {
    hws(h);
    if (hcur(h) != c)
        return hfail(h, "expected '%c' %s at byte %zu of the header", c, where, h->pos);
    h->pos++;
    return 0;
}

/* A quoted string without escapes; *start and *len locate its contents. */
static int hstring(npy_header *h, size_t *start, size_t *len) {
    hws(h);
    int q = hcur(h);
    if (q != '\'' && q != '"')
        return hfail(h, "expected a quoted string at byte %zu of the header", h->pos);
    *start = ++h->pos;
    while (hcur(h) != q) {
        if (hcur(h) < 0x20 || hcur(h) == '\\' || hcur(h) > 0x7e)
            return hfail(h, "unexpected character in a string at byte %zu of the header", h->pos);
        h->pos++;
    }
    *len = h->pos++ - *start;
    return 0;
}

static int hword(npy_header *h, const char *w) {
    size_t n = strlen(w);
    if (h->n - h->pos < n || memcmp(h->s + h->pos, w, n) != 0)
        return 0;
    h->pos += n;
    return 1;
}

/* A non-negative decimal integer, with the 'L' Python 2 allowed after it. */
static int hdim(npy_header *h, int64_t *v) {
    hws(h);
    *v = 0;
    if (hcur(h) == '-')
        return hfail(h, "negative dimension in the shape");
    if (hcur(h) < '0' || hcur(h) > '9')
        return hfail(h, "expected a dimension (an integer) at byte %zu of the header", h->pos);
    while (hcur(h) >= '0' && hcur(h) <= '9') {
        int d = hcur(h) - '0';
        if (*v > (INT64_MAX - d) / 10)
            return hfail(h, "dimension too large in the shape");
        *v = *v * 10 + d;
        h->pos++;
    }
    if (hcur(h) == 'L')
        h->pos++;
    return 0;
}

/* The shape tuple: (), (N,), (N, M) or (N, M,). "(N)" is not a tuple. */
static int hshape(npy_header *h) {
    if (hexpect(h, '(', "to open the shape tuple") < 0)
        return -1;
    hws(h);
    if (hcur(h) == ')') {
        h->pos++;
        return 0;
    }
    for (;;) {
        int64_t v;
        if (hdim(h, &v) < 0)
            return -1;
        if (h->rank < RT_MAX_RANK)
            h->dims[h->rank] = v;
        h->rank++;
        hws(h);
        int comma = hcur(h) == ',';
        if (comma) {
            h->pos++;
            hws(h);
        }
        if (hcur(h) == ')') {
            h->pos++;
            return h->rank == 1 && !comma ? hfail(h, "the shape is not a tuple") : 0;
        }
        if (!comma)
            return hfail(h, "expected ',' or ')' in the shape at byte %zu of the header", h->pos);
    }
}

static int hvalue(npy_header *h, const char *key, size_t keylen) {
    size_t start, len;
    hws(h);
    if (keylen == 5 && !memcmp(key, "descr", 5)) {
        if (hcur(h) == '[')
            return hfail(h, "structured dtypes are not supported");
        if (hstring(h, &start, &len) < 0)
            return -1;
        snprintf(h->descr, sizeof h->descr, "%.*s", (int)len, h->s + start);
        return 0;
    }
    if (keylen == 13 && !memcmp(key, "fortran_order", 13)) {
        if (hword(h, "True"))
            h->fortran = 1;
        else if (!hword(h, "False"))
            return hfail(h, "fortran_order is neither True nor False");
        return 0;
    }
    if (keylen == 5 && !memcmp(key, "shape", 5))
        return hshape(h);
    return hfail(h, "unexpected key '%.*s' in the header", (int)(keylen < 32 ? keylen : 32), key);
}

static unsigned key_bit(const char *key, size_t len) {
    return len == 5 && !memcmp(key, "descr", 5) ? 1u : len == 5 && !memcmp(key, "shape", 5) ? 4u : 2u;
}

/* {'descr': ..., 'fortran_order': ..., 'shape': ..., } then whitespace. */
static int parse_header(npy_header *h) {
    if (hexpect(h, '{', "to open the header dict") < 0)
        return -1;
    for (;;) {
        size_t start, len;
        hws(h);
        if (hcur(h) == '}')
            break;
        if (hstring(h, &start, &len) < 0 || hexpect(h, ':', "after a key") < 0)
            return -1;
        if (hvalue(h, h->s + start, len) < 0)
            return -1;
        unsigned bit = key_bit(h->s + start, len);
        if (h->seen & bit)
            return hfail(h, "key '%.*s' appears twice in the header", (int)len, h->s + start);
        h->seen |= bit;
        hws(h);
        if (hcur(h) == ',')
            h->pos++;
        else if (hcur(h) != '}')
            return hfail(h, "expected ',' or '}' at byte %zu of the header", h->pos);
    }
    h->pos++;
    hws(h);
    if (h->pos != h->n)
        return hfail(h, "unexpected text after the header dict at byte %zu", h->pos);
    if (h->seen != 7)
        return hfail(h, "the header lacks '%s'", !(h->seen & 1) ? "descr" : !(h->seen & 2) ? "fortran_order" : "shape");
    return 0;
}

/* ---- dtypes and shapes ------------------------------------------------- */

static const char *dtype_name(rt_dtype t) {
    static const char *const names[] = {"float32", "float64", "int32", "int64"};
    return names[t];
}

static int dtype_size(rt_dtype t) {
    return t == RT_F32 || t == RT_I32 ? 4 : 8;
}

/* What an unsupported descr holds, for the message. */
static const char *descr_meaning(const char *d) {
    static const char *const map[][2] = {
        {"b1", "bool"},   {"u1", "uint8"},   {"i1", "int8"},    {"i2", "int16"},      {"u2", "uint16"},
        {"u4", "uint32"}, {"u8", "uint64"},  {"f2", "float16"}, {"c8", "complex64"}, {"c16", "complex128"},
        {"O", "Python objects"},
    };
    const char *body = d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=' ? d + 1 : d;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(body, map[i][0]))
            return map[i][1];
    return NULL;
}

static int parse_dtype(const char *descr, rt_dtype *t, const char *path, rt_error *err) {
    static const char *const ok[] = {"<f4", "<f8", "<i4", "<i8"};
    static const rt_dtype types[] = {RT_F32, RT_F64, RT_I32, RT_I64};
    for (int i = 0; i < 4; i++)
        if (!strcmp(descr, ok[i])) {
            *t = types[i];
            return 0;
        }
    if (descr[0] == '>')
        return rt_errorf(err, path, "big-endian dtype '%s' is not supported; save it little-endian (<%s)", descr,
                         descr + 1);
    const char *what = descr_meaning(descr);
    return rt_errorf(err, path, "dtype '%s'%s%s%s is not supported (use <f4, <f8, <i4 or <i8)", descr,
                     what ? " (" : "", what ? what : "", what ? ")" : "");
}

/* "(2, 3)" as Python writes a shape tuple. */
void rt_format_shape(char *buf, size_t cap, int rank, const int64_t *dims) {
    size_t k = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < rank && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%" PRId64, i ? ", " : "", dims[i]);
    if (k < cap)
        snprintf(buf + k, cap - k, rank == 1 ? ",)" : ")");
}

/* count = product of dims, bytes = count * size, both without overflow. */
static int shape_size(int rank, const int64_t *dims, int size, int64_t *count, int64_t *bytes) {
    *count = 1;
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0 || __builtin_mul_overflow(*count, dims[i], count))
            return -1;
    return __builtin_mul_overflow(*count, (int64_t)size, bytes) ? -1 : 0;
}

/* ---- reading ----------------------------------------------------------- */

/* Magic, version and header length: *hlen and *prefix (8 + 2 or 4). */
static int read_preamble(FILE *f, uint64_t size, uint32_t *hlen, uint32_t *prefix, const char *path,
                         rt_error *err) {
    unsigned char b[12];
    if (size < 10)
        return rt_errorf(err, path, "too short to be an .npy file (%" PRIu64 " bytes)", size);
    if (rt_read_exact(f, b, 10, path, "the magic", err) < 0)
        return -1;
    if (memcmp(b, npy_magic, 6) != 0)
        return rt_errorf(err, path, "not an .npy file: it does not start with \\x93NUMPY");
    if (b[6] < 1 || b[6] > 3 || b[7] != 0)
        return rt_errorf(err, path, "unsupported .npy format version %u.%u (1.0, 2.0 and 3.0 are read)", b[6],
                         b[7]);
    if (b[6] == 1) {
        *prefix = 10;
        *hlen = (uint32_t)b[8] | (uint32_t)b[9] << 8;
        return 0;
    }
    if (size < 12)
        return rt_errorf(err, path, "truncated: %" PRIu64 " bytes, too short for a version %u.0 preamble", size,
                         b[6]);
    if (rt_read_exact(f, b + 10, 2, path, "the header length", err) < 0)
        return -1;
    *prefix = 12;
    *hlen = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 24;
    return 0;
}

/* Read and parse the header text into h. */
static int read_header(FILE *f, uint64_t size, npy_header *h, uint64_t *data_size, const char *path,
                       rt_error *err) {
    uint32_t hlen = 0, prefix = 0;
    if (read_preamble(f, size, &hlen, &prefix, path, err) < 0)
        return -1;
    if (hlen > NPY_MAX_HEADER)
        return rt_errorf(err, path, "header length %" PRIu32 " exceeds the %d bytes this reader accepts", hlen,
                         NPY_MAX_HEADER);
    if (hlen > size - prefix)
        return rt_errorf(err, path, "header length %" PRIu32 " runs past the end of the file (%" PRIu64 " bytes)",
                         hlen, size);
    char *text = malloc(hlen ? hlen : 1);
    if (!text)
        return rt_errorf(err, path, "out of memory for a %" PRIu32 "-byte header", hlen);
    int r = rt_read_exact(f, text, hlen, path, "the header", err);
    memset(h, 0, sizeof *h);
    h->s = text;
    h->n = hlen;
    if (r == 0 && parse_header(h) < 0)
        r = rt_errorf(err, path, "malformed header: %s", h->err);
    free(text);
    h->s = NULL;
    *data_size = size - prefix - hlen;
    return r;
}

/* Check the header's dtype, order and shape against the data's size. */
static int check_header(const npy_header *h, uint64_t data_size, rt_array *out, int64_t *bytes, const char *path,
                        rt_error *err) {
    char shape[128];
    if (parse_dtype(h->descr, &out->dtype, path, err) < 0)
        return -1;
    if (h->fortran)
        return rt_errorf(err, path, "Fortran-order arrays are not supported; save a C-order array");
    if (h->rank > RT_MAX_RANK)
        return rt_errorf(err, path, "the shape has %d dimensions; at most %d are supported", h->rank, RT_MAX_RANK);
    rt_format_shape(shape, sizeof shape, h->rank, h->dims);
    if (shape_size(h->rank, h->dims, dtype_size(out->dtype), &out->count, bytes) < 0)
        return rt_errorf(err, path, "shape %s is too large: its size overflows 64 bits", shape);
    if ((uint64_t)*bytes != data_size)
        return rt_errorf(err, path,
                         "%s: header says shape %s = %" PRId64 " %s values (%" PRId64
                         " bytes) but the file holds %" PRIu64 " bytes of data",
                         (uint64_t)*bytes > data_size ? "truncated" : "trailing data", shape, out->count,
                         dtype_name(out->dtype), *bytes, data_size);
    out->rank = h->rank;
    memcpy(out->dims, h->dims, sizeof out->dims);
    return 0;
}

static int read_npy(FILE *f, uint64_t size, rt_array *out, const char *path, rt_error *err) {
    npy_header h;
    uint64_t data_size = 0;
    int64_t bytes = 0;
    if (read_header(f, size, &h, &data_size, path, err) < 0 || check_header(&h, data_size, out, &bytes, path, err) < 0)
        return -1;
    /* bytes equals what the file holds, so this allocation is justified. */
    out->data = rt_alloc_floats((size_t)bytes / sizeof(float) + 1);
    if (!out->data)
        return rt_errorf(err, path, "out of memory for %" PRId64 " bytes of data", bytes);
    if (rt_read_exact(f, out->data, (size_t)bytes, path, "the data", err) < 0 || rt_read_at_end(f, path, err) < 0)
        return -1;
    return 0;
}

int rt_npy_read(const char *path, rt_array *out, rt_error *err) {
    FILE *f;
    uint64_t size;
    memset(out, 0, sizeof *out);
    if (rt_open_read(path, &f, &size, err) < 0)
        return -1;
    int r = read_npy(f, size, out, path, err);
    fclose(f);
    if (r < 0)
        rt_array_free(out);
    return r;
}

int rt_npy_open(const char *path, rt_array *meta, FILE **f, int64_t *data_offset, rt_error *err) {
    uint64_t size, data_size = 0;
    int64_t bytes = 0;
    npy_header h;
    memset(meta, 0, sizeof *meta);
    if (rt_open_read(path, f, &size, err) < 0)
        return -1;
    if (read_header(*f, size, &h, &data_size, path, err) < 0 || check_header(&h, data_size, meta, &bytes, path, err) < 0) {
        fclose(*f);
        *f = NULL;
        return -1;
    }
    *data_offset = (int64_t)(size - data_size);
    return 0;
}

int rt_npy_dtype_size(rt_dtype t) { return dtype_size(t); }

void rt_array_free(rt_array *a) {
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---- writing ----------------------------------------------------------- */

/* The header numpy 1.24 writes for a C-order <f4 array: the dict, room
 * for the first dimension to grow to 21 digits, then spaces and '\n' up to
 * a multiple of 64 bytes counting the 10-byte preamble. Returns its length. */
static size_t build_header(char *buf, size_t cap, int rank, const int64_t *dims) {
    char shape[128];
    rt_format_shape(shape, sizeof shape, rank, dims);
    int k = snprintf(buf, cap, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", shape);
    size_t n = (size_t)k;
    if (rank > 0) {
        int digits = snprintf(NULL, 0, "%" PRId64, dims[0]);
        for (int i = digits; i < NPY_GROWTH_DIGITS; i++)
            buf[n++] = ' ';
    }
    size_t pad = NPY_ALIGN - (10 + n + 1) % NPY_ALIGN;
    memset(buf + n, ' ', pad);
    n += pad;
    buf[n++] = '\n';
    return n;
}

int rt_npy_write_f32(const char *path, int rank, const int64_t *dims, const float *data, rt_error *err) {
    char shape[128], header[320];
    int64_t count, bytes;
    if (rank < 0 || rank > RT_MAX_RANK)
        return rt_errorf(err, path, "cannot write an array of rank %d (at most %d)", rank, RT_MAX_RANK);
    rt_format_shape(shape, sizeof shape, rank, dims);
    if (shape_size(rank, dims, 4, &count, &bytes) < 0)
        return rt_errorf(err, path, "cannot write an array of shape %s: negative or too large", shape);
    if (!data && count > 0)
        return rt_errorf(err, path, "no data for an array of shape %s", shape);
    size_t hlen = build_header(header, sizeof header, rank, dims);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    rt_writer w;
    if (rt_writer_open(&w, path, err) < 0)
        return -1;
    rt_writer_put(&w, pre, sizeof pre);
    rt_writer_put(&w, header, hlen);
    rt_writer_put(&w, data, (size_t)bytes);
    return rt_writer_commit(&w, err);
}
