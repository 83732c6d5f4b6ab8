/* rt_safetensors.c - safetensors files of F32 tensors (rt_io.h): reading
 * with every check the safetensors library makes (header size, JSON, dtype,
 * shapes, offsets that tile the data block exactly, unique names), the data
 * copied to an aligned buffer; and writing, deterministically, the layout
 * that library and PyTorch load: "__metadata__" first, entries in the given
 * order with contiguous offsets, the header padded with spaces to a
 * multiple of 8 bytes. */
#include "rt_file.h"
#include "rt_json.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { ST_MAX_HEADER = 100000000, ST_ALIGN = 16 };

/* ---- parsing the header ------------------------------------------------ */

typedef struct st_entry {  /* one tensor as the header describes it */
    char *name;
    int rank;              /* may exceed RT_MAX_RANK until checked */
    int64_t dims[RT_MAX_RANK];
    int64_t count;
    int64_t begin, end;
} st_entry;

typedef struct st_parse {
    rt_json j;
    const char *path;
    rt_error *err;
    uint64_t data_size;    /* bytes after the header */
    st_entry *e;
    int n, cap;
    rt_meta *m;
    int nm, capm, have_meta;
} st_parse;

typedef struct st_key {    /* for sorting names: a name and its index */
    const char *name;
    int idx;
} st_key;

/* A tensor name for messages. */
#define SHOW(buf, s) rt_show(buf, s, strlen(s))

static int json_error(st_parse *p) {
    return rt_errorf(p->err, p->path, "invalid JSON in the header, %s", p->j.err);
}

/* Grow an array of elements of size sz to hold one more. */
static int grow(void **arr, int *cap, int n, size_t sz) {
    if (n < *cap)
        return 0;
    if (*cap > INT32_MAX / 2)
        return -1;
    int c = *cap ? *cap * 2 : 16;
    void *a = realloc(*arr, (size_t)c * sz);
    if (!a)
        return -1;
    *arr = a;
    *cap = c;
    return 0;
}

/* A string value with no NUL in it (names and metadata are C strings). */
static int read_text(st_parse *p, char **out, const char *what, const char *name) {
    size_t len;
    char b[RT_SHOW_LEN];
    if (rt_json_peek(&p->j) != RT_JSON_STRING)
        return rt_errorf(p->err, p->path, "%s %s is not a string", what, SHOW(b, name));
    if (rt_json_string(&p->j, out, &len) < 0)
        return json_error(p);
    if (strlen(*out) != len)
        return rt_errorf(p->err, p->path, "%s %s contains a NUL character", what, SHOW(b, name));
    return 0;
}

static int check_key(st_parse *p, const char *key, size_t len, const char *what) {
    char b[RT_SHOW_LEN];
    if (strlen(key) != len)
        return rt_errorf(p->err, p->path, "%s %s contains a NUL character", what, rt_show(b, key, len));
    return 0;
}

static int parse_meta(st_parse *p) {
    char *key;
    size_t len;
    int r;
    if (p->have_meta++)
        return rt_errorf(p->err, p->path, "\"__metadata__\" appears twice in the header");
    if (rt_json_peek(&p->j) != RT_JSON_OBJECT)
        return rt_errorf(p->err, p->path, "\"__metadata__\" is not a JSON object");
    if (rt_json_object_begin(&p->j) < 0)
        return json_error(p);
    while ((r = rt_json_object_next(&p->j, &key, &len)) == 1) {
        if (grow((void **)&p->m, &p->capm, p->nm, sizeof *p->m) < 0) {
            free(key);
            return rt_errorf(p->err, p->path, "out of memory for the metadata");
        }
        rt_meta *m = &p->m[p->nm++];
        m->key = key;
        m->value = NULL;
        if (check_key(p, key, len, "metadata key") < 0 || read_text(p, &m->value, "the value of metadata key", key) < 0)
            return -1;
    }
    return r < 0 ? json_error(p) : 0;
}

