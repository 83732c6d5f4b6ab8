/* fuzz_checkpoint.c - libFuzzer harness: any bytes as a training
 * checkpoint for a small model (an LSTM-like pair of parameters, Adam and
 * SGD state, carried states), through rt_checkpoint_load: it must resume
 * or refuse with a message naming the file, never crash. */
#include "fuzz_input.h"
#include "rt_checkpoint.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const rt_param_info params[] = {
    {"h.weight", 2, {8, 3}, RT_INIT_UNIFORM, -0.5, 0.5},
    {"h.bias", 1, {8, 0}, RT_INIT_ZEROS, 0, 0},
};
static const int carry[] = {2, 2};
static const rt_model model = {.name = "fuzz", .params = params, .nparams = 2, .state_floats = 4,
                               .carry_sizes = carry, .ncarry = 2};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(data, size);
    for (int kind = 0; kind < 2; kind++) {
        rt_params p;
        rt_optim o;
        rt_error err;
        rt_optim_config cfg = {kind ? RT_OPT_SGD : RT_OPT_ADAM, 0.01, 0.9, 0.9, 0.999, 1e-8};
        if (rt_params_init(&model, 1, &p, &err) || rt_optim_init(&o, &model, &cfg, &err))
            abort();
        rt_checkpoint c = {0};
        if (rt_checkpoint_load(path, &model, &p, &o, &c, &err) == 0)
            free(c.carry);
        rt_optim_free(&o);
        rt_params_free(&p);
    }
    return 0;
}
