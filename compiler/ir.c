/* ir.c - the op table, node construction and the IR printer. */
#include "grad.h"
#include <math.h>
#include <string.h>

const IrOpInfo ir_ops[IR_NUM_OPS] = {
#define IR_OP(id, name, arity, kind, call, form, eval, grad, onnx) [IR_##id] = {name, arity, kind, call, onnx},
#include "ir_ops.def"
#undef IR_OP
};

double ir_eval_elem(IrOp op, double a, double b) {
    (void)b;
    switch (op) {
#define IR_OP(id, name, arity, kind, call, form, eval, grad, onnx)                                              \
    case IR_##id:                                                                                   \
        return (eval);
#include "ir_ops.def"
#undef IR_OP
    default:
        return 0;
    }
}

int ir_function(const char *name) {
    for (int op = 0; op < IR_NUM_OPS; op++)
        if (ir_ops[op].call == IRC_FUNCTION && !strcmp(ir_ops[op].name, name))
            return op;
    return -1;
}

const char *ir_function_names(int arity) {
    static char buf[3][512];
    char *out = buf[arity];
    size_t n = 0;
    out[0] = '\0';
    for (int op = 0; op < IR_NUM_OPS; op++)
        if (ir_ops[op].call == IRC_FUNCTION && (!arity || ir_ops[op].arity == arity))
            n += (size_t)snprintf(out + n, sizeof buf[0] - n, "%s%s", n ? ", " : "", ir_ops[op].name);
    return out;
}

int ir_add(Arena *a, IrStep *s, IrNode node) {
    if (s->nnodes == s->cap) {
        int cap = s->cap ? s->cap * 2 : 32;
        IrNode *grown = arena_alloc(a, sizeof(IrNode) * (size_t)cap);
        if (s->nnodes)
            memcpy(grown, s->nodes, sizeof(IrNode) * (size_t)s->nnodes);
        s->nodes = grown;
        s->cap = cap;
    }
    s->nodes[s->nnodes] = node;
    return s->nnodes++;
}

int64_t ir_window_steps(int64_t B, int64_t T) {
    int64_t w = IR_WINDOW_ROWS / B;
    w = w < 1 ? 1 : w > IR_WINDOW ? IR_WINDOW : w;
    return T < w ? T : w;
}

int64_t ir_size_at(IrSize s, int64_t B, int64_t T) {
    return s.one + B * s.b + B * T * s.bt + B * ir_window_steps(B, T) * s.bw;
}

bool ir_is_bidirectional(const IrProgram *p) {
    for (int i = 0; i < p->nlayers; i++)
        if (p->layers[i].reverse)
            return true;
    return false;
}

int ir_state_floats(const IrProgram *p) {
    int n = 0;
    for (int i = 0; i < p->nlayers; i++)
        if (p->layers[i].kind == IRL_CELL)
            for (int s = 0; s < p->layers[i].step->nstates; s++)
                n += p->layers[i].step->state_size[s];
    return n;
}

int ir_carry_sizes(const IrProgram *p, int *sizes) {
    int n = 0;
    for (int i = 0; i < p->nlayers; i++)
        if (p->layers[i].kind == IRL_CELL)
            for (int s = 0; s < p->layers[i].step->nstates; s++, n++)
                if (sizes)
                    sizes[n] = p->layers[i].step->state_size[s];
    return n;
}

bool ir_in_scratch(const IrStep *s, int k) {
    const IrNode *n = &s->nodes[k];
    IrKind kind = ir_ops[n->op].kind;
    return kind != IRK_LEAF && kind != IRK_SLICE && !n->fused && !ir_is_matrix(s, k) && n->phase == IRP_LOOP &&
           !n->all_steps;
}

bool *ir_reaches(Arena *a, const IrStep *s, const int *roots, int nroots) {
    bool *live = arena_alloc(a, sizeof(bool) * (size_t)(s->nnodes + 1));
    for (int i = 0; i < nroots; i++)
        if (roots[i] >= 0)
            live[roots[i]] = true;
    for (int i = s->nnodes - 1; i >= 0; i--) /* operands come before their users */
        if (live[i])
            for (int k = 0; k < s->nodes[i].nargs; k++)
                live[s->nodes[i].args[k]] = true;
    return live;
}