/* A non-negative integer; WHAT names it in messages. */
static int read_uint(st_parse *p, int64_t *v, const char *name, const char *what) {
    char b[RT_SHOW_LEN];
    if (rt_json_peek(&p->j) != RT_JSON_NUMBER)
        return rt_errorf(p->err, p->path, "tensor %s: %s holds something other than a number", SHOW(b, name), what);
    if (rt_json_int(&p->j, v) < 0)
        return rt_errorf(p->err, p->path, "tensor %s: %s: %s", SHOW(b, name), what, p->j.err);
    if (*v < 0)
        return rt_errorf(p->err, p->path, "tensor %s: %s holds the negative number %" PRId64, SHOW(b, name), what, *v);
    return 0;
}

static int parse_shape(st_parse *p, st_entry *e) {
    char b[RT_SHOW_LEN];
    int r;
    if (rt_json_peek(&p->j) != RT_JSON_ARRAY)
        return rt_errorf(p->err, p->path, "tensor %s: shape is not an array", SHOW(b, e->name));
    if (rt_json_array_begin(&p->j) < 0)
        return json_error(p);
    while ((r = rt_json_array_next(&p->j)) == 1) {
        int64_t v = 0;
        if (read_uint(p, &v, e->name, "shape") < 0)
            return -1;
        if (e->rank == RT_MAX_RANK)
            return rt_errorf(p->err, p->path, "tensor %s: rank above %d is not supported", SHOW(b, e->name),
                             RT_MAX_RANK);
        e->dims[e->rank++] = v;
    }
    return r < 0 ? json_error(p) : 0;
}

static int parse_offsets(st_parse *p, st_entry *e) {
    char b[RT_SHOW_LEN];
    int64_t v[3];
    int n = 0, r;
    if (rt_json_peek(&p->j) != RT_JSON_ARRAY)
        return rt_errorf(p->err, p->path, "tensor %s: data_offsets is not an array", SHOW(b, e->name));
    if (rt_json_array_begin(&p->j) < 0)
        return json_error(p);
    while ((r = rt_json_array_next(&p->j)) == 1) {
        if (n == 2)
            return rt_errorf(p->err, p->path, "tensor %s: data_offsets holds more than 2 numbers", SHOW(b, e->name));
        if (read_uint(p, &v[n++], e->name, "data_offsets") < 0)
            return -1;
    }
    if (r < 0)
        return json_error(p);
    if (n != 2)
        return rt_errorf(p->err, p->path, "tensor %s: data_offsets holds %d number%s, not 2", SHOW(b, e->name), n,
                         n == 1 ? "" : "s");
    e->begin = v[0];
    e->end = v[1];
    return 0;
}

static int parse_dtype(st_parse *p, const st_entry *e) {
    char b[RT_SHOW_LEN], d[RT_SHOW_LEN];
    char *s = NULL;
    if (read_text(p, &s, "the dtype of tensor", e->name) < 0) {
        free(s); /* a string with a NUL in it was read, then refused */
        return -1;
    }
    int ok = !strcmp(s, "F32");
    if (!ok)
        rt_errorf(p->err, p->path, "tensor %s: dtype %s is not supported (only F32)", SHOW(b, e->name), SHOW(d, s));
    free(s);
    return ok ? 0 : -1;
}

/* One member of a tensor's entry; unknown members are skipped. */
static int parse_field(st_parse *p, st_entry *e, const char *key, unsigned *seen) {
    static const char *const fields[] = {"dtype", "shape", "data_offsets"};
    char b[RT_SHOW_LEN];
    int f = 0;
    while (f < 3 && strcmp(key, fields[f]) != 0)
        f++;
    if (f == 3)
        return rt_json_skip(&p->j) < 0 ? json_error(p) : 0;
    if (*seen & 1u << f)
        return rt_errorf(p->err, p->path, "tensor %s: %s appears twice", SHOW(b, e->name), fields[f]);
    *seen |= 1u << f;
    return f == 0 ? parse_dtype(p, e) : f == 1 ? parse_shape(p, e) : parse_offsets(p, e);
}

