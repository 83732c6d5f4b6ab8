#!/bin/sh
# bench/lengths.sh [RNNC] - what --lengths costs in training: rnnc's time
# per step on a batch whose sequences have lengths drawn uniformly from
# [T/2, T] (bench/torch_lengths.py writes the data), against the same batch
# without --lengths, for one recurrent layer at (input, hidden, batch,
# steps); and, on the same machine in the same run, PyTorch 1.13's time per
# step on the batch padded and packed (pack_padded_sequence). rnnc's time
# per step is measured as in bench/vs_pytorch.sh: the difference between
# runs of two lengths, each the fastest of REPEAT (default 3). Prints both
# and their ratios (with lengths / without; packed / padded).
rnnc=${1:-./rnnc}
here=$(cd "$(dirname "$0")" && pwd)
repeat=${REPEAT:-3}
. "$here/timing.sh"
bench_dir lengths
configs=${CONFIGS:-"64,256,32,64 128,512,32,64"}
printf '%-5s %-16s %11s %11s %7s %11s %11s %7s\n' cell "(I,H,B,T)" "rnnc s" "lengths s" ratio "torch s" "packed s" ratio
for cell in lstm gru; do
    for c in $configs; do
        IFS=, read -r I H B T <<EOF2
$c
EOF2
        torch=$(/usr/bin/python3 "$here/torch_lengths.py" $cell $I $H $B $T "$tmp") || exit 1
        printf 'model m {\n input x : seq vector(%d)\n target y : seq vector(%d)\n h = %s(x, hidden=%d)\n loss mse(h, y)\n}\n' \
            $I $H $cell $H > "$tmp/m.rnn"
        "$rnnc" build "$tmp/m.rnn" -O3 -o "$tmp/prog" || exit 1
        epochs() { # epochs N [--lengths L]: train N epochs of 8 batches, 8 N steps
            n=$1
            shift
            "$tmp/prog" train --input "$tmp/x.npy" --target "$tmp/y.npy" "$@" --optimizer sgd --lr 0.01 --batch $B \
                --valid 0 --epochs "$n" --checkpoint-every 1000000 -o "$tmp/w.safetensors"
        }
        per_step() { # per_step [--lengths L]: seconds per step
            long=$(once epochs 7 "$@") && short=$(once epochs 2 "$@") || exit 1
            k=$(echo "d = ($long - $short) / 5; if (d < 0.001) d = 0.001; k = 0.5 / d; \
                if (k < 5) k = 5; if (k > 500) k = 500; scale = 0; k / 1" | bc -l)
            short=$(fastest epochs 2 "$@") && long=$(fastest epochs $((2 + k)) "$@") || exit 1
            echo "($long - $short) / $k / 8" | bc -l
        }
        plain=$(per_step) && with=$(per_step --lengths "$tmp/lengths.npy") || exit 1
        set -- $torch
        printf '%-5s %-16s %11.5f %11.5f %7.3f %11.5f %11.5f %7.3f\n' $cell "($c)" "$plain" "$with" \
            "$(echo "$with / $plain" | bc -l)" "$1" "$2" "$(echo "$2 / $1" | bc -l)"
    done
done
