/* replay.c - runs a fuzz harness over files without libFuzzer: each
 * argument, a file or a directory of files, is one input. `make test`
 * replays the seed corpora and every crash the fuzzers found
 * (tests/fuzz/regressions/), under ASan and UBSan in its second pass. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return 1;
    size_t cap = 1 << 16, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0)
        if ((n += got) == cap)
            buf = realloc(buf, cap *= 2);
    fclose(f);
    if (!buf)
        return 1;
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    int inputs = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) /* a directory with nothing in it yet is not in git */
            continue;
        DIR *d = S_ISDIR(st.st_mode) ? opendir(argv[i]) : NULL;
        if (!d) {
            failed |= replay_file(argv[i]);
            inputs++;
            continue;
        }
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            failed |= replay_file(path);
            inputs++;
        }
        closedir(d);
    }
    printf("%s: %d inputs replayed\n", argv[0], inputs);
    return failed;
}