/* Shape and offsets against each other and the data block. */
static int check_entry(st_parse *p, st_entry *e, unsigned seen) {
    static const char *const fields[] = {"dtype", "shape", "data_offsets"};
    char b[RT_SHOW_LEN];
    int64_t bytes = 0;
    for (int f = 0; f < 3; f++)
        if (!(seen & 1u << f))
            return rt_errorf(p->err, p->path, "tensor %s has no %s", SHOW(b, e->name), fields[f]);
    e->count = 1;
    for (int i = 0; i < e->rank; i++)
        if (__builtin_mul_overflow(e->count, e->dims[i], &e->count))
            return rt_errorf(p->err, p->path, "tensor %s: the shape's size overflows 64 bits", SHOW(b, e->name));
    if (__builtin_mul_overflow(e->count, (int64_t)4, &bytes))
        return rt_errorf(p->err, p->path, "tensor %s: the shape's size overflows 64 bits", SHOW(b, e->name));
    if (e->begin > e->end)
        return rt_errorf(p->err, p->path, "tensor %s: data_offsets [%" PRId64 ", %" PRId64 "] are reversed",
                         SHOW(b, e->name), e->begin, e->end);
    if ((uint64_t)e->end > p->data_size)
        return rt_errorf(p->err, p->path,
                         "tensor %s: data_offsets [%" PRId64 ", %" PRId64 "] run past the data block (%" PRIu64
                         " bytes)",
                         SHOW(b, e->name), e->begin, e->end, p->data_size);
    if (e->end - e->begin != bytes)
        return rt_errorf(p->err, p->path,
                         "tensor %s: data_offsets [%" PRId64 ", %" PRId64 "] hold %" PRId64
                         " bytes but its shape needs %" PRId64 " (%" PRId64 " floats)",
                         SHOW(b, e->name), e->begin, e->end, e->end - e->begin, bytes, e->count);
    return 0;
}

static int parse_entry(st_parse *p, char *name, size_t len) {
    char b[RT_SHOW_LEN], *key;
    unsigned seen = 0;
    int r;
    if (grow((void **)&p->e, &p->cap, p->n, sizeof *p->e) < 0) {
        free(name);
        return rt_errorf(p->err, p->path, "out of memory for the tensor list");
    }
    st_entry *e = &p->e[p->n++];
    memset(e, 0, sizeof *e);
    e->name = name;
    if (check_key(p, name, len, "tensor name") < 0)
        return -1;
    if (rt_json_peek(&p->j) != RT_JSON_OBJECT)
        return rt_errorf(p->err, p->path, "tensor %s: its entry is not a JSON object", SHOW(b, name));
    if (rt_json_object_begin(&p->j) < 0)
        return json_error(p);
    while ((r = rt_json_object_next(&p->j, &key, &len)) == 1) {
        r = parse_field(p, e, key, &seen);
        free(key);
        if (r < 0)
            return -1;
    }
    return r < 0 ? json_error(p) : check_entry(p, e, seen);
}

static int parse_header(st_parse *p, const char *text, size_t len) {
    char *key;
    size_t keylen;
    int r;
    rt_json_init(&p->j, text, len);
    if (rt_json_peek(&p->j) != RT_JSON_OBJECT)
        return rt_errorf(p->err, p->path, "the header is not a JSON object");
    if (rt_json_object_begin(&p->j) < 0)
        return json_error(p);
    while ((r = rt_json_object_next(&p->j, &key, &keylen)) == 1) {
        if (!strcmp(key, "__metadata__") && keylen == 12) {
            free(key);
            r = parse_meta(p);
        } else
            r = parse_entry(p, key, keylen);
        if (r < 0)
            return -1;
    }
    if (r < 0 || rt_json_finish(&p->j) < 0)
        return json_error(p);
    return 0;
}

/* ---- whole-file checks ------------------------------------------------- */