bool *ir_live(Arena *a, const IrStep *s) {
    int *roots = arena_alloc(a, sizeof(int) * (size_t)(s->nstates + 1));
    roots[0] = s->output;
    for (int i = 0; i < s->nstates; i++)
        roots[1 + i] = s->state_next[i];
    return ir_reaches(a, s, roots, 1 + s->nstates);
}

/* What the passes decided about a node. */
static void print_marks(FILE *out, const IrStep *s, const IrNode *n) {
    static const char *phase[] = {"", " before", " after"};
    fputs(phase[n->phase], out);
    if (n->all_steps)
        fputs(" all-steps", out);
    if (n->fused)
        fputs(" fused", out);
    if (s->planned && !n->fused && !n->all_steps && n->phase == IRP_LOOP && ir_ops[n->op].kind != IRK_LEAF &&
        n->op != IR_SLICE && !ir_is_matrix(s, (int)(n - s->nodes)))
        fprintf(out, " @%d", n->slot);
}

void ir_print_step(FILE *out, const IrStep *s) {
    fprintf(out, "  step %s (input %d", s->cell, s->in_size);
    for (int i = 0; i < s->nstates; i++)
        fprintf(out, ", state%d %d", i, s->state_size[i]);
    fputs(")\n", out);
    for (int i = 0; i < s->nnodes; i++) {
        const IrNode *n = &s->nodes[i];
        fprintf(out, "    %%%d = %s", i, ir_ops[n->op].name);
        if (n->op == IR_STATE || n->op == IR_PARAM)
            fprintf(out, " %d", n->index);
        if (n->op == IR_CONST)
            fprintf(out, " %.9g", n->value);
        for (int k = 0; k < n->nargs; k++)
            fprintf(out, "%s %%%d", k ? "," : "", n->args[k]);
        if (n->op == IR_SLICE)
            fprintf(out, " [%d:%d]", n->lo, n->lo + n->size);
        if (n->cols)
            fprintf(out, "  : [%d, %d]", n->size, n->cols);
        else
            fprintf(out, "  : [%d]", n->size);
        print_marks(out, s, n);
        if (n->name)
            fprintf(out, "  ; %s", n->name);
        fputc('\n', out);
    }
    for (int i = 0; s->state_next && i < s->nstates; i++)
        fprintf(out, "    state%d' = %%%d\n", i, s->state_next[i]);
    if (s->output >= 0)
        fprintf(out, "    output %%%d\n", s->output);
    if (s->planned)
        fprintf(out, "    scratch %d floats per sample\n", s->scratch);
}

static void print_backward(FILE *out, const IrAdjoint *adj) {
    fputs("  backward", out);
    ir_print_step(out, adj->bwd);
    if (adj->d_input >= 0)
        fprintf(out, "    d input = %%%d\n", adj->d_input);
    for (int i = 0; i < adj->bwd->nstates; i++)
        if (adj->d_state[i] >= 0)
            fprintf(out, "    d state%d = %%%d\n", i, adj->d_state[i]);
    for (int i = 0; i < adj->npgrads; i++) {
        const IrParamGrad *pg = &adj->pgrads[i];
        fprintf(out, "    d param %d += %s %%%d", pg->param, pg->kind == PGRAD_VEC ? "sum" : "outer", pg->g);
        if (pg->kind == PGRAD_OUTER)
            fprintf(out, ", %%%d", pg->v);
        fputs(pg->after ? "  after\n" : "\n", out);
    }
}

static void print_value(FILE *out, const IrProgram *p, int id) {
    const IrValue *v = &p->values[id];
    fprintf(out, "v%d%s%s%s %s%s(%d)", id, v->name ? " (" : "", v->name ? v->name : "", v->name ? ")" : "",
            v->seq ? "seq " : "", v->token ? "token" : "vector", v->size);
}

static void print_init(FILE *out, Init i) {
    switch (i.kind) {
    case INIT_ZEROS: fputs("zeros", out); break;
    case INIT_ONES: fputs("ones", out); break;
    case INIT_UNIFORM: fprintf(out, "uniform(%.6g, %.6g)", i.a, i.b); break;
    case INIT_NORMAL: fprintf(out, "normal(%.6g, %.6g)", i.a, i.b); break;
    case INIT_DEFAULT: fputs("default", out); break;
    }
}

