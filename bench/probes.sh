#!/bin/sh
# bench/probes.sh [sgemm] [bandwidth] - this machine's reference rates, for
# the other benchmarks to be read against; prints shell assignments for
# eval (default: both probes):
#   sgemm      SGEMM_GFLOPS, SGEMM_THREADS: OpenBLAS cblas_sgemm on 2048x2048
#              matrices with OPENBLAS_NUM_THREADS=2, best of 5 after a
#              warm-up (bench/sgemm.c)
#   bandwidth  READ_GBS (2 threads), READ_GBS_1 (1 thread), READ_MIB:
#              sustained read bandwidth, summing a buffer of READ_MIB MiB,
#              four times the L3 size, best of 5 passes (bench/bandwidth.c)
# The probes are compiled with cc -O3 -march=native into a temporary
# directory. sgemm needs OpenBLAS (Debian: libopenblas-dev).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/timing.sh"
bench_dir probe
cc=${CC:-cc}
[ $# -gt 0 ] || set -- sgemm bandwidth
for probe in "$@"; do
    case $probe in
    sgemm)
        blas=$(pkg-config --cflags --libs openblas 2> /dev/null || echo -lopenblas)
        # shellcheck disable=SC2086
        if ! $cc -O3 -march=native "$here/sgemm.c" -o "$tmp/sgemm" $blas 2> "$tmp/cc.err"; then
            cat "$tmp/cc.err" >&2
            echo "bench: cannot build bench/sgemm.c against OpenBLAS: install it (Debian: apt-get install libopenblas-dev)" >&2
            exit 1
        fi
        OPENBLAS_NUM_THREADS=2 "$tmp/sgemm" 2048 > "$tmp/out" || exit 1
        read -r gflops threads < "$tmp/out"
        echo "SGEMM_GFLOPS=$gflops SGEMM_THREADS=$threads"
        ;;
    bandwidth)
        $cc -O3 -march=native -pthread "$here/bandwidth.c" -o "$tmp/bandwidth" || exit 1
        "$tmp/bandwidth" 1 2 > "$tmp/out" || exit 1
        { read -r gbs1 _ mib; read -r gbs2 _ _; } < "$tmp/out"
        echo "READ_GBS=$gbs2 READ_GBS_1=$gbs1 READ_MIB=$mib"
        ;;
    *) echo "usage: bench/probes.sh [sgemm] [bandwidth]" >&2; exit 2 ;;
    esac
done
