/* grad_print.c - the derived backward step in the language's notation,
 * for people learning BPTT (rnnc emit --target adjoint). Each adjoint of a
 * named forward value gets a line "dNAME = ..."; other adjoints are g1,
 * g2, ...; forward values appear by their names or as their expressions.
 * d_output is the gradient arriving at the step's output, dNAME_next the
 * one arriving at a next state from step t+1, dNAME' the total at that
 * state, and dNAME (unprimed) what this step sends back to step t-1. */
#include "grad.h"
#include <stdlib.h>
#include <string.h>

typedef struct Printer {
    FILE *out;
    const IrAdjoint *adj;
    const IrStep *names;  /* the forward step: the cell's parameter and state names */
    char **bname;        /* backward node -> its line's name, or NULL to inline */
} Printer;

static const char *infix(IrOp op) {
    switch (op) {
    case IR_ADD: return " + ";
    case IR_SUB: return " - ";
    case IR_MUL: return " * ";
    case IR_DIV: return " / ";
    case IR_MATVEC: return " @ ";
    default: return NULL;
    }
}

static void print_fwd(Printer *p, int k, bool top);

static void print_args(Printer *p, const IrStep *s, int k, void (*each)(Printer *, int, bool)) {
    const IrNode *n = &s->nodes[k];
    if (infix(n->op)) {
        each(p, n->args[0], false);
        fputs(infix(n->op), p->out);
        each(p, n->args[1], false);
        return;
    }
    for (int i = 0; i < n->nargs; i++) {
        fputs(i ? ", " : "", p->out);
        each(p, n->args[i], true);
    }
}

/* A forward value: its name, or its expression. */
static void print_fwd(Printer *p, int k, bool top) {
    const IrStep *f = p->adj->fwd;
    const IrNode *n = &f->nodes[k];
    if (n->op == IR_PARAM)
        fputs(p->names->param_names[n->index], p->out);
    else if (n->op == IR_CONST)
        fprintf(p->out, "%.9g", n->value);
    else if (n->name)
        fputs(n->name, p->out);
    else if (n->op == IR_SLICE) {
        print_fwd(p, n->args[0], false);
        fprintf(p->out, "[%d:%d]", n->lo, n->lo + n->size);
    } else if (n->op == IR_NEG) {
        fputs("-", p->out);
        print_fwd(p, n->args[0], false);
    } else if (infix(n->op)) {
        fputs(top ? "" : "(", p->out);
        print_args(p, f, k, print_fwd);
        fputs(top ? "" : ")", p->out);
    } else {
        fprintf(p->out, "%s(", ir_ops[n->op].name);
        print_args(p, f, k, print_fwd);
        fputs(")", p->out);
    }
}

static void print_bwd(Printer *p, int k, bool top) {
    const IrStep *b = p->adj->bwd;
    const IrNode *n = &b->nodes[k];
    if (p->bname[k]) {
        fputs(p->bname[k], p->out);
        return;
    }
    switch (n->op) {
    case IR_FWD: print_fwd(p, n->index, top); return;
    case IR_PARAM: fputs(p->names->param_names[n->index], p->out); return;
    case IR_CONST: fprintf(p->out, "%.9g", n->value); return;
    case IR_ADJ_OUT: fputs("d_output", p->out); return;
    case IR_ADJ_STATE: fprintf(p->out, "d%s_next", p->names->state_names[n->index]); return;
    case IR_SLICE:
        print_bwd(p, n->args[0], false);
        fprintf(p->out, "[%d:%d]", n->lo, n->lo + n->size);
        return;
    case IR_NEG:
        fputs("-", p->out);
        print_bwd(p, n->args[0], false);
        return;
    case IR_GT0:
        fputs("(", p->out);
        print_bwd(p, n->args[0], false);
        fputs(" > 0)", p->out);
        return;
    case IR_MATVEC_T:
        fputs("transpose(", p->out);
        print_bwd(p, n->args[0], true);
        fputs(") @ ", p->out);
        print_bwd(p, n->args[1], false);
        return;
    case IR_PAD:
        fprintf(p->out, "pad(");
        print_bwd(p, n->args[0], true);
        fprintf(p->out, ", at=%d, size=%d)", n->lo, n->size);
        return;
    default:
        break;
    }
    if (infix(n->op)) {
        fputs(top ? "" : "(", p->out);
        print_args(p, b, k, print_bwd);
        fputs(top ? "" : ")", p->out);
    } else {
        fprintf(p->out, "%s(", ir_ops[n->op].name);
        print_args(p, b, k, print_bwd);
        fputs(")", p->out);
    }
}

