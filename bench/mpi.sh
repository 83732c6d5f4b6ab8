#!/bin/sh
# bench/mpi.sh [RNNC] - data-parallel training: tokens/s with 1
# and 2 MPI ranks of one thread each, on the training benchmark's models
# (one lstm, gru or rnn layer at (input, hidden, batch, steps), MSE on its
# output sequence, SGD), and the all-reduce's share of a step under 2 ranks.
# Time per step is the difference between runs of two lengths (as in
# vs_pytorch.sh: start-up cancels out), each the fastest of REPEAT runs
# (default 3); an epoch is 8 batches. The share is what rank 0's progress
# line reports: the time it spends in the all-reduce (waiting for the other
# rank included) over the run's time, taken from the longer run.
rnnc=${1:-./rnnc}
here=$(cd "$(dirname "$0")" && pwd)
repeat=${REPEAT:-3}
. "$here/timing.sh"
bench_dir mpi
configs=${CONFIGS:-"32,128,32,64 64,256,32,64 128,512,32,64 256,1024,16,32"}
command -v mpirun > /dev/null || { echo "bench: mpirun not found (Debian: openmpi-bin libopenmpi-dev)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export RNNC_THREADS=1
printf '%-5s %-18s %11s %14s %14s %8s %11s\n' cell "(I,H,B,T)" "grad bytes" "1 rank tok/s" "2 ranks tok/s" scaling \
    all-reduce
for cell in lstm gru rnn; do
    for c in $configs; do
        IFS=, read -r I H B T <<EOF2
$c
EOF2
        /usr/bin/python3 -c "
import numpy as np, sys
g = np.random.default_rng(0)
for name, n in (('x', $I), ('y', $H)):
    np.save('$tmp/' + name + '.npy', g.standard_normal((8 * $B, $T, n)).astype('<f4'))" || exit 1
        printf 'model m {\n input x : seq vector(%d)\n target y : seq vector(%d)\n h = %s(x, hidden=%d)\n loss mse(h, y)\n}\n' \
            $I $H $cell $H > "$tmp/m.rnn"
        "$rnnc" build "$tmp/m.rnn" -O3 --mpi -o "$tmp/prog" || exit 1
        bytes=$("$tmp/prog" info | sed -n 's/^parameters:.*(\([0-9]*\) bytes.*/\1/p')
        epochs() { # epochs RANKS N: N epochs of 8 steps
            mpirun --oversubscribe -np "$1" "$tmp/prog" train --input "$tmp/x.npy" --target "$tmp/y.npy" \
                --optimizer sgd --lr 0.01 --batch $B --valid 0 --epochs "$2" --checkpoint-every 1000000 \
                -o "$tmp/w.safetensors" 2> "$tmp/log"
        }
        rate() { # rate RANKS: tokens per second
            long=$(once epochs "$1" 6) && short=$(once epochs "$1" 2) || exit 1
            k=$(echo "d = ($long - $short) / 4; if (d < 0.001) d = 0.001; k = 1.0 / d; \
                if (k < 4) k = 4; if (k > 400) k = 400; scale = 0; k / 1" | bc -l)
            short=$(fastest epochs "$1" 2) && long=$(fastest epochs "$1" $((2 + k))) || exit 1
            echo "$B * $T * 8 * $k / ($long - $short)" | bc -l
        }
        one=$(rate 1) && two=$(rate 2) || exit 1
        share=$(sed -n 's/.*all-reduce \([0-9.]*\)%.*/\1/p' "$tmp/log" | tail -1)
        printf '%-5s %-18s %11d %14.0f %14.0f %8.2f %10s%%\n' $cell "($c)" "$bytes" "$one" "$two" \
            "$(echo "$two / $one" | bc -l)" "$share"
    done
done
