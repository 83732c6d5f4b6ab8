/* embedded_helpers.c - the static helper functions embedded C may need
 * (the exp and tanh the elementwise ops call, the runtime's matrix
 * product, and with --no-libm the float functions of embedded_nolibm.h) and the choice of
 * those a model's code uses. A helper goes into NAME.c only when the rest
 * of the file, or a helper already chosen, names it: the file then defines
 * no unused static function, which Clang's -Wunused-function would reject
 * under -Werror, whatever the model. Each helper is listed after the
 * helpers it calls, and is written in that order. */
#include "emit_embedded.h"
#include "rnnrt.h"
#include "strmap.h"
#include <ctype.h>
#include <string.h>

typedef struct Helper {
    const char *name;   /* what the code calls it */
    const char *text;   /* its definition */
    size_t len;
} Helper;

/* rnnrt.h's rt_train_ctx, field for field from its list (NAME.c does not
 * include rnnrt.h). */
#define EMB_PF32(n) "float *" n
#define EMB_RNG(n) "uint64_t " n "[4]"
#define EMB_I32(n) "int " n
#define EMB_U64(n) "uint64_t " n
#define EMB_I64(n) "int64_t " n
#define CTX_FIELD(name, kind) "    " EMB_##kind(#name) ";\n"

static const char *const element_helpers[] = {
    "/* the runtime's training context (rnnrt.h); the forward functions read tape, state and training */\n"
    "typedef struct rt_train_ctx {\n" RT_TRAIN_CTX_FIELDS(CTX_FIELD) "} rt_train_ctx;\n",
    /* the exp and tanh every op's form calls (ir_ops.def), here the C library's */
    "static inline float rt_tanhf(float x) { return tanhf(x); }\n",
    "static inline float rt_expf(float x) { return expf(x); }\n",
    "/* outside training dropout is the identity */\n"
    "static inline void rt_dropout(rt_train_ctx *ctx, double p, int64_t n, const float *in, float *out, float *mask)\n{\n"
    "    (void)ctx;\n    (void)p;\n"
    "    memcpy(out, in, sizeof(float) * (size_t)n);\n"
    "    for (int64_t i = 0; i < n; i++)\n        mask[i] = 1.0f;\n}\n",
};

static const char gemm_float[] =
    "/* C[i, j] (+)= sum_k A[i, k] * W[j, k], summed in increasing k as the runtime does */\n"
    "static inline void rt_gemm_nt(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *W,\n"
    "                              int64_t ldw, float *C, int64_t ldc, int accumulate)\n{\n"
    "    for (int64_t i = 0; i < M; i++)\n"
    "        for (int64_t j = 0; j < N; j++) {\n"
    "            float sum = 0.0f;\n"
    "            for (int64_t k = 0; k < K; k++)\n"
    "                sum += A[i * lda + k] * W[j * ldw + k];\n"
    "            C[i * ldc + j] = accumulate ? C[i * ldc + j] + sum : sum;\n"
    "        }\n}\n";

/* With --quantize int8 every matrix a product reads is stored as int8 rows
 * with a float scale each; its entry in the parameter table points at its
 * `quantized` record. */
static const char quantized_type[] =
    "typedef struct { const int8_t *q; const float *scale; } quantized;\n";

static const char gemm_int8[] =
    "/* C[i, j] (+)= sum_k A[i, k] * W[j, k], W quantized: scale[j] * sum_k A[i, k] * q[j, k] */\n"
    "static inline void rt_gemm_nt(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *W,\n"
    "                              int64_t ldw, float *C, int64_t ldc, int accumulate)\n{\n"
    "    const quantized *qw = (const quantized *)(const void *)W;\n"
    "    for (int64_t i = 0; i < M; i++)\n"
    "        for (int64_t j = 0; j < N; j++) {\n"
    "            float sum = 0.0f;\n"
    "            for (int64_t k = 0; k < K; k++)\n"
    "                sum += A[i * lda + k] * (float)qw->q[j * ldw + k];\n"
    "            sum *= qw->scale[j];\n"
    "            C[i * ldc + j] = accumulate ? C[i * ldc + j] + sum : sum;\n"
    "        }\n}\n";

/* The C library functions that --no-libm replaces by nl_ ones. */
static const char *const libm_names[] = {"expf", "logf", "log1pf", "tanhf", "sqrtf", "fabsf", "memcpy", "memset"};

