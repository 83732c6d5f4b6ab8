/* cg_c.c - the C backend of the code generator (cg.h): every handle is a
 * C expression (a string in the arena); statements are printed as they
 * come, indented by nesting. */
#include "cg.h"
#include "strmap.h"
#include "util.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A line of a function's body; a let's line says which name it declares. */
typedef struct Line {
    char *text;
    const char *declares;
} Line;

typedef struct CState {
    FILE *out;
    int depth;
    const char *prefix;  /* for external functions, or NULL: all static */
    StrMap own;          /* functions defined here, called by prefixed name */
    /* the function being written: its body is kept until its end, to leave
     * out the names nothing reads and mark the parameters nothing reads */
    Line *lines;
    int nlines, cap;
    const CgParam *params;
    int nparams;
} CState;

static CState *st(Cg *g) { return g->state; }

static void add_line(Cg *g, char *text, const char *declares) {
    CState *s = st(g);
    if (s->nlines == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        Line *grown = arena_alloc(g->a, sizeof(Line) * (size_t)s->cap);
        if (s->nlines)
            memcpy(grown, s->lines, sizeof(Line) * (size_t)s->nlines);
        s->lines = grown;
    }
    s->lines[s->nlines++] = (Line){text, declares};
}

static void line_declaring(Cg *g, const char *declares, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line_declaring(Cg *g, const char *declares, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    int indent = 4 * st(g)->depth;
    char *text = arena_alloc(g->a, (size_t)(indent + n) + 1);
    memset(text, ' ', (size_t)indent);
    va_start(ap, fmt);
    vsnprintf(text + indent, (size_t)n + 1, fmt, ap);
    va_end(ap);
    add_line(g, text, declares);
}

#define line(g, ...) line_declaring(g, NULL, __VA_ARGS__)

static bool ident_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

/* Does text name the identifier id (as a whole word)? */
static bool mentions(const char *text, const char *id) {
    size_t n = strlen(id);
    for (const char *p = strstr(text, id); p; p = strstr(p + 1, id))
        if ((p == text || !ident_char(p[-1])) && !ident_char(p[n]))
            return true;
    return false;
}

/* Is name read by a kept line other than its own declaration? */
static bool read_elsewhere(const CState *s, const bool *dropped, int self, const char *name) {
    for (int i = 0; i < s->nlines; i++)
        if (i != self && !dropped[i] && mentions(s->lines[i].text, name))
            return true;
    return false;
}

/* The body, without the lets nothing reads (their values have no side
 * effects), after "(void)p;" for each parameter nothing reads. */
static void flush_body(Cg *g) {
    CState *s = st(g);
    bool *dropped = arena_alloc(g->a, sizeof(bool) * (size_t)(s->nlines + 1));
    for (bool again = true; again;) {
        again = false;
        for (int i = s->nlines - 1; i >= 0; i--)
            if (!dropped[i] && s->lines[i].declares && !read_elsewhere(s, dropped, i, s->lines[i].declares))
                dropped[i] = again = true;
    }
    for (int i = 0; i < s->nparams; i++)
        if (!read_elsewhere(s, dropped, -1, s->params[i].name))
            fprintf(s->out, "    (void)%s;\n", s->params[i].name);
    for (int i = 0; i < s->nlines; i++)
        if (!dropped[i])
            fprintf(s->out, "%s\n", s->lines[i].text);
    s->nlines = 0;
}

static const char *ctype(CgType t) {
    static const char *names[] = {
        [CGT_VOID] = "void",          [CGT_I64] = "int64_t",       [CGT_F32] = "float",
        [CGT_PF32] = "float *",       [CGT_PCF32] = "const float *", [CGT_PI32] = "const int32_t *",
        [CGT_PPF32] = "float *const *",
        [CGT_PCTX] = "rt_train_ctx *", [CGT_PVOID] = "const void *", [CGT_SIZE] = "size_t",
    };
    return names[t];
}

static CgV str(Cg *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static CgV str(Cg *g, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = arena_alloc(g->a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static const char *own_name(Cg *g, const char *name) {
    return st(g)->prefix ? arena_printf(g->a, "%s_%s", st(g)->prefix, name) : name;
}

static void func_begin(Cg *g, const char *name, CgType ret, int n, const CgParam *params, CgV *values) {
    FILE *out = st(g)->out;
    strmap_put(g->a, &st(g)->own, name, (void *)name);
    fprintf(out, "%s%s %s(", st(g)->prefix ? "" : "static ", ctype(ret), own_name(g, name));
    for (int i = 0; i < n; i++) {
        const char *t = ctype(params[i].type);
        fprintf(out, "%s%s%s%s", i ? ", " : "", t, t[strlen(t) - 1] == '*' ? "" : " ", params[i].name);
        values[i] = (CgV)params[i].name;
    }
    fputs(")\n{\n", out);
    st(g)->depth = 1;
    st(g)->params = params;
    st(g)->nparams = n;
}

static void func_end(Cg *g, CgV ret) {
    if (ret)
        line(g, "return %s;", (const char *)ret);
    flush_body(g);
    fputs("}\n\n", st(g)->out);
    st(g)->depth = 0;
}

static void comment(Cg *g, const char *text) {
    if (st(g)->depth)
        line(g, "/* %s */", text);
    else
        fprintf(st(g)->out, "/* %s */\n", text);
}

static CgV let(Cg *g, CgType t, const char *name, CgV value, const char *note) {
    const char *ty = ctype(t);
    line_declaring(g, name, "%s%s%s = %s;%s%s%s", ty, ty[strlen(ty) - 1] == '*' ? "" : " ", name,
                   (const char *)value, note ? " /* " : "", note ? note : "", note ? " */" : "");
    return (CgV)name;
}

static CgV int_const(Cg *g, int64_t v) { return str(g, "%lld", (long long)v); }
/* A number literal; infinities and NaN (from folding 1 / 0, say) by name. */
static CgV nonfinite(double v) { return v != v ? "NAN" : v > 0 ? "INFINITY" : "(-INFINITY)"; }
/* The shortest decimal of at most ten digits that reads back as v, so
 * "1.0f", "0.5f", "(-3.0f)", else all ten: the C compiler turns each into
 * the float it always did. */
static CgV float_const(Cg *g, double v) {
    if (!isfinite(v))
        return nonfinite(v);
    char buf[40];
    for (int digits = 1; digits <= 10; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) != v)
            continue;
        const char *point = strpbrk(buf, ".e") ? "" : ".0";
        return v < 0 ? str(g, "(%s%sf)", buf, point) : str(g, "%s%sf", buf, point);
    }
    return str(g, "(%.9ef)", v);
}
static CgV double_const(Cg *g, double v) { return isfinite(v) ? str(g, "%.17g", v) : nonfinite(v); }
/* An integer literal's value, or false. */
static bool literal(CgV x, long long *v) {
    char *end;
    *v = strtoll(x, &end, 10);
    return *(const char *)x && !*end;
}

/* Integer arithmetic, folded where an operand is a literal: 2 * 3 is 6,
 * 0 + x and x * 1 are x. */
static CgV int_op(Cg *g, char op, CgV a, CgV b) {
    long long x, y;
    bool ka = literal(a, &x), kb = literal(b, &y);
    if (ka && kb && op != '%' && op != '<' && op != '/')
        return str(g, "%lld", op == '+' ? x + y : op == '-' ? x - y : x * y);
    if ((op == '+' && ka && x == 0) || (op == '*' && ka && x == 1))
        return b;
    if (((op == '+' || op == '-') && kb && y == 0) || (op == '*' && kb && y == 1))
        return a;
    if (op == '*' && ((ka && x == 0) || (kb && y == 0)))
        return "0";
    return str(g, "(%s %c %s)", (char *)a, op, (char *)b);
}
static CgV ptr_add(Cg *g, CgType t, CgV p, CgV i) {
    (void)t;
    return strcmp(i, "0") ? str(g, "(%s + %s)", (char *)p, (char *)i) : p;
}
static CgV load(Cg *g, CgType t, CgV p, CgV i) { (void)t; return str(g, "%s[%s]", (char *)p, (char *)i); }

static void store(Cg *g, CgV p, CgV i, CgV v, bool add) {
    line(g, "%s[%s] %s %s;", (char *)p, (char *)i, add ? "+=" : "=", (char *)v);
}

static CgV fbin(Cg *g, char op, CgV a, CgV b) { return str(g, "(%s %c %s)", (char *)a, op, (char *)b); }
static CgV fneg(Cg *g, CgV a) { return str(g, "(-%s)", (char *)a); }

static CgV fcmp(Cg *g, CgCmp cmp, CgV a, CgV b) {
    static const char *const forms[] = {[CG_GT] = "(%s > %s)", [CG_LT] = "(%s < %s)", [CG_GE] = "(%s >= %s)",
                                        [CG_LE] = "(%s <= %s)", [CG_NLE] = "!(%s <= %s)"};
    return str(g, forms[cmp], (char *)a, (char *)b);
}

/* exp and tanh: the runtime's own (rnnrt.h; embedded C defines them too);
 * the others: the C library's */
static CgV math(Cg *g, CgMath fn, CgV a) {
    static const char *const names[] = {[CG_EXP] = "rt_expf", [CG_TANH] = "rt_tanhf", [CG_LOG] = "logf",
                                        [CG_LOG1P] = "log1pf", [CG_FABS] = "fabsf", [CG_SQRT] = "sqrtf"};
    return str(g, "%s(%s)", names[fn], (char *)a);
}
static CgV not_null(Cg *g, CgV p) { return str(g, "(%s != NULL)", (char *)p); }

static CgV select_(Cg *g, CgType t, CgV c, CgV a, CgV b) {
    (void)t;
    return strcmp(a, b) ? str(g, "(%s ? %s : %s)", (char *)c, (char *)a, (char *)b) : a;
}

static CgV to_i64(Cg *g, CgV v) { return str(g, "(int64_t)%s", (char *)v); }
static CgV cast(Cg *g, CgType t, CgV p) { return str(g, "(%s)%s", ctype(t), (char *)p); }

static CgV for_begin(Cg *g, const char *var, CgV count) {
    line(g, "for (int64_t %s = 0; %s < %s; %s++) {", var, var, (char *)count, var);
    st(g)->depth++;
    return (CgV)var;
}

static void close_block(Cg *g) {
    st(g)->depth--;
    line(g, "}");
}

static void if_begin(Cg *g, CgV c) {
    line(g, "if (%s) {", (char *)c);
    st(g)->depth++;
}

static void if_else(Cg *g) {
    st(g)->depth--;
    line(g, "} else {");
    st(g)->depth++;
}

static CgV call(Cg *g, CgType ret, const char *fn, int n, const CgV *args) {
    if (strmap_get(&st(g)->own, fn))
        fn = own_name(g, fn);
    size_t len = strlen(fn) + 3;
    for (int i = 0; i < n; i++)
        len += strlen(args[i]) + 2;
    char *s = arena_alloc(g->a, len);
    strcpy(s, fn);
    strcat(s, "(");
    for (int i = 0; i < n; i++) {
        strcat(s, i ? ", " : "");
        strcat(s, args[i]);
    }
    strcat(s, ")");
    if (ret == CGT_VOID) {
        line(g, "%s;", s);
        return NULL;
    }
    return s;
}

static CgV field(Cg *g, CgV ctx, const char *name) { return str(g, "%s->%s", (char *)ctx, name); }

static const CgBackend c_backend = {
    .func_begin = func_begin, .func_end = func_end, .comment = comment, .let = let, .int_const = int_const,
    .float_const = float_const, .double_const = double_const, .int_op = int_op, .ptr_add = ptr_add, .load = load,
    .store = store, .fbin = fbin, .fneg = fneg, .fcmp = fcmp, .math = math, .not_null = not_null,
    .select = select_, .to_i64 = to_i64, .cast = cast, .for_begin = for_begin, .for_end = close_block,
    .if_begin = if_begin, .if_else = if_else, .if_end = close_block, .call = call, .field = field,
};

Cg *cg_c_new_prefixed(Arena *a, FILE *out, const char *prefix) {
    Cg *g = arena_alloc(a, sizeof *g);
    CState *s = arena_alloc(a, sizeof *s);
    s->out = out;
    s->prefix = prefix;
    *g = (Cg){&c_backend, a, s};
    return g;
}

Cg *cg_c_new(Arena *a, FILE *out) { return cg_c_new_prefixed(a, out, NULL); }
