/* fuzz_safetensors.c - libFuzzer harness: any bytes as a .safetensors
 * file (rt_st_read): loaded, with every tensor looked up by name, or
 * refused with a message, never a crash. */
#include "fuzz_input.h"
#include "rt_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rt_safetensors st;
    rt_error err;
    if (rt_st_read(fuzz_file(data, size), &st, &err) == 0) {
        for (int i = 0; i < st.ntensors; i++)
            if (rt_st_find(&st, st.tensors[i].name) == NULL)
                abort(); /* a tensor that cannot be found by its own name */
        rt_st_meta(&st, "model");
        rt_st_free(&st);
    }
    return 0;
}
