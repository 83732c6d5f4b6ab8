/* fuzz_npy.c - libFuzzer harness: any bytes as an .npy file, read whole
 * (rt_npy_read) and opened as a training data set of tokens and of vectors
 * (rt_data_open, which checks every token id). Each must load or fail with
 * a message, never crash. */
#include "fuzz_input.h"
#include "rt_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(data, size);
    rt_error err;
    rt_array a;
    if (rt_npy_read(path, &a, &err) == 0)
        rt_array_free(&a);
    static const rt_type types[] = {{1, 1, 256}, {1, 0, 3}, {0, 0, 2}, {0, 1, 7}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        rt_data d;
        if (rt_data_open(path, &types[i], i == 0, NULL, &d, &err) == 0) {
            float buf[16];
            int64_t n = d.B * d.T * d.width < 4 ? d.B * d.T * d.width : 4;
            rt_data_read(&d, 0, n, buf, &err);
            rt_data_free(&d);
        }
    }
    return 0;
}