static int by_name(const void *a, const void *b) {
    const st_key *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Sort keys[0..n) by name; fail naming WHAT if two are equal. */
static int sort_unique(st_key *keys, int n, const char *what, const char *path, rt_error *err) {
    char b[RT_SHOW_LEN];
    if (n > 1)
        qsort(keys, (size_t)n, sizeof *keys, by_name);
    for (int i = 1; i < n; i++)
        if (!strcmp(keys[i - 1].name, keys[i].name))
            return rt_errorf(err, path, "%s %s appears twice", what, SHOW(b, keys[i].name));
    return 0;
}

static int meta_unique(const rt_meta *m, int n, const char *path, rt_error *err) {
    st_key *keys = malloc((size_t)(n ? n : 1) * sizeof *keys);
    if (!keys)
        return rt_errorf(err, path, "out of memory");
    for (int i = 0; i < n; i++)
        keys[i] = (st_key){m[i].key, i};
    int r = sort_unique(keys, n, "metadata key", path, err);
    free(keys);
    return r;
}

typedef struct st_span {
    int64_t begin, end;
    int idx;
} st_span;

static int by_offset(const void *a, const void *b) {
    const st_span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The tensors' byte ranges must tile the data block: no gap, no overlap,
 * nothing after the last one. */
static int check_tiling(const st_parse *p) {
    char b[RT_SHOW_LEN], c[RT_SHOW_LEN];
    st_span *s = malloc((size_t)(p->n ? p->n : 1) * sizeof *s);
    int r = 0, prev = -1;
    int64_t pos = 0;
    if (!s)
        return rt_errorf(p->err, p->path, "out of memory");
    for (int i = 0; i < p->n; i++)
        s[i] = (st_span){p->e[i].begin, p->e[i].end, i};
    if (p->n > 1)
        qsort(s, (size_t)p->n, sizeof *s, by_offset);
    for (int i = 0; i < p->n && !r; i++) {
        const st_entry *e = &p->e[s[i].idx];
        if (s[i].begin < pos)
            r = rt_errorf(p->err, p->path,
                          "tensors %s [%" PRId64 ", %" PRId64 "] and %s [%" PRId64 ", %" PRId64
                          "] overlap in the data block",
                          SHOW(b, p->e[prev].name), p->e[prev].begin, p->e[prev].end, SHOW(c, e->name), e->begin,
                          e->end);
        else if (s[i].begin > pos)
            r = rt_errorf(p->err, p->path, "bytes %" PRId64 " to %" PRId64 " of the data block belong to no tensor",
                          pos, s[i].begin);
        pos = s[i].end;
        prev = s[i].idx;
    }
    if (!r && (uint64_t)pos != p->data_size)
        r = rt_errorf(p->err, p->path,
                      "trailing data: the tensors end at byte %" PRId64 " of the %" PRIu64 "-byte data block", pos,
                      p->data_size);
    free(s);
    return r;
}

/* ---- the result block -------------------------------------------------- */

/* One allocation holds the result: this struct, the tensors, the
 * metadata, the name index, the data (16-byte aligned), then the strings. */
typedef struct st_block {
    int *by_name;          /* tensor indices sorted by name, for rt_st_find */
} st_block;

static size_t align_up(size_t n, size_t a) {
    return (n + a - 1) / a * a;
}

/* Lay out and fill the block; the data part is left for the caller. */
static int build_block(const st_parse *p, const st_key *sorted, rt_safetensors *out, char **data) {
    size_t strings = 0;
    for (int i = 0; i < p->n; i++)
        strings += strlen(p->e[i].name) + 1;
    for (int i = 0; i < p->nm; i++)
        strings += strlen(p->m[i].key) + strlen(p->m[i].value) + 2;
    size_t t_off = align_up(sizeof(st_block), ST_ALIGN);
    size_t m_off = align_up(t_off + (size_t)p->n * sizeof(rt_tensor), ST_ALIGN);
    size_t i_off = align_up(m_off + (size_t)p->nm * sizeof(rt_meta), ST_ALIGN);
    size_t d_off = align_up(i_off + (size_t)p->n * sizeof(int), ST_ALIGN);
    size_t s_off = d_off + (size_t)p->data_size, total = s_off + strings;
    char *blk = malloc(total);
    if (!blk)
        return rt_errorf(p->err, p->path, "out of memory for %zu bytes", total);
    st_block *h = (st_block *)blk;
    h->by_name = (int *)(blk + i_off);
    out->block = blk;
    out->tensors = (rt_tensor *)(blk + t_off);
    out->meta = (rt_meta *)(blk + m_off);
    *data = blk + d_off;
    char *str = blk + s_off;
    for (int i = 0; i < p->n; i++) {
        const st_entry *e = &p->e[i];
        rt_tensor *t = &out->tensors[i];
        size_t k = strlen(e->name) + 1;
        *t = (rt_tensor){.name = memcpy(str, e->name, k), .dtype = RT_F32, .rank = e->rank, .count = e->count};
        memcpy(t->dims, e->dims, sizeof t->dims);
        t->data = (float *)(*data + e->begin);
        str += k;
        h->by_name[i] = sorted[i].idx;
    }
    for (int i = 0; i < p->nm; i++) {
        size_t k = strlen(p->m[i].key) + 1, v = strlen(p->m[i].value) + 1;
        out->meta[i].key = memcpy(str, p->m[i].key, k);
        out->meta[i].value = memcpy(str + k, p->m[i].value, v);
        str += k + v;
    }
    out->ntensors = p->n;
    out->nmeta = p->nm;
    return 0;
}

static void parse_free(st_parse *p) {
    for (int i = 0; i < p->n; i++)
        free(p->e[i].name);
    for (int i = 0; i < p->nm; i++) {
        free(p->m[i].key);
        free(p->m[i].value);
    }
    free(p->e);
    free(p->m);
}

/* Check the parsed header as a whole, then build the result. */
static int finish(st_parse *p, rt_safetensors *out, char **data) {
    st_key *keys = malloc((size_t)(p->n ? p->n : 1) * sizeof *keys);
    if (!keys)
        return rt_errorf(p->err, p->path, "out of memory");
    for (int i = 0; i < p->n; i++)
        keys[i] = (st_key){p->e[i].name, i};
    int r = sort_unique(keys, p->n, "tensor", p->path, p->err);
    if (r == 0)
        r = meta_unique(p->m, p->nm, p->path, p->err);
    if (r == 0)
        r = check_tiling(p);
    if (r == 0)
        r = build_block(p, keys, out, data);
    free(keys);
    return r;
}

/* ---- reading ----------------------------------------------------------- */

static int read_header_len(FILE *f, uint64_t size, uint64_t *n, const char *path, rt_error *err) {
    unsigned char b[8];
    if (size < 8)
        return rt_errorf(err, path, "too short to be a safetensors file (%" PRIu64 " bytes; the header length alone takes 8)",
                         size);
    if (rt_read_exact(f, b, 8, path, "the header length", err) < 0)
        return -1;
    if (!memcmp(b, "\x93NUMPY", 6))
        return rt_errorf(err, path, "is a NumPy .npy file, not a safetensors file");
    *n = 0;
    for (int i = 7; i >= 0; i--)
        *n = *n << 8 | b[i];
    if (*n > size - 8)
        return rt_errorf(err, path, "is not a safetensors file: its first 8 bytes, read as the header's length, give %"
                         PRIu64 ", past the end of the file (%" PRIu64 " bytes)", *n, size);
    if (*n > ST_MAX_HEADER)
        return rt_errorf(err, path, "header length %" PRIu64 " exceeds the limit of %d bytes", *n, ST_MAX_HEADER);
    return 0;
}

static int read_st(FILE *f, uint64_t size, st_parse *p, rt_safetensors *out) {
    uint64_t n = 0;
    char *data = NULL;
    if (read_header_len(f, size, &n, p->path, p->err) < 0)
        return -1;
    char *text = malloc(n ? (size_t)n : 1); /* n is within the file's size */
    if (!text)
        return rt_errorf(p->err, p->path, "out of memory for a %" PRIu64 "-byte header", n);
    p->data_size = size - 8 - n;
    int r = rt_read_exact(f, text, (size_t)n, p->path, "the header", p->err);
    if (r == 0)
        r = parse_header(p, text, (size_t)n);
    free(text);
    if (r == 0)
        r = finish(p, out, &data);
    if (r == 0)
        r = rt_read_exact(f, data, (size_t)p->data_size, p->path, "the data", p->err);
    if (r == 0)
        r = rt_read_at_end(f, p->path, p->err);
    return r;
}

int rt_st_read(const char *path, rt_safetensors *out, rt_error *err) {
    FILE *f;
    uint64_t size;
    st_parse p = {.path = path, .err = err};
    memset(out, 0, sizeof *out);
    if (rt_open_read(path, &f, &size, err) < 0)
        return -1;
    int r = read_st(f, size, &p, out);
    fclose(f);
    parse_free(&p);
    if (r < 0)
        rt_st_free(out);
    return r;
}

const rt_tensor *rt_st_find(const rt_safetensors *st, const char *name) {
    if (!st->block) {
        for (int i = 0; i < st->ntensors; i++)
            if (!strcmp(st->tensors[i].name, name))
                return &st->tensors[i];
        return NULL;
    }
    const int *idx = ((const st_block *)st->block)->by_name;
    int lo = 0, hi = st->ntensors;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(st->tensors[idx[mid]].name, name);
        if (c == 0)
            return &st->tensors[idx[mid]];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *rt_st_meta(const rt_safetensors *st, const char *key) {
    for (int i = 0; i < st->nmeta; i++)
        if (!strcmp(st->meta[i].key, key))
            return st->meta[i].value;
    return NULL;
}

void rt_st_free(rt_safetensors *st) {
    free(st->block);
    memset(st, 0, sizeof *st);
}

/* ---- writing ----------------------------------------------------------- */

/* Text appended to buf, or only measured while buf is NULL. */
typedef struct st_out {
    char *buf;
    size_t n;
} st_out;

static void put(st_out *o, const char *s, size_t n) {
    if (o->buf)
        memcpy(o->buf + o->n, s, n);
    o->n += n;
}

static void put_str(st_out *o, const char *s) {
    put(o, s, strlen(s));
}

static void put_quoted(st_out *o, const char *s) {
    o->n += rt_json_quote(o->buf ? o->buf + o->n : NULL, s, strlen(s));
}

static void put_int(st_out *o, int64_t v) {
    char b[24];
    put(o, b, (size_t)snprintf(b, sizeof b, "%" PRId64, v));
}

/* The header JSON, unpadded. */
static void put_header(st_out *o, const rt_tensor *t, int nt, const rt_meta *m, int nm) {
    int64_t off = 0;
    put_str(o, "{");
    if (nm > 0) {
        put_str(o, "\"__metadata__\":{");
        for (int i = 0; i < nm; i++) {
            put_str(o, i ? "," : "");
            put_quoted(o, m[i].key);
            put_str(o, ":");
            put_quoted(o, m[i].value);
        }
        put_str(o, nt ? "}," : "}");
    }
    for (int i = 0; i < nt; i++) {
        put_str(o, i ? "," : "");
        put_quoted(o, t[i].name);
        put_str(o, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < t[i].rank; d++) {
            put_str(o, d ? "," : "");
            put_int(o, t[i].dims[d]);
        }
        put_str(o, "],\"data_offsets\":[");
        put_int(o, off);
        put_str(o, ",");
        put_int(o, off += t[i].count * 4);
        put_str(o, "]}");
    }
    put_str(o, "}");
}

/* A string the writer puts in the header: present, UTF-8, not reserved. */
static int check_text(const char *s, const char *what, int i, const char *path, rt_error *err) {
    char b[RT_SHOW_LEN];
    if (!s)
        return rt_errorf(err, path, "cannot write: %s %d is NULL", what, i);
    if (!rt_json_utf8_valid(s, strlen(s)))
        return rt_errorf(err, path, "cannot write: %s %s is not valid UTF-8", what, SHOW(b, s));
    return 0;
}

static int check_tensor(const rt_tensor *t, int i, int64_t *total, const char *path, rt_error *err) {
    char b[RT_SHOW_LEN];
    int64_t count = 1, bytes;
    if (check_text(t->name, "tensor name", i, path, err) < 0)
        return -1;
    if (!strcmp(t->name, "__metadata__"))
        return rt_errorf(err, path, "cannot write: \"__metadata__\" is reserved, not a tensor name");
    if (t->dtype != RT_F32 || t->rank < 0 || t->rank > RT_MAX_RANK)
        return rt_errorf(err, path, "cannot write tensor %s: only F32 of rank 0 to %d", SHOW(b, t->name),
                         RT_MAX_RANK);
    for (int d = 0; d < t->rank; d++)
        if (t->dims[d] < 0 || __builtin_mul_overflow(count, t->dims[d], &count))
            return rt_errorf(err, path, "cannot write tensor %s: a negative or overflowing shape", SHOW(b, t->name));
    if (count != t->count)
        return rt_errorf(err, path, "cannot write tensor %s: count %" PRId64 " but the shape holds %" PRId64,
                         SHOW(b, t->name), t->count, count);
    if (count > 0 && !t->data)
        return rt_errorf(err, path, "cannot write tensor %s: no data", SHOW(b, t->name));
    if (__builtin_mul_overflow(count, (int64_t)4, &bytes) || __builtin_add_overflow(*total, bytes, total))
        return rt_errorf(err, path, "cannot write: the tensors' total size overflows");
    return 0;
}

/* Everything rt_st_write is given must make a file that reads back. */
static int check_input(const rt_tensor *t, int nt, const rt_meta *m, int nm, const char *path, rt_error *err) {
    int64_t total = 0;
    if (nt < 0 || nm < 0 || (nt && !t) || (nm && !m))
        return rt_errorf(err, path, "cannot write: bad tensor or metadata count");
    for (int i = 0; i < nt; i++)
        if (check_tensor(&t[i], i, &total, path, err) < 0)
            return -1;
    for (int i = 0; i < nm; i++)
        if (check_text(m[i].key, "metadata key", i, path, err) < 0 ||
            check_text(m[i].value, "metadata value", i, path, err) < 0)
            return -1;
    st_key *keys = malloc((size_t)(nt ? nt : 1) * sizeof *keys);
    if (!keys)
        return rt_errorf(err, path, "out of memory");
    for (int i = 0; i < nt; i++)
        keys[i] = (st_key){t[i].name, i};
    int r = sort_unique(keys, nt, "cannot write: tensor", path, err);
    free(keys);
    return r < 0 ? r : meta_unique(m, nm, path, err);
}

int rt_st_write(const char *path, const rt_tensor *tensors, int ntensors, const rt_meta *meta, int nmeta,
                rt_error *err) {
    if (check_input(tensors, ntensors, meta, nmeta, path, err) < 0)
        return -1;
    st_out o = {0};
    put_header(&o, tensors, ntensors, meta, nmeta);
    size_t padded = align_up(o.n, 8);
    o.buf = malloc(padded);
    if (!o.buf)
        return rt_errorf(err, path, "out of memory for a %zu-byte header", padded);
    o.n = 0;
    put_header(&o, tensors, ntensors, meta, nmeta);
    memset(o.buf + o.n, ' ', padded - o.n);
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    rt_writer w;
    int r = rt_writer_open(&w, path, err);
    if (r == 0) {
        rt_writer_put(&w, len, 8);
        rt_writer_put(&w, o.buf, padded);
        for (int i = 0; i < ntensors; i++)
            rt_writer_put(&w, tensors[i].data, (size_t)tensors[i].count * 4);
        r = rt_writer_commit(&w, err);
    }
    free(o.buf);
    return r;
}