/* "name op expr": the node's own expression, its operands by name. */
static void line(Printer *p, const char *name, const char *op, int node) {
    fprintf(p->out, "    %s %s ", name, op);
    char *own = p->bname[node];
    if (own && !strcmp(own, name))
        p->bname[node] = NULL;
    print_bwd(p, node, true);
    p->bname[node] = own;
    fputc('\n', p->out);
}

void grad_print(FILE *out, const IrAdjoint *adj) {
    const IrStep *f = adj->fwd, *b = adj->bwd;
    Printer p = {out, adj, f, calloc((size_t)b->nnodes + 1, sizeof(char *))};
    int temps = 0;
    for (int k = f->nnodes - 1; k >= 0; k--) { /* name each adjoint of a computed value */
        int d = adj->adjoint_of[k];
        if (d < 0 || ir_ops[f->nodes[k].op].kind == IRK_LEAF || p.bname[d] || b->nodes[d].op == IR_ADJ_OUT ||
            b->nodes[d].op == IR_ADJ_STATE)
            continue;
        char buf[96];
        if (f->nodes[k].name)
            snprintf(buf, sizeof buf, "d%s", f->nodes[k].name);
        else
            snprintf(buf, sizeof buf, "g%d", ++temps);
        p.bname[d] = strdup(buf);
    }
    for (int k = 0; k < b->nnodes; k++)
        if (p.bname[k])
            line(&p, p.bname[k], "=", k);
    if (adj->d_input >= 0)
        line(&p, "dx", "=", adj->d_input);
    for (int i = 0; i < f->nstates; i++)
        if (adj->d_state[i] >= 0) {
            char name[96];
            snprintf(name, sizeof name, "d%s", f->state_names[i]);
            line(&p, name, "=", adj->d_state[i]);
        }
    for (int i = 0; i < adj->npgrads; i++) {
        const IrParamGrad *pg = &adj->pgrads[i];
        fprintf(out, "    d%s += ", f->param_names[pg->param]);
        if (pg->kind == PGRAD_OUTER) {
            fputs("outer(", out);
            print_bwd(&p, pg->g, true);
            fputs(", ", out);
            print_bwd(&p, pg->v, true);
            fputs(")\n", out);
        } else {
            print_bwd(&p, pg->g, true);
            fputc('\n', out);
        }
    }
    for (int k = 0; k < b->nnodes; k++)
        free(p.bname[k]);
    free(p.bname);
}

void grad_print_program(FILE *out, const IrProgram *p) {
    fprintf(out, "# Backward steps of model %s, derived by rnnc. Each runs once per time step,\n"
                 "# newest first. Given d_output (the loss's gradient at the step's output) and\n"
                 "# dS_next (at each next state S', from step t+1), it gives dx and dS (for step t-1)\n"
                 "# and adds into the parameters' gradients. outer(g, v) is g times v transposed,\n"
                 "# summed over the batch.\n", p->name);
    for (int i = 0; i < p->nlayers; i++) {
        const IrLayer *l = &p->layers[i];
        bool seen = false;
        for (int j = 0; j < i; j++)
            seen |= p->layers[j].step == l->step;
        if (l->kind != IRL_CELL || seen)
            continue;
        fprintf(out, "\n# %s: input [%d]", l->label, l->step->in_size);
        for (int s = 0; s < l->step->nstates; s++)
            fprintf(out, ", %s [%d]", l->step->state_names[s], l->step->state_size[s]);
        fprintf(out, "\n# memory kept per sample and step for this: %d floats (%d bytes)\n", l->adj->tape_floats,
                4 * l->adj->tape_floats);
        fprintf(out, "adjoint %s {\n", l->step->cell);
        grad_print(out, l->adj);
        fputs("}\n", out);
    }
}
