/* fuzz_input.h - for the harnesses whose code under test reads a file: the
 * input written to a scratch file of this process (in /dev/shm when it
 * exists, to keep the disk out), rewritten for every input. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *fuzz_file(const uint8_t *data, size_t size) {
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "%s/rnnc-fuzz-%d", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
                 (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
        abort(); /* the harness's own failure, not the reader's */
    return path;
}

#endif
