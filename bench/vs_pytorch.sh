#!/bin/sh
# bench/vs_pytorch.sh [RNNC] - training time per step, rnnc against PyTorch
# 1.13 (Debian python3-torch, 2 threads) on the same machine in one run:
# one recurrent layer (lstm, gru, rnn) at (input, hidden, batch, steps),
# forward + backward + SGD update with MSE on the layer's output sequence.
# rnnc's time per step is the difference between runs of two lengths, so
# start-up cancels out: each length is the fastest of REPEAT runs (default
# 3), the longer one about 0.5 s longer (at least 5 epochs more). An epoch
# is 8 batches (bench/torch_step.py writes the data so), 8 steps and one
# end-of-epoch checkpoint, which is therefore counted an eighth per step
# (written to /dev/shm when there is one, to keep the disk out); the checkpoint
# is not part of PyTorch's step. Prints both, the speed-up (PyTorch / rnnc), and
# rnnc's rate in GFLOP/s, counting 3 x 2*B*T*G*H*(I+H) flops a step (the
# forward's matrix products, twice that for the backward; G = 4 lstm, 3 gru,
# 1 rnn), also as a percentage of this machine's sgemm rate (bench/probes.sh:
# SGEMM_GFLOPS, measured here when not set).
rnnc=${1:-./rnnc}
here=$(cd "$(dirname "$0")" && pwd)
repeat=${REPEAT:-3}
. "$here/timing.sh"
bench_dir vs
configs=${CONFIGS:-"32,128,32,64 64,256,32,64 128,512,32,64 256,1024,16,32"}
if [ -z "$SGEMM_GFLOPS" ]; then
    eval "$("$here/probes.sh" sgemm)" || exit 1
    echo "sgemm: $SGEMM_GFLOPS GFLOP/s (OpenBLAS, 2048x2048, $SGEMM_THREADS threads)"
fi
printf '%-5s %-18s %12s %12s %9s %8s %8s\n' cell "(I,H,B,T)" "torch s" "rnnc s" speed-up GFLOP/s "% sgemm"
for cell in lstm gru rnn; do
    case $cell in lstm) G=4 ;; gru) G=3 ;; rnn) G=1 ;; esac
    for c in $configs; do
        IFS=, read -r I H B T <<EOF2
$c
EOF2
        torch=$(/usr/bin/python3 "$here/torch_step.py" $cell $I $H $B $T "$tmp") || exit 1
        printf 'model m {\n input x : seq vector(%d)\n target y : seq vector(%d)\n h = %s(x, hidden=%d)\n loss mse(h, y)\n}\n' \
            $I $H $cell $H > "$tmp/m.rnn"
        "$rnnc" build "$tmp/m.rnn" -O3 -o "$tmp/prog" || exit 1
        epochs() { # epochs N: train N epochs of 8 batches, 8 N steps
            "$tmp/prog" train --input "$tmp/x.npy" --target "$tmp/y.npy" --optimizer sgd --lr 0.01 --batch $B \
                --valid 0 --epochs "$1" --checkpoint-every 1000000 -o "$tmp/w.safetensors"
        }
        long=$(once epochs 7) && short=$(once epochs 2) || exit 1
        k=$(echo "d = ($long - $short) / 5; if (d < 0.001) d = 0.001; k = 0.5 / d; \
            if (k < 5) k = 5; if (k > 500) k = 500; scale = 0; k / 1" | bc -l)
        short=$(fastest epochs 2) && long=$(fastest epochs $((2 + k))) || exit 1
        ours=$(echo "($long - $short) / $k / 8" | bc -l)
        gflops=$(echo "6 * $B * $T * $G * $H * ($I + $H) / $ours / 1000000000" | bc -l)
        printf '%-5s %-18s %12.5f %12.5f %9.2f %8.1f %8.1f\n' $cell "($c)" "$torch" "$ours" \
            "$(echo "$torch / $ours" | bc -l)" "$gflops" "$(echo "100 * $gflops / $SGEMM_GFLOPS" | bc -l)"
    done
done
