#!/bin/sh
# bench/vs_pytorch.sh [RNNC] - training time per step, rnnc against PyTorch
# 1.13 (Debian python3-torch, 2 threads) on the same machine in one run:
# one recurrent layer (lstm, gru, rnn) at (input, hidden, batch, steps),
# forward + backward + SGD update with MSE on the layer's output sequence.
# rnnc's time per step is the difference between runs of two lengths, so
# start-up cancels out. Prints both and the speed-up (PyTorch / rnnc).
rnnc=${1:-./rnnc}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/rnnc-vs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
configs=${CONFIGS:-"32,128,32,64 64,256,32,64 128,512,32,64 256,1024,16,32"}
printf '%-5s %-18s %12s %12s %9s\n' cell "(I,H,B,T)" "torch s" "rnnc s" speed-up
for cell in lstm gru rnn; do
    for c in $configs; do
        IFS=, read -r I H B T <<EOF2
$c
EOF2
        torch=$(/usr/bin/python3 "$here/torch_step.py" $cell $I $H $B $T "$tmp") || exit 1
        printf 'model m {\n input x : seq vector(%d)\n target y : seq vector(%d)\n h = %s(x, hidden=%d)\n loss mse(h, y)\n}\n' \
            $I $H $cell $H > "$tmp/m.rnn"
        "$rnnc" build "$tmp/m.rnn" -O3 -o "$tmp/prog" || exit 1
        run() { # run EPOCHS: seconds for that many steps (one batch per epoch)
            t0=$(now)
            "$tmp/prog" train --input "$tmp/x.npy" --target "$tmp/y.npy" --optimizer sgd --lr 0.01 --batch $B \
                --valid 0 --epochs $1 --checkpoint-every 1000000 -o "$tmp/w.safetensors" 2> /dev/null || exit 1
            echo "$(now) - $t0" | bc -l
        }
        short=$(run 2)
        long=$(run 7)
        ours=$(echo "($long - $short) / 5" | bc -l)
        printf '%-5s %-18s %12.5f %12.5f %9.2f\n' $cell "($c)" "$torch" "$ours" "$(echo "$torch / $ours" | bc -l)"
    done
done