static bool is_ident(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* Every identifier of text[0..n) into set, comments left out. */
static void add_identifiers(Arena *a, StrMap *set, const char *text, size_t n) {
    for (size_t i = 0; i < n;) {
        if (text[i] == '/' && i + 1 < n && text[i + 1] == '*') {
            const char *end = strstr(text + i + 2, "*/");
            i = end ? (size_t)(end - text) + 2 : n;
            continue;
        }
        if (!is_ident(text[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < n && is_ident(text[i]))
            i++;
        if (isdigit((unsigned char)text[start])) /* a number */
            continue;
        char *id = arena_strndup(a, text + start, i - start);
        if (!strmap_get(set, id))
            strmap_put(a, set, id, id);
    }
}

/* The name a helper defines: the identifier before its first '(' (a
 * function), or before the last ';' (a typedef). */
static const char *defined_name(Arena *a, const char *text, size_t len) {
    const char *code = text;
    while (!strncmp(code, "/*", 2) && strstr(code, "*/")) /* skip leading comments */
        code = strstr(code, "*/") + 2 + strspn(strstr(code, "*/") + 2, " \n");
    const char *end = strncmp(code, "typedef", 7) ? strchr(code, '(') : NULL;
    if (!end)
        for (end = text + len; end > code && end[-1] != ';'; end--)
            ;
    if (end > code && end[-1] == ';')
        end--;
    const char *start = end;
    while (start > code && is_ident(start[-1]))
        start--;
    return arena_strndup(a, start, (size_t)(end - start));
}

static void add_helper(Arena *a, Helper *list, int *n, const char *text, size_t len) {
    list[*n] = (Helper){defined_name(a, text, len), text, len};
    (*n)++;
}

/* The functions of embedded_nolibm.h, one a blank-line separated block. */
extern const char rnnc_nolibm_text[];
static void add_nolibm(Arena *a, Helper *list, int *n, int cap) {
    for (const char *s = rnnc_nolibm_text; *s && *n < cap;) {
        const char *end = strstr(s, "\n\n");
        size_t len = end ? (size_t)(end - s) + 1 : strlen(s);
        const char *f = strstr(s, "static inline ");
        if (f && f < s + len)
            add_helper(a, list, n, s, len);
        s += len + (end ? 1 : 0);
    }
}

/* Is h called by the chosen code? Under --no-libm, a call of a C library
 * function (expf) is a call of its nl_ stand-in. */
static bool called(const StrMap *used, const char *name, bool no_libm) {
    if (strmap_get(used, name))
        return true;
    for (size_t i = 0; no_libm && !strncmp(name, "nl_", 3) && i < sizeof libm_names / sizeof *libm_names; i++)
        if (!strcmp(name + 3, libm_names[i]) && strmap_get(used, libm_names[i]))
            return true;
    return false;
}

void embedded_write_helpers(Arena *a, FILE *out, const char *code, size_t code_len, bool no_libm, bool int8) {
    enum { MAX_HELPERS = 64 };
    Helper list[MAX_HELPERS];
    int n = 0;
    if (no_libm)
        add_nolibm(a, list, &n, MAX_HELPERS - 16);
    int first_runtime = n;
    for (size_t i = 0; i < sizeof element_helpers / sizeof *element_helpers; i++)
        add_helper(a, list, &n, element_helpers[i], strlen(element_helpers[i]));
    if (int8)
        add_helper(a, list, &n, quantized_type, strlen(quantized_type));
    add_helper(a, list, &n, int8 ? gemm_int8 : gemm_float, strlen(int8 ? gemm_int8 : gemm_float));

    /* what the code calls, then what the helpers it calls call, ... */
    StrMap used = {0};
    bool *chosen = arena_alloc(a, sizeof(bool) * MAX_HELPERS);
    add_identifiers(a, &used, code, code_len);
    for (bool grew = true; grew;) {
        grew = false;
        for (int i = n - 1; i >= 0; i--)
            if (!chosen[i] && called(&used, list[i].name, no_libm)) {
                chosen[i] = grew = true;
                add_identifiers(a, &used, list[i].text, list[i].len);
            }
    }
    for (int i = 0; i < n; i++) {
        if (i == first_runtime && no_libm) /* the C library's names, from here on the stand-ins */
            for (size_t k = 0; k < sizeof libm_names / sizeof *libm_names; k++)
                fprintf(out, "#define %s nl_%s\n", libm_names[k], libm_names[k]);
        if (i == first_runtime && no_libm)
            fputc('\n', out);
        if (chosen[i])
            fprintf(out, "%.*s\n", (int)list[i].len, list[i].text);
    }
}
