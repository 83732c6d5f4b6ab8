/* sema_dump.c - print what sema derived for each model: its layers with
 * their types, and every parameter with its PyTorch name, shape and
 * initialiser. `rnnc check -d model FILE` shows it. */
#include "sema.h"
#include <stdio.h>

static const char *layer_kind[] = {
    [LAYER_INPUT] = "input", [LAYER_TARGET] = "target", [LAYER_EMBEDDING] = "embedding",
    [LAYER_CELL] = "cell", [LAYER_LINEAR] = "linear", [LAYER_LAST] = "last",
    [LAYER_DROPOUT] = "dropout", [LAYER_ACTIVATION] = "activation",
};

static void print_type(FILE *out, ValType t) {
    fprintf(out, "%s%s(%lld)", t.seq ? "seq " : "", t.token ? "token" : "vector", (long long)t.size);
}

static void print_layer(FILE *out, const Layer *l) {
    fprintf(out, "  %-10s %-10s ", l->name ? l->name : "-", layer_kind[l->kind]);
    print_type(out, l->type);
    if (l->kind == LAYER_CELL) {
        fprintf(out, "  %s", l->cell->name);
        for (int i = 0; i < l->cell->nsizes; i++)
            fprintf(out, " %s=%lld", l->cell->sizes[i]->name, (long long)l->sizes[i]);
        fprintf(out, " layers=%d%s", l->nlayers, l->bidirectional ? " bidirectional" : "");
        if (l->dropout > 0)
            fprintf(out, " dropout=%g", l->dropout);
    } else if (l->kind == LAYER_ACTIVATION) {
        fprintf(out, "  %s", l->func);
    } else if (l->kind == LAYER_DROPOUT) {
        fprintf(out, "  p=%g", l->dropout);
    }
    fputc('\n', out);
}

void sema_dump_model(FILE *out, const ModelInfo *m) {
    fprintf(out, "model %s\n", m->name);
    for (int i = 0; i < m->nlayers; i++)
        print_layer(out, m->layers[i]);
    fprintf(out, "  loss %s\n", m->loss == LOSS_CROSS_ENTROPY ? "cross_entropy" : "mse");
}