void ir_print_params(FILE *out, const IrProgram *p) {
    long long total = 0;
    for (int i = 0; i < p->nparams; i++) {
        const IrParam *pi = &p->params[i];
        total += pi->dims[0] * (pi->rank > 1 ? pi->dims[1] : 1);
        if (pi->rank > 1)
            fprintf(out, "  param %-28s [%lld, %lld]  ", pi->name, (long long)pi->dims[0], (long long)pi->dims[1]);
        else
            fprintf(out, "  param %-28s [%lld]  ", pi->name, (long long)pi->dims[0]);
        print_init(out, pi->init);
        fputc('\n', out);
    }
    fprintf(out, "  %d parameter tensors, %lld values\n", p->nparams, total);
}

static const char *layer_kind[] = {"embedding", "cell", "linear", "activation", "dropout", "last"};

void ir_print(FILE *out, const IrProgram *p) {
    fprintf(out, "model %s\n", p->name);
    fputs("input ", out);
    print_value(out, p, p->input);
    fputc('\n', out);
    for (int i = 0; i < p->nparams; i++) {
        const IrParam *pi = &p->params[i];
        if (pi->rank == 2)
            fprintf(out, "param %d %s [%lld, %lld]\n", i, pi->name, (long long)pi->dims[0], (long long)pi->dims[1]);
        else
            fprintf(out, "param %d %s [%lld]\n", i, pi->name, (long long)pi->dims[0]);
    }
    for (int i = 0; i < p->nlayers; i++) {
        const IrLayer *l = &p->layers[i];
        fprintf(out, "layer %d %s", i, layer_kind[l->kind]);
        if (l->kind == IRL_ACT)
            fprintf(out, " %s", ir_ops[l->act].name);
        if (l->kind == IRL_DROPOUT)
            fprintf(out, " p=%g", l->p);
        if (l->kind == IRL_CELL)
            fprintf(out, " %s%s offset %d", l->step->cell, l->reverse ? " reverse" : "", l->offset);
        fputs(": ", out);
        print_value(out, p, l->in);
        fputs(" -> ", out);
        print_value(out, p, l->out);
        if (l->nparams) {
            fputs("  params", out);
            for (int k = 0; k < l->nparams; k++)
                fprintf(out, " %d", l->params[k]);
        }
        fputc('\n', out);
        if (l->kind == IRL_CELL)
            ir_print_step(out, l->step);
        if (l->kind == IRL_CELL && l->adj)
            print_backward(out, l->adj);
    }
    fputs("output ", out);
    print_value(out, p, p->output);
    fprintf(out, "\nloss %s\n", p->loss == LOSS_CROSS_ENTROPY ? "cross_entropy" : "mse");
}

int ir_viewed(const IrStep *s, int id) {
    while (s->nodes[id].op == IR_SLICE)
        id = s->nodes[id].args[0];
    return id;
}

bool ir_is_matrix(const IrStep *s, int id) {
    const IrNode *n = &s->nodes[id];
    return n->cols > 0 && (n->op == IR_PARAM || n->op == IR_CONCAT || n->op == IR_FWD);
}

void ir_compact(Arena *a, IrStep *s, const int *replace, int *map) {
    int old = s->nnodes;
    int *to = arena_alloc(a, sizeof(int) * (size_t)(old + 1));
    IrNode *nodes = arena_alloc(a, sizeof(IrNode) * (size_t)(old + 1));
    int n = 0;
    for (int i = 0; i < old; i++) {
        if (replace[i] != i) {
            to[i] = replace[i] < 0 ? -1 : to[replace[i]];
            continue;
        }
        IrNode node = s->nodes[i];
        if (node.nargs > 0) {
            int *args = arena_alloc(a, sizeof(int) * (size_t)(node.nargs > 2 ? node.nargs : 2));
            for (int k = 0; k < node.nargs; k++)
                args[k] = to[node.args[k]];
            node.args = args;
        }
        nodes[n] = node;
        to[i] = n++;
    }
    for (int i = 0; s->state_next && i < s->nstates; i++)
        s->state_next[i] = to[s->state_next[i]];
    if (s->output >= 0)
        s->output = to[s->output];
    s->nodes = nodes;
    s->nnodes = s->cap = n;
    if (map)
        memcpy(map, to, sizeof(int) * (size_t)old);
}
