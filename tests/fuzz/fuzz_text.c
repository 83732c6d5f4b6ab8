/* fuzz_text.c - libFuzzer harness: the --text loader (rt_text_open) on
 * any corpus, with the batch, the validation fraction and the rank taken
 * from the input's first bytes: it must give every stream its bytes in
 * range, or refuse with a message, never crash. */
#include "fuzz_input.h"
#include "rt_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3)
        return 0;
    int64_t batch = 1 + data[0] % 64;
    double valid = (data[1] % 10) / 10.0;
    int ranks = 1 + data[2] % 4, rank = (data[2] / 4) % ranks;
    rt_text t;
    rt_error err;
    if (rt_text_open(fuzz_file(data + 3, size - 3), valid, batch, rank, ranks, rank == 0, &t, &err) == 0) {
        unsigned sum = 0; /* touch every byte a rank trains on, and the validation bytes */
        for (int64_t i = 0; i < t.count * t.stream + 1; i++)
            sum += t.bytes[i];
        for (int64_t i = 0; t.vbytes && i < t.len - t.train_len; i++)
            sum += t.vbytes[i];
        if (t.first + t.count > batch || t.train_len > t.len || sum == 0xFFFFFFFFu)
            abort();
        rt_text_free(&t);
    }
    return 0;
}
